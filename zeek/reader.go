package zeek

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"
)

// Limits that keep a hostile log from using unbounded memory.
const (
	// DefaultMaxLine is the default of Reader.MaxLine. Zeek's longest
	// lines (long URIs, certificate chains, many DNS answers) are far
	// below it.
	DefaultMaxLine = 16 << 20
	// DefaultMaxFields is the default of Reader.MaxFields. Zeek's widest
	// logs have about a hundred columns.
	DefaultMaxFields = 4096

	maxDepth    = 32      // JSON nesting
	maxItems    = 1 << 20 // set and vector elements in one record
	maxWarnings = 100     // warnings kept; more are counted
	maxIntern   = 8192    // distinct JSON key names kept for reuse
	sniffLen    = 64 << 10
)

// Header is the header of a TSV log block: the "#" lines before its data.
type Header struct {
	Separator    string // between fields: "\t"
	SetSeparator string // between the elements of a set or vector: ","
	EmptyField   string // an empty string or set: "(empty)"
	UnsetField   string // no value: "-"
	Path         string // the log path, from #path ("" when missing)
	Open         string // the #open time as written
	Close        string // the #close time as written; "" while the block is not closed
	Fields       []string
	Types        []Type   // one per field; nil when #types is missing or does not match #fields
	TypeNames    []string // the #types line as written
	Line         int      // the line where the block starts
}

// column is what the reader needs of one TSV column.
type column struct {
	name string
	typ  Type
	isTS bool
}

// Reader reads Zeek log records from a stream of TSV or JSON lines, or of
// both, one after the other. Its exported fields may be changed before the
// first call to Next.
type Reader struct {
	// MaxLine is the longest line read (DefaultMaxLine when 0): a longer
	// line is skipped and reported as a *LineError.
	MaxLine int
	// MaxFields is the most fields a TSV header or a JSON object may have
	// (DefaultMaxFields when 0).
	MaxFields int

	name     string
	namePath string
	br       *bufio.Reader
	started  bool
	err      error // sticky: io.EOF or a fatal error
	format   Format

	lineNo       int
	pos          int64  // bytes consumed from the stream
	lineStart    int64  // offset of the current line
	long         []byte // a line longer than the bufio buffer
	pending      []byte // a line read ahead by skipRun
	hasPending   bool
	pendingTorn  bool
	pendingStart int64
	readErr      error // a read error met while reading ahead

	// The current TSV block.
	hdr                       *Header
	cols                      []column
	active                    bool // #fields seen
	usable                    bool // the header can read data
	closed                    bool // #close seen
	sep, setSep, empty, unset []byte
	path                      string
	pathSource                PathSource
	typeWarned                bool

	truncated    bool
	warnings     []LineError
	moreWarnings int

	intern   map[string]string
	lastKeys []string // the JSON keys of the last record, by position
	jp       jsonParser
}

// NewReader returns a Reader of the log read from r. name is the stream's
// name, for errors and, only when nothing in the content tells, for the log
// path (PathFromName). The stream must be plain text: see Decompress.
//
// JSON keys are normalised to Zeek's dotted names: nested objects
// ({"id": {"orig_h": ...}}) are flattened with dots, and the underscored
// spellings of Zeek's record fields that some shippers write (id_orig_h,
// certificate_subject, san_dns, times_modified, ...) are dotted. Every other
// key, such as a shipper's _node_name or @timestamp, or a field this
// package does not know, is kept as it is. A record's log path comes from,
// in order: a _path, @stream, @path or _write_to key; the field names (see
// Record.Path); the file name.
func NewReader(r io.Reader, name string) *Reader {
	return &Reader{name: name, namePath: PathOf(name), br: bufio.NewReaderSize(r, sniffLen)}
}

// Format returns the format the stream was detected as; FormatUnknown
// before the first call to Next.
func (r *Reader) Format() Format { return r.format }

// Header returns the header of the current TSV block, nil when there is
// none. The caller must not change it.
func (r *Reader) Header() *Header { return r.hdr }

// Truncated reports whether the log was found cut short: a TSV block with
// no #close line (the log was still being written, or was cut), a last line
// without its end, or data before any header (the start of the log is
// missing). It is final once Next has returned io.EOF.
func (r *Reader) Truncated() bool { return r.truncated }

// Warnings returns what the reader noticed that is not damage to a line,
// in the order it noticed them: why the log is truncated, a #types line
// that does not match #fields, data after #close, and so on. Each names the
// line it concerns. At most 100 are kept; an entry with Line 0 then says how
// many more there were. Warnings only grow, so a caller can report the new
// ones after every call to Next.
func (r *Reader) Warnings() []LineError {
	if r.moreWarnings == 0 {
		return r.warnings
	}
	return append(r.warnings[:len(r.warnings):len(r.warnings)],
		LineError{Name: r.name, Reason: fmt.Sprintf("%d more warnings", r.moreWarnings)})
}

func (r *Reader) warn(format string, args ...any) {
	if len(r.warnings) >= maxWarnings {
		r.moreWarnings++
		return
	}
	r.warnings = append(r.warnings, LineError{Name: r.name, Line: r.lineNo, Lines: 1,
		Offset: r.lineStart, Reason: fmt.Sprintf(format, args...)})
}

func (r *Reader) maxLine() int {
	if r.MaxLine > 0 {
		return r.MaxLine
	}
	return DefaultMaxLine
}

func (r *Reader) maxFields() int {
	if r.MaxFields > 0 {
		return r.MaxFields
	}
	return DefaultMaxFields
}

// maxArena bounds the canonical values of one record: they can be longer
// than the line ("T" becomes "true"), but not without limit.
func (r *Reader) maxArena() int { return 2*r.maxLine() + 1<<20 }

// damage returns a *LineError for the current line.
func (r *Reader) damage(format string, args ...any) *LineError {
	return &LineError{Name: r.name, Line: r.lineNo, Lines: 1, Offset: r.lineStart, Reason: fmt.Sprintf(format, args...)}
}

// Next reads the next record into rec. It returns io.EOF at the end, a
// *LineError for a damaged line or run of lines (call Next again to go on),
// and any other error when the stream cannot be read at all: an error
// wrapping ErrNotZeek or ErrCompressed, or a read error. Those and io.EOF
// are returned again by every later call.
func (r *Reader) Next(rec *Record) error {
	if r.err != nil {
		return r.err
	}
	if !r.started {
		r.start()
		if r.err != nil {
			return r.err
		}
	}
	for {
		line, torn, err := r.nextLine()
		if err != nil {
			if errors.Is(err, errLineTooLong) {
				r.lineNo++
				return r.damage("line longer than %d bytes, skipped", r.maxLine())
			}
			if err == io.EOF {
				r.end()
			} else {
				err = fmt.Errorf("%s: line %d: reading: %w", r.name, r.lineNo+1, err)
			}
			r.err = err
			return err
		}
		r.lineNo++
		done, err := r.handle(line, torn, rec)
		if done {
			return err
		}
	}
}

// start detects the format from the first bytes.
func (r *Reader) start() {
	r.started = true
	head, err := r.br.Peek(sniffLen)
	if len(head) == 0 && err != nil && err != io.EOF {
		r.err = fmt.Errorf("%s: reading: %w", r.name, err)
		return
	}
	f, derr := Detect(head)
	if derr != nil {
		r.err = fmt.Errorf("%s: %w", r.name, derr)
		return
	}
	r.format = f
}

// end notes, at the end of the stream, a block that was never closed.
func (r *Reader) end() {
	if r.active && !r.closed {
		r.truncated = true
		r.warn("log truncated: no #close line (the log was cut, or was still being written)")
	}
}

var errLineTooLong = errors.New("line too long")

// nextLine returns the next line without its end of line. torn reports a
// last line with no newline after it. The line is valid until the next
// call.
func (r *Reader) nextLine() (line []byte, torn bool, err error) {
	if r.hasPending {
		r.hasPending = false
		r.lineStart = r.pendingStart
		return r.pending, r.pendingTorn, nil
	}
	if r.readErr != nil {
		return nil, false, r.readErr
	}
	max := r.maxLine()
	r.long = r.long[:0]
	r.lineStart = r.pos
	tooLong := false
	for {
		frag, err := r.br.ReadSlice('\n')
		r.pos += int64(len(frag))
		if err == bufio.ErrBufferFull {
			if !tooLong {
				if len(r.long)+len(frag) > max {
					tooLong = true
					r.long = r.long[:0]
				} else {
					r.long = append(r.long, frag...)
				}
			}
			continue
		}
		line = frag
		if len(r.long) > 0 || tooLong {
			if !tooLong && len(r.long)+len(frag) > max+1 {
				tooLong = true
			}
			if !tooLong {
				r.long = append(r.long, frag...)
				line = r.long
			}
		}
		if tooLong {
			if err != nil && err != io.EOF {
				r.readErr = err
			}
			return nil, false, errLineTooLong
		}
		switch {
		case err == nil:
			line = line[:len(line)-1]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line = line[:len(line)-1]
			}
			if len(line) > max {
				return nil, false, errLineTooLong
			}
			return line, false, nil
		case err == io.EOF && len(line) > 0:
			return line, true, nil
		default:
			return nil, false, err
		}
	}
}

// unread puts back the line just read, for the next call of nextLine.
func (r *Reader) unread(line []byte, torn bool) {
	r.pending, r.pendingTorn, r.hasPending, r.pendingStart = line, torn, true, r.lineStart
	r.lineNo--
}

// handle reads one line: a header line, a TSV or JSON record, or damage.
// done is false when the line yields nothing (a header or a blank line).
func (r *Reader) handle(line []byte, torn bool, rec *Record) (done bool, err error) {
	if isBlank(line) {
		return false, nil
	}
	if line[0] == '#' {
		ok, err := r.header(line)
		if err != nil {
			return true, err
		}
		if ok {
			return false, nil
		}
	}
	first := firstByte(line)
	switch {
	case r.usable && (!r.closed || first != '{'):
		if r.closed {
			r.warn("data after #close, read with the header before it")
			r.closed = false
		}
		err = r.parseTSV(line, rec)
	case first == '{':
		err = r.parseJSON(line, rec)
	case r.active:
		return true, r.skipRun("data under a header that cannot be read (see the header's error above)")
	case r.format == JSON:
		// A JSON log has no header to miss: the line is damage of its own.
		err = fmt.Errorf("not a JSON object: line begins %s", quoteStart(line))
	default:
		r.truncated = true
		r.warn("data without a #fields header: the start of the log is missing")
		return true, r.skipRun("data without a #fields header (the start of the log is missing)")
	}
	if err != nil {
		le := r.damage("%s", err)
		if torn {
			r.truncated = true
			le.Reason = "last line cut short (no newline at the end): " + le.Reason
		}
		return true, le
	}
	if torn {
		r.warn("the last line has no newline at the end: its last value may be cut")
	}
	rec.Line, rec.Offset = r.lineNo, r.lineStart
	return true, nil
}

// skipRun skips the current line and the lines after it up to the next
// header or JSON line, and reports them as one *LineError: a log whose
// header is missing would otherwise give one error per line.
func (r *Reader) skipRun(reason string) error {
	le := &LineError{Name: r.name, Line: r.lineNo, Lines: 1, Offset: r.lineStart, Reason: reason}
	for {
		line, torn, err := r.nextLine()
		if errors.Is(err, errLineTooLong) {
			r.lineNo++
			le.Lines++
			continue
		}
		if err != nil {
			if err != io.EOF {
				r.readErr = err
			}
			return le
		}
		r.lineNo++
		if len(line) > 0 && (line[0] == '#' || firstByte(line) == '{') {
			r.unread(line, torn)
			return le
		}
		le.Lines++
	}
}

func isBlank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// firstByte returns the first byte that is not white space or a byte-order
// mark.
func firstByte(b []byte) byte {
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	for _, c := range b {
		if c != ' ' && c != '\t' {
			return c
		}
	}
	return 0
}

// header reads a "#" line. ok is false when the line is not a header
// directive, so the caller reads it as data.
func (r *Reader) header(line []byte) (ok bool, err error) {
	if v, found := bytes.CutPrefix(line, []byte("#separator")); found && len(v) > 0 && (v[0] == ' ' || v[0] == '\t') {
		r.newBlock()
		sep := unescapeTSV(nil, v[1:])
		if len(sep) == 0 {
			return true, r.damage("empty #separator; using a tab")
		}
		r.sep = sep
		r.hdr.Separator = string(sep)
		return true, nil
	}
	sep := r.sep
	if sep == nil {
		sep = []byte{'\t'}
	}
	key, val, _ := bytes.Cut(line[1:], sep)
	switch string(key) {
	case "set_separator", "empty_field", "unset_field", "path", "open", "close", "fields", "types":
	default:
		return false, nil
	}
	if r.hdr == nil || (r.active && string(key) == "fields" && r.hdr.Fields != nil) {
		// A header without #separator, or a new #fields line in the middle
		// of a block: a new block with the current separators.
		r.newBlockKeep()
	}
	h := r.hdr
	switch string(key) {
	case "set_separator":
		r.setSep = unescapeTSV(nil, val)
		h.SetSeparator = string(r.setSep)
	case "empty_field":
		r.empty = unescapeTSV(nil, val)
		h.EmptyField = string(r.empty)
	case "unset_field":
		r.unset = unescapeTSV(nil, val)
		h.UnsetField = string(r.unset)
	case "path":
		h.Path = string(unescapeTSV(nil, val))
	case "open":
		h.Open = string(val)
	case "close":
		h.Close = string(val)
		r.closed = true
	case "fields":
		return true, r.setFields(val)
	case "types":
		return true, r.setTypes(val)
	}
	r.setPath()
	return true, nil
}

// newBlock starts a header block with Zeek's default separators.
func (r *Reader) newBlock() {
	if r.active && !r.closed {
		r.truncated = true
		r.warn("a new header begins before the block above it was closed (#close missing)")
	}
	r.sep, r.setSep, r.empty, r.unset = []byte{'\t'}, []byte{','}, []byte("(empty)"), []byte{'-'}
	r.startBlock()
}

// newBlockKeep starts a header block that keeps the current separators.
func (r *Reader) newBlockKeep() {
	if r.sep == nil {
		r.newBlock()
		return
	}
	path := ""
	if r.hdr != nil {
		path = r.hdr.Path
	}
	r.startBlock()
	r.hdr.Path = path
}

func (r *Reader) startBlock() {
	r.hdr = &Header{
		Separator:    string(r.sep),
		SetSeparator: string(r.setSep),
		EmptyField:   string(r.empty),
		UnsetField:   string(r.unset),
		Line:         r.lineNo,
	}
	r.cols = r.cols[:0]
	r.active, r.usable, r.closed, r.typeWarned = false, false, false, false
	r.path, r.pathSource = "", PathUnknown
	r.format = TSV
}

func (r *Reader) split(val []byte) ([]string, error) {
	n := bytes.Count(val, r.sep) + 1
	if n > r.maxFields() {
		return nil, fmt.Errorf("%d fields, more than the limit of %d", n, r.maxFields())
	}
	out := make([]string, 0, n)
	for {
		f, rest, found := bytes.Cut(val, r.sep)
		out = append(out, string(unescapeTSV(nil, f)))
		if !found {
			return out, nil
		}
		val = rest
	}
}

func (r *Reader) setFields(val []byte) error {
	h := r.hdr
	r.active = true
	r.usable = false
	names, err := r.split(val)
	if err != nil {
		return r.damage("#fields: %v", err)
	}
	h.Fields = names
	r.usable = true
	r.setColumns()
	return nil
}

func (r *Reader) setTypes(val []byte) error {
	h := r.hdr
	names, err := r.split(val)
	if err != nil {
		return r.damage("#types: %v", err)
	}
	h.TypeNames = names
	h.Types = make([]Type, len(names))
	for i, n := range names {
		h.Types[i] = ParseType(n)
	}
	r.setColumns()
	return nil
}

// setColumns joins #fields and #types into the columns data lines are read
// with.
func (r *Reader) setColumns() {
	h := r.hdr
	if h.Fields == nil {
		return
	}
	types := h.Types
	if types != nil && len(types) != len(h.Fields) {
		r.warn("#types has %d entries for %d #fields: values are read as text", len(types), len(h.Fields))
		types = nil
	}
	r.cols = r.cols[:0]
	for i, n := range h.Fields {
		c := column{name: n, typ: Type{Kind: KindUnknown}, isTS: n == "ts"}
		if types != nil {
			c.typ = types[i]
		} else if t, ok := knownType(n); ok {
			// Without #types, fall back on what Zeek's own logs use.
			c.typ = t
		}
		r.cols = append(r.cols, c)
	}
	r.setPath()
}

// setPath decides the path of the block's records: #path, else the field
// names, else the file name.
func (r *Reader) setPath() {
	h := r.hdr
	switch {
	case h.Path != "":
		r.path, r.pathSource = h.Path, PathFromHeader
	case h.Fields != nil:
		if p := inferPath(func(yield func(string) bool) {
			for _, f := range h.Fields {
				if !yield(f) {
					return
				}
			}
		}); p != "" {
			r.path, r.pathSource = p, PathFromFields
			return
		}
		fallthrough
	default:
		r.path, r.pathSource = r.namePath, PathFromName
		if r.path == "" {
			r.pathSource = PathUnknown
		}
	}
}

// parseTSV reads a data line with the current header.
func (r *Reader) parseTSV(line []byte, rec *Record) error {
	if !r.typeWarned && r.hdr.Types == nil {
		r.typeWarned = true
		r.warn("no usable #types line: types are taken from Zeek's usual ones, or values read as text")
	}
	rec.reset()
	rec.Path, rec.PathSource, rec.Format = r.path, r.pathSource, TSV
	n := len(r.cols)
	sep := r.sep
	limit := r.maxArena()
	i := 0
	for col := 0; ; col++ {
		var end int
		if len(sep) == 1 {
			end = bytes.IndexByte(line[i:], sep[0])
		} else {
			end = bytes.Index(line[i:], sep)
		}
		last := end < 0
		if last {
			end = len(line)
		} else {
			end += i
		}
		if col >= n {
			return fmt.Errorf("more than the %d fields of the #fields header", n)
		}
		if err := r.tsvField(rec, &r.cols[col], line[i:end], limit); err != nil {
			return err
		}
		if last {
			if col+1 != n {
				return fmt.Errorf("%d fields where the #fields header has %d", col+1, n)
			}
			break
		}
		i = end + len(sep)
	}
	rec.finish()
	return nil
}

// tsvField renders one TSV value into the record.
func (r *Reader) tsvField(rec *Record, c *column, raw []byte, limit int) error {
	if bytes.Equal(raw, r.unset) {
		return nil // unset: absent
	}
	sp := span{name: c.name, typ: c.typ, start: int32(len(rec.arena))}
	switch {
	case c.typ.IsList():
		sp.isList = true
		sp.itemLo = int32(len(rec.isp))
		if !bytes.Equal(raw, r.empty) {
			for k := 0; ; k++ {
				elem, rest, found := raw, []byte(nil), false
				if len(r.setSep) > 0 {
					elem, rest, found = bytes.Cut(raw, r.setSep)
				}
				if k > 0 {
					rec.arena = append(rec.arena, ',')
				}
				st := len(rec.arena)
				rec.arena, _ = appendTSV(rec.arena, c.typ.Kind, elem)
				rec.isp = append(rec.isp, ispan{int32(st), int32(len(rec.arena))})
				if len(rec.arena) > limit || len(rec.isp) > maxItems {
					return errors.New("values too large once rendered")
				}
				if !found {
					break
				}
				raw = rest
			}
		}
		sp.itemHi = int32(len(rec.isp))
	case bytes.Equal(raw, r.empty):
		// An empty string: present, with no text.
	default:
		var t timeValue
		rec.arena, t = appendTSV(rec.arena, c.typ.Kind, raw)
		if c.isTS && t.ok {
			rec.Time = t.t
		}
		if len(rec.arena) > limit {
			return errors.New("values too large once rendered")
		}
	}
	sp.end = int32(len(rec.arena))
	rec.spans = append(rec.spans, sp)
	return nil
}

// timeValue is a parsed time, when a value was one.
type timeValue struct {
	t  time.Time
	ok bool
}

// appendTSV renders one TSV value of the given kind in canonical form.
func appendTSV(dst []byte, k Kind, raw []byte) ([]byte, timeValue) {
	switch k {
	case KindTime:
		if t, ok := parseEpoch(raw); ok {
			return appendTime(dst, t), timeValue{t, true}
		}
	case KindInterval, KindDouble:
		return appendFloat6(dst, raw), timeValue{}
	case KindBool:
		if len(raw) == 1 {
			switch raw[0] {
			case 'T':
				return append(dst, "true"...), timeValue{}
			case 'F':
				return append(dst, "false"...), timeValue{}
			}
		}
	case KindPort:
		return appendPort(dst, raw), timeValue{}
	}
	return appendText(dst, raw), timeValue{}
}
