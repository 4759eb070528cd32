package zeek

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
)

func gzipped(t testing.TB, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		head   string
		want   Format
		reason string // part of the error, when not Zeek
	}{
		{"tsv", header + "#path\tconn\n", TSV, ""},
		{"tsv after a BOM and blank lines", "\xef\xbb\xbf\n\r\n#separator \\x09\n", TSV, ""},
		{"tsv without #separator", "#fields\tts\tuid\n", TSV, ""},
		{"json with _path", `{"_path":"conn","x":1}`, JSON, ""},
		{"json with @stream", `{"@stream":"dns"}`, JSON, ""},
		{"json ts and uid", `{"ts":1704738946.055436,"uid":"A9"}`, JSON, ""},
		{"json iso ts and id", `{"ts":"2018-03-24T17:15:20.865716Z","id.orig_h":"10.0.0.1"}`, JSON, ""},
		{"json nested id", `{"ts":1.5,"id":{"orig_h":"10.0.0.1"}}`, JSON, ""},
		{"json ts and signature fields", `{"ts":1.5,"note":"Scan::Port_Scan","msg":"x"}`, JSON, ""},
		{"json cut after uid", `{"ts":1704738946.055436,"uid":"A9","id.orig_h":"10.50.200.10","history":"Sh`, JSON, ""},
		{"json after a damaged line", "{broken\n{\"ts\":1.0,\"uid\":\"C\"}\n", JSON, ""},
		{"gzip", "\x1f\x8b\x08\x00", FormatUnknown, "gzip"},
		{"empty", "", FormatUnknown, "empty"},
		{"blank", "\n\n  \n", FormatUnknown, "empty"},
		{"text", "Lorem ipsum dolor sit amet, consectetur adipiscing elit\n", FormatUnknown, `which begin "Lorem ipsum`},
		{"zap log", `{"level":"info","ts":1600000000.1,"caller":"main.go:1","msg":"started"}`, FormatUnknown, "not Zeek records"},
		{"windows json", `{"Event":{"System":{"EventID":4624}}}`, FormatUnknown, "not Zeek records"},
		{"headerless tsv", "1517336042.090842\tCi85EB2YjUI9a2eql6\t10.55.182.100\t14291\n", FormatUnknown, "start of the log is missing"},
		{"other tsv", "name\tage\tcity\n", FormatUnknown, "without a Zeek header"},
		{"comment only", "# a shell script\necho hi\n", FormatUnknown, "which begin"},
		{"conn-summary", ">== Total === 2024-04-21-00-00-06 - 2024-04-21-00-56-41\n", FormatUnknown, "which begin"},
		{"hostile text is quoted", "\x1b[2J\x07evil\n", FormatUnknown, `\x1b[2J\a`},
	}
	for _, tt := range tests {
		got, err := Detect([]byte(tt.head))
		if got != tt.want {
			t.Errorf("%s: Detect = %v (%v), want %v", tt.name, got, err, tt.want)
			continue
		}
		if tt.reason == "" {
			if err != nil {
				t.Errorf("%s: Detect error %v", tt.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.reason) {
			t.Errorf("%s: Detect error %v, want one saying %q", tt.name, err, tt.reason)
		}
		if !errors.Is(err, ErrNotZeek) && !errors.Is(err, ErrCompressed) {
			t.Errorf("%s: Detect error %v wraps neither ErrNotZeek nor ErrCompressed", tt.name, err)
		}
	}
}

func TestPathOf(t *testing.T) {
	tests := []struct{ name, want string }{
		{"conn.log", "conn"},
		{"/var/log/zeek/current/dns.log", "dns"},
		{"2024-04-21/conn.00:00:00-01:00:00.log.gz", "conn"},
		{"rita/open_sni/open_conn.18_00_00-19_00_00.log.gz", "open_conn"},
		{"conn-summary.00:00:00-01:00:00.log.gz", "conn-summary"},
		{"logs.zip!zeek/ssl.2024-04-21-00-00-00.log", "ssl"},
		{`C:\zeek\smb_files.log`, "smb_files"},
		{"dns.json.gz", "dns"},
		{"-", ""},
		{"", ""},
		{"weird name with spaces.log", ""},
		{".log", ""},
	}
	for _, tt := range tests {
		if got := PathOf(tt.name); got != tt.want {
			t.Errorf("PathOf(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseType(t *testing.T) {
	tests := []struct {
		in   string
		want Type
	}{
		{"count", Type{Kind: KindCount}},
		{"set[string]", Type{Container: Set, Kind: KindString}},
		{"vector[interval]", Type{Container: Vector, Kind: KindInterval}},
		{"table[addr]", Type{Container: Set, Kind: KindAddr}},
		{"int64", Type{Kind: KindUnknown}},
		{"set[", Type{Kind: KindUnknown}},
	}
	for _, tt := range tests {
		if got := ParseType(tt.in); got != tt.want {
			t.Errorf("ParseType(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
