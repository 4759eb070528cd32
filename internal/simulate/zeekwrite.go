package simulate

import (
	"bufio"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The folders of a scenario's Zeek logs: the same records in Zeek's two
// formats, tab-separated with a header (Zeek's default) and JSON lines
// (LogAscii::use_json), so that readers of either can be held against
// each other.
const (
	ZeekDir     = "zeek"
	ZeekJSONDir = "zeek-json"
)

// zcol is a column of a Zeek log: its name and Zeek type.
type zcol struct{ name, typ string }

// zlog is one Zeek log of the scenario.
type zlog struct {
	path string
	cols []zcol
	recs []*zrec
}

// zrec is one record: values in column order. A value is nil (unset),
// time.Time (time), time.Duration (interval), int64 (count, port), bool,
// string, []string (set, vector) or []time.Duration (vector of intervals).
type zrec struct {
	ts    time.Time
	seq   int
	vals  []any
	steps []*Step
	line  int // in the TSV file, once written
}

func (r *zrec) uid() string {
	for _, v := range r.vals[1:3] {
		if s, ok := v.(string); ok && len(s) > 1 && (s[0] == 'C') {
			return s
		}
	}
	return ""
}

func cols(spec string) []zcol {
	var out []zcol
	for _, f := range strings.Fields(spec) {
		name, typ, _ := strings.Cut(f, ":")
		out = append(out, zcol{name, typ})
	}
	return out
}

const idCols = "id.orig_h:addr id.orig_p:port id.resp_h:addr id.resp_p:port "

// The logs a scenario writes, with the columns of Zeek 6.
func newLogs() map[string]*zlog {
	specs := map[string]string{
		"conn": "ts:time uid:string " + idCols + "proto:enum service:string duration:interval orig_bytes:count resp_bytes:count " +
			"conn_state:string local_orig:bool local_resp:bool missed_bytes:count history:string orig_pkts:count " +
			"orig_ip_bytes:count resp_pkts:count resp_ip_bytes:count tunnel_parents:set[string]",
		"dns": "ts:time uid:string " + idCols + "proto:enum trans_id:count rtt:interval query:string qclass:count qclass_name:string " +
			"qtype:count qtype_name:string rcode:count rcode_name:string AA:bool TC:bool RD:bool RA:bool Z:count " +
			"answers:vector[string] TTLs:vector[interval] rejected:bool",
		"ssl": "ts:time uid:string " + idCols + "version:string cipher:string curve:string server_name:string resumed:bool " +
			"last_alert:string next_protocol:string established:bool ssl_history:string",
		"http": "ts:time uid:string " + idCols + "trans_depth:count method:string host:string uri:string referrer:string " +
			"version:string user_agent:string request_body_len:count response_body_len:count status_code:count " +
			"status_msg:string tags:set[enum] resp_fuids:vector[string] resp_mime_types:vector[string]",
		"smb_files": "ts:time uid:string " + idCols + "fuid:string action:enum path:string name:string size:count " +
			"prev_name:string times.modified:time times.accessed:time times.created:time times.changed:time",
		"files": "ts:time fuid:string uid:string " + idCols + "source:string depth:count analyzers:set[string] " +
			"mime_type:string filename:string duration:interval local_orig:bool is_orig:bool seen_bytes:count " +
			"total_bytes:count missing_bytes:count overflow_bytes:count timedout:bool",
	}
	out := map[string]*zlog{}
	for p, s := range specs {
		out[p] = &zlog{path: p, cols: cols(s)}
	}
	return out
}

// zeekLogOrder is the order logs are written and counted in.
var zeekLogOrder = []string{"conn", "dns", "files", "http", "smb_files", "ssl"}

// writeZeek writes every log in both formats, and gives each record its
// line in the TSV file. open and close are the times of the #open and
// #close lines.
func writeZeek(dir string, logs map[string]*zlog, open, close time.Time) error {
	for _, sub := range []string{ZeekDir, ZeekJSONDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
	}
	for _, p := range zeekLogOrder {
		l := logs[p]
		sort.SliceStable(l.recs, func(i, j int) bool {
			a, b := l.recs[i], l.recs[j]
			if !a.ts.Equal(b.ts) {
				return a.ts.Before(b.ts)
			}
			return a.seq < b.seq
		})
		if err := writeFileWith(filepath.Join(dir, ZeekDir, p+".log"), func(w *bufio.Writer) { l.tsv(w, open, close) }); err != nil {
			return err
		}
		if err := writeFileWith(filepath.Join(dir, ZeekJSONDir, p+".log"), l.json); err != nil {
			return err
		}
	}
	return nil
}

// zeekFile is the slash path of a log in the scenario folder.
func zeekFile(p string) string { return path.Join(ZeekDir, p+".log") }

func writeFileWith(name string, fill func(*bufio.Writer)) (err error) {
	f, err := os.Create(name)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("simulate: %w", cerr)
		}
	}()
	w := bufio.NewWriter(f)
	fill(w)
	if err := w.Flush(); err != nil {
		return fmt.Errorf("simulate: %s: %w", name, err)
	}
	return nil
}

// tsv writes the log as Zeek's ASCII writer does: the header, a line per
// record, and #close.
func (l *zlog) tsv(w *bufio.Writer, open, close time.Time) {
	const stamp = "2006-01-02-15-04-05"
	fmt.Fprintf(w, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t%s\n#open\t%s\n", l.path, open.Format(stamp))
	names, types := make([]string, len(l.cols)), make([]string, len(l.cols))
	for i, c := range l.cols {
		names[i], types[i] = c.name, c.typ
	}
	fmt.Fprintf(w, "#fields\t%s\n#types\t%s\n", strings.Join(names, "\t"), strings.Join(types, "\t"))
	line := 9
	for _, r := range l.recs {
		r.line = line
		line++
		for i, v := range r.vals {
			if i > 0 {
				w.WriteByte('\t')
			}
			w.WriteString(tsvValue(v))
		}
		w.WriteByte('\n')
	}
	fmt.Fprintf(w, "#close\t%s\n", close.Format(stamp))
}

func epoch(t time.Time) string {
	us := t.UnixMicro()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

func interval(d time.Duration) string {
	us := d.Microseconds()
	return fmt.Sprintf("%d.%06d", us/1e6, us%1e6)
}

func tsvValue(v any) string {
	switch v := v.(type) {
	case nil:
		return "-"
	case time.Time:
		return epoch(v)
	case time.Duration:
		return interval(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		if v {
			return "T"
		}
		return "F"
	case string:
		if v == "" {
			return "(empty)"
		}
		if v == "-" {
			return `\x2d`
		}
		return tsvEscape(v, false)
	case []time.Duration:
		parts := make([]string, len(v))
		for i, d := range v {
			parts[i] = interval(d)
		}
		return strings.Join(parts, ",")
	case []string:
		if len(v) == 0 {
			return "(empty)"
		}
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = tsvEscape(s, true)
		}
		return strings.Join(parts, ",")
	}
	return "-"
}

// tsvEscape escapes what the ASCII writer escapes: backslashes, the
// separators, and bytes that are not printable.
func tsvEscape(s string, inSet bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case s[i] == '\\':
			b.WriteString(`\\`)
		case s[i] == '\t' || (inSet && s[i] == ',') || s[i] < 0x20 || s[i] == 0x7f || (r == utf8.RuneError && n == 1):
			fmt.Fprintf(&b, `\x%02x`, s[i])
			n = 1
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// json writes the log as Zeek's JSON writer does: one object per record,
// times as epoch seconds, unset fields left out.
func (l *zlog) json(w *bufio.Writer) {
	for _, r := range l.recs {
		w.WriteByte('{')
		first := true
		for i, v := range r.vals {
			if v == nil {
				continue
			}
			if !first {
				w.WriteByte(',')
			}
			first = false
			w.WriteString(strconv.Quote(l.cols[i].name))
			w.WriteByte(':')
			w.WriteString(jsonValue(v))
		}
		w.WriteString("}\n")
	}
}

func jsonValue(v any) string {
	switch v := v.(type) {
	case time.Time:
		return epoch(v)
	case time.Duration:
		return interval(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case string:
		return jsonString(v)
	case []time.Duration:
		parts := make([]string, len(v))
		for i, d := range v {
			parts[i] = interval(d)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case []string:
		parts := make([]string, len(v))
		for i, s := range v {
			parts[i] = jsonString(s)
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return "null"
}

// jsonString quotes as JSON does: strconv.Quote's escapes are Go's, not
// JSON's, for some control characters.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
