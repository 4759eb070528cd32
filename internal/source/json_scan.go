package source

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonScanner parses one JSON object into a flat list of its leaves, each
// with the chain of keys that leads to it. It is a small parser of our own
// rather than encoding/json because decoding into maps costs ~10 µs an event,
// and because the readers need what a generic decoder throws away: the
// document order of keys, and the literal digits of numbers (a 64-bit record
// number or mask must not pass through a float64).
//
// Nothing is copied but strings with escapes: a leaf's value is a slice of
// the input, or of the scanner's scratch buffer when it had to be unescaped.
// Both stay valid until the next scan. All buffers are reused from record to
// record, so a warm scanner does not allocate.
type jsonScanner struct {
	data    []byte
	pos     int
	atEOF   bool
	nodes   []jsonNode
	leaves  []jsonLeaf
	scratch []byte
	quote   int // position of the next quote in the string being read
}

// A jsonNode is one key of an object, or one element of an array.
type jsonNode struct {
	key    []byte // nil for an array element
	parent int32  // index of the enclosing node, -1 at the top level
	top    int32  // index of the top-level node this one descends from
	second int32  // index of the keyed node at depth 2 on its path, or -1
	depth  int32  // number of keys on its path, its own included
}

// A jsonLeaf is a scalar value, or an empty object or array.
type jsonLeaf struct {
	node int32
	kind jsonKind
	val  []byte // the unescaped string, or the literal of a number
}

type jsonKind uint8

const (
	kindString jsonKind = iota + 1
	kindNumber
	kindTrue
	kindFalse
	kindNull
	kindEmpty // {} or []
)

// Bounds on one object, on top of its size: Windows events have at most a
// few hundred fields and a dozen levels.
const (
	maxJSONDepth  = 100
	maxJSONLeaves = 1 << 15
	maxJSONNodes  = 1 << 17
)

// scanError is how the scanner bails out. incomplete means the data ended
// inside the object: with more data the scan may succeed.
type scanError struct {
	incomplete bool
	pos        int
	msg        string
}

func (e *scanError) Error() string { return e.msg }

// scan parses the object that starts at data[0] and returns the number of
// bytes it spans. atEOF says that data is all there is; it changes only the
// wording of an incomplete object's error. The leaves gathered before an
// error stay available, which Sniff uses on a truncated head.
func (s *jsonScanner) scan(data []byte, atEOF bool) (n int, err *scanError) {
	s.data, s.pos, s.atEOF = data, 0, atEOF
	s.nodes, s.leaves, s.scratch = s.nodes[:0], s.leaves[:0], s.scratch[:0]
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*scanError)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	if len(data) == 0 || data[0] != '{' {
		s.fail("expected '{'")
	}
	s.object(-1, -1, 0)
	return s.pos, nil
}

func (s *jsonScanner) fail(msg string) {
	panic(&scanError{pos: s.pos, msg: msg})
}

func (s *jsonScanner) incomplete() {
	msg := "object continues past the end of the input"
	if s.atEOF {
		msg = "truncated object at the end of the input"
	}
	panic(&scanError{incomplete: true, pos: s.pos, msg: msg})
}

// peek returns the next byte, bailing out if the data ends.
func (s *jsonScanner) peek() byte {
	if s.pos >= len(s.data) {
		s.incomplete()
	}
	return s.data[s.pos]
}

func (s *jsonScanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\n', '\t', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *jsonScanner) addNode(key []byte, parent, top int32) int32 {
	if len(s.nodes) >= maxJSONNodes {
		s.fail("more than " + strconv.Itoa(maxJSONNodes) + " keys and elements in one object")
	}
	i := int32(len(s.nodes))
	n := jsonNode{key: key, parent: parent, top: top, second: -1}
	if top < 0 {
		n.top = i
	}
	if parent >= 0 {
		p := &s.nodes[parent]
		n.depth, n.second = p.depth, p.second
	}
	if key != nil {
		n.depth++
		if n.depth == 2 {
			n.second = i
		}
	}
	s.nodes = append(s.nodes, n)
	return i
}

// keyed returns n, or its nearest ancestor with a key when n is an array
// element.
func (s *jsonScanner) keyed(n int32) int32 {
	for n >= 0 && s.nodes[n].key == nil {
		n = s.nodes[n].parent
	}
	return n
}

func (s *jsonScanner) addLeaf(node int32, kind jsonKind, val []byte) {
	if len(s.leaves) >= maxJSONLeaves {
		s.fail("more than " + strconv.Itoa(maxJSONLeaves) + " values in one object")
	}
	s.leaves = append(s.leaves, jsonLeaf{node: node, kind: kind, val: val})
}

// object parses an object at s.pos; parent and top describe the node that
// holds it (-1 for the record itself). It reports whether it had members.
func (s *jsonScanner) object(parent, top int32, depth int) bool {
	if depth >= maxJSONDepth {
		s.fail("objects nested more than " + strconv.Itoa(maxJSONDepth) + " deep")
	}
	s.pos++ // '{'
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return false
	}
	for {
		if s.peek() != '"' {
			s.fail("expected a string key")
		}
		key := s.str()
		s.ws()
		if s.peek() != ':' {
			s.fail("expected ':' after a key")
		}
		s.pos++
		s.ws()
		n := s.addNode(key, parent, top)
		t := top
		if t < 0 {
			t = n
		}
		s.value(n, t, depth+1)
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
			s.ws()
		case '}':
			s.pos++
			return true
		default:
			s.fail("expected ',' or '}' after a value")
		}
	}
}

func (s *jsonScanner) array(parent, top int32, depth int) bool {
	if depth >= maxJSONDepth {
		s.fail("arrays nested more than " + strconv.Itoa(maxJSONDepth) + " deep")
	}
	s.pos++ // '['
	s.ws()
	if s.peek() == ']' {
		s.pos++
		return false
	}
	for {
		n := s.addNode(nil, parent, top)
		s.value(n, top, depth+1)
		s.ws()
		switch s.peek() {
		case ',':
			s.pos++
			s.ws()
		case ']':
			s.pos++
			return true
		default:
			s.fail("expected ',' or ']' after a value")
		}
	}
}

func (s *jsonScanner) value(node, top int32, depth int) {
	switch c := s.peek(); c {
	case '{':
		if !s.object(node, top, depth) {
			s.addLeaf(node, kindEmpty, nil)
		}
	case '[':
		if !s.array(node, top, depth) {
			s.addLeaf(node, kindEmpty, nil)
		}
	case '"':
		s.addLeaf(node, kindString, s.str())
	case 't':
		s.literal("true")
		s.addLeaf(node, kindTrue, nil)
	case 'f':
		s.literal("false")
		s.addLeaf(node, kindFalse, nil)
	case 'n':
		s.literal("null")
		s.addLeaf(node, kindNull, nil)
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			s.addLeaf(node, kindNumber, s.number())
			return
		}
		s.fail("unexpected character " + strconv.QuoteRune(rune(c)))
	}
}

func (s *jsonScanner) literal(lit string) {
	if len(s.data)-s.pos < len(lit) {
		if string(s.data[s.pos:]) == lit[:len(s.data)-s.pos] {
			s.incomplete()
		}
		s.fail("invalid literal")
	}
	if string(s.data[s.pos:s.pos+len(lit)]) != lit {
		s.fail("invalid literal")
	}
	s.pos += len(lit)
}

// number scans a number and returns its literal text, checked against the
// JSON grammar so that what a reader renders is a number.
func (s *jsonScanner) number() []byte {
	d := s.data
	start := s.pos
	i := start
	if d[i] == '-' {
		i++
	}
	intStart := i
	for i < len(d) && '0' <= d[i] && d[i] <= '9' {
		i++
	}
	ok := i > intStart && !(d[intStart] == '0' && i-intStart > 1)
	if i < len(d) && d[i] == '.' {
		i++
		f := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		ok = ok && i > f
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		e := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		ok = ok && i > e
	}
	if i == len(d) {
		// The number may go on in data not read yet.
		s.pos = i
		s.incomplete()
	}
	if !ok {
		s.pos = start
		s.fail("invalid number")
	}
	s.pos = i
	return d[start:i]
}

// str scans a string at s.pos (on its opening quote) and returns its
// contents, unescaped. A raw line feed inside a string is an error, not
// something to read past: JSON forbids it, and in JSON lines it means the
// line was cut, so the record must end there rather than swallow the next.
func (s *jsonScanner) str() []byte {
	d := s.data
	start := s.pos + 1
	s.quote = -1
	i := s.nextSpecial(start)
	if i < len(d) && d[i] == '"' {
		s.pos = i + 1
		return d[start:i]
	}
	// Escapes (Windows paths are full of them): unescape into scratch.
	out := len(s.scratch)
	s.scratch = append(s.scratch, d[start:i]...)
	for {
		if i >= len(d) {
			s.pos = len(d)
			s.incomplete()
		}
		switch d[i] {
		case '"':
			s.pos = i + 1
			return s.scratch[out:]
		case '\n':
			s.pos = i
			s.fail("line break inside a string")
		}
		i = s.escape(i)
		j := s.nextSpecial(i)
		s.scratch = append(s.scratch, d[i:j]...)
		i = j
	}
}

// nextSpecial returns the position of the first quote, backslash or line
// feed at or after i, or len(s.data). Most strings are short: eight bytes at
// a time with word arithmetic finds their end before bytes.IndexByte would
// have set up. For long ones IndexByte's vector search wins; the position of
// the next quote is kept in s.quote so that a long string with many escapes
// is searched once.
func (s *jsonScanner) nextSpecial(i int) int {
	d := s.data
	for lim := i + 64; i+8 <= len(d) && i < lim; i += 8 {
		x := binary.LittleEndian.Uint64(d[i:])
		if m := hasByte(x, '"') | hasByte(x, '\\') | hasByte(x, '\n'); m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	if i+8 > len(d) {
		for ; i < len(d); i++ {
			if c := d[i]; c == '"' || c == '\\' || c == '\n' {
				return i
			}
		}
		return len(d)
	}
	if s.quote < i {
		if q := bytes.IndexByte(d[i:], '"'); q >= 0 {
			s.quote = i + q
		} else {
			s.quote = len(d)
		}
	}
	run := d[i:s.quote]
	if b := bytes.IndexByte(run, '\\'); b >= 0 {
		run = run[:b]
	}
	if nl := bytes.IndexByte(run, '\n'); nl >= 0 {
		run = run[:nl]
	}
	return i + len(run)
}

// hasByte returns a word whose lowest set bit is the high bit of the first
// byte of x equal to c (higher bits may be spurious), or 0 if there is none.
func hasByte(x uint64, c byte) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	y := x ^ (ones * uint64(c))
	return (y - ones) &^ y & highs
}

// escape decodes the escape sequence at d[i] (a backslash) into the scratch
// buffer and returns the position after it.
func (s *jsonScanner) escape(i int) int {
	d := s.data
	if i+1 >= len(d) {
		s.pos = len(d)
		s.incomplete()
	}
	c := d[i+1]
	switch c {
	case '"', '\\', '/':
		s.scratch = append(s.scratch, c)
	case 'b':
		s.scratch = append(s.scratch, '\b')
	case 'f':
		s.scratch = append(s.scratch, '\f')
	case 'n':
		s.scratch = append(s.scratch, '\n')
	case 'r':
		s.scratch = append(s.scratch, '\r')
	case 't':
		s.scratch = append(s.scratch, '\t')
	case 'u':
		r, ok := s.hex4(i + 2)
		i += 6
		if utf16.IsSurrogate(r) {
			// A high surrogate followed by an escaped low one is one
			// character; anything else unpaired becomes U+FFFD.
			r2 := rune(-1)
			if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
				r2, _ = s.hex4(i + 2)
			} else if i+1 >= len(d) {
				s.pos = len(d)
				s.incomplete()
			}
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				r = dec
				i += 6
			} else {
				r = utf8.RuneError
			}
		}
		if !ok {
			r = utf8.RuneError
		}
		s.scratch = utf8.AppendRune(s.scratch, r)
		return i
	default:
		s.pos = i
		s.fail("invalid escape " + strconv.Quote(string(d[i:i+2])))
	}
	return i + 2
}

// hex4 reads the four hex digits of a \u escape at d[i].
func (s *jsonScanner) hex4(i int) (rune, bool) {
	d := s.data
	if i+4 > len(d) {
		s.pos = len(d)
		s.incomplete()
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			s.pos = i
			s.fail("invalid \\u escape")
		}
	}
	return r, true
}
