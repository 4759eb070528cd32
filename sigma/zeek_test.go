package sigma

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// zeekEvent is an event as Breakwater's Zeek reader makes it: channel
// "zeek." and the log's path, provider "zeek", no event id, and the
// fields by their Zeek names, a set or vector as one field per element.
type zeekEvent struct {
	channel string
	fields  [][2]string
}

func (e *zeekEvent) Channel() string              { return e.channel }
func (e *zeekEvent) Provider() string             { return "zeek" }
func (e *zeekEvent) EventID() int                 { return -1 }
func (e *zeekEvent) NumFields() int               { return len(e.fields) }
func (e *zeekEvent) Field(i int) (string, string) { return e.fields[i][0], e.fields[i][1] }

// zeekRuleFiles returns SigmaHQ's rules with a Zeek logsource: the
// rules/network/zeek folder and the Zeek rules of the other folders, by
// their file names.
func zeekRuleFiles(t *testing.T) []string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "datasets", "sigma")
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("datasets missing in CI: %v", err)
		}
		t.Skipf("datasets not present: %v", err)
	}
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasPrefix(d.Name(), "zeek_") && strings.HasSuffix(d.Name(), ".yml") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Every SigmaHQ Zeek rule compiles, and routes to exactly the channel of
// its Zeek log (and the zeek provider) through the built-in mappings.
func TestZeekRulesUsable(t *testing.T) {
	files := zeekRuleFiles(t)
	if len(files) != 24 {
		t.Errorf("%d Zeek rules in the datasets, want SigmaHQ's 24", len(files))
	}
	var rules []*Rule
	for _, p := range files {
		c, err := LoadFile(p)
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		rules = append(rules, c.Rules...)
	}
	rs, err := Compile(rules, Config{})
	if err != nil {
		t.Errorf("compile: %v", err)
	}
	for _, u := range rs.Unusable() {
		t.Errorf("unusable: %s: %v", u.Rule.Pos.File, u.Err)
	}
	if st := rs.Stats(); st.Unmapped != 0 || st.Rules != len(files) {
		t.Errorf("stats %+v: want %d rules, none unmapped", st, len(files))
	}
	for i := 0; i < rs.Len(); i++ {
		r := rs.Rule(i)
		want := "zeek." + r.LogSource.Service
		for _, src := range rs.Sources(i) {
			if len(src.Channels) != 1 || src.Channels[0] != want || len(src.Providers) != 1 || src.Providers[0] != "zeek" {
				t.Errorf("%s: routed to %v, want %s/zeek", r.Pos.File, src, want)
			}
		}
	}
}

// Zeek rules match the Zeek events they describe, and only those: not
// another Zeek log with the same field, not a Windows event.
func TestZeekRulesMatch(t *testing.T) {
	files := zeekRuleFiles(t)
	var rules []*Rule
	for _, p := range files {
		c, err := LoadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rules = append(rules, c.Rules...)
	}
	rs, _ := Compile(rules, Config{})
	m := rs.NewMatcher()
	title := func(ev Event) string {
		var out []string
		for _, i := range m.Match(ev, nil) {
			out = append(out, filepath.Base(rs.Rule(i).Pos.File))
		}
		return strings.Join(out, " ")
	}
	tests := []struct {
		name string
		ev   Event
		want string
	}{
		{"nkn seed in dns", &zeekEvent{"zeek.dns", [][2]string{{"_path", "dns"}, {"ts", "2024-04-21T00:00:00.0000000Z"},
			{"uid", "C1"}, {"id.orig_h", "10.0.0.5"}, {"query", "mainnet-seed.0001.nkn.org"}, {"qtype_name", "A"},
			{"Z", "0"}, {"answers", "1.2.3.4"}, {"answers", "5.6.7.8"}}},
			"zeek_dns_nkn.yml"},
		{"tor proxy domain", &zeekEvent{"zeek.dns", [][2]string{{"query", "abcdefgh.onion.ly"}, {"Z", "0"}}}, "zeek_dns_torproxy.yml"},
		// The Z bit set on a query that is not a NetBIOS, .arpa or .local
		// one; an answer ending in a NUL byte, which the reader renders
		// as the text \x00, excludes it.
		{"z bit", &zeekEvent{"zeek.dns", [][2]string{{"query", "c2.example.net"}, {"Z", "1"}, {"id.resp_p", "53"}, {"answers", "10.1.1.1"}}},
			"zeek_dns_susp_zbit_flag.yml"},
		{"z bit, answer ending in NUL", &zeekEvent{"zeek.dns", [][2]string{{"query", "c2.example.net"}, {"Z", "1"}, {"id.resp_p", "53"},
			{"answers", "10.1.1.1"}, {"answers", `TXT 5 abcd\x00`}}}, ""},
		{"the same query in another log", &zeekEvent{"zeek.http", [][2]string{{"query", "mainnet-seed.0001.nkn.org"}}}, ""},
		{"the same query in a Windows event", &testZeekWindows{}, ""},
		{"petitpotam", &zeekEvent{"zeek.dce_rpc", [][2]string{{"endpoint", "efsrpc"}, {"operation", "EfsRpcOpenFileRaw"}}},
			"zeek_dce_rpc_potential_petit_potam_efs_rpc_call.yml"},
		{"unknown named pipe over smb", &zeekEvent{"zeek.smb_files", [][2]string{{"action", "SMB::FILE_OPEN"}, {"path", `\\*\IPC$`}, {"name", "frp_relay"}}},
			"zeek_smb_converted_win_lm_namedpipe.yml"},
		{"kerberos ticket copied over smb", &zeekEvent{"zeek.smb_files", [][2]string{{"action", "SMB::FILE_WRITE"}, {"path", `\\DC01\C$`}, {"name", `Users\Public\t.kirbi`}}},
			"zeek_smb_converted_win_susp_raccess_sensitive_fext.yml"},
		{"cobalt strike default certificate", &zeekEvent{"zeek.x509", [][2]string{{"certificate.serial", "8BB00EE"}}},
			"zeek_default_cobalt_strike_certificate.yml"},
		{"benign dns", &zeekEvent{"zeek.dns", [][2]string{{"query", "www.example.org"}, {"qtype_name", "A"}, {"Z", "0"}, {"id.resp_p", "53"}}}, ""},
	}
	for _, tt := range tests {
		if got := title(tt.ev); got != tt.want {
			t.Errorf("%s: matched %q, want %q", tt.name, got, tt.want)
		}
	}
}

// testZeekWindows is a Security event that happens to have a query field.
type testZeekWindows struct{}

func (testZeekWindows) Channel() string  { return "Security" }
func (testZeekWindows) Provider() string { return "Microsoft-Windows-Security-Auditing" }
func (testZeekWindows) EventID() int     { return 4688 }
func (testZeekWindows) NumFields() int   { return 1 }
func (testZeekWindows) Field(int) (string, string) {
	return "query", "mainnet-seed.0001.nkn.org"
}
