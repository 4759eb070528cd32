package hunt

import (
	"bytes"
	"context"
	"errors"
	"github.com/breakwater/breakwater/internal/datasets"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
)

var windowsRules struct {
	once  sync.Once
	rules *Rules
	err   error
}

// sampleRules loads SigmaHQ's Windows rules once per test binary.
func sampleRules(t *testing.T) *Rules {
	t.Helper()
	dir := filepath.Join(datasets.Path(t, "sigma"), "rules", "windows")
	windowsRules.once.Do(func() {
		windowsRules.rules, windowsRules.err = LoadRules(RuleOptions{Paths: []string{dir}})
	})
	if windowsRules.err != nil {
		t.Fatal(windowsRules.err)
	}
	return windowsRules.rules
}

func jsonl(r *finding.Report) []byte {
	var b []byte
	for _, f := range r.Findings {
		b = f.AppendJSON(b)
		b = append(b, '\n')
	}
	return b
}

// TestDeterministic: the same input gives byte-identical findings whatever
// the number of workers and the order of the paths.
func TestDeterministic(t *testing.T) {
	rules := sampleRules(t)
	root := datasets.Path(t, "evtx-attack")
	paths := []string{
		filepath.Join(root, "credential-access"), filepath.Join(root, "lateral-movement"),
		filepath.Join(root, "defense-evasion"), filepath.Join("..", "..", "testdata", "sample"),
	}
	run := func(workers int, paths []string) []byte {
		rep, err := Run(context.Background(), Options{Paths: paths, Workers: workers,
			Detectors: []detect.Detector{detect.NewSigma(rules.Set)}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Findings) < 50 {
			t.Fatalf("only %d findings", len(rep.Findings))
		}
		return jsonl(rep)
	}
	one := run(1, paths)
	if two := run(2, paths); !bytes.Equal(one, two) {
		t.Error("1 and 2 workers give different findings")
	}
	rev := slices.Clone(paths)
	slices.Reverse(rev)
	if back := run(2, rev); !bytes.Equal(one, back) {
		t.Error("reversed inputs give different findings")
	}
}

// TestCopiesMerge: one event read from two copies of a log is one finding
// whose evidence names both files.
func TestCopiesMerge(t *testing.T) {
	rules := sampleRules(t)
	src := filepath.Join("..", "..", "testdata", "sample", "Sysmon.evtx")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, n := range []string{"a.evtx", "b.evtx"} {
		if err := os.WriteFile(filepath.Join(dir, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	single, err := Run(context.Background(), Options{Paths: []string{src}, Detectors: []detect.Detector{detect.NewSigma(rules.Set)}})
	if err != nil {
		t.Fatal(err)
	}
	both, err := Run(context.Background(), Options{Paths: []string{dir}, Detectors: []detect.Detector{detect.NewSigma(rules.Set)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(both.Findings) != len(single.Findings) || len(single.Findings) == 0 {
		t.Fatalf("%d findings from two copies, %d from one", len(both.Findings), len(single.Findings))
	}
	for _, f := range both.Findings {
		if len(f.Evidence) != 2 || f.Evidence[0].File == f.Evidence[1].File {
			t.Errorf("%s: evidence %+v, want one entry per copy", f.Rule, f.Evidence)
		}
	}
}

func TestRunReport(t *testing.T) {
	rules := sampleRules(t)
	rep, err := Run(context.Background(), Options{
		Paths:     []string{filepath.Join("..", "..", "testdata", "sample"), filepath.Join("..", "..", "README.md")},
		Detectors: []detect.Detector{detect.NewSigma(rules.Set)},
		MinLevel:  finding.High,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Inputs) != 2 || EventCount(rep) != 10 {
		t.Errorf("inputs %+v", rep.Inputs)
	}
	if len(rep.Skipped) != 1 || rep.Skipped[0].Name != filepath.Join("..", "..", "README.md") {
		t.Errorf("skipped %+v", rep.Skipped)
	}
	for _, f := range rep.Findings {
		if f.Level < finding.High {
			t.Errorf("finding below --min-level: %s %s", f.Level, f.Rule)
		}
	}
	if len(rep.Findings) == 0 || len(rep.Rules) == 0 {
		t.Fatalf("%d findings, %d rules described", len(rep.Findings), len(rep.Rules))
	}
	if len(rep.Counts) == 0 || rep.Counts[0].Host != "DC01.corp.example" {
		t.Errorf("counts %+v", rep.Counts)
	}
}

func TestNoInput(t *testing.T) {
	_, err := Run(context.Background(), Options{Paths: []string{filepath.Join("..", "..", "internal", "hunt", "testdata-none")}})
	if err == nil {
		t.Fatal("no error for a path that does not exist")
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello"), 0o644)
	rep, err := Run(context.Background(), Options{Paths: []string{dir}})
	if !errors.Is(err, ErrNoInput) {
		t.Fatalf("folder without logs: %v", err)
	}
	if len(rep.Skipped) != 1 {
		t.Errorf("skipped %+v", rep.Skipped)
	}
}

func TestLoadRulesProblems(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "broken.yml"), []byte("title: [unclosed\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "lookahead.yml"), []byte(`title: Lookahead
id: 9d5c2b5e-0000-4000-8000-000000000001
logsource: {category: process_creation, product: windows}
detection:
  sel:
    CommandLine|re: 'a(?=b)'
  condition: sel
`), 0o644)
	rules, err := LoadRules(RuleOptions{Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	if rules.Documents != 2 || rules.Usable() != 0 || len(rules.Problems) != 2 {
		t.Fatalf("documents %d usable %d problems %v", rules.Documents, rules.Usable(), rules.Problems)
	}
	if _, err := LoadRules(RuleOptions{Paths: []string{filepath.Join(dir, "missing")}}); err == nil {
		t.Error("no error for a rules path that does not exist")
	}
}
