package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/casefile"
	"github.com/breakwater/breakwater/internal/finding"
)

// runReport runs "breakwater report args..." and returns its output, error
// output and exit status; terminal says whether standard output is one.
func runReport(t *testing.T, terminal bool, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, IsTerminal: func(w io.Writer) bool { return terminal && w == io.Writer(&out) }}
	err := (&reportCommand{m: m}).Run(context.Background(), args)
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), ExitCode(err)
}

// smallCase saves a case of two findings and returns its path.
func smallCase(t *testing.T) string {
	t.Helper()
	at := time.Date(2024, 2, 7, 10, 0, 0, 0, time.UTC)
	r := &finding.Report{
		Started: at, Finished: at.Add(time.Minute),
		Inputs: []finding.Input{{Name: "Security.evtx", Format: "evtx", Size: 100, Events: 2}},
		Findings: []*finding.Finding{
			{ID: "aa", Kind: finding.KindSigma, RuleID: "r1", Rule: "Port proxy added", Level: finding.High, Time: at, Host: "WEB01",
				Summary: "netsh interface portproxy add \x1b[2J"},
			{ID: "bb", Kind: finding.KindSigma, RuleID: "r2", Rule: "Whoami", Level: finding.Low, Time: at.Add(time.Second), Host: "WEB01"},
		},
	}
	path := filepath.Join(t.TempDir(), "small.case")
	if err := casefile.Save(path, r); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportFormats(t *testing.T) {
	c := smallCase(t)
	dir := t.TempDir()
	tests := []struct {
		name     string
		terminal bool
		args     []string
		file     string // output file to read instead of standard output
		want     []string
	}{
		{"pipe defaults to jsonl", false, []string{c}, "", []string{`{"id":"aa",`, `{"id":"bb",`}},
		{"terminal defaults to table", true, []string{c}, "", []string{"2 findings on 1 host", "Port proxy added", `\x1b[2J`}},
		{"format after the case", false, []string{c, "--format", "csv"}, "", []string{"datetime,timestamp_desc,message"}},
		{"output extension chooses", false, []string{"--output", filepath.Join(dir, "r.html"), c}, "r.html", []string{"<!DOCTYPE html>", "Port proxy added"}},
		{"min-level", false, []string{"--min-level", "high", c}, "", []string{`"id":"aa"`}},
		{"navigator", false, []string{"--format", "navigator", c}, "", []string{`"domain": "enterprise-attack"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runReport(t, tt.terminal, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if tt.file != "" {
				b, err := os.ReadFile(filepath.Join(dir, tt.file))
				if err != nil {
					t.Fatal(err)
				}
				out = string(b)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%.600s", w, out)
				}
			}
			if strings.Contains(out, "\x1b[2J") {
				t.Error("an escape sequence from the case reached the output raw")
			}
		})
	}
	if out, _, _ := runReport(t, false, "--min-level", "high", c); strings.Contains(out, `"id":"bb"`) {
		t.Error("--min-level high kept a low finding")
	}
}

func TestReportErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a case"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := smallCase(t)
	tests := []struct {
		name string
		args []string
		says string
	}{
		{"no case", nil, "no case file given"},
		{"two cases", []string{c, c}, "one case file at a time"},
		{"missing", []string{filepath.Join(dir, "nope.case")}, "no case file at"},
		{"not a case", []string{text}, "not a Breakwater case file"},
		{"unknown format", []string{"--format", "pdf", c}, `unknown format "pdf"`},
		{"bad level", []string{"--min-level", "severe", c}, "--min-level"},
		{"bad flag", []string{"--colour", c}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runReport(t, false, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.says) {
				t.Errorf("exit %d, %q; want 2 and %q", code, errOut, tt.says)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.case")); err == nil {
		t.Error("report created the missing case file")
	}
}

// TestReportReopensHunt hunts the sample into a case, then renders the case:
// the JSONL, table and HTML must be byte-identical to what the hunt wrote.
func TestReportReopensHunt(t *testing.T) {
	rules := sigmaRules(t, "rules/windows/process_creation")
	dir := t.TempDir()
	c := filepath.Join(dir, "sample.case")
	huntOut := func(name string) string { return filepath.Join(dir, "hunt."+name) }
	_, errOut, code := run(t, nil, "hunt", "--no-builtin", "--rules", rules, "--quiet", "--case", c,
		"--format", "jsonl", "--output", huntOut("jsonl"), "--format", "html", "--output", huntOut("html"),
		"--format", "csv", "--output", huntOut("csv"), sample)
	if code != 0 {
		t.Fatalf("hunt: exit %d: %s", code, errOut)
	}
	for _, format := range []string{"jsonl", "html", "csv"} {
		out := filepath.Join(dir, "report."+format)
		if _, errOut, code := runReport(t, false, "--format", format, "--output", out, c); code != 0 {
			t.Fatalf("report: exit %d: %s", code, errOut)
		}
		a, err := os.ReadFile(huntOut(format))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if len(a) == 0 || !bytes.Equal(a, b) {
			t.Errorf("%s: the case renders differently from the hunt (%d and %d bytes)", format, len(a), len(b))
		}
	}
	// Hunting the same logs again into the case adds nothing.
	if _, errOut, code := run(t, nil, "hunt", "--no-builtin", "--rules", rules, "--quiet", "--case", c, "--format", "jsonl", sample); code != 0 {
		t.Fatalf("second hunt: exit %d: %s", code, errOut)
	}
	out, _, _ := runReport(t, false, c)
	want, _ := os.ReadFile(huntOut("jsonl"))
	if out != string(want) {
		t.Errorf("after hunting twice the case holds:\n%s\nwant:\n%s", out, want)
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !json.Valid([]byte(l)) {
			t.Errorf("not JSON: %s", l)
		}
	}
}
