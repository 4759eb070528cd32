package cli

import (
	"encoding/json"
	"github.com/breakwater/breakwater/internal/datasets"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sigmaRules returns a folder of SigmaHQ rules from the shared datasets,
// skipping when they are absent, except under CI.
func sigmaRules(t *testing.T, sub string) string {
	t.Helper()
	return datasets.Path(t, "sigma", sub)
}

func TestHuntSampleJSONL(t *testing.T) {
	rules := sigmaRules(t, "rules/windows/process_creation")
	out, errOut, code := run(t, nil, "hunt", "--no-builtin", "--rules", rules, "--format", "jsonl", sample)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 5 {
		t.Fatalf("%d findings:\n%s", len(lines), out)
	}
	rulesSeen := map[string]bool{}
	for _, l := range lines {
		var f struct {
			ID, Kind, Rule, Level, Host string
			Evidence                    []struct {
				File     string
				RecordID int `json:"record_id"`
			}
		}
		if err := json.Unmarshal([]byte(l), &f); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		if f.ID == "" || f.Kind != "sigma" || f.Host != "DC01.corp.example" || len(f.Evidence) == 0 || f.Evidence[0].RecordID == 0 {
			t.Errorf("finding %s", l)
		}
		rulesSeen[f.Rule] = true
	}
	if !rulesSeen["New Port Forwarding Rule Added Via Netsh.EXE"] {
		t.Errorf("the sample's port proxy was not found; rules seen: %v", rulesSeen)
	}
	if !strings.Contains(errOut, "2 files, 10 events, 0 damaged records, 0 skipped") {
		t.Errorf("summary line: %q", errOut)
	}
	// --fail-on turns findings into exit status 1.
	_, _, code = run(t, nil, "hunt", "--no-builtin", "--rules", rules, "--fail-on", "medium", "--quiet", sample)
	if code != 1 {
		t.Errorf("--fail-on medium: exit %d, want 1", code)
	}
	// --since after the sample: nothing found, exit 0.
	out, _, code = run(t, nil, "hunt", "--no-builtin", "--rules", rules, "--since", "2030-01-01", "--fail-on", "low", "--quiet", sample)
	if code != 0 || strings.TrimSpace(out) != "" {
		t.Errorf("--since 2030: exit %d, output %q", code, out)
	}
}

func TestHuntErrors(t *testing.T) {
	rules := sigmaRules(t, "rules/windows/process_creation")
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("not a log"), 0o644)
	badRules := t.TempDir()
	os.WriteFile(filepath.Join(badRules, "bad.yml"), []byte("title: x\ndetection: {condition: nothing}\n"), 0o644)
	unreadable := filepath.Join(t.TempDir(), "Security.evtx")
	os.WriteFile(unreadable, []byte("ElfFile\x00"), 0o000)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing path", []string{"hunt", "--no-builtin", "--rules", rules, "no/such/folder"}, "no/such/folder"},
		{"folder without logs", []string{"hunt", "--no-builtin", "--rules", rules, empty}, "no logs to read"},
		{"rules without a usable rule", []string{"hunt", "--no-builtin", "--rules", badRules, sample}, "no usable rule"},
		{"rules path missing", []string{"hunt", "--no-builtin", "--rules", "no/such/rules", sample}, "does not exist"},
		{"no rules at all", []string{"hunt", "--no-builtin", "--analytics", "none", sample}, "--no-builtin leaves no rules"},
		{"bad level", []string{"hunt", "--min-level", "severe", sample}, "unknown level"},
		{"bad time", []string{"hunt", "--since", "yesterday", sample}, "not a time"},
		{"bad format", []string{"hunt", "--format", "pdf", sample}, "unknown format"},
		{"no paths", []string{"hunt"}, "no logs given"},
	}
	if os.Getuid() != 0 { // root reads any file
		tests = append(tests, struct {
			name string
			args []string
			want string
		}{"unreadable file", []string{"hunt", "--no-builtin", "--rules", rules, unreadable}, "permission denied"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := run(t, nil, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (%s)", code, errOut)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("message %q does not say %q", errOut, tt.want)
			}
		})
	}
}

func TestRulesCheck(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ok.yml"), []byte(`title: Whoami
id: 5d5c2b5e-0000-4000-8000-000000000001
logsource: {category: process_creation, product: windows}
detection:
  sel: {Image|endswith: '\whoami.exe'}
  condition: sel
`), 0o644)
	os.WriteFile(filepath.Join(dir, "lookaround.yml"), []byte(`title: Lookaround
id: 5d5c2b5e-0000-4000-8000-000000000002
logsource: {category: process_creation, product: windows}
detection:
  sel: {CommandLine|re: 'a(?!b)'}
  condition: sel
`), 0o644)
	os.WriteFile(filepath.Join(dir, "modifier.yml"), []byte("title: Unknown modifier\nlogsource: {product: windows}\ndetection:\n  sel: {CommandLine|sparkles: x}\n  condition: sel\n"), 0o644)
	out, errOut, code := run(t, nil, "rules", "check", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[2] != "3 rules, 1 usable, 2 unusable" {
		t.Fatalf("output:\n%s", out)
	}
	if !strings.Contains(lines[0]+lines[1], "lookaround.yml") || !strings.Contains(lines[0]+lines[1], "sparkles") {
		t.Errorf("problem lines do not name the file and reason:\n%s", out)
	}
}

func TestRulesExplain(t *testing.T) {
	rule := filepath.Join(sigmaRules(t, "rules/windows/process_creation"), "proc_creation_win_netsh_port_forwarding.yml")
	out, errOut, code := run(t, nil, "rules", "explain", "--rule", rule, "--matches", filepath.Join(sample, "Sysmon.evtx"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "matches") || !strings.Contains(out, "CommandLine") || strings.Count("\n"+out, "\nevent ") != 1 {
		t.Errorf("explain output:\n%s", out)
	}
}

// TestHuntCorrelationLimits: the caps of correlation state are the user's
// to set, and a cap that is hit is reported in the summary.
func TestHuntCorrelationLimits(t *testing.T) {
	spray := datasets.Path(t, "deepbluecli", "password-spray.evtx")
	rule := filepath.Join("..", "hunt", "testdata", "correlation", "password_spray.yml")
	out, errOut, code := run(t, nil, "hunt", "--no-builtin", "--analytics", "none", "--rules", rule,
		"--correlation-values", "100", "--format", "table", spray)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "more than 100 matches") {
		t.Errorf("the cap is not reported:\n%s", out)
	}
	_, errOut, code = run(t, nil, "hunt", "--correlation-keys", "0", spray)
	if code != 2 || !strings.Contains(errOut, "at least 1") {
		t.Errorf("--correlation-keys 0: exit %d, %s", code, errOut)
	}
}

// TestRulesExplainCorrelation: explaining a correlation rule shows what it
// measured for the group that fired, and the events behind it.
func TestRulesExplainCorrelation(t *testing.T) {
	spray := datasets.Path(t, "deepbluecli", "password-spray.evtx")
	rule := filepath.Join("..", "hunt", "testdata", "correlation", "password_spray.yml")
	out, errOut, code := run(t, nil, "rules", "explain", "--matches", "--rule", rule, spray)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{
		"correlations: 1",
		"+ Password spray from one address: 41 distinct TargetUserName >= 10 within 5m, grouped by IpAddress=172.16.144.128",
		"... 280 events in all",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}
