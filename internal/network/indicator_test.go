package network

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
)

func TestParseIndicators(t *testing.T) {
	list := `# Volt Typhoon infrastructure (example)
203.0.113.7
198.51.100.0/24   # the FRP servers
2001:db8::/32
evil-dns[.]net
*.bad.example.org
10.0.0[.]1

EXAMPLE.COM.
`
	ind, err := ParseIndicators(strings.NewReader(list), "iocs.txt")
	if err != nil {
		t.Fatal(err)
	}
	if ind.Len() != 7 {
		t.Errorf("%d indicators, want 7", ind.Len())
	}
	tests := []struct {
		value, want string
	}{
		{"203.0.113.7", "203.0.113.7"},
		{"::ffff:203.0.113.7", "203.0.113.7"},
		{"198.51.100.200", "198.51.100.0/24"},
		{"198.51.101.1", ""},
		{"2001:db8:1::5", "2001:db8::/32"},
		{"10.0.0.1", "10.0.0.1"},
		{"evil-dns.net", "evil-dns.net"},
		{"a1b2.t.EVIL-DNS.net.", "evil-dns.net"},
		{"notevil-dns.net", ""},
		{"x.bad.example.org", "bad.example.org"},
		{"example.com", "example.com"},
		{"http://user@www.example.com:8080/path?q=1", "example.com"},
		{"www.example.com:443", "example.com"},
		{"[2001:db8::1]:443", "2001:db8::/32"},
		{"-", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := ind.Match(tt.value)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Match(%q) = %q, %v; want %q", tt.value, got, ok, tt.want)
		}
	}
}

func TestParseIndicatorsErrors(t *testing.T) {
	tests := []struct {
		name, list, want string
	}{
		{"bad line", "203.0.113.7\nnot a domain!\n", "iocs.txt:2:"},
		{"bad network", "203.0.113.0/33\n", "is not a network"},
		{"only comments", "# nothing\n\n", "no indicator"},
		{"many bad lines", strings.Repeat("a b\n", 15), "and 5 more"},
	}
	for _, tt := range tests {
		_, err := ParseIndicators(strings.NewReader(tt.list), "iocs.txt")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want one containing %q", tt.name, err, tt.want)
		}
	}
	if _, err := LoadIndicators(filepath.Join(t.TempDir(), "missing.txt")); err == nil {
		t.Error("a missing list loaded")
	}
	p := filepath.Join(t.TempDir(), "iocs.txt")
	if err := os.WriteFile(p, []byte("203.0.113.7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if ind, err := LoadIndicators(p); err != nil || ind.Source() != p {
		t.Errorf("LoadIndicators: %v, %v", ind, err)
	}
}

// TestIndicatorsEveryLog: indicators are matched in Zeek logs of every
// kind and in Windows events' address fields, one finding per indicator
// and log, with the matching records as evidence.
func TestIndicatorsEveryLog(t *testing.T) {
	z := newZlog()
	at := t0.Add(time.Hour)
	z.add("notice", at, "uid", "C1", "src", "198.51.100.9", "note", "Scan::Port_Scan")
	z.add("x509", at, "id", "F1", "san.dns", "www.evil-dns.net")
	z.add("weird", at, "uid", "C2", "id.orig_h", "10.1.1.5", "id.resp_h", "10.1.1.6", "name", "bad_TCP_checksum")
	z.add("weird", at.Add(time.Minute), "uid", "C3", "id.orig_h", "10.1.1.5", "id.resp_h", "198.51.100.10", "name", "x")
	evs := z.evs
	win := evs[0]
	win.Provider, win.Channel, win.EventID = "Microsoft-Windows-Sysmon", "Microsoft-Windows-Sysmon/Operational", 3
	win.Computer = "WS01"
	win.Fields = []event.Field{{Name: "Computer", Value: "WS01"}, {Name: "DestinationIp", Value: "198.51.100.77"},
		{Name: "Image", Value: `C:\frpc.exe`}}
	evs = append(evs, win)
	fs := run(t, newDetector(t, scenarioConfig(t)), evs, 2)
	got := byRule(fs, Indicator)
	want := []string{
		"indicator 198.51.100.0/24 seen in the zeek.notice log: 1 event",
		"indicator evil-dns.net seen in the zeek.x509 log: 1 event",
		"indicator 198.51.100.0/24 seen in the zeek.weird log: 1 event",
		"indicator 198.51.100.0/24 seen in the Microsoft-Windows-Sysmon/Operational log: 1 event",
	}
	if len(got) != len(want) {
		t.Fatalf("%d indicator findings, want %d:\n%s", len(got), len(want), summaries(fs))
	}
	for _, w := range want {
		found := false
		for _, f := range got {
			if f.Summary == w {
				found = true
				if len(f.Evidence) != 1 || len(f.Evidence[0].Fields) < 2 {
					t.Errorf("%s: evidence %+v, want the whole record", w, f.Evidence)
				}
			}
		}
		if !found {
			t.Errorf("no finding %q in:\n%s", w, summaries(got))
		}
	}
	for _, f := range got {
		if strings.Contains(f.Summary, "Sysmon") && (f.Host != "WS01" || f.Evidence[0].EventID != 3) {
			t.Errorf("Windows hit: host %q, event %d; want WS01, 3", f.Host, f.Evidence[0].EventID)
		}
	}
}

func TestParseInternal(t *testing.T) {
	tests := []struct {
		in, want string // want: the networks, or the error's start
	}{
		{"10.0.0.0/8", "10.0.0.0/8"},
		{" 10.0.0.0/8 , 192.0.2.7,2001:db8::/32 ", "10.0.0.0/8 192.0.2.7/32 2001:db8::/32"},
		{"10.1.2.3/8", "10.0.0.0/8"},
		{"::ffff:192.0.2.7", "192.0.2.7/32"},
		{"10.0.0.0/40", `error "10.0.0.0/40" is not a network`},
		{"ten", `error "ten" is not an address`},
		{",", "error no network given"},
	}
	for _, tt := range tests {
		ps, err := ParseInternal(tt.in)
		var got string
		if err != nil {
			got = "error " + err.Error()
		} else {
			var s []string
			for _, p := range ps {
				s = append(s, p.String())
			}
			got = strings.Join(s, " ")
		}
		if !strings.HasPrefix(got, tt.want) {
			t.Errorf("ParseInternal(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// TestInternal: the internal networks decide what is inbound, and so what
// is scored as a beacon.
func TestInternal(t *testing.T) {
	// The missing_host sensor sits on a public address: declared internal,
	// the beacon from 73.54.23.243 to it is inbound, and not scored.
	d := newDetector(t, func(c *Config) { c.Internal = []netip.Prefix{netip.MustParsePrefix("64.225.56.201/32")} })
	fs, _ := huntPaths(t, d, 2, dataset(t, "zeek/rita/missing_host"))
	for _, f := range byRule(fs, Beacon) {
		if strings.Contains(f.Summary, "-> 64.225.56.201") {
			t.Errorf("an inbound beacon was scored: %s", f.Summary)
		}
	}
	if len(byRule(fs, LongConnection)) == 0 {
		t.Error("inbound long connections are still long connections: none reported")
	}
}

// FuzzParseIndicators: any list either loads or is refused with an error,
// and what loads matches without panicking.
func FuzzParseIndicators(f *testing.F) {
	f.Add("203.0.113.7\n198.51.100.0/24 # c\nevil[.]net\n", "a.b.evil.net")
	f.Add("::ffff:1.2.3.4/120\n*.x.org\n", "[::ffff:1.2.3.4]:80")
	f.Fuzz(func(t *testing.T, list, value string) {
		ind, err := ParseIndicators(strings.NewReader(list), "fuzz")
		if err != nil {
			return
		}
		if ind.Len() == 0 {
			t.Fatal("a list without indicators loaded")
		}
		ind.Match(value)
	})
}
