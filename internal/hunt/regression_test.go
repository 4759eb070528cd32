package hunt

import (
	"context"
	"github.com/breakwater/breakwater/internal/datasets"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
)

type regressionRow struct {
	ruleID, evtx, json string
	matchCount         int
}

func regressionManifest(t *testing.T, root string) []regressionRow {
	src, err := os.ReadFile(filepath.Join(root, "regression_manifest.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")
	col := map[string]int{}
	for i, h := range strings.Split(lines[0], "\t") {
		col[h] = i
	}
	var rows []regressionRow
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		n := 1
		if s := f[col["match_count"]]; s != "" {
			n, _ = strconv.Atoi(s)
		}
		rows = append(rows, regressionRow{ruleID: f[col["rule_id"]], evtx: f[col["evtx"]], json: f[col["json"]], matchCount: n})
	}
	return rows
}

// TestSigmaHQRegression runs SigmaHQ's 202 regression tests through the
// whole hunt pipeline, on the .evtx files and on their .json copies: the
// named rule must match each file at least match_count times. Every other
// match must be one already reviewed in ../../sigma/testdata/
// regression_matches.golden, and both formats must give the same matches.
func TestSigmaHQRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("loads all SigmaHQ rules")
	}
	root := datasets.Path(t, "sigma")
	rows := regressionManifest(t, root)
	rules, err := LoadRules(RuleOptions{Paths: []string{
		filepath.Join(root, "rules"), filepath.Join(root, "rules-threat-hunting"), filepath.Join(root, "rules-emerging-threats"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile(filepath.Join("..", "..", "sigma", "testdata", "regression_matches.golden"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, l := range strings.Split(string(golden), "\n") {
		f := strings.Split(l, "\t")
		if len(f) < 3 || strings.HasPrefix(l, "#") {
			continue
		}
		want[strings.TrimSuffix(f[0], ".json")+"\t"+f[1]+"\t"+f[2]] = true
	}
	for _, kind := range []string{"evtx", "json"} {
		t.Run(kind, func(t *testing.T) {
			var paths []string
			for _, r := range rows {
				p := r.evtx
				if kind == "json" {
					p = r.json
				}
				paths = append(paths, filepath.Join(root, p))
			}
			rep, err := Run(context.Background(), Options{
				Paths: paths, Workers: 2, MinLevel: finding.Informational,
				Detectors: []detect.Detector{detect.NewSigma(rules.Set)},
			})
			if err != nil {
				t.Fatal(err)
			}
			hits := map[string]int{} // rule id + file (without extension)
			for _, f := range rep.Findings {
				for _, e := range f.Evidence {
					rel, _ := filepath.Rel(root, e.File)
					rel = strings.TrimSuffix(filepath.ToSlash(rel), "."+kind)
					hits[rel+"\t"+f.RuleID]++
				}
			}
			pass := 0
			for _, r := range rows {
				p := strings.TrimSuffix(r.evtx, ".evtx")
				if n := hits[p+"\t"+r.ruleID]; n >= r.matchCount {
					pass++
				} else {
					t.Errorf("%s: rule %s matched %d times, want at least %d", p, r.ruleID, n, r.matchCount)
				}
			}
			var got []string
			for k, n := range hits {
				got = append(got, k+"\t"+strconv.Itoa(n))
			}
			sort.Strings(got)
			for _, g := range got {
				if !want[g] {
					t.Errorf("match not in the reviewed golden file: %s", g)
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d (file, rule) matches, the golden file has %d", len(got), len(want))
			}
			t.Logf("%d/%d regression tests pass on the .%s files; %d (file, rule) matches", pass, len(rows), kind, len(got))
		})
	}
}
