package zeek

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// datasets returns a folder of the shared datasets. Without them the test
// is skipped, except in CI, where their absence is a failure.
func datasets(tb testing.TB, parts ...string) string {
	tb.Helper()
	dir := filepath.Join(append([]string{"..", "..", "shared", "datasets", "zeek"}, parts...)...)
	if _, err := os.Stat(dir); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("shared datasets missing in CI: %v", err)
		}
		tb.Skipf("shared datasets not present: %v", err)
	}
	return dir
}

// readAll reads a log file (gzip or not) and returns its records as name to
// value maps, with the damage and the reader.
func readAll(tb testing.TB, path string) (recs []map[string]string, damage []*LineError, zr *Reader, err error) {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r, err := Decompress(f)
	if err != nil {
		tb.Fatal(err)
	}
	zr = NewReader(r, path)
	var rec Record
	for {
		err := zr.Next(&rec)
		if err == io.EOF {
			return recs, damage, zr, nil
		}
		var le *LineError
		if errors.As(err, &le) {
			damage = append(damage, le)
			continue
		}
		if err != nil {
			return recs, damage, zr, err
		}
		m := make(map[string]string, len(rec.Fields)+1)
		for _, f := range rec.Fields {
			m[f.Name] = f.Value
		}
		m["#path"] = rec.Path
		recs = append(recs, m)
	}
}

// The format robustness cases of RITA's test data, as the datasets README
// states them.
func TestRITAFormatCases(t *testing.T) {
	dir := datasets(t, "rita")
	t.Run("truncated TSV", func(t *testing.T) {
		recs, damage, zr, err := readAll(t, filepath.Join(dir, "truncated", "conn.log"))
		if err != nil {
			t.Fatal(err)
		}
		if !zr.Truncated() {
			t.Error("a log without #close is not reported truncated")
		}
		// 58 whole lines, and the last one cut in the middle of a value.
		if len(recs) != 58 || len(damage) != 1 || damage[0].Line != 67 {
			t.Errorf("%d records and damage %v, want 58 records and line 67 damaged", len(recs), damage)
		}
		if got := recs[57]["uid"]; got != "CRdiow2TR6gjwTtM09" {
			t.Errorf("last whole record has uid %q", got)
		}
		if !hasWarning(zr, "no #close") {
			t.Errorf("warnings %v do not say #close is missing", zr.Warnings())
		}
	})
	t.Run("truncated JSON", func(t *testing.T) {
		recs, damage, zr, err := readAll(t, filepath.Join(dir, "truncated", "conn_json.log"))
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 3 || len(damage) != 1 || !zr.Truncated() {
			t.Errorf("%d records, damage %v, truncated %v; want 3 records, the cut last line damaged, truncated",
				len(recs), damage, zr.Truncated())
		}
		for _, r := range recs {
			if r["#path"] != "conn" || r["uid"] == "" {
				t.Errorf("record %v: want a conn record with a uid", r)
			}
		}
	})
	t.Run("headerless tail", func(t *testing.T) {
		_, _, _, err := readAll(t, filepath.Join(dir, "truncated", "conn_top.log"))
		if !errors.Is(err, ErrNotZeek) || !strings.Contains(err.Error(), "start of the log is missing") {
			t.Errorf("conn_top.log: %v, want not Zeek because its header is missing", err)
		}
	})
	t.Run("text file", func(t *testing.T) {
		recs, _, _, err := readAll(t, filepath.Join(dir, "text_file", "conn.log"))
		if !errors.Is(err, ErrNotZeek) || !strings.Contains(err.Error(), "Lorem ipsum") || len(recs) != 0 {
			t.Errorf("text_file/conn.log: %d records, %v; want not Zeek, with its start quoted", len(recs), err)
		}
	})
	t.Run("unknown field", func(t *testing.T) {
		recs, damage, _, err := readAll(t, filepath.Join(dir, "has_unknown_field", "http.log"))
		if err != nil {
			t.Fatal(err)
		}
		// Line 9 lacks the extra column the header declares; the four
		// lines after it have it.
		if len(recs) != 4 || len(damage) != 1 || damage[0].Line != 9 {
			t.Fatalf("%d records and damage %v, want 4 records and line 9 damaged", len(recs), damage)
		}
		for _, r := range recs {
			if r["i_dont_exist"] != "bingbong" || r["method"] != "GET" || r["#path"] != "http" {
				t.Errorf("record %v: want the unknown int64 column read as text", r)
			}
		}
	})
	t.Run("json with all fields", func(t *testing.T) {
		files, _ := filepath.Glob(filepath.Join(dir, "json_with_all_fields", "*.log"))
		want := map[string]string{"ORIGINALdns.log": "dns", "dns.log": "dns", "conn.log": "conn", "open_conn.log": "conn",
			"http.log": "http", "open_http.log": "http", "ssl.log": "ssl", "open_ssl.log": "ssl"}
		for _, p := range files {
			recs, damage, _, err := readAll(t, p)
			if err != nil || len(damage) > 0 || len(recs) == 0 {
				t.Errorf("%s: %d records, damage %v, %v", p, len(recs), damage, err)
				continue
			}
			if got := recs[0]["#path"]; got != want[filepath.Base(p)] {
				t.Errorf("%s: path %q, want %q", p, got, want[filepath.Base(p)])
			}
		}
	})
}

func hasWarning(zr *Reader, s string) bool {
	for _, w := range zr.Warnings() {
		if strings.Contains(w.Reason, s) {
			return true
		}
	}
	return false
}

// Every log of RITA's three days reads without damage, and every record has
// a time and a path; conn-summary, a text report, is told apart.
func TestRITAMissingHost(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(datasets(t, "rita", "missing_host"), "*", "*.log.gz"))
	if len(files) != 1055 {
		t.Errorf("%d files, want the 1055 of three days", len(files))
	}
	total := 0
	for _, p := range files {
		recs, damage, zr, err := readAll(t, p)
		if strings.HasPrefix(filepath.Base(p), "conn-summary.") {
			if !errors.Is(err, ErrNotZeek) {
				t.Errorf("%s: %v, want not Zeek", p, err)
			}
			continue
		}
		if err != nil || len(damage) > 0 || zr.Truncated() {
			t.Errorf("%s: %v, damage %v, truncated %v", p, err, damage, zr.Truncated())
		}
		for _, r := range recs {
			if r["#path"] != PathOf(p) {
				t.Fatalf("%s: record path %q", p, r["#path"])
			}
		}
		total += len(recs)
	}
	t.Logf("%d records in %d files", total, len(files))
}

// The TSV and the JSON copies of the same traffic give the same records:
// the same fields with the same canonical values, in the same order. The
// JSON writer adds _path and _write_ts, which the TSV header holds in #path
// or not at all.
func TestZedTSVSameAsJSON(t *testing.T) {
	dir := datasets(t, "zed-sample-data")
	logs, _ := filepath.Glob(filepath.Join(dir, "zeek-default", "*.log.gz"))
	if len(logs) < 30 {
		t.Fatalf("%d TSV logs, want the 32 of zed-sample-data", len(logs))
	}
	if testing.Short() {
		logs = logs[:8]
	}
	total := 0
	for _, p := range logs {
		base := strings.TrimSuffix(filepath.Base(p), ".log.gz")
		a, da, za, err := readAll(t, p)
		if err != nil || len(da) > 0 || za.Truncated() {
			t.Errorf("%s: %v, damage %v, truncated %v", p, err, da, za.Truncated())
		}
		b, db, _, err := readAll(t, filepath.Join(dir, "zeek-json", base+".json.gz"))
		if err != nil || len(db) > 0 {
			t.Errorf("%s JSON: %v, damage %v", base, err, db)
		}
		if len(a) != len(b) {
			t.Errorf("%s: %d TSV records, %d JSON records", base, len(a), len(b))
			continue
		}
		diffs := 0
		for i := range a {
			delete(b[i], "_path")
			delete(b[i], "_write_ts")
			if d := diffRecord(a[i], b[i]); d != "" {
				if diffs++; diffs <= 3 {
					t.Errorf("%s record %d: %s", base, i, d)
				}
			}
		}
		if a[0]["#path"] != base {
			t.Errorf("%s: path %q", base, a[0]["#path"])
		}
		total += len(a)
	}
	t.Logf("%d records compared in %d logs", total, len(logs))
}

func diffRecord(tsv, json map[string]string) string {
	var out []string
	for k, v := range tsv {
		if w, ok := json[k]; !ok || v != w {
			out = append(out, fmt.Sprintf("%s: TSV %q, JSON %q (present %v)", k, v, w, ok))
		}
	}
	for k, w := range json {
		if _, ok := tsv[k]; !ok {
			out = append(out, fmt.Sprintf("%s: only in JSON: %q", k, w))
		}
	}
	return strings.Join(out, "; ")
}

// The typed views read real logs of every kind into the values Zeek wrote.
func TestViewsOnData(t *testing.T) {
	zed := datasets(t, "zed-sample-data", "zeek-default")
	first := func(name string) *Record {
		t.Helper()
		f, err := os.Open(filepath.Join(zed, name+".log.gz"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, err := Decompress(f)
		if err != nil {
			t.Fatal(err)
		}
		zr := NewReader(r, name)
		rec := new(Record)
		if err := zr.Next(rec); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return rec
	}
	at := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}

	d := first("dns").DNS()
	if d.UID != "CqKst53mF3det3eDV9" || d.ID.OrigH.String() != "10.47.1.100" || d.ID.OrigP != 41772 ||
		d.ID.RespP != 53 || d.Query != "ise.wrccdc.org" || d.QTypeName != "A" || !d.RD || d.AA ||
		d.RTT != 870*time.Microsecond || len(d.Answers) != 2 || d.Answers[1] != "134.71.3.16" ||
		len(d.TTLs) != 2 || d.TTLs[1] != 41830*time.Second || !d.Time.Equal(at("2018-03-24T17:15:20.865716Z")) {
		t.Errorf("dns: %+v", d)
	}
	checks := []struct {
		log string
		ok  func(r *Record) bool
		get func(r *Record) any
	}{
		{"ssl", func(r *Record) bool { s := r.SSL(); return s.UID != "" && s.ID.RespP != 0 && s.Version != "" }, func(r *Record) any { return r.SSL() }},
		{"x509", func(r *Record) bool {
			x := r.X509()
			return len(x.Fingerprint) == 64 && x.Subject != "" && !x.NotValidAfter.IsZero() && x.KeyLength == 2048 && x.SANDNS[0] == "localhost.localdomain"
		}, func(r *Record) any { return r.X509() }},
		{"rdp", func(r *Record) bool { x := r.RDP(); return x.UID != "" && x.ID.RespP == 3389 }, func(r *Record) any { return r.RDP() }},
		{"ssh", func(r *Record) bool { x := r.SSH(); return x.UID != "" && x.Version == 2 && x.Client != "" }, func(r *Record) any { return r.SSH() }},
		{"smb_files", func(r *Record) bool {
			x := r.SMBFiles()
			return x.UID != "" && x.Action == "SMB::FILE_OPEN" && x.Name == `\svcctl` && x.ID.RespP == 445
		}, func(r *Record) any { return r.SMBFiles() }},
		{"smb_mapping", func(r *Record) bool { x := r.SMBMapping(); return x.Path != "" && x.ShareType != "" }, func(r *Record) any { return r.SMBMapping() }},
		{"dce_rpc", func(r *Record) bool { x := r.DCERPC(); return x.Endpoint != "" && x.Operation != "" }, func(r *Record) any { return r.DCERPC() }},
		{"ntlm", func(r *Record) bool { x := r.NTLM(); return x.UID != "" && x.ID.OrigH.IsValid() }, func(r *Record) any { return r.NTLM() }},
		{"kerberos", func(r *Record) bool { x := r.Kerberos(); return x.RequestType != "" && x.Client != "" }, func(r *Record) any { return r.Kerberos() }},
		{"notice", func(r *Record) bool { x := r.Notice(); return x.Note != "" && x.Msg != "" }, func(r *Record) any { return r.Notice() }},
	}
	for _, c := range checks {
		r := first(c.log)
		if r.Path != c.log || !c.ok(r) {
			t.Errorf("%s (path %q): %+v", c.log, r.Path, c.get(r))
		}
	}

	rita := datasets(t, "rita", "json_with_all_fields")
	recs := func(name string) *Record {
		f, err := os.Open(filepath.Join(rita, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		zr := NewReader(f, name)
		rec := new(Record)
		if err := zr.Next(rec); err != nil {
			t.Fatal(err)
		}
		return rec
	}
	c := recs("conn.log").Conn()
	if c.UID != "CxHo3m4N8uGxrMlcl2" || c.ID.RespH.String() != "205.204.101.182" || c.ID.RespP != 80 || c.Proto != "tcp" ||
		c.Service != "http" || c.Duration != 108985496*time.Microsecond || c.OrigBytes != 719 || c.RespBytes != 336 ||
		c.ConnState != "SF" || !c.LocalOrig || c.LocalResp || c.MissedBytes != 20 || c.OrigIPBytes != 1131 || c.RespPkts != 4 {
		t.Errorf("conn: %+v", c)
	}
	h := recs("http.log").HTTP()
	if h.UID == "" || h.Method == "" || h.URI == "" || h.StatusCode == 0 {
		t.Errorf("http: %+v", h)
	}
}
