package zeek

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// header is Zeek's usual TSV header up to #path.
const header = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"

// tsv joins fields with tabs, for readable test inputs.
func tsv(fields ...string) string { return strings.Join(fields, "\t") + "\n" }

// readerCases are logs a user may hand us, each with the records, damage and
// warnings the reader must report for it, in testdata/golden/NAME.golden.
var readerCases = []struct {
	name    string
	file    string // the stream's name
	maxLine int
	input   string
}{
	{name: "tsv_conn", file: "conn.log", input: header + "#path\tconn\n#open\t2024-04-21-00-00-03\n" +
		tsv("#fields", "ts", "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "service", "duration", "orig_bytes", "local_orig", "history", "tunnel_parents") +
		tsv("#types", "time", "string", "addr", "port", "addr", "port", "enum", "string", "interval", "count", "bool", "string", "set[string]") +
		tsv("1713657596.834168", "CEWN1g1rNOHkuyh63j", "120.245.134.197", "1288", "64.225.56.201", "22", "tcp", "ssh", "3.000158", "1250", "F", "ShADadFf", "(empty)") +
		tsv("1713657597.000001", "C2", "fe80::1", "5353", "ff02::fb", "5353", "udp", "-", "-", "-", "T", "D", "Cx1,Cx2") +
		"#close\t2024-04-21-01-00-00\n"},
	{name: "tsv_escapes", file: "http.log", input: header + "#path\thttp\n" +
		tsv("#fields", "ts", "uri", "user_agent", "tags", "resp_mime_types", "username") +
		tsv("#types", "time", "string", "string", "set[enum]", "vector[string]", "string") +
		// A tab and a comma inside values, a literal backslash, a value that
		// is the unset marker, control bytes, UTF-8 and bytes that are not.
		tsv("1521911720.865716", `/a\x09b`, `x\\y`, `a\x2cb,c`, `text/html,(empty)`, `\x2d`) +
		tsv("1521911720.865717", `/\x01\x1b[31m`, `caf\xc3\xa9 \xff`, "-", "(empty)", "(empty)") +
		"#close\t2024-04-21-01-00-00\n"},
	{name: "tsv_truncated", file: "conn.log", input: header + "#path\tconn\n" +
		tsv("#fields", "ts", "uid", "duration") + tsv("#types", "time", "string", "interval") +
		tsv("1517336042.090842", "C1", "3.000158") + "1517336042.279652\tC2\t0.06"},
	{name: "tsv_new_header", file: "mixed.log", input: header + "#path\tdns\n" +
		tsv("#fields", "ts", "query") + tsv("#types", "time", "string") +
		tsv("1.000000", "a.example") + "#close\t2024-01-01-00-00-00\n" +
		// A second log appended, with other columns: read by its own header.
		header + "#path\tconn\n" + tsv("#fields", "ts", "uid", "orig_bytes") + tsv("#types", "time", "string", "count") +
		tsv("2.000000", "C1", "10") +
		// A restart without #close: the block above was cut.
		header + "#path\tssh\n" + tsv("#fields", "ts", "auth_success") + tsv("#types", "time", "bool") +
		tsv("3.000000", "T") + "#close\t2024-01-01-00-00-00\n" +
		// Data after #close is read with the header before it.
		tsv("4.000000", "F")},
	{name: "tsv_custom_markers", file: "x.log", input: "#separator \\x7c\n#set_separator|;\n#empty_field|EMPTY\n#unset_field|NONE\n#path|files\n" +
		"#fields|ts|fuid|analyzers|mime_type|filename|seen_bytes\n#types|time|string|set[string]|string|string|count\n" +
		"1.5|F1|MD5;SHA1|NONE|EMPTY|42\n1.6|F2|EMPTY|-|a\\x7cb|0\n#close|x\n"},
	{name: "tsv_node_name", file: "conn.00:00:00-01:00:00.log.gz", input: header + "#path\tconn\n" +
		tsv("#fields", "_node_name", "ts", "uid", "id.orig_h") + tsv("#types", "string", "time", "string", "addr") +
		tsv("worker-eth0-1", "1713657596.834168", "C1", "10.0.0.1") + "#close\tx\n"},
	{name: "tsv_no_types", file: "dns.log", input: header +
		tsv("#fields", "ts", "query", "rtt", "TTLs", "AA") +
		tsv("1521911720.865716", "ise.wrccdc.org", "0.000870", "2230.000000,41830.000000", "T") + "#close\tx\n"},
	{name: "tsv_types_mismatch", file: "dns.log", input: header + "#path\tdns\n" +
		tsv("#fields", "ts", "query", "unknown_thing") + tsv("#types", "time", "string") +
		tsv("1521911720.865716", "q", "1.5") + "#close\tx\n"},
	{name: "tsv_unknown_type", file: "http.log", input: header + "#path\thttp\n" +
		tsv("#fields", "ts", "i_dont_exist", "addrs") + tsv("#types", "time", "int64", "table[addr]") +
		tsv("1.0", "bingbong", "10.0.0.1,10.0.0.2") + "#close\tx\n"},
	{name: "tsv_damage", file: "conn.log", maxLine: 200, input: header + "#path\tconn\n" +
		tsv("#fields", "ts", "uid", "orig_bytes") + tsv("#types", "time", "string", "count") +
		tsv("1.0", "C1") + // too few fields
		tsv("2.0", "C2", "3", "4") + // too many
		tsv("3.0", "C3", strings.Repeat("9", 300)) + // longer than MaxLine
		"#bogus comment\n" +
		"\n" + // blank lines are nothing
		tsv("4.0", "C4", "5") + "#close\tx\n"},
	{name: "tsv_crlf", file: "conn.log", input: strings.ReplaceAll(header+"#path\tconn\n"+
		tsv("#fields", "ts", "uid")+tsv("#types", "time", "string")+tsv("1.0", "C1")+"#close\tx\n", "\n", "\r\n")},
	{name: "json_epoch", file: "conn.log", input: `{"ts":1704738946.055436,"uid":"A9","id.orig_h":"10.50.200.10","id.orig_p":5545,"id.resp_h":"10.50.200.13","id.resp_p":123,"proto":"udp","duration":0.01,"orig_bytes":146,"local_orig":true,"tunnel_parents":[],"_path":"conn"}` + "\n" +
		`{"ts":1704738947,"uid":"A10","duration":3,"missed_bytes":null,"_path":"conn"}` + "\n"},
	{name: "json_iso_underscored", file: "stream.json", input: `{"@stream":"dns","@timestamp":"2018-03-24T17:15:21.000000Z","ts":"2018-03-24T17:15:20.865716Z","uid":"Cq","id_orig_h":"10.47.1.100","id_orig_p":41772,"query":"ise.wrccdc.org","answers":["a.example","134.71.3.16"],"TTLs":[2230.0,41830],"AA":false}` + "\n" +
		`{"_path":"x509","ts":"2018-03-24 17:15:20.5","certificate":{"subject":"CN=x","not_valid_before":1521911720},"san_dns":["a","b"],"basic_constraints_ca":true}` + "\n" +
		`{"ts":"2018-03-24T18:15:20+01:00","_system_name":"sensor1","fuid":"F1","seen_bytes":5}` + "\n"},
	{name: "json_infer_path", file: "weird.00:00:00-01:00:00.log", input: `{"ts":1.0,"uid":"C1","query":"x","qtype_name":"A"}` + "\n" +
		`{"ts":2.0,"uid":"C2","name":"bad_TCP_checksum","notice":false,"peer":"worker-1"}` + "\n" +
		`{"ts":3.0,"uid":"C3","something":"else"}` + "\n"},
	{name: "json_damage", file: "conn.log", input: `{"ts":1.0,"uid":"C1","_path":"conn"}` + "\n" +
		`{"ts":2.0,"uid":` + "\n" + // cut
		`not json at all` + "\n" +
		`{"ts":3.0,"uid":"C3"} trailing` + "\n" +
		`{"ts":4.0,"uid":"C4","x":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "}\n" + // nested too deep
		`{"ts":5.0,"uid":"C5","deep":{"a":{"b":1}},"list":[[1,2],{"k":"v"}],"bad":"\q"}` + "\n" +
		`{"ts":6.0,"uid":"C6","_path":"conn"}`}, // no newline at the end
	{name: "json_strings", file: "http.log", input: `{"_path":"http","ts":1.0,"uri":"/\u0001\u001b[31m\ud83d\ude00\ud800x","user_agent":"tab\there \"quoted\" back\\slash","host":"caf\u00e9","referrer":"` + "\xff\xfe" + `"}` + "\n"},
	{name: "tsv_then_json", file: "conn.log", input: header + "#path\tconn\n" +
		tsv("#fields", "ts", "uid") + tsv("#types", "time", "string") + tsv("1.0", "C1") + "#close\tx\n" +
		`{"_path":"conn","ts":2.0,"uid":"C2"}` + "\n"},
}

func TestReaderGolden(t *testing.T) {
	for _, tc := range readerCases {
		t.Run(tc.name, func(t *testing.T) {
			zr := NewReader(strings.NewReader(tc.input), tc.file)
			zr.MaxLine = tc.maxLine
			got := render(t, zr)
			golden := filepath.Join("testdata", "golden", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("reading %s gives:\n%s\nwant:\n%s", tc.name, got, want)
			}
		})
	}
}

// render reads a whole stream and renders what a user would see of it:
// records with their fields, damage, warnings and the truncated flag.
func render(t testing.TB, zr *Reader) string {
	var b strings.Builder
	var rec Record
	for n := 0; ; n++ {
		if n > 10000 {
			t.Fatal("the reader does not stop")
		}
		err := zr.Next(&rec)
		if err == io.EOF {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			fmt.Fprintf(&b, "damage: %v (offset %d)\n", le, le.Offset)
			continue
		}
		if err != nil {
			fmt.Fprintf(&b, "error: %v\n", err)
			break
		}
		ts := "-"
		if !rec.Time.IsZero() {
			ts = rec.Time.Format(timeLayout)
		}
		fmt.Fprintf(&b, "record line %d offset %d: %s %s (%s) at %s\n", rec.Line, rec.Offset, rec.Format, rec.Path, rec.PathSource, ts)
		for _, f := range rec.Fields {
			fmt.Fprintf(&b, "  %s %s = %q", f.Name, f.Type, f.Value)
			if f.Items != nil {
				fmt.Fprintf(&b, " %q", f.Items)
			}
			b.WriteByte('\n')
		}
	}
	for _, w := range zr.Warnings() {
		fmt.Fprintf(&b, "warning: %v\n", &w)
	}
	fmt.Fprintf(&b, "truncated: %v\n", zr.Truncated())
	return b.String()
}

// Records read one byte at a time, or with a read error in the middle, are
// the same records: the reader does not depend on how reads are cut.
func TestReaderOneByteReads(t *testing.T) {
	for _, tc := range readerCases {
		a := NewReader(strings.NewReader(tc.input), tc.file)
		b := NewReader(iotest.OneByteReader(strings.NewReader(tc.input)), tc.file)
		a.MaxLine, b.MaxLine = tc.maxLine, tc.maxLine
		if ra, rb := render(t, a), render(t, b); ra != rb {
			t.Errorf("%s: one-byte reads give\n%s\nwant\n%s", tc.name, rb, ra)
		}
	}
}

func TestReaderReadError(t *testing.T) {
	in := header + "#path\tconn\n" + tsv("#fields", "ts", "uid") + tsv("#types", "time", "string") + tsv("1.0", "C1")
	boom := errors.New("disk on fire")
	zr := NewReader(io.MultiReader(strings.NewReader(in), iotest.ErrReader(boom)), "conn.log")
	var rec Record
	if err := zr.Next(&rec); err != nil {
		t.Fatalf("first record: %v", err)
	}
	err := zr.Next(&rec)
	if !errors.Is(err, boom) {
		t.Fatalf("after the failing read: %v, want %v", err, boom)
	}
	if err2 := zr.Next(&rec); !errors.Is(err2, boom) {
		t.Errorf("the error is not sticky: %v", err2)
	}
}

func TestReaderNotZeek(t *testing.T) {
	for _, in := range []string{"", "hello\n", "{\"level\":\"info\",\"ts\":1600000000.1,\"msg\":\"x\"}\n", "\x1f\x8b\x08\x00"} {
		zr := NewReader(strings.NewReader(in), "conn.log")
		var rec Record
		err := zr.Next(&rec)
		if !errors.Is(err, ErrNotZeek) && !errors.Is(err, ErrCompressed) {
			t.Errorf("%q: Next = %v, want ErrNotZeek or ErrCompressed", in, err)
		}
		if err2 := zr.Next(&rec); err2 != err {
			t.Errorf("%q: the error is not sticky: %v then %v", in, err, err2)
		}
	}
}

// A header or object wider than MaxFields is damage, not an allocation the
// size of the input.
func TestReaderMaxFields(t *testing.T) {
	wide := "#fields" + strings.Repeat("\tf", 50) + "\n"
	obj := "{\"ts\":1.0,\"uid\":\"C\"" + strings.Repeat(",\"f\":1", 50) + "}\n"
	for _, in := range []string{header + wide + tsv("1.0"), obj} {
		zr := NewReader(strings.NewReader(in), "x.log")
		zr.MaxFields = 20
		out := render(t, zr)
		if !strings.Contains(out, "more than") || strings.Contains(out, "record line") {
			t.Errorf("a log wider than MaxFields gives:\n%s", out)
		}
	}
}

// Decompress reads gzip streams, including concatenated members, and
// passes plain text through.
func TestDecompress(t *testing.T) {
	plain := header + "#path\tconn\n" + tsv("#fields", "ts", "uid") + tsv("#types", "time", "string") + tsv("1.0", "C1") + "#close\tx\n"
	gz := gzipped(t, plain[:40]) + gzipped(t, plain[40:])
	for _, in := range []string{plain, gz} {
		r, err := Decompress(strings.NewReader(in))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || string(got) != plain {
			t.Errorf("Decompress = %q, %v", got, err)
		}
	}
	if _, err := Decompress(bytes.NewReader([]byte{0x1f, 0x8b, 0, 0})); err == nil {
		t.Error("damaged gzip header: no error")
	}
}
