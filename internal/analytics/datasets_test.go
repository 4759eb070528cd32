package analytics

import (
	"context"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/hunt"
)

// huntFile runs the analytics alone over logs, as breakwater hunt
// --no-builtin does.
func huntFile(t *testing.T, workers int, paths ...string) *finding.Report {
	t.Helper()
	rep, err := hunt.Run(context.Background(), hunt.Options{
		Paths: paths, Workers: workers, Detectors: []detect.Detector{newDetector(t, nil)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestDatasets holds the analytics to what public attack logs are known to
// contain (datasets/README.md).
func TestDatasets(t *testing.T) {
	tests := []struct {
		file  string
		rule  string
		level finding.Level
		// summary must contain all of these
		summary []string
		values  map[string]string
	}{
		{"deepbluecli/password-spray.evtx", PasswordSpray, finding.High,
			[]string{"41 accounts", "172.16.144.128", "294 attempts"},
			map[string]string{"accounts": "41", "IpAddress": "172.16.144.128"}},
		{"deepbluecli/smb-password-guessing-security.evtx", BruteForce, finding.High,
			[]string{"brute force of Administrator from 192.168.198.149", "3,561 failed logons in 2m43s"},
			map[string]string{"failures": "3561", "duration": "2m43s", "account": "Administrator"}},
		{"evtx-attack/command-and-control/DE_RDP_Tunneling_4624.evtx", RDPLoopback, finding.High,
			[]string{"127.0.0.1", "PC02.example.corp"}, map[string]string{"IpAddress": "127.0.0.1"}},
		{"evtx-attack/defense-evasion/DE_1102_security_log_cleared.evtx", LogCleared, finding.High,
			[]string{"Security log of PC01.example.corp was cleared by EXAMPLE\\user01", "before 2019-03-19T23:35:07.5242021Z is missing"},
			map[string]string{"lost_to": "2019-03-19T23:35:07.5242021Z", "lost_records_at_most": "452810"}},
		{"evtx-attack/defense-evasion/DE_104_system_log_cleared.evtx", LogCleared, finding.High,
			[]string{"System log of PC01.example.corp was cleared"}, map[string]string{"channel": "System"}},
		{"deepbluecli/new-user-security.evtx", AdminAccountCreated, finding.Medium,
			[]string{"account IEUser created on IE8Win7", "added to Administrators"}, map[string]string{"groups": "Administrators"}},
		{"deepbluecli/disablestop-eventlog.evtx", EventLogStopped, finding.High,
			[]string{"Event Log service was disabled"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rep := huntFile(t, 2, dataset(t, tt.file))
			got := byRule(rep.Findings, tt.rule)
			if len(got) != 1 {
				t.Fatalf("%d %s findings, want 1:\n%s", len(got), tt.rule, jsonLines(rep.Findings))
			}
			f := got[0]
			if f.Level != tt.level {
				t.Errorf("level %s, want %s", f.Level, tt.level)
			}
			if f.Kind != finding.KindAnalytic || len(f.Evidence) == 0 || f.Evidence[0].File == "" {
				t.Errorf("kind %q, %d evidence: want analytic findings with evidence", f.Kind, len(f.Evidence))
			}
			for _, s := range tt.summary {
				if !strings.Contains(f.Summary, s) {
					t.Errorf("summary %q lacks %q", f.Summary, s)
				}
			}
			for k, v := range tt.values {
				if got := value(f, k); got != v {
					t.Errorf("value %s = %q, want %q", k, got, v)
				}
			}
			if len(rep.Rules) == 0 || rep.Rules[0].Kind != finding.KindAnalytic {
				t.Errorf("the report does not describe the analytic: %+v", rep.Rules)
			}
		})
	}
}

// TestDatasetBenignSamples: real machines with nothing to hide give no
// finding at high or above, and the report says where processes are
// invisible.
func TestDatasetBenignSamples(t *testing.T) {
	rep := huntFile(t, 2, dataset(t, "evtx-parser/samples"))
	for _, f := range rep.Findings {
		if f.Level >= finding.High {
			t.Errorf("a benign machine's log gave a %s finding: %s %s", f.Level, f.RuleID, f.Summary)
		}
	}
	// Coverage: hosts without process creation events are named.
	found := false
	for _, n := range rep.Notes {
		if strings.HasPrefix(n, "coverage: no process creation events") && strings.Contains(n, "IE8Win7") {
			found = true
		}
	}
	if !found {
		t.Errorf("no coverage note names IE8Win7:\n%s", strings.Join(rep.Notes, "\n"))
	}
}

// TestDatasetWorkers: the same findings whatever the number of workers.
func TestDatasetWorkers(t *testing.T) {
	p := dataset(t, "deepbluecli")
	one := jsonLines(huntFile(t, 1, p).Findings)
	for _, n := range []int{2, 5} {
		if got := jsonLines(huntFile(t, n, p).Findings); got != one {
			t.Errorf("%d workers differ from 1:\n%s\nwant:\n%s", n, got, one)
		}
	}
	if one == "" {
		t.Error("no findings in deepbluecli")
	}
}
