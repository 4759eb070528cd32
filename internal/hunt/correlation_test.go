package hunt

import (
	"bytes"
	"context"
	"github.com/breakwater/breakwater/internal/datasets"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/sigma"
)

// correlationRules loads the two correlation rules of testdata/correlation
// and nothing else.
func correlationRules(t *testing.T) *Rules {
	t.Helper()
	rules, err := LoadRules(RuleOptions{Paths: []string{filepath.Join("testdata", "correlation")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rules.Problems) > 0 || rules.Correlations.Len() != 2 {
		t.Fatalf("problems %v, %d correlations", rules.Problems, rules.Correlations.Len())
	}
	return rules
}

func huntWith(t *testing.T, rules *Rules, workers int, paths ...string) *finding.Report {
	t.Helper()
	rep, err := Run(context.Background(), Options{Paths: paths, Workers: workers,
		Detectors: []detect.Detector{rules.Detector(sigma.Limits{})}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func findingsJSONL(r *finding.Report) []byte {
	var b []byte
	for _, f := range r.Findings {
		b = f.AppendJSON(b)
		b = append(b, '\n')
	}
	return b
}

// TestCorrelationDatasets: a value_count rule finds the password spray of
// password-spray.evtx and an event_count rule the password guessing of
// smb-password-guessing-security.evtx; their base rules report nothing of
// their own (no generate), and neither fires on the other logs.
func TestCorrelationDatasets(t *testing.T) {
	rules := correlationRules(t)
	cases := []struct {
		file, rule, group, text string
	}{
		{"deepbluecli/password-spray.evtx", "Password spray from one address", "IpAddress=172.16.144.128",
			"41 distinct TargetUserName >= 10 within 5m, grouped by IpAddress=172.16.144.128"},
		{"deepbluecli/smb-password-guessing-security.evtx", "Password guessing from one address", "IpAddress=192.168.198.149",
			"3561 events > 100 within 5m, grouped by IpAddress=192.168.198.149"},
	}
	for _, tc := range cases {
		rep := huntWith(t, rules, 2, datasets.Path(t, tc.file))
		if len(rep.Findings) == 0 {
			t.Fatalf("%s: no finding", tc.file)
		}
		for _, f := range rep.Findings {
			if f.Kind != finding.KindCorrelation || f.Rule != tc.rule || !strings.HasSuffix(f.Explain.Text, tc.group) || f.Level != finding.High {
				t.Errorf("%s: unexpected finding %s %q %q (%s)", tc.file, f.Kind, f.Rule, f.Explain.Text, f.Level)
			}
		}
		first := rep.Findings[0]
		if first.Explain.Text != tc.text {
			t.Errorf("%s: %q, want %q", tc.file, first.Explain.Text, tc.text)
		}
		if len(first.Evidence) != 20 || first.EvidenceTotal < 280 || first.Evidence[0].RecordID == 0 ||
			!slices.Contains(first.Techniques, "T1110.003") == strings.Contains(tc.rule, "spray") {
			t.Errorf("%s: %d evidence of %d, techniques %v", tc.file, len(first.Evidence), first.EvidenceTotal, first.Techniques)
		}
		if len(rep.Rules) != 1 || rep.Rules[0].Kind != finding.KindCorrelation || rep.Rules[0].Title != tc.rule {
			t.Errorf("%s: rules described %+v", tc.file, rep.Rules)
		}
	}

	// Every other log of the datasets.
	var others []string
	entries, err := os.ReadDir(datasets.Path(t, "deepbluecli"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".evtx") && e.Name() != "password-spray.evtx" && e.Name() != "smb-password-guessing-security.evtx" {
			others = append(others, filepath.Join(datasets.Path(t, "deepbluecli"), e.Name()))
		}
	}
	for _, d := range []string{"evtx-attack", "otrf", "evtx-parser", "sigma/regression_data", "zeek"} {
		others = append(others, datasets.Path(t, d))
	}
	rep := huntWith(t, rules, 2, others...)
	if EventCount(rep) < 10_000 {
		t.Fatalf("only %d events read", EventCount(rep))
	}
	for _, f := range rep.Findings {
		t.Errorf("finding on a log without password attacks: %s %q %s", f.Rule, f.Explain.Text, f.Evidence[0].File)
	}
	for _, n := range rep.Notes {
		if strings.Contains(n, "correlation") {
			t.Errorf("note %q", n)
		}
	}
}

// TestCorrelationOrder: the same findings, byte for byte, whatever the
// order of the input files and the number of workers.
func TestCorrelationOrder(t *testing.T) {
	rules := correlationRules(t)
	paths := []string{
		datasets.Path(t, "deepbluecli/password-spray.evtx"),
		datasets.Path(t, "deepbluecli/smb-password-guessing-security.evtx"),
		datasets.Path(t, "deepbluecli/new-user-security.evtx"),
		datasets.Path(t, "evtx-attack/credential-access"),
	}
	want := findingsJSONL(huntWith(t, rules, 1, paths...))
	if bytes.Count(want, []byte("\n")) != 3 {
		t.Fatalf("findings:\n%s", want)
	}
	rev := slices.Clone(paths)
	slices.Reverse(rev)
	for _, run := range []struct {
		name    string
		workers int
		paths   []string
	}{{"two workers", 2, paths}, {"reversed", 1, rev}, {"reversed, two workers", 2, rev}, {"three workers", 3, rev}} {
		if got := findingsJSONL(huntWith(t, rules, run.workers, run.paths...)); !bytes.Equal(got, want) {
			t.Errorf("%s: different findings:\n%s\nwant\n%s", run.name, got, want)
		}
	}
}

// TestFiltersLoad: --filters folders hold filters; a filter that names no
// loaded rule is a problem, as is a rule found among the filters; a filter
// that applies stops its rule's matches.
func TestFiltersLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("rules/failed.yml", `
title: Failed logon
id: 11111111-1111-4111-8111-111111111111
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    condition: selection
level: high
`)
	write("filters/scanner.yml", `
title: Our scanner
logsource: {product: windows, service: security}
filter:
    rules: [11111111-1111-4111-8111-111111111111]
    selection: {IpAddress: 192.168.198.149}
    condition: selection
---
title: Stale
logsource: {product: windows}
filter:
    rules: [gone_rule]
    selection: {IpAddress: 10.0.0.1}
    condition: selection
`)
	write("filters/misplaced.yml", `
title: A rule in the wrong place
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4624}
    condition: selection
`)
	rules, err := LoadRules(RuleOptions{Paths: []string{filepath.Join(dir, "rules")}, Filters: []string{filepath.Join(dir, "filters")}})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, p := range rules.Problems {
		reasons = append(reasons, p.Rule+": "+p.Reason)
	}
	want := []string{
		"A rule in the wrong place: a rule among the filters is not run: give it with --rules",
		"Stale: filter names no loaded rule (gone_rule)",
	}
	if !slices.Equal(reasons, want) {
		t.Errorf("problems:\n%s\nwant\n%s", strings.Join(reasons, "\n"), strings.Join(want, "\n"))
	}
	if rules.Documents != 4 || rules.Usable() != 2 {
		t.Errorf("%d documents, %d usable", rules.Documents, rules.Usable())
	}
	if _, err := LoadRules(RuleOptions{Filters: []string{filepath.Join(dir, "nothing")}}); err == nil {
		t.Error("a missing filter folder is no error")
	}
	// The filter silences the rule on the attacker's address: the
	// guessing log has failed logons from nowhere else.
	rep := huntWith(t, rules, 2, datasets.Path(t, "deepbluecli/smb-password-guessing-security.evtx"))
	if len(rep.Findings) != 0 {
		t.Errorf("%d findings despite the filter", len(rep.Findings))
	}
	unfiltered, err := LoadRules(RuleOptions{Paths: []string{filepath.Join(dir, "rules")}})
	if err != nil {
		t.Fatal(err)
	}
	if rep := huntWith(t, unfiltered, 2, datasets.Path(t, "deepbluecli/smb-password-guessing-security.evtx")); len(rep.Findings) < 3000 {
		t.Errorf("%d findings without the filter", len(rep.Findings))
	}
}

// TestCorrelationCapNote: a cap a correlation hits is in the report's
// notes, with the rule and what was not counted.
func TestCorrelationCapNote(t *testing.T) {
	rules := correlationRules(t)
	rep, err := Run(context.Background(), Options{Paths: []string{datasets.Path(t, "deepbluecli/password-spray.evtx")}, Workers: 2,
		Detectors: []detect.Detector{rules.Detector(sigma.Limits{MaxValues: 100})}})
	if err != nil {
		t.Fatal(err)
	}
	want := `correlation "Password spray from one address": 1 group keys had more than 100 matches; their 194 latest matches were not counted`
	if !slices.Contains(rep.Notes, want) {
		t.Errorf("notes %q\nwant %q", rep.Notes, want)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].EvidenceTotal != 100 {
		t.Errorf("%d findings", len(rep.Findings))
	}
}
