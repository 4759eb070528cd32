package rules_test

import (
	"context"
	"github.com/breakwater/breakwater/internal/datasets"
	"path/filepath"
	"testing"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/source"
	"github.com/breakwater/breakwater/sigma"
)

// sigmaEvent shows an event.Event to the Sigma matcher.
type sigmaEvent struct{ e *event.Event }

func (s sigmaEvent) Channel() string  { return s.e.Channel }
func (s sigmaEvent) Provider() string { return s.e.Provider }
func (s sigmaEvent) EventID() int     { return s.e.EventID }
func (s sigmaEvent) NumFields() int   { return len(s.e.Fields) }
func (s sigmaEvent) Field(i int) (string, string) {
	return s.e.Fields[i].Name, s.e.Fields[i].Value
}

// hit is a rule matching an event of a file.
type hit struct {
	file  string
	name  string
	level sigma.Level
}

// matchFiles runs the pack over the logs at paths and returns every match
// and the number of events read.
func matchFiles(t *testing.T, rs *sigma.RuleSet, paths ...string) ([]hit, int) {
	t.Helper()
	found, err := source.Discover(paths, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := rs.NewMatcher()
	var hits []hit
	n := 0
	var idx []int
	r := source.Reader{Workers: 1}
	err = r.Read(context.Background(), found.Inputs, func(b *source.Batch) error {
		for i := range b.Events {
			n++
			idx = m.Match(sigmaEvent{&b.Events[i]}, idx[:0])
			for _, k := range idx {
				rule := rs.Rule(k)
				hits = append(hits, hit{file: b.Input.Name, name: rule.Name, level: rule.Level})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits, n
}

// On public logs of the attacks the pack is about, it finds each at medium
// or above.
func TestPackFindsPublicSamples(t *testing.T) {
	_, rs := compilePack(t)
	tests := []struct {
		file string
		rule string
	}{
		{"evtx-attack/defense-evasion/de_portforward_netsh_rdp_sysmon_13_1.evtx", "vt_netsh_portproxy_change"},
		{"evtx-attack/defense-evasion/de_portforward_netsh_rdp_sysmon_13_1.evtx", "vt_portproxy_registry"},
		{"evtx-attack/credential-access/dc_applog_ntdsutil_dfir_325_326_327.evtx", "vt_esent_ntds_staging"},
		{"evtx-attack/lateral-movement/LM_wmiexec_impacket_sysmon_whoami.evtx", "vt_impacket_output_redirect"},
		{"evtx-attack/credential-access/sysmon_10_1_memdump_comsvcs_minidump.evtx", "vt_comsvcs_minidump"},
		{"evtx-attack/defense-evasion/DE_1102_security_log_cleared.evtx", "vt_security_log_cleared"},
		{"evtx-attack/defense-evasion/DE_104_system_log_cleared.evtx", "vt_event_log_cleared"},
		{"evtx-attack/command-and-control/DE_RDP_Tunneling_4624.evtx", "vt_rdp_logon_from_loopback"},
		{"evtx-attack/lateral-movement/LM_typical_IIS_webshell_sysmon_1_10_traces.evtx", "vt_webserver_spawns_shell"},
		{"evtx-attack/execution/sysmon_exec_from_vss_persistence.evtx", "vt_shadow_copy_create"},
		{"otrf/psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json", "vt_comsvcs_minidump"},
		{"otrf/psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json", "vt_lsass_access_comsvcs"},
		{"otrf/cmd_sam_copy_esentutl_2020-10-1900290001.json", "vt_shadow_copy_ntds_copy"},
		{"otrf/cmd_sam_copy_esentutl_2020-10-1900290001.json", "vt_staging_file_created"},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			hits, n := matchFiles(t, rs, datasets.Path(t, tt.file))
			if n == 0 {
				t.Fatalf("no events read")
			}
			for _, h := range hits {
				if h.name == tt.rule && h.level >= sigma.LevelMedium {
					return
				}
			}
			t.Errorf("%s not found at medium or above; matches: %v", tt.rule, hits)
		})
	}
}

// On the logs of real machines doing ordinary work, the pack raises
// nothing at high or above.
func TestPackQuietOnRealSystemLogs(t *testing.T) {
	_, rs := compilePack(t)
	hits, n := matchFiles(t, rs, datasets.Path(t, "evtx-parser", "samples"))
	if n < 10000 {
		t.Fatalf("read only %d events", n)
	}
	perLevel := map[sigma.Level]int{}
	for _, h := range hits {
		perLevel[h.level]++
		if h.level >= sigma.LevelHigh {
			t.Errorf("%s: %s at %s", h.file, h.name, h.level)
		}
	}
	for l := sigma.LevelInformational; l <= sigma.LevelCritical; l++ {
		t.Logf("%-13s %4d findings, %.2f per thousand events (%d events)", l, perLevel[l], 1000*float64(perLevel[l])/float64(n), n)
	}
}
