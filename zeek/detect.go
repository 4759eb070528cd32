package zeek

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"strings"
)

var gzipMagic = []byte{0x1f, 0x8b}

// detectLines is how many lines Detect reads before it gives up looking for
// a header or a Zeek record.
const detectLines = 16

// Detect tells the format of a Zeek log from its first bytes (up to 64 KiB
// are enough; more are ignored). A stream that is not a Zeek log gives an
// error that wraps ErrNotZeek and says why, in words a person can act on; a
// gzip stream gives ErrCompressed.
//
// A TSV log is recognised by its header ("#separator", or another of the
// "#" lines Zeek writes), a JSON log by its first object that reads as a
// Zeek record: one with a path key (_path, @stream), or a ts time with a
// field every Zeek log of that kind has (uid, fuid, id.orig_h, peer, ...),
// so that other JSON lines with a "ts" key are not mistaken for Zeek. An
// object cut short by the end of the head counts by the keys before the cut.
func Detect(head []byte) (Format, error) {
	if len(head) > sniffLen {
		head = head[:sniffLen]
	}
	if bytes.HasPrefix(head, gzipMagic) {
		return FormatUnknown, ErrCompressed
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	var first []byte // the first line that is not blank
	sawJSON := false
	for n := 0; n < detectLines && len(head) > 0; {
		line := head
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			head = nil
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if isBlank(line) {
			continue
		}
		n++
		if first == nil {
			first = line
		}
		if line[0] == '#' {
			if isHeaderLine(line) {
				return TSV, nil
			}
			continue
		}
		if firstByte(line) == '{' {
			sawJSON = true
			if looksZeekJSON(line) {
				return JSON, nil
			}
		}
	}
	switch {
	case first == nil:
		return FormatUnknown, fmt.Errorf("%w: empty", ErrNotZeek)
	case sawJSON:
		return FormatUnknown, fmt.Errorf("%w: JSON objects that are not Zeek records (no _path key, or no ts with uid, id.orig_h or another Zeek field)", ErrNotZeek)
	case bytes.Count(first, []byte{'\t'}) >= 2:
		if ts, _, _ := bytes.Cut(first, []byte{'\t'}); isEpoch(ts) {
			return FormatUnknown, fmt.Errorf("%w: tab-separated values without a Zeek header (#fields): the start of the log is missing", ErrNotZeek)
		}
		return FormatUnknown, fmt.Errorf("%w: tab-separated values without a Zeek header (#fields)", ErrNotZeek)
	}
	return FormatUnknown, fmt.Errorf("%w: no Zeek header or record in the first lines, which begin %s", ErrNotZeek, quoteStart(first))
}

// isHeaderLine reports whether a "#" line is one of the header lines Zeek's
// ASCII writer puts before the data.
func isHeaderLine(line []byte) bool {
	key := line[1:]
	if i := bytes.IndexAny(key, " \t"); i >= 0 {
		key = key[:i]
	} else {
		return false // a directive always has a value
	}
	switch string(key) {
	case "separator", "set_separator", "empty_field", "unset_field", "path", "open", "fields", "types":
		return true
	}
	return false
}

// strongJSONKeys are fields that only Zeek's logs (or their shippers) write
// next to a ts: one of them and a ts that reads as a time make a JSON
// object a Zeek record.
func strongJSONKey(name string) bool {
	switch name {
	case "uid", "fuid", "id.orig_h", "id.resp_h", "peer", "_node_name", "_system_name", "_write_ts", "conn_uids":
		return true
	}
	return false
}

// looksZeekJSON reports whether a JSON line reads as a Zeek record. A line
// cut short is judged by the fields before the cut.
func looksZeekJSON(line []byte) bool {
	r := &Reader{name: "head"}
	var rec Record
	r.jp.init(r, &rec, line)
	if err := r.jp.top(); err != nil && err != errEnd {
		return false
	}
	if r.jp.pathRank > 0 {
		return true
	}
	ts, strong := false, false
	for i := range rec.spans {
		sp := &rec.spans[i]
		switch {
		case sp.name == "ts":
			ts = sp.typ.Kind == KindTime
		case strongJSONKey(sp.name):
			strong = true
		}
	}
	if !ts {
		return false
	}
	return strong || inferPath(func(yield func(string) bool) {
		for i := range rec.spans {
			if !yield(rec.spans[i].name) {
				return
			}
		}
	}) != ""
}

// isEpoch reports whether b is Unix seconds with a fraction, as Zeek writes
// ts.
func isEpoch(b []byte) bool {
	i := bytes.IndexByte(b, '.')
	return i > 0 && allDigits(b[:i]) && allDigits(b[i+1:])
}

// quoteStart quotes the start of a line for a message: it comes from the
// input and may hold anything, so it is escaped.
func quoteStart(b []byte) string {
	const n = 32
	if len(b) > n {
		return fmt.Sprintf("%q...", b[:n])
	}
	return fmt.Sprintf("%q", b)
}

// PathOf returns the log path that a file name suggests, "" when it
// suggests none: "conn" for conn.log, conn.log.gz,
// conn.00:00:00-01:00:00.log.gz (Zeek's rotated names) or
// conn.2024-04-21-00-00-00.log, and "dns" for dns.json. Directories and the
// archive of "archive.zip!member" names are ignored. It is a guess, used
// only when the content does not say (see Record.PathSource).
func PathOf(name string) string {
	if i := strings.LastIndexByte(name, '!'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ReplaceAll(name, `\`, "/")
	base := path.Base(name)
	for _, ext := range [...]string{".gz", ".log", ".json", ".txt"} {
		base = strings.TrimSuffix(base, ext)
	}
	// What is left is the path, then possibly a rotation stamp after a dot.
	p, _, _ := strings.Cut(base, ".")
	if p == "" || p == "/" {
		return ""
	}
	letter := false
	for _, c := range []byte(p) {
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			letter = true
		case c >= '0' && c <= '9' || c == '_' || c == '-':
		default:
			return ""
		}
	}
	if !letter {
		return "" // "-" is standard input, not a log
	}
	return p
}

// Decompress returns a reader of the plain text of r: r itself (buffered)
// when it is not gzip-compressed, or a gzip reader of it, which reads
// concatenated gzip members too, as rotated logs joined with cat are.
func Decompress(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("zeek: reading: %w", err)
	}
	if !bytes.Equal(magic, gzipMagic) {
		return br, nil
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		return nil, fmt.Errorf("zeek: gzip: %w", err)
	}
	return zr, nil
}
