package zeek

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"
)

// jsonParser reads one JSON object into a Record. It is written by hand
// because it runs once per record: decoding into a map would allocate for
// every key and value, where this writes every value straight into the
// record's arena in canonical form and reuses the key names.
type jsonParser struct {
	r         *Reader
	rec       *Record
	b         []byte
	i         int
	key       []byte // the dotted name being built
	limit     int    // arena bound
	maxFields int

	path     string
	pathRank int       // 0 none; higher wins: see pathKeyRank
	stamp    timeValue // @timestamp, when there is no ts
}

func (p *jsonParser) init(r *Reader, rec *Record, line []byte) {
	p.r, p.rec, p.b, p.i = r, rec, line, 0
	p.limit, p.maxFields = r.maxArena(), r.maxFields()
	p.path, p.pathRank, p.stamp = "", 0, timeValue{}
}

var errEnd = errors.New("unexpected end of line")

func (p *jsonParser) errf(format string, args ...any) error {
	return fmt.Errorf("JSON byte %d: %s", p.i+1, fmt.Sprintf(format, args...))
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

// peek returns the next byte, 0 at the end.
func (p *jsonParser) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// top reads the whole line as one object.
func (p *jsonParser) top() error {
	p.b = bytes.TrimPrefix(p.b, []byte("\xef\xbb\xbf"))
	p.ws()
	if p.peek() != '{' {
		return p.errf("not a JSON object")
	}
	if err := p.object(0, 1); err != nil {
		return err
	}
	p.ws()
	if p.i < len(p.b) {
		return p.errf("data after the object")
	}
	return nil
}

// object reads an object whose members are named under the first
// prefixLen bytes of p.key.
func (p *jsonParser) object(prefixLen, depth int) error {
	p.i++ // {
	p.ws()
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		p.ws()
		if p.peek() != '"' {
			if p.i >= len(p.b) {
				return errEnd
			}
			return p.errf("expected a key")
		}
		p.key = p.key[:prefixLen]
		if prefixLen > 0 {
			p.key = append(p.key, '.')
		}
		var err error
		st := len(p.key)
		if p.key, err = p.str(p.key); err != nil {
			return err
		}
		p.key = canonText(p.key, st)
		if prefixLen == 0 {
			normKey(p.key)
		}
		p.ws()
		if p.peek() != ':' {
			if p.i >= len(p.b) {
				return errEnd
			}
			return p.errf("expected ':' after a key")
		}
		p.i++
		p.ws()
		if p.peek() == '{' {
			if depth >= maxDepth {
				return p.errf("objects nested more than %d deep", maxDepth)
			}
			if err := p.object(len(p.key), depth+1); err != nil {
				return err
			}
		} else if err := p.field(p.keyName(), depth); err != nil {
			return err
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		case 0:
			return errEnd
		default:
			return p.errf("expected ',' or '}'")
		}
	}
}

// normKey turns the underscored spelling of a Zeek record field, which
// shippers write for stores that dislike dots (id_orig_h), into Zeek's
// dotted name. Only the records Zeek logs are touched: an underscore is
// part of most field names (orig_bytes, tunnel_parents).
func normKey(k []byte) {
	if len(k) == 0 {
		return
	}
	switch k[0] {
	case 'i', 'c', 's', 'b', 't', 'r', 'v':
	default:
		return // the common case, in one comparison
	}
	for _, p := range [...]string{"id_", "certificate_", "san_", "basic_constraints_", "times_", "remote_location_"} {
		if len(k) > len(p) && string(k[:len(p)]) == p {
			k[len(p)-1] = '.'
			return
		}
	}
	if len(k) > 8 && string(k[:8]) == "version_" {
		switch string(k[8:]) {
		case "major", "minor", "minor2", "minor3", "addl": // software.log's version record
			k[7] = '.'
		}
	}
}

// pathKeyRank orders the keys that name a record's log: Zeek's own _path
// first, then what shippers write.
func pathKeyRank(name string) int {
	switch name {
	case "_path":
		return 4
	case "@stream":
		return 3
	case "@path":
		return 2
	case "_write_to":
		return 1
	}
	return 0
}

// field reads a member value that is not an object.
func (p *jsonParser) field(name string, depth int) error {
	rec := p.rec
	if len(rec.spans) >= p.maxFields {
		return p.errf("more than %d fields", p.maxFields)
	}
	t, known := knownType(name)
	sp := span{name: name, start: int32(len(rec.arena))}
	switch p.peek() {
	case 'n':
		return p.literal("null") // unset: absent
	case '[':
		sp.isList = true
		sp.itemLo = int32(len(rec.isp))
		hint := KindUnknown
		cont := Vector
		if known {
			hint = t.Kind
			if t.IsList() {
				cont = t.Container
			}
		}
		k, err := p.array(hint, depth)
		if err != nil {
			return err
		}
		sp.typ = Type{Container: cont, Kind: k}
		sp.itemHi = int32(len(rec.isp))
	default:
		hint := KindUnknown
		if known && !t.IsList() {
			hint = t.Kind
		}
		st := len(rec.arena)
		k, tv, err := p.scalar(hint, depth)
		if err != nil {
			return err
		}
		sp.typ = Type{Kind: k}
		if tv.ok {
			switch name {
			case "ts":
				rec.Time = tv.t
			case "@timestamp":
				p.stamp = tv
			}
		}
		if r := pathKeyRank(name); r > p.pathRank && k == KindString {
			p.path, p.pathRank = p.r.internKey(rec.arena[st:]), r
		}
	}
	if len(rec.arena) > p.limit {
		return p.errf("values too large once rendered")
	}
	sp.end = int32(len(rec.arena))
	rec.spans = append(rec.spans, sp)
	return nil
}

// array reads a list into the arena, its elements joined with ",". The
// elements are rendered as the hint kind says, or, without one, as the
// first element suggests. Nested lists and objects are kept as JSON text.
func (p *jsonParser) array(hint Kind, depth int) (Kind, error) {
	rec := p.rec
	p.i++ // [
	n := 0
	kind := hint
	p.ws()
	if p.peek() == ']' {
		p.i++
		return kind, nil
	}
	for {
		p.ws()
		switch p.peek() {
		case 0:
			return kind, errEnd
		case 'n':
			if err := p.literal("null"); err != nil {
				return kind, err
			}
		default:
			if n > 0 {
				rec.arena = append(rec.arena, ',')
			}
			st := len(rec.arena)
			k, _, err := p.scalar(kind, depth)
			if err != nil {
				return kind, err
			}
			if kind == KindUnknown {
				kind = k
			}
			rec.isp = append(rec.isp, ispan{int32(st), int32(len(rec.arena))})
			n++
			if len(rec.isp) > maxItems || len(rec.arena) > p.limit {
				return kind, p.errf("values too large once rendered")
			}
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return kind, nil
		case 0:
			return kind, errEnd
		default:
			return kind, p.errf("expected ',' or ']'")
		}
	}
}

// scalar reads a string, number or boolean into the arena in canonical
// form, as the hint kind says when there is one, and returns the kind it
// was rendered as. A nested list or object (only inside lists) is kept as
// JSON text.
func (p *jsonParser) scalar(hint Kind, depth int) (Kind, timeValue, error) {
	rec := p.rec
	st := len(rec.arena)
	switch c := p.peek(); {
	case c == '"':
		var err error
		if rec.arena, err = p.str(rec.arena); err != nil {
			return 0, timeValue{}, err
		}
		rec.arena = canonText(rec.arena, st)
		k, tv := p.fromString(st, hint)
		return k, tv, nil
	case c == '-' || isDigit(c):
		tok := p.number()
		k, tv := p.fromNumber(tok, hint)
		return k, tv, nil
	case c == 't':
		rec.arena = append(rec.arena, "true"...)
		return KindBool, timeValue{}, p.literal("true")
	case c == 'f':
		rec.arena = append(rec.arena, "false"...)
		return KindBool, timeValue{}, p.literal("false")
	case c == '{' || c == '[':
		start := p.i
		if err := p.skip(depth + 1); err != nil {
			return 0, timeValue{}, err
		}
		rec.arena = append(rec.arena, p.b[start:p.i]...)
		return KindString, timeValue{}, nil
	case c == 0:
		return 0, timeValue{}, errEnd
	}
	return 0, timeValue{}, p.errf("unexpected %q", p.b[p.i])
}

// fromString renders the string just decoded at arena[st:] as the hint
// says. A string that does not fit the hint stays a string: smtp's "from"
// is an address where kerberos's is a time.
func (p *jsonParser) fromString(st int, hint Kind) (Kind, timeValue) {
	rec := p.rec
	s := rec.arena[st:]
	switch hint {
	case KindTime, KindUnknown:
		if t, ok := parseISO(s); ok {
			rec.arena = appendTime(rec.arena[:st], t)
			return KindTime, timeValue{t, true}
		}
		if hint == KindTime {
			if t, ok := parseEpoch(s); ok {
				rec.arena = appendTime(rec.arena[:st], t)
				return KindTime, timeValue{t, true}
			}
		}
		return KindString, timeValue{}
	case KindInterval, KindDouble:
		if isNumber(s) {
			// appendFloat6 may write over s: it copies s before it does.
			rec.arena = appendFloat6(rec.arena[:st], s)
			return hint, timeValue{}
		}
		return KindString, timeValue{}
	case KindBool:
		switch string(s) {
		case "T", "true":
			rec.arena = append(rec.arena[:st], "true"...)
			return KindBool, timeValue{}
		case "F", "false":
			rec.arena = append(rec.arena[:st], "false"...)
			return KindBool, timeValue{}
		}
		return KindString, timeValue{}
	case KindCount, KindInt, KindPort:
		if isNumber(s) {
			return hint, timeValue{}
		}
		return KindString, timeValue{}
	}
	return hint, timeValue{}
}

// fromNumber renders a number token as the hint says; without a hint, a
// whole number is a count (an int when negative) and any other a double.
func (p *jsonParser) fromNumber(tok []byte, hint Kind) (Kind, timeValue) {
	rec := p.rec
	switch hint {
	case KindTime:
		if t, ok := parseEpoch(tok); ok {
			rec.arena = appendTime(rec.arena, t)
			return KindTime, timeValue{t, true}
		}
	case KindInterval, KindDouble:
		rec.arena = appendFloat6(rec.arena, tok)
		return hint, timeValue{}
	case KindCount, KindInt, KindPort:
		rec.arena = append(rec.arena, tok...)
		return hint, timeValue{}
	}
	if isInteger(tok) {
		rec.arena = append(rec.arena, tok...)
		if tok[0] == '-' {
			return KindInt, timeValue{}
		}
		return KindCount, timeValue{}
	}
	rec.arena = appendFloat6(rec.arena, tok)
	return KindDouble, timeValue{}
}

// number returns the token of a number. Its syntax is checked loosely:
// whatever it is, it is kept as text when it does not parse.
func (p *jsonParser) number() []byte {
	st := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case isDigit(c), c == '-', c == '+', c == '.', c == 'e', c == 'E':
			p.i++
		default:
			return p.b[st:p.i]
		}
	}
	return p.b[st:p.i]
}

func isInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	return allDigits(b)
}

// isNumber reports whether b is a decimal number, possibly with a fraction
// and an exponent.
func isNumber(b []byte) bool {
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		b = b[1:]
	}
	digits, dot, exp := false, false, false
	for i, c := range b {
		switch {
		case isDigit(c):
			digits = true
		case c == '.' && !dot && !exp:
			dot = true
		case (c == 'e' || c == 'E') && digits && !exp && i+1 < len(b):
			exp = true
			if b[i+1] == '-' || b[i+1] == '+' {
				continue
			}
		case (c == '-' || c == '+') && i > 0 && (b[i-1] == 'e' || b[i-1] == 'E'):
		default:
			return false
		}
	}
	return digits
}

func (p *jsonParser) literal(word string) error {
	if len(p.b)-p.i < len(word) {
		if string(p.b[p.i:]) == word[:len(p.b)-p.i] {
			return errEnd
		}
		return p.errf("unexpected %q", p.b[p.i])
	}
	if string(p.b[p.i:p.i+len(word)]) != word {
		return p.errf("unexpected %q", p.b[p.i])
	}
	p.i += len(word)
	return nil
}

// str decodes the string at p.i onto dst.
func (p *jsonParser) str(dst []byte) ([]byte, error) {
	p.i++ // "
	for {
		rest := p.b[p.i:]
		q := bytes.IndexByte(rest, '"')
		if q < 0 {
			return dst, errEnd
		}
		bs := bytes.IndexByte(rest[:q], '\\')
		if bs < 0 {
			dst = append(dst, rest[:q]...)
			p.i += q + 1
			return dst, nil
		}
		dst = append(dst, rest[:bs]...)
		p.i += bs
		if p.i+1 >= len(p.b) {
			return dst, errEnd
		}
		switch c := p.b[p.i+1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
			p.i += 2
		case 'b':
			dst = append(dst, '\b')
			p.i += 2
		case 'f':
			dst = append(dst, '\f')
			p.i += 2
		case 'n':
			dst = append(dst, '\n')
			p.i += 2
		case 'r':
			dst = append(dst, '\r')
			p.i += 2
		case 't':
			dst = append(dst, '\t')
			p.i += 2
		case 'u':
			r, ok := p.hex4(p.i + 2)
			if !ok {
				return dst, p.errf("bad \\u escape")
			}
			p.i += 6
			if utf16IsHigh(r) {
				if r2, ok := p.hex4(p.i + 2); ok && p.b[p.i] == '\\' && p.b[p.i+1] == 'u' && utf16IsLow(r2) {
					r = 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00)
					p.i += 6
				} else {
					r = utf8.RuneError
				}
			} else if utf16IsLow(r) {
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, p.errf("bad escape %q", []byte{'\\', c})
		}
	}
}

func utf16IsHigh(r rune) bool { return r >= 0xd800 && r < 0xdc00 }
func utf16IsLow(r rune) bool  { return r >= 0xdc00 && r < 0xe000 }

// hex4 reads four hex digits at i.
func (p *jsonParser) hex4(i int) (rune, bool) {
	if i < 0 || i+4 > len(p.b) {
		return 0, false
	}
	var r rune
	for _, c := range p.b[i : i+4] {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

// skip passes over any value, checking its syntax only as far as needed to
// find its end.
func (p *jsonParser) skip(depth int) error {
	if depth > maxDepth {
		return p.errf("values nested more than %d deep", maxDepth)
	}
	p.ws()
	switch c := p.peek(); {
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		p.i++
		p.ws()
		if p.peek() == end {
			p.i++
			return nil
		}
		for {
			p.ws()
			if c == '{' {
				if p.peek() != '"' {
					return p.errf("expected a key")
				}
				if err := p.skipString(); err != nil {
					return err
				}
				p.ws()
				if p.peek() != ':' {
					return p.errf("expected ':'")
				}
				p.i++
			}
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			p.ws()
			switch p.peek() {
			case ',':
				p.i++
			case end:
				p.i++
				return nil
			case 0:
				return errEnd
			default:
				return p.errf("expected ',' or %q", end)
			}
		}
	case c == '"':
		return p.skipString()
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || isDigit(c):
		p.number()
		return nil
	case c == 0:
		return errEnd
	}
	return p.errf("unexpected %q", p.b[p.i])
}

func (p *jsonParser) skipString() error {
	for j := p.i + 1; j < len(p.b); j++ {
		switch p.b[j] {
		case '\\':
			j++
		case '"':
			p.i = j + 1
			return nil
		}
	}
	return errEnd
}

// keyName returns the string of the key just read. The records of one log
// repeat their keys in the same order, so the key at the same position in
// the previous record is tried before the intern table: a comparison is
// cheaper than a hash.
func (p *jsonParser) keyName() string {
	r := p.r
	i := len(p.rec.spans)
	if i < len(r.lastKeys) && r.lastKeys[i] == string(p.key) {
		return r.lastKeys[i]
	}
	s := r.internKey(p.key)
	if i < len(r.lastKeys) {
		r.lastKeys[i] = s
	} else if i == len(r.lastKeys) && i < maxIntern {
		r.lastKeys = append(r.lastKeys, s)
	}
	return s
}

// internKey returns b as a string, the same string for the same bytes, so
// that key names cost no allocation after their first record. The table is
// bounded: hostile input with ever new keys only loses the reuse.
func (r *Reader) internKey(b []byte) string {
	if s, ok := r.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	if r.intern == nil {
		r.intern = make(map[string]string)
	}
	if len(r.intern) < maxIntern {
		r.intern[s] = s
	}
	return s
}

// parseJSON reads a JSON line into rec.
func (r *Reader) parseJSON(line []byte, rec *Record) error {
	rec.reset()
	p := &r.jp
	p.init(r, rec, line)
	if err := p.top(); err != nil {
		return err
	}
	rec.Format = JSON
	if rec.Time.IsZero() && p.stamp.ok {
		rec.Time = p.stamp.t
	}
	rec.Path, rec.PathSource = r.jsonPath(rec)
	rec.finish()
	return nil
}

// jsonPath decides a JSON record's path: a path key, else the field
// names, else the file name.
func (r *Reader) jsonPath(rec *Record) (string, PathSource) {
	if r.jp.pathRank > 0 {
		return r.jp.path, PathFromKey
	}
	if p := inferPath(func(yield func(string) bool) {
		for i := range rec.spans {
			if !yield(rec.spans[i].name) {
				return
			}
		}
	}); p != "" {
		return p, PathFromFields
	}
	if r.namePath != "" {
		return r.namePath, PathFromName
	}
	return "", PathUnknown
}
