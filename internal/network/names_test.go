package network

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestParentDomain(t *testing.T) {
	tests := []struct{ name, want string }{
		{"www.example.com", "example.com"},
		{"a.b.c.example.com", "example.com"},
		{"example.com", "example.com"},
		{"mail.example.co.uk", "example.co.uk"},
		{"x.y.example.com.au", "example.com.au"},
		{"x.example.io", "example.io"},
		{"4.3.2.1.in-addr.arpa", ""},
		{"printer.local", ""},
		{"localhost", ""},
		{"10.0.0.1", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := parentDomain(tt.name)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("parentDomain(%q) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestSensitiveFile(t *testing.T) {
	tests := []struct{ name, want string }{
		{`Windows\Temp\Pro\Active Directory\ntds.dit`, fileNTDS},
		{"NTDS.DIT", fileNTDS},
		{`registry\SYSTEM`, fileHive},
		{"sam.save", fileHive},
		{`c:\users\public\lsass.dmp`, fileDump},
		{"lsass_1234.dmp", fileDump},
		{"backup.7z", fileArchive},
		{"backup.7z.001", fileArchive},
		{"data.r00", fileArchive},
		{"Lock.lic", ""},
		{"report.docx", ""},
		{"system32", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := sensitiveFile(tt.name)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("sensitiveFile(%q) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

func TestLookupService(t *testing.T) {
	tests := []struct{ name, want string }{
		{"www.ip-api.com", "ip-api.com"},
		{"IP-API.com.", "ip-api.com"},
		{"api.ipify.org", "ipify.org"},
		{"checkip.amazonaws.com", "checkip.amazonaws.com"},
		{"s3.amazonaws.com", ""},
		{"ipinfo.io:443", "ipinfo.io"},
		{"notip-api.com", ""},
	}
	for _, tt := range tests {
		got, ok := lookupService(tt.name)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("lookupService(%q) = %q, %v; want %q", tt.name, got, ok, tt.want)
		}
	}
}

// TestRelayLookalikes: what looks like relaying but is not: a DNS
// forwarder (UDP), a reply far later, different bytes, the reply going back
// to the source.
func TestRelayLookalikes(t *testing.T) {
	z := newZlog()
	at := t0.Add(time.Hour)
	// A DNS forwarder: UDP both ways.
	z.conn("conn", at, "10.1.1.5", 5000, dc, 53, "udp", "dns", 0.01, 80, 200, "SF")
	z.conn("conn", at.Add(5*time.Millisecond), dc, 5001, "192.0.2.53", 53, "udp", "dns", 0.01, 80, 200, "SF")
	// Too late.
	z.conn("conn", at, "10.1.1.6", 5002, monitor, 9999, "tcp", "", 600, 5000, 90000, "SF")
	z.conn("conn", at.Add(3*time.Second), monitor, 5003, dc, 3389, "tcp", "", 597, 5000, 90000, "SF")
	// Other bytes.
	z.conn("conn", at.Add(time.Hour), "10.1.1.7", 5004, monitor, 9999, "tcp", "", 600, 5000, 90000, "SF")
	z.conn("conn", at.Add(time.Hour+time.Millisecond), monitor, 5005, dc, 3389, "tcp", "", 600, 900, 1200000, "SF")
	// Back to the source itself.
	z.conn("conn", at.Add(2*time.Hour), "10.1.1.8", 5006, monitor, 9999, "tcp", "", 600, 5000, 90000, "SF")
	z.conn("conn", at.Add(2*time.Hour+time.Millisecond), monitor, 5007, "10.1.1.8", 445, "tcp", "", 600, 5000, 90000, "SF")
	fs := run(t, newDetector(t, scenarioConfig(t)), z.evs, 1)
	if got := byRule(fs, Relay); len(got) != 0 {
		t.Errorf("relays reported:\n%s", summaries(got))
	}
}

// TestCaps: past the connection cap the oldest connections are dropped,
// the cap is reported, and what is kept does not depend on the number of
// workers or the order of the records.
func TestCaps(t *testing.T) {
	small := func(c *Config) {
		scenarioConfig(t)(c)
		c.Caps.Conns = 1500
		c.Caps.Domains = 1
	}
	evs := scenario()
	d := newDetector(t, small)
	fs := run(t, d, evs, 1)
	notes := strings.Join(d.Notes(), "\n")
	for _, want := range []string{"connection cap of 1,500 reached", "domain cap of 1 reached"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
	// The newest connections stay: the FRP beacon of the last day is
	// still found.
	if len(byRule(fs, Beacon)) == 0 {
		t.Errorf("no beacon past the cap:\n%s", summaries(fs))
	}
	want := jsonLines(fs)
	for _, n := range []int{2, 4} {
		got := jsonLines(run(t, newDetector(t, small), shuffled(evs, uint64(n)), n))
		if got != want {
			t.Errorf("%d workers past the cap: findings differ from one worker", n)
		}
	}
}

// TestStatePrune: the pruning keeps exactly the connections from the
// earliest time that leaves no more than the cap.
func TestStatePrune(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Caps.Conns = 10
	st := newState(&cfg)
	k := pairKey{}
	for i := 0; i < 30; i++ {
		ts := int64(i / 2) // two connections per instant
		st.addConn(k, conn{ref: ref{ts: ts}, uid: fmt.Sprint(i)})
	}
	st.prune(st.cutoff)
	if st.nconns > 10 {
		t.Fatalf("%d connections kept, cap 10", st.nconns)
	}
	for _, c := range st.pairs[k] {
		if c.ts < st.cutoff {
			t.Errorf("connection at %d kept below the cut %d", c.ts, st.cutoff)
		}
	}
	if st.nconns != 10 || st.cutoff != 10 || st.dropped != 20 {
		t.Errorf("kept %d from %d, dropped %d; want 10 from 10, 20 dropped", st.nconns, st.cutoff, st.dropped)
	}
}
