package network

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestScenario hunts the synthetic intrusion: every network face of it is
// found, with the facts a responder would check.
func TestScenario(t *testing.T) {
	fs := run(t, newDetector(t, scenarioConfig(t)), scenario(), 2)
	tests := []struct {
		rule    string
		level   finding.Level
		summary string // a finding of the rule has a summary containing this
		values  map[string]string
	}{
		{Relay, finding.High, "10.1.0.20 relays port 9999 from 203.0.113.7 to 10.1.0.10:3389: 3 sessions",
			map[string]string{"relay": monitor, "source": soho, "target_count": "1"}},
		{Beacon, finding.High, "beacon 10.1.0.20 -> 198.51.100.9 (7000/tcp)", map[string]string{"ports": "7000/tcp"}},
		{Callback, finding.High, "quiet sessions from server 10.1.0.20 to 198.51.100.9",
			map[string]string{"source_is_server": "true", "new_address": "true"}},
		{LongConnection, finding.High, "long connection 10.1.0.20 -> 198.51.100.9",
			map[string]string{"open_sessions": "1", "open_duration": "75600"}},
		{LongConnection, finding.Low, "long connection 203.0.113.7 -> 10.1.0.20 (9999/tcp)", nil},
		{AdminToDC, finding.High, "first RDP from 10.1.1.50 to domain controller 10.1.0.10",
			map[string]string{"service": "rdp"}},
		{ICMPSweep, finding.Medium, "10.1.1.50 pinged 40 internal addresses in 39s", map[string]string{"targets": "40"}},
		{DNSTunnel, finding.High, "1,200 distinct names queried under evil-dns.net by 1 host",
			map[string]string{"subdomains": "1200", "sources": ws}},
		{IPLookup, finding.Medium, "server 10.1.0.20 looked up its public address at ip-api.com", nil},
		{SMBTransfer, finding.High, `ntds.dit \\DC01\C$\Windows\Temp\Pro\ntds.dit moved over SMB between 10.1.1.50 and domain controller 10.1.0.10`,
			map[string]string{"kind": "ntds.dit", "client": ws, "server": dc}},
		{SMBTransfer, finding.High, "registry hive", nil},
		{SMBTransfer, finding.Medium, "archive", nil},
		{SMBTransfer, finding.High, `memory dump Users\Public\lsass.dmp moved over SMB between 10.1.1.50 and 10.1.0.20`,
			map[string]string{"client": ws, "server": monitor}},
		{Strobe, finding.Low, "strobe 10.1.1.50 -> 192.0.2.53 (53/udp/dns): 1,200 connections", nil},
		{Indicator, finding.High, "indicator 198.51.100.0/24 seen in the zeek.conn log:", nil},
		{Indicator, finding.High, "indicator evil-dns.net seen in the zeek.dns log: 1,200 events", nil},
	}
	for _, tt := range tests {
		var f *finding.Finding
		for _, g := range byRule(fs, tt.rule) {
			if strings.Contains(g.Summary, tt.summary) {
				f = g
				break
			}
		}
		if f == nil {
			t.Errorf("no %s finding like %q in:\n%s", tt.rule, tt.summary, summaries(fs))
			continue
		}
		if f.Level != tt.level {
			t.Errorf("%s: level %s, want %s", f.Summary, f.Level, tt.level)
		}
		if f.Kind != finding.KindNetwork || f.ID == "" || len(f.Evidence) == 0 || f.Explain.Text == "" {
			t.Errorf("%s: kind %q, id %q, %d evidence, explanation %q", f.Summary, f.Kind, f.ID, len(f.Evidence), f.Explain.Text)
		}
		for _, e := range f.Evidence {
			if e.File == "" || e.Line == 0 || len(e.Fields) == 0 {
				t.Errorf("%s: evidence without place or fields: %+v", f.Summary, e)
			}
		}
		for k, v := range tt.values {
			if got := value(f, k); got != v {
				t.Errorf("%s: value %s = %q, want %q", f.Summary, k, got, v)
			}
		}
	}
	// The administrator's SMB to the DC was there from the start: not new.
	for _, f := range byRule(fs, AdminToDC) {
		if strings.Contains(f.Summary, ws2) {
			t.Errorf("an administration path of the reference period was reported: %s", f.Summary)
		}
	}
	// Browsing at random is no beacon.
	for _, f := range byRule(fs, Beacon) {
		if strings.Contains(f.Summary, web) {
			t.Errorf("random browsing reported as a beacon: %s", f.Summary)
		}
	}
}

// TestScenarioGolden holds the whole report of the scenario to a reviewed
// golden file: go test -run Golden -update rewrites it.
func TestScenarioGolden(t *testing.T) {
	got := jsonLines(run(t, newDetector(t, scenarioConfig(t)), scenario(), 3))
	path := filepath.Join("testdata", "scenario.golden.jsonl")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		g, w := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("findings differ from %s at line %d (run with -update and review the diff):\n got %.400s\nwant %.400s",
					path, i+1, g[i], w[i])
			}
		}
		t.Fatalf("findings differ from %s: %d lines, want %d (run with -update and review the diff)", path, len(g), len(w))
	}
}

// TestScenarioOrder: the same findings whatever the number of workers and
// the order the records come in.
func TestScenarioOrder(t *testing.T) {
	evs := scenario()
	want := jsonLines(run(t, newDetector(t, scenarioConfig(t)), evs, 1))
	for _, n := range []int{2, 5} {
		for _, seed := range []uint64{1, 2} {
			got := jsonLines(run(t, newDetector(t, scenarioConfig(t)), shuffled(evs, seed), n))
			if got != want {
				t.Errorf("%d workers, order %d: findings differ from one worker in log order", n, seed)
			}
		}
	}
}

// TestScenarioCopies: a log read twice (its TSV and JSON copies, a log and
// its archive) gives the same findings as once.
func TestScenarioCopies(t *testing.T) {
	evs := scenario()
	twice := append(evs[:len(evs):len(evs)], evs...)
	for i := len(evs); i < len(twice); i++ {
		twice[i].Source.File += ".json"
	}
	fs := run(t, newDetector(t, scenarioConfig(t)), shuffled(twice, 3), 2)
	for _, f := range fs {
		// Counts, scores and totals must be those of one copy.
		f.Evidence, f.EvidenceTotal = nil, 0
	}
	one := run(t, newDetector(t, scenarioConfig(t)), evs, 2)
	for _, f := range one {
		f.Evidence, f.EvidenceTotal = nil, 0
	}
	if got := summaries(fs); got != summaries(one) {
		t.Errorf("two copies:\n%s\nwant as one:\n%s", got, summaries(one))
	}
}

// summaries lists findings one per line: level, rule, summary.
func summaries(fs []*finding.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		b.WriteString(f.Level.String() + " " + f.RuleID + " " + f.Summary + "\n")
	}
	return b.String()
}

// TestBeaconThatStopped: a beacon that stopped two days before the end of
// the logs is found in the day it ran, and says so.
func TestBeaconThatStopped(t *testing.T) {
	z := newZlog()
	for ts := t0; ts.Before(t0.Add(24 * time.Hour)); ts = ts.Add(10 * time.Minute) {
		z.conn("conn", ts, ws, 40000, frp, 443, "tcp", "ssl", 0.3, 300, 4000, "SF")
	}
	// Other traffic goes on for two more days.
	for ts := t0; ts.Before(t0.Add(72 * time.Hour)); ts = ts.Add(37 * time.Minute) {
		z.conn("conn", ts, ws2, 40001, "93.184.216.1", 443, "tcp", "ssl", 3, 500, 9000, "SF")
	}
	fs := run(t, newDetector(t, scenarioConfig(t)), z.evs, 2)
	var f *finding.Finding
	for _, g := range byRule(fs, Beacon) {
		if strings.Contains(g.Summary, ws+" -> "+frp) {
			f = g
		}
	}
	if f == nil {
		t.Fatalf("the stopped beacon was not found:\n%s", summaries(fs))
	}
	if value(f, "latest_window") != "false" || !strings.Contains(f.Explain.Text, "later windows of the logs scored lower") {
		t.Errorf("the finding does not say the beacon stopped before the end: %s", f.Explain.Text)
	}
}

// TestBeaconResolvedName: a beacon that moves between the addresses of a
// domain is found per (source, resolved name), with every address.
func TestBeaconResolvedName(t *testing.T) {
	z := newZlog()
	addrs := []string{"198.51.100.21", "198.51.100.22", "198.51.100.23"}
	i := 0
	for ts := t0; ts.Before(t0.Add(24 * time.Hour)); ts = ts.Add(10 * time.Minute) {
		a := addrs[i%len(addrs)]
		i++
		z.add("dns", ts.Add(-time.Second), "uid", z.nextUID(), "id.orig_h", ws, "id.orig_p", "5353", "id.resp_h", dc,
			"id.resp_p", "53", "proto", "udp", "query", "update.c2.example", "qtype_name", "A", "answers", a)
		z.conn("conn", ts, ws, 40000+i, a, 7000, "tcp", "", 0.3, 300, 120, "SF")
	}
	fs := run(t, newDetector(t, scenarioConfig(t)), z.evs, 2)
	f := find(t, fs, BeaconName, ws+" -> update.c2.example (7000/tcp)")
	if f.Level != finding.High || value(f, "addresses") != strings.Join(addrs, " ") {
		t.Errorf("level %s, addresses %q; want high over %v", f.Level, value(f, "addresses"), addrs)
	}
	// Each address alone sees a connection every 30 minutes: the pairs
	// beacon too, but the name says they are one.
	if len(f.Evidence) == 0 || f.Evidence[0].Channel != "zeek.conn" {
		t.Errorf("evidence %+v", f.Evidence)
	}
}
