package network_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/hunt"
	"github.com/breakwater/breakwater/internal/network"
	"github.com/breakwater/breakwater/internal/simulate"
)

// TestSimulatedScenario hunts only the Zeek logs of generated Volt Typhoon
// scenarios with the default settings: the relay through the monitoring
// server's port proxy, the FRP client's beacon and the SMB copy of the
// archive off the domain controller are each found, by the analytic meant
// for them, on the records truth.jsonl names; and nothing the network did
// on its own is reported at high or critical.
func TestSimulatedScenario(t *testing.T) {
	want := []struct {
		behaviour string   // of the network step
		rules     []string // any of these finds it
	}{
		{"N2", []string{network.Relay}},
		{"N3", []string{network.Beacon, network.Callback}},
		{"N5", []string{network.SMBTransfer}},
	}
	for _, o := range []simulate.Options{{Seed: 1}, {Seed: 2}, {Seed: 3, Hosts: 9, Days: 4}, {Seed: 4, Hosts: 5, Days: 2}} {
		t.Run(fmt.Sprintf("seed%d-hosts%d-days%d", o.Seed, o.Hosts, o.Days), func(t *testing.T) {
			dir := t.TempDir()
			if err := simulate.VoltTyphoon(dir, o); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(filepath.Join(dir, simulate.TruthFile))
			if err != nil {
				t.Fatal(err)
			}
			steps, err := simulate.ReadTruth(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			// Zeek records of the intrusion, by uid, and the steps they
			// are evidence of.
			byUID := map[string][]simulate.Step{}
			for _, s := range steps {
				for _, e := range s.Evidence {
					if e.UID != "" {
						byUID[e.UID] = append(byUID[e.UID], s)
					}
				}
			}
			d, err := network.New(network.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			rep, err := hunt.Run(context.Background(), hunt.Options{Paths: []string{filepath.Join(dir, simulate.ZeekDir)},
				Workers: 2, Detectors: []detect.Detector{d}})
			if err != nil {
				t.Fatal(err)
			}
			if rep.DamageTotal > 0 {
				t.Errorf("%d damaged records: %v", rep.DamageTotal, rep.Damage)
			}
			found := map[string]bool{} // behaviour+rule
			for _, f := range rep.Findings {
				malicious := false
				for _, e := range f.Evidence {
					for _, s := range byUID[uidOf(e)] {
						malicious = true
						found[s.Behaviour+" "+f.RuleID] = true
					}
				}
				t.Logf("%-8s %-15s malicious=%-5v %s", f.Level, f.RuleID, malicious, f.Summary)
				if !malicious && f.Level >= finding.High {
					t.Errorf("benign traffic reported at %s: %s %s", f.Level, f.RuleID, f.Summary)
				}
			}
			for _, w := range want {
				ok := false
				for _, r := range w.rules {
					ok = ok || found[w.behaviour+" "+r]
				}
				if !ok {
					t.Errorf("the %s step was not found by %v", w.behaviour, w.rules)
				}
			}
		})
	}
}

func uidOf(e finding.Evidence) string {
	for _, f := range e.Fields {
		if f.Name == "uid" {
			return f.Value
		}
	}
	return ""
}
