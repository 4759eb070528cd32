package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/breakwater/breakwater/internal/datasets"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runBaseline runs "breakwater baseline" with args, as main will once it
// routes the command.
func runBaseline(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, IsTerminal: func(io.Writer) bool { return false }}
	err := (&baselineCommand{m: m}).Run(context.Background(), args)
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), ExitCode(err)
}

func TestBaselineBuildAndHunt(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "normal.json")
	_, errOut, code := runBaseline(t, "build", "--out", file, sample)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "2 files, 10 events") || !strings.Contains(errOut, "tool forms, 2 logon paths") {
		t.Errorf("summary: %q", errOut)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Format string      `json:"format"`
		Tools  [][3]string `json:"tools"`
	}
	if err := json.Unmarshal(raw, &b); err != nil || b.Format != "breakwater-baseline" || len(b.Tools) < 5 {
		t.Fatalf("baseline file: %v %+v", err, b)
	}

	// Hunting the same logs against it: nothing is new.
	out, errOut, code := run(t, nil, "hunt", "--no-builtin", "--baseline", file, "--min-level", "informational",
		"--format", "jsonl", sample)
	if code != 0 {
		t.Fatalf("hunt exit %d: %s", code, errOut)
	}
	if strings.Contains(out, `"rule_id":"first-seen-`) {
		t.Errorf("first-seen findings against a baseline of the same logs:\n%s", out)
	}
	// The report says which reference was used.
	out, _, _ = run(t, nil, "hunt", "--no-builtin", "--baseline", file, "--format", "table", sample)
	if !strings.Contains(out, "first-seen judged against the baseline") {
		t.Errorf("the report does not name the baseline:\n%s", out)
	}
}

func TestBaselineUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "want the subcommand build"},
		{[]string{"learn"}, "want the subcommand build"},
		{[]string{"build", sample}, "--out is required"},
		{[]string{"build", "--out", "x.json"}, "no logs given"},
	}
	for _, tt := range tests {
		_, errOut, code := runBaseline(t, tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

func TestHuntAnalyticsFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yml")
	if err := os.WriteFile(bad, []byte("password-spray:\n  min-acounts: 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.yml")
	if err := os.WriteFile(good, []byte("enabled:\n  rare-lotl: false\nrare-lotl:\n  max-hosts: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notBaseline := filepath.Join(dir, "nb.json")
	if err := os.WriteFile(notBaseline, []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		code   int
		want   string // in the output or error output
		absent string // from the output
	}{
		{[]string{"--analytics", "bogus"}, 2, `unknown analytic "bogus"`, ""},
		{[]string{"--no-builtin", "--analytics", "none"}, 2, "--no-builtin leaves no rules", ""},
		{[]string{"--analytics-config", bad}, 2, "min-acounts", ""},
		{[]string{"--baseline", notBaseline}, 2, "not a Breakwater baseline", ""},
		{[]string{"--no-builtin", "--min-level", "informational"}, 0, "rare form of ntdsutil", ""},
		{[]string{"--no-builtin", "--analytics-config", good, "--min-level", "informational"}, 0, "", "rare-lotl"},
		{[]string{"--no-builtin", "--analytics", "brute-force,log-cleared", "--min-level", "informational"}, 0, "", "rare-lotl"},
	}
	for _, tt := range tests {
		args := append([]string{"hunt", "--format", "jsonl"}, tt.args...)
		out, errOut, code := run(t, nil, append(args, sample)...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) || (tt.absent != "" && strings.Contains(out, tt.absent)) {
			t.Errorf("%v: exit %d, want %d, %q and not %q:\n%s%s", tt.args, code, tt.code, tt.want, tt.absent, out, errOut)
		}
	}
}

// TestHuntAnalyticsDataset: with the built-in rules off, the analytics
// still find the password spray.
func TestHuntAnalyticsDataset(t *testing.T) {
	p := datasets.Path(t, "deepbluecli", "password-spray.evtx")
	out, errOut, code := run(t, nil, "hunt", "--no-builtin", "--format", "jsonl", p)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, `"kind":"analytic","rule_id":"password-spray"`) || !strings.Contains(out, "41 accounts") {
		t.Errorf("no password spray:\n%s", out)
	}
}
