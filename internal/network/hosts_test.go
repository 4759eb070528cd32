package network

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// sysmonConn makes a Sysmon network connection event (event 3) as the
// EVTX reader makes it.
func sysmonConn(computer string, initiated bool, src, dst string, ts time.Time, record uint64) event.Event {
	return event.Event{Time: ts.UTC(), Channel: sysmonChannel, Provider: "Microsoft-Windows-Sysmon", EventID: 3,
		Computer: computer, RecordID: record,
		Fields: []event.Field{{Name: event.FieldComputer, Value: computer}, {Name: "Protocol", Value: "tcp"},
			{Name: "Initiated", Value: strconv.FormatBool(initiated)}, {Name: "SourceIp", Value: src},
			{Name: "SourcePort", Value: "50000"}, {Name: "DestinationIp", Value: dst}, {Name: "DestinationPort", Value: "443"}},
		Source: event.Source{File: computer + "/Sysmon.evtx", Format: event.FormatEVTX, Offset: int64(4096 + record*512)}}
}

// beaconFrom adds a day of regular callbacks from src to the FRP server.
func beaconFrom(z *zlog, src string) {
	for ts := t0; ts.Before(t0.Add(24 * time.Hour)); ts = ts.Add(10 * time.Minute) {
		z.conn("conn", ts, src, 40000, frp, 7000, "tcp", "", 0.3, 300, 120, "SF")
	}
}

// TestHostNames: a network finding names its host as the Windows logs
// name the computer, or as DNS and authentication logs name it, and keeps
// the address beside the name; the finding's id does not change.
func TestHostNames(t *testing.T) {
	const name = "WS01.corp.example"
	at := t0.Add(time.Hour)
	dnsA := func(z *zlog, query string, answers ...string) {
		kv := []string{"uid", z.nextUID(), "id.orig_h", ws2, "id.orig_p", "5000", "id.resp_h", dc, "id.resp_p", "53",
			"proto", "udp", "query", query, "qtype_name", "A"}
		for _, a := range answers {
			kv = append(kv, "answers", a)
		}
		z.add("dns", at, kv...)
	}
	tests := []struct {
		name  string
		learn func(z *zlog) []event.Event
		want  string // the finding's host, its summary naming it beside the address
	}{
		{"nothing to learn from: the address", nil, ws},
		{"Sysmon: the computer that initiated owns the source", func(z *zlog) []event.Event {
			return []event.Event{sysmonConn(name, true, ws, dc, at, 1)}
		}, name},
		{"Sysmon: the computer that accepted owns the destination", func(z *zlog) []event.Event {
			return []event.Event{sysmonConn(name, false, monitor, ws, at, 1)}
		}, name},
		{"Sysmon: an accepted connection names no source", func(z *zlog) []event.Event {
			return []event.Event{sysmonConn("DC01.corp.example", false, ws, dc, at, 1)}
		}, ws},
		{"Sysmon: loopback names nothing", func(z *zlog) []event.Event {
			return []event.Event{sysmonConn(name, true, "127.0.0.1", ws, at, 1)}
		}, ws},
		{"the name seen most often, then the first", func(z *zlog) []event.Event {
			return []event.Event{sysmonConn("OLD.corp.example", true, ws, dc, at, 1),
				sysmonConn(name, true, ws, dc, at, 2), sysmonConn(name, true, ws, dc, at, 3),
				sysmonConn("A.corp.example", true, ws, dc, at, 4)}
		}, name},
		{"a tie: the first name in text order", func(z *zlog) []event.Event {
			return []event.Event{sysmonConn("Z.corp.example", true, ws, dc, at, 1), sysmonConn(name, true, ws, dc, at, 2)}
		}, name},
		{"DNS answers an internal name", func(z *zlog) []event.Event {
			dnsA(z, "ws01.corp.example", ws)
			return nil
		}, "ws01.corp.example"},
		{"DNS: an alias names the host by its canonical name", func(z *zlog) []event.Event {
			dnsA(z, "intranet.corp.example", "ws01.corp.example", ws)
			return nil
		}, "ws01.corp.example"},
		{"DNS: a name with the Windows spelling", func(z *zlog) []event.Event {
			dnsA(z, "ws01.corp.example", ws)
			// Sysmon saw the computer under an older address.
			return []event.Event{sysmonConn(name, true, "10.1.1.99", dc, at, 1)}
		}, name},
		{"Windows before DNS", func(z *zlog) []event.Event {
			for range 3 {
				dnsA(z, "ws-old.corp.example", ws)
			}
			return []event.Event{sysmonConn(name, true, ws, dc, at, 1)}
		}, name},
		{"DNS: a bare domain names no host", func(z *zlog) []event.Event {
			dnsA(z, "corp.example", ws)
			return nil
		}, ws},
		{"DNS: a name of several addresses names none", func(z *zlog) []event.Event {
			dnsA(z, "portal.corp.example", ws, ws2)
			return nil
		}, ws},
		{"DNS: external answers name nothing", func(z *zlog) []event.Event {
			dnsA(z, "ws01.corp.example", frp)
			return nil
		}, ws},
		{"Kerberos: a machine account, with its Windows name", func(z *zlog) []event.Event {
			z.add("kerberos", at, "uid", z.nextUID(), "id.orig_h", ws, "id.orig_p", "5001", "id.resp_h", dc,
				"id.resp_p", "88", "request_type", "AS", "client", "WS01$/CORP.EXAMPLE", "service", "krbtgt/CORP.EXAMPLE")
			return []event.Event{sysmonConn(name, true, "10.1.1.99", dc, at, 1)}
		}, name},
		{"Kerberos: a user names no host", func(z *zlog) []event.Event {
			z.add("kerberos", at, "uid", z.nextUID(), "id.orig_h", ws, "id.orig_p", "5001", "id.resp_h", dc,
				"id.resp_p", "88", "request_type", "AS", "client", "j.doe/CORP.EXAMPLE", "service", "krbtgt/CORP.EXAMPLE")
			return nil
		}, ws},
		{"NTLM: the client's workstation name", func(z *zlog) []event.Event {
			z.add("ntlm", at, "uid", z.nextUID(), "id.orig_h", ws, "id.orig_p", "5002", "id.resp_h", dc,
				"id.resp_p", "445", "username", "j.doe", "hostname", "WS01", "domainname", "CORP")
			return nil
		}, "WS01"},
	}
	// The id of the unnamed finding: naming must not change it.
	z := newZlog()
	beaconFrom(z, ws)
	plain := run(t, newDetector(t, scenarioConfig(t)), z.evs, 1)
	wantID := find(t, plain, Beacon, ws+" -> "+frp).ID
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newZlog()
			beaconFrom(z, ws)
			evs := z.evs
			if tt.learn != nil {
				evs = append(tt.learn(z), z.evs...)
			}
			var got []string
			for _, n := range []int{1, 3} {
				in := evs
				if n > 1 {
					in = shuffled(evs, 5)
				}
				fs := run(t, newDetector(t, scenarioConfig(t)), in, n)
				f := find(t, fs, Beacon, " -> "+frp)
				if f.Host != tt.want {
					t.Errorf("%d workers: host %q, want %q", n, f.Host, tt.want)
				}
				subject := ws
				if tt.want != ws {
					subject += " (" + tt.want + ")"
				}
				if !strings.HasPrefix(f.Summary, "beacon "+subject+" -> ") {
					t.Errorf("%d workers: summary %q, want it to start with %q", n, f.Summary, "beacon "+subject)
				}
				if f.ID != wantID {
					t.Errorf("%d workers: id %s changed by naming (want %s)", n, f.ID, wantID)
				}
				got = append(got, jsonLines(fs))
			}
			if got[0] != got[1] {
				t.Errorf("findings differ between 1 worker in order and 3 workers shuffled")
			}
		})
	}
}

// TestHostNamesCap: past the cap, names are learned for the smallest
// addresses whatever the order, and the notes say so.
func TestHostNamesCap(t *testing.T) {
	var evs []event.Event
	for i := range 40 {
		evs = append(evs, sysmonConn("H"+strconv.Itoa(i), true, "10.1.3."+strconv.Itoa(i+1), dc, t0, uint64(i)))
	}
	z := newZlog()
	beaconFrom(z, "10.1.3.1")
	beaconFrom(z, "10.1.3.40")
	evs = append(evs, z.evs...)
	edit := func(c *Config) { scenarioConfig(t)(c); c.Caps.Items = 8 }
	var want string
	for i, n := range []int{1, 2, 5} {
		d := newDetector(t, edit)
		fs := run(t, d, shuffled(evs, uint64(i)), n)
		if f := find(t, fs, Beacon, "10.1.3.1 "); f.Host != "H0" {
			t.Errorf("%d workers: host %q, want H0", n, f.Host)
		}
		if f := find(t, fs, Beacon, "10.1.3.40 "); f.Host != "10.1.3.40" {
			t.Errorf("%d workers: host %q, want the address past the cap", n, f.Host)
		}
		if !strings.Contains(strings.Join(d.Notes(), "\n"), "host-name cap of 8 addresses reached") {
			t.Errorf("%d workers: the cap is not in the notes: %q", n, d.Notes())
		}
		got := jsonLines(fs)
		if i == 0 {
			want = got
		} else if got != want {
			t.Errorf("%d workers: findings differ from one worker", n)
		}
	}
}

// TestDNSForwarder: an internal DNS server that forwards its clients'
// queries to a resolver outside is no beacon, and a client's look-up of
// its public address is the client's, not the forwarder's; a host that
// serves no one keeps both.
func TestDNSForwarder(t *testing.T) {
	tests := []struct {
		name        string
		forwarder   bool
		wantBeacon  bool
		wantLookups []string // hosts of ip-lookup findings
	}{
		{"a forwarder for its clients", true, false, []string{monitor}},
		{"a host asking for itself", false, true, []string{dc}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newZlog()
			query := func(ts time.Time, src, dst, name string) {
				z.add("dns", ts, "uid", z.nextUID(), "id.orig_h", src, "id.orig_p", "5353", "id.resp_h", dst,
					"id.resp_p", "53", "proto", "udp", "query", name, "qtype_name", "A")
				z.conn("conn", ts, src, 5353, dst, 53, "udp", "dns", 0.02, 40, 120, "SF")
			}
			// The DC asks the resolver every 15 minutes, as a cache of
			// busy clients does.
			for ts := t0; ts.Before(t0.Add(24 * time.Hour)); ts = ts.Add(15 * time.Minute) {
				if tt.forwarder {
					query(ts.Add(-time.Millisecond), ws, dc, "www.example.org")
					query(ts.Add(-time.Millisecond), ws2, dc, "www.example.org")
				}
				query(ts, dc, resolv, "www.example.org")
			}
			at := t0.Add(5 * time.Hour)
			if tt.forwarder {
				query(at.Add(-time.Millisecond), monitor, dc, "ip-api.com")
			}
			query(at, dc, resolv, "ip-api.com")
			// A workstation asking the resolver itself, bypassing the DC,
			// stays judged.
			for ts := t0; ts.Before(t0.Add(24 * time.Hour)); ts = ts.Add(10 * time.Minute) {
				z.conn("conn", ts, ws2, 5353, "192.0.2.99", 53, "udp", "dns", 0.02, 40, 120, "SF")
			}
			d := newDetector(t, scenarioConfig(t))
			fs := run(t, d, z.evs, 2)
			gotBeacon := false
			for _, f := range byRule(fs, Beacon) {
				gotBeacon = gotBeacon || strings.Contains(f.Summary, dc+" -> "+resolv)
			}
			if gotBeacon != tt.wantBeacon {
				t.Errorf("beacon %s -> %s reported: %v, want %v\n%s", dc, resolv, gotBeacon, tt.wantBeacon, summaries(fs))
			}
			find(t, fs, Beacon, ws2+" -> 192.0.2.99")
			var hosts []string
			for _, f := range byRule(fs, IPLookup) {
				hosts = append(hosts, f.Host)
			}
			if strings.Join(hosts, " ") != strings.Join(tt.wantLookups, " ") {
				t.Errorf("ip-lookup hosts %q, want %q", hosts, tt.wantLookups)
			}
			noted := strings.Contains(strings.Join(d.Notes(), "\n"), dc+" answers DNS for internal clients")
			if noted != tt.forwarder {
				t.Errorf("notes name the forwarder: %v, want %v: %q", noted, tt.forwarder, d.Notes())
			}
		})
	}
}

// TestVoltTyphoonHosts hunts the bundled scenario (Windows and Zeek logs
// of one network): the hosts Sysmon names are named in network findings,
// the DC's forwarding to the resolver is no beacon, and the web server's
// look-up of its public address is its own, not the DC's.
func TestVoltTyphoonHosts(t *testing.T) {
	// One copy of the Zeek logs (zeek-json/ holds the same records).
	var dir []string
	for _, d := range []string{"DC01", "FS01", "MON01", "WEB01", "WS01", "WS02", "zeek"} {
		dir = append(dir, filepath.Join("..", "..", "testdata", "volt-typhoon", d))
	}
	fs, _ := huntPaths(t, newDetector(t, nil), 2, dir...)
	named := map[string]string{"10.0.1.10": "DC01.corp.example", "10.0.1.20": "FS01.corp.example",
		"10.0.1.30": "WEB01.corp.example", "10.0.1.40": "MON01.corp.example"}
	for _, f := range fs {
		if name, ok := named[f.Host]; ok {
			t.Errorf("%s %s: host %s, want %s", f.RuleID, f.Summary, f.Host, name)
		}
		if f.RuleID == Beacon && strings.HasPrefix(f.Summary, "beacon 10.0.1.10 ") {
			t.Errorf("the DC's DNS forwarding is reported as a beacon: %s", f.Summary)
		}
	}
	relay := find(t, fs, Relay, "10.0.1.40 (MON01.corp.example) relays port 8090 from 10.0.1.30 (WEB01.corp.example)")
	if relay.Host != "MON01.corp.example" || relay.Level != finding.High {
		t.Errorf("relay: host %q, level %s", relay.Host, relay.Level)
	}
	if b := find(t, fs, Beacon, "10.0.1.40 (MON01.corp.example) -> 203.0.113.45"); b.Host != "MON01.corp.example" {
		t.Errorf("beacon host %q", b.Host)
	}
	lookups := byRule(fs, IPLookup)
	if len(lookups) != 1 || lookups[0].Host != "WEB01.corp.example" {
		t.Errorf("ip-lookup findings %q, want one, of WEB01.corp.example", summaries(lookups))
	}
	one, _ := huntPaths(t, newDetector(t, nil), 1, dir...)
	if a, b := jsonLines(one), jsonLines(fs); a != b {
		al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
		for i := range min(len(al), len(bl)) {
			if al[i] != bl[i] {
				j := 0
				for j < min(len(al[i]), len(bl[i])) && al[i][j] == bl[i][j] {
					j++
				}
				al[i], bl[i] = al[i][max(0, j-200):], bl[i][max(0, j-200):]
				t.Fatalf("findings differ between 1 and 2 workers at line %d:\n1: %.600s\n2: %.600s", i+1, al[i], bl[i])
			}
		}
		t.Errorf("findings differ between 1 and 2 workers: %d and %d lines", len(al), len(bl))
	}
}
