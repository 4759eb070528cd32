package network

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// zlog makes synthetic Zeek events as the source package makes them from
// a log: channel zeek.<path>, provider zeek, the path first, then every
// field by its Zeek name; one file per path, one line per record.
type zlog struct {
	evs   []event.Event
	lines map[string]int
	uid   int
}

func newZlog() *zlog { return &zlog{lines: make(map[string]int)} }

// add appends one record of a log.
func (z *zlog) add(path string, ts time.Time, kv ...string) {
	fs := []event.Field{{Name: "_path", Value: path}, {Name: "ts", Value: event.FormatTime(ts)}}
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, event.Field{Name: kv[i], Value: kv[i+1]})
	}
	file := "sensor/" + path + ".log"
	z.lines[file]++
	z.evs = append(z.evs, event.Event{Time: ts.UTC(), Channel: "zeek." + path, Provider: zeekProvider, EventID: -1,
		Fields: fs, Source: event.Source{File: file, Format: event.FormatZeekTSV, Offset: -1, Line: z.lines[file]}})
}

// nextUID returns a fresh connection uid.
func (z *zlog) nextUID() string {
	z.uid++
	return fmt.Sprintf("C%017d", z.uid)
}

// conn adds a conn.log record (or an open_conn.log one) and returns its
// uid. IP bytes are the payload plus 52 bytes per packet, 4 packets each
// way.
func (z *zlog) conn(path string, ts time.Time, src string, sport int, dst string, dport int, proto, service string,
	dur float64, ob, rb int, state string) string {
	uid := z.nextUID()
	kv := []string{"uid", uid, "id.orig_h", src, "id.orig_p", strconv.Itoa(sport), "id.resp_h", dst,
		"id.resp_p", strconv.Itoa(dport), "proto", proto}
	if service != "" {
		kv = append(kv, "service", service)
	}
	kv = append(kv, "duration", strconv.FormatFloat(dur, 'f', 6, 64), "orig_bytes", strconv.Itoa(ob),
		"resp_bytes", strconv.Itoa(rb), "conn_state", state, "orig_ip_bytes", strconv.Itoa(ob+4*52),
		"resp_ip_bytes", strconv.Itoa(rb+4*52))
	z.add(path, ts, kv...)
	return uid
}

// run shows events to a detector through an engine of n workers, a batch
// of 7 events at a time round the workers, and returns the findings in
// report order.
func run(t testing.TB, d detect.Detector, evs []event.Event, n int) []*finding.Finding {
	t.Helper()
	eng := detect.NewEngine([]detect.Detector{d}, n, detect.Filter{})
	byID := make(map[string]*finding.Finding)
	emit := func(f *finding.Finding) {
		if _, ok := byID[f.ID]; ok {
			t.Errorf("two findings with id %s: %s", f.ID, f.Summary)
		}
		byID[f.ID] = f
	}
	for i := range evs {
		ev := evs[i]
		ev.Fields = slices.Clone(ev.Fields)
		eng.Observe((i/7)%n, &ev, emit)
		clear(ev.Fields) // the engine reuses events: the detector must have copied what it kept
	}
	if err := eng.Finish(emit); err != nil {
		t.Fatal(err)
	}
	out := make([]*finding.Finding, 0, len(byID))
	for _, f := range byID {
		out = append(out, f)
	}
	finding.Sort(out)
	return out
}

// shuffled returns a copy of evs in a random order (fixed seed).
func shuffled(evs []event.Event, seed uint64) []event.Event {
	out := slices.Clone(evs)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// t0 is the start of the synthetic scenario.
var t0 = time.Date(2024, 2, 5, 0, 0, 0, 0, time.UTC)

// Addresses of the synthetic scenario: a small utility's network.
const (
	dc      = "10.1.0.10"      // domain controller
	monitor = "10.1.0.20"      // monitoring server, compromised
	ws      = "10.1.1.50"      // workstation, compromised
	ws2     = "10.1.1.60"      // workstation, an administrator's
	soho    = "203.0.113.7"    // compromised home router, the relay's entry
	frp     = "198.51.100.9"   // FRP server
	resolv  = "192.0.2.53"     // an external resolver
	web     = "93.184.216."    // ordinary web sites
	c2dns   = "t.evil-dns.net" // DNS tunnel zone
)

// scenario builds three days of a small network in which Volt Typhoon
// enters through a home router, relays through the monitoring server to
// the domain controller, keeps an FRP callback, tunnels over DNS, sweeps
// with ICMP, looks up its public address, and copies ntds.dit over SMB.
func scenario() []event.Event {
	z := newZlog()
	r := rand.New(rand.NewPCG(7, 11))
	jitter := func(max float64) time.Duration { return time.Duration(r.Float64() * max * float64(time.Second)) }
	// Background: hosts log on to the DC (Kerberos makes it a DC), browse
	// the web at random, and ws2 administers the DC over SMB from day one.
	for h := 0; h < 72; h++ {
		base := t0.Add(time.Duration(h) * time.Hour)
		for i, src := range []string{ws, ws2, monitor} {
			z.conn("conn", base.Add(jitter(3000)), src, 49000+h*3+i, dc, 88, "tcp", "krb_tcp", 0.01, 1400, 1500, "SF")
			// Browsing: bursts to sites picked at random.
			if r.IntN(3) == 0 {
				site := "93.184.216." + strconv.Itoa(r.IntN(40))
				for j := 0; j < 1+r.IntN(5); j++ {
					z.conn("conn", base.Add(jitter(3500)), src, 50000+h*3+i, site, 443, "tcp", "ssl", 2+r.Float64()*30,
						500+r.IntN(4000), 5000+r.IntN(90000), "SF")
				}
			}
		}
		if h < 40 {
			z.conn("conn", base.Add(jitter(3000)), ws2, 51000+h, dc, 445, "tcp", "smb", 5, 3000, 9000, "SF")
		}
		// Workstations reach the monitoring server's web console: it
		// answers connections, so it is a server.
		z.conn("conn", base.Add(jitter(3000)), ws, 52000+h, monitor, 443, "tcp", "ssl", 3, 800, 20000, "SF")
	}
	// The FRP client on the monitoring server calls back every 5 min
	// (±20 s) from hour 50, with the same small request each time.
	for ts := t0.Add(50 * time.Hour); ts.Before(t0.Add(72 * time.Hour)); ts = ts.Add(300*time.Second + jitter(40) - 20*time.Second) {
		z.conn("conn", ts, monitor, 40000+r.IntN(20000), frp, 7000, "tcp", "", 0.4, 180, 90, "SF")
	}
	// ... and keeps a control session open on 8443 for 21 hours.
	open := z.nextUID()
	for h := 1; h <= 21; h++ {
		z.add("open_conn", t0.Add(51*time.Hour), "uid", open, "id.orig_h", monitor, "id.orig_p", "41234",
			"id.resp_h", frp, "id.resp_p", "8443", "proto", "tcp", "duration", strconv.Itoa(h*3600)+".000000",
			"orig_bytes", strconv.Itoa(h*4000), "resp_bytes", strconv.Itoa(h*2000), "conn_state", "S1",
			"orig_ip_bytes", strconv.Itoa(h*9000), "resp_ip_bytes", strconv.Itoa(h*7000))
	}
	// The relay: the home router connects to the monitoring server on
	// 9999, which connects on to the DC's RDP within a fraction of a
	// second, the same bytes each way (netsh portproxy).
	for i, at := range []time.Duration{52 * time.Hour, 60 * time.Hour, 66 * time.Hour} {
		ts := t0.Add(at)
		ob, rb := 25000+i*1000, 900000+i*5000
		z.conn("conn", ts, soho, 61000+i, monitor, 9999, "tcp", "", 1800, ob, rb, "SF")
		z.conn("conn", ts.Add(300*time.Millisecond), monitor, 62000+i, dc, 3389, "tcp", "rdp", 1799.6, ob-20, rb+50, "SF")
	}
	// The workstation: RDP to the DC for the first time, a ping sweep,
	// a DNS tunnel, a public IP lookup, ntds.dit and an archive over SMB.
	z.conn("conn", t0.Add(55*time.Hour), ws, 53001, dc, 3389, "tcp", "rdp", 600, 40000, 800000, "SF")
	for i := 1; i <= 40; i++ {
		z.conn("conn", t0.Add(58*time.Hour+time.Duration(i)*time.Second), ws, 8, "10.1.2."+strconv.Itoa(i), 0, "icmp", "",
			0.001, 32, 32, "OTH")
	}
	for i := 0; i < 1200; i++ {
		name := fmt.Sprintf("%08x%08x.%s", r.Uint32(), r.Uint32(), c2dns)
		z.add("dns", t0.Add(59*time.Hour+time.Duration(i)*2*time.Second), "uid", z.nextUID(), "id.orig_h", ws,
			"id.orig_p", strconv.Itoa(30000+i), "id.resp_h", dc, "id.resp_p", "53", "proto", "udp", "query", name,
			"qtype_name", "TXT", "rcode_name", "NOERROR")
	}
	z.add("dns", t0.Add(51*time.Hour), "uid", z.nextUID(), "id.orig_h", monitor, "id.orig_p", "33333",
		"id.resp_h", dc, "id.resp_p", "53", "proto", "udp", "query", "www.ip-api.com", "qtype_name", "A")
	for _, name := range []string{"ntds.dit", "SYSTEM", "Pro.7z"} {
		z.add("smb_files", t0.Add(61*time.Hour), "uid", z.nextUID(), "id.orig_h", ws, "id.orig_p", "53555",
			"id.resp_h", dc, "id.resp_p", "445", "action", "SMB::FILE_OPEN", "path", `\\DC01\C$`,
			"name", `Windows\Temp\Pro\`+name, "size", "33554432")
	}
	// files.log of an older Zeek (hosts in tx_hosts and rx_hosts): an
	// LSASS dump leaves the monitoring server over SMB.
	z.add("files", t0.Add(62*time.Hour), "fuid", "FdUmp1", "tx_hosts", monitor, "rx_hosts", ws,
		"conn_uids", z.nextUID(), "source", "SMB", "filename", `Users\Public\lsass.dmp`, "seen_bytes", "52428800")
	// An external resolver asked 1,200 times in a day: a strobe.
	for i := 0; i < 1200; i++ {
		z.conn("conn", t0.Add(48*time.Hour+time.Duration(i)*70*time.Second), ws, 20000+i, resolv, 53, "udp", "dns",
			0.02, 40, 120, "SF")
	}
	return z.evs
}

// scenarioConfig is the configuration the scenario is hunted with: the
// utility's network, and an indicator list naming the FRP server's network
// and the tunnel's domain.
func scenarioConfig(t testing.TB) func(*Config) {
	ind, err := ParseIndicators(strings.NewReader("# from the advisory\n198.51.100.0/24\nevil-dns[.]net\n"), "iocs.txt")
	if err != nil {
		t.Fatal(err)
	}
	return func(c *Config) {
		c.Internal, err = ParseInternal("10.1.0.0/16")
		if err != nil {
			t.Fatal(err)
		}
		c.Indicators = ind
	}
}
