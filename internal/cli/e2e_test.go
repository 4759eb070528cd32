package cli

import (
	"bytes"
	"github.com/breakwater/breakwater/internal/datasets"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHuntEndToEnd hunts the public attack logs of the datasets
// (evtx-attack, deepbluecli, otrf) with SigmaHQ's Windows rules, as a user
// would: the JSONL findings are the same for one and two workers and for
// the inputs in reverse order; the case file reopens and `report` renders
// the same findings; the HTML report is written.
func TestHuntEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("hunts several datasets")
	}
	rules := sigmaRules(t, "rules/windows")
	inputs := []string{datasets.Path(t, "evtx-attack"), datasets.Path(t, "deepbluecli"), datasets.Path(t, "otrf")}
	reversed := []string{inputs[2], inputs[1], inputs[0]}
	dir := t.TempDir()
	caseFile := filepath.Join(dir, "hunt.case")
	html := filepath.Join(dir, "report.html")

	hunt := func(extra []string, paths []string) string {
		args := append([]string{"hunt", "--no-builtin", "--analytics", "none", "--rules", rules, "--min-level", "informational", "--quiet"}, extra...)
		out, errOut, code := run(t, nil, append(args, paths...)...)
		if code != 0 {
			t.Fatalf("hunt %v: exit %d: %s", extra, code, errOut)
		}
		return out
	}
	one := hunt([]string{"--workers", "1", "--format", "jsonl", "--case", caseFile, "--format", "html", "--output", "-", "--output", html}, inputs)
	if n := strings.Count(one, "\n"); n < 100 {
		t.Fatalf("only %d findings over the attack datasets", n)
	}
	if two := hunt([]string{"--workers", "2", "--format", "jsonl"}, inputs); two != one {
		t.Error("--workers 2 gives other findings than --workers 1")
	}
	if back := hunt([]string{"--workers", "2", "--format", "jsonl"}, reversed); back != one {
		t.Error("the inputs in reverse order give other findings")
	}
	again, errOut, code := run(t, nil, "report", "--format", "jsonl", "--min-level", "informational", caseFile)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, errOut)
	}
	if again != one {
		t.Errorf("the case file renders %d findings, the hunt wrote %d", strings.Count(again, "\n"), strings.Count(one, "\n"))
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("<html")) || bytes.Contains(page, []byte("<script src")) {
		t.Errorf("HTML report of %d bytes does not look self-contained", len(page))
	}
}

// TestDemoDeterministic hunts the README's demo scenario, with every
// detector on (the pack, analytics, network analytics) over its EVTX logs
// and both copies of its Zeek logs: the findings are byte-identical whatever
// the number of workers and the order of the inputs.
func TestDemoDeterministic(t *testing.T) {
	const demo = "../../testdata/volt-typhoon"
	entries, err := os.ReadDir(demo)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range entries {
		paths = append(paths, filepath.Join(demo, e.Name()))
	}
	var want string
	for i, workers := range []string{"1", "2", "2", "2"} {
		ps := paths
		if i%2 == 1 {
			ps = make([]string, len(paths))
			for j, p := range paths {
				ps[len(paths)-1-j] = p
			}
		}
		out, errOut, code := run(t, nil, append([]string{"hunt", "--quiet", "--format", "jsonl", "--workers", workers}, ps...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		if i == 0 {
			want = out
			if strings.Count(out, "\n") < 100 {
				t.Fatalf("only %d findings on the demo", strings.Count(out, "\n"))
			}
			continue
		}
		if out != want {
			t.Fatalf("run %d (--workers %s) differs from the first", i, workers)
		}
	}
}
