package network

import (
	"context"
	"github.com/breakwater/breakwater/internal/datasets"
	"sync"
	"testing"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/source"
)

// dataset returns the path of a shared dataset, skipping the test when it
// is missing, or failing it in CI.
func dataset(t testing.TB, rel string) string {
	t.Helper()
	return datasets.Path(t, rel)
}

// newDetector returns a detector with the default settings, changed by
// edit when given.
func newDetector(t testing.TB, edit func(*Config)) *Detector {
	t.Helper()
	cfg := DefaultConfig()
	if edit != nil {
		edit(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// huntPaths runs the detector over logs as a hunt does (discovery,
// parallel reading, the detect engine), and returns the findings in report
// order with the detector's notes. It drives the pipeline without the
// hunt package, so that these tests do not depend on the rule engine.
func huntPaths(t testing.TB, d *Detector, workers int, paths ...string) ([]*finding.Finding, []string) {
	t.Helper()
	found, err := source.Discover(paths, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	eng := detect.NewEngine([]detect.Detector{d}, workers, detect.Filter{})
	var mu sync.Mutex
	byID := make(map[string]*finding.Finding)
	emit := func(f *finding.Finding) {
		mu.Lock()
		defer mu.Unlock()
		if _, ok := byID[f.ID]; ok {
			t.Errorf("two findings with id %s: %s", f.ID, f.Summary)
		}
		byID[f.ID] = f
	}
	r := source.Reader{Workers: workers, Process: func(w int, b *source.Batch) {
		for i := range b.Events {
			eng.Observe(w, &b.Events[i], emit)
		}
	}}
	if err := r.Read(context.Background(), found.Inputs, func(*source.Batch) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if err := eng.Finish(emit); err != nil {
		t.Fatal(err)
	}
	out := make([]*finding.Finding, 0, len(byID))
	for _, f := range byID {
		out = append(out, f)
	}
	finding.Sort(out)
	return out, d.Notes()
}

// byRule returns the findings of one rule.
func byRule(fs []*finding.Finding, rule string) []*finding.Finding {
	var out []*finding.Finding
	for _, f := range fs {
		if f.RuleID == rule {
			out = append(out, f)
		}
	}
	return out
}

// value returns a finding's explanation value.
func value(f *finding.Finding, name string) string {
	for _, v := range f.Explain.Values {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}

// jsonLines renders findings as the JSONL contract does.
func jsonLines(fs []*finding.Finding) string {
	var b []byte
	for _, f := range fs {
		b = f.AppendJSON(b)
		b = append(b, '\n')
	}
	return string(b)
}
