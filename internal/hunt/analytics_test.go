package hunt

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/analytics"
	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/simulate"
)

// TestAnalyticsOnScenario hunts the simulated Volt Typhoon intrusion with
// the analytics alone (no rules), against a baseline learned from the
// benign first day: the intrusion's discovery burst, new logon paths and
// credential-theft chain are found, and the administrators' own work of
// the baseline period is not reported as sequences.
func TestAnalyticsOnScenario(t *testing.T) {
	dir := t.TempDir()
	opts := simulate.Options{Seed: 1, Days: 4, Hosts: 8}
	if err := simulate.VoltTyphoon(dir, opts); err != nil {
		t.Fatal(err)
	}
	truthFile, err := os.Open(filepath.Join(dir, simulate.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	truth, err := simulate.ReadTruth(truthFile)
	truthFile.Close()
	if err != nil {
		t.Fatal(err)
	}
	// The intrusion starts on the second day; the first is the baseline.
	start := time.Date(2024, 2, 5, 0, 0, 0, 0, time.UTC)
	intrusion := start.Add(24 * time.Hour)

	learner, err := analytics.NewLearner(analytics.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), Options{Paths: []string{dir}, Detectors: []detect.Detector{learner},
		Filter: detect.Filter{Until: intrusion.Add(-time.Nanosecond)}}); err != nil {
		t.Fatal(err)
	}
	base := learner.Baseline()
	base.Source = "day-1.json"
	d, err := analytics.New(analytics.DefaultConfig(), base)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), Options{Paths: []string{dir}, Detectors: []detect.Detector{d},
		Filter: detect.Filter{Since: intrusion}})
	if err != nil {
		t.Fatal(err)
	}

	// The records that are evidence of each catalogue behaviour.
	evidence := make(map[string]map[string]bool) // behaviour → "host/file#record"
	intruder := make(map[string]bool)
	for _, s := range truth {
		for _, e := range s.Evidence {
			k := e.File + "#" + itoa(e.RecordID)
			if evidence[s.Behaviour] == nil {
				evidence[s.Behaviour] = make(map[string]bool)
			}
			evidence[s.Behaviour][k] = true
			intruder[k] = true
		}
	}
	keyOf := func(e finding.Evidence) string {
		rel, err := filepath.Rel(dir, e.File)
		if err != nil {
			return e.File
		}
		return filepath.ToSlash(rel) + "#" + itoa(e.RecordID)
	}
	shows := func(f *finding.Finding, behaviour string) bool {
		for _, e := range f.Evidence {
			if evidence[behaviour][keyOf(e)] {
				return true
			}
		}
		return false
	}
	found := func(rule, behaviour string) bool {
		for _, f := range rep.Findings {
			if f.RuleID == rule && shows(f, behaviour) {
				return true
			}
		}
		return false
	}
	for _, want := range []struct{ rule, behaviour string }{
		{analytics.DiscoveryBurst, "D25"},
		{analytics.PasswordSpray, "D18"},
		{analytics.FirstSeenLogon, "D28"},
		{analytics.CredentialTheftChain, "D09"},
		{analytics.CredentialTheftChain, "D31"},
		{analytics.RDPLoopback, "D29"},
		{analytics.StagingCleanup, "D41"},
		{analytics.LogCleared, "D37"},
	} {
		if !found(want.rule, want.behaviour) {
			t.Errorf("no %s finding on the evidence of %s", want.rule, want.behaviour)
		}
	}
	// Sequences point at the intruder only: whatever else they report is
	// work the baseline should have explained.
	for _, f := range rep.Findings {
		switch f.RuleID {
		case analytics.DiscoveryBurst, analytics.CredentialTheftChain, analytics.StagingCleanup:
		default:
			continue
		}
		hit := false
		for _, e := range f.Evidence {
			hit = hit || intruder[keyOf(e)]
		}
		if !hit {
			t.Errorf("a %s finding on no evidence of the intrusion: %s", f.RuleID, f.Summary)
		}
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "first-seen judged against the baseline day-1.json") {
		t.Errorf("the notes do not say which reference was used:\n%s", strings.Join(rep.Notes, "\n"))
	}
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
