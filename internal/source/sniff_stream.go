package source

import (
	"bytes"
	"errors"
	"io"
	"unicode/utf16"
	"unicode/utf8"
)

// Limits that keep a hostile or broken export from exhausting memory: a
// record (one JSON object, one <Event> element) may be at most maxRecord
// bytes; a larger one is reported as damaged and skipped.
const (
	initialBuffer = 64 << 10
	maxRecord     = 16 << 20
)

// textStream is a sliding window over a decompressed text export. Decoders
// parse records straight out of the window; when a record runs past its end
// they ask for more and parse it again from its start, so a record is never
// copied and the window only grows as far as the largest record needs.
//
// It also settles the text encoding: a UTF-8 byte-order mark is skipped, and
// UTF-16 (with a byte-order mark, or recognised by its zero bytes, which is
// what Windows PowerShell 5 and Event Viewer write) is transcoded to UTF-8 as
// it is read. Offsets then count bytes of the UTF-8 text.
type textStream struct {
	r    io.Reader
	buf  []byte
	pos  int   // first unconsumed byte of buf
	end  int   // end of the bytes read into buf
	base int64 // stream offset of buf[0]
	line int   // 1-based line number of buf[pos]
	eof  bool  // r is exhausted: buf[pos:end] is all that is left
	err  error // a read error other than io.EOF, fatal for the stream
}

func newTextStream(r io.Reader) *textStream {
	s := &textStream{r: r, buf: make([]byte, initialBuffer), line: 1}
	// Look at the first bytes to settle the encoding.
	for s.end < 4 && s.more() {
	}
	enc, bom := detectEncoding(s.buf[:s.end])
	switch enc {
	case encUTF16LE, encUTF16BE:
		head := append([]byte(nil), s.buf[bom:s.end]...)
		var rest io.Reader = eofReader{}
		if !s.eof {
			rest = r
		}
		s.r = &utf16Reader{r: io.MultiReader(bytes.NewReader(head), rest), bigEndian: enc == encUTF16BE}
		s.pos, s.end, s.eof = 0, 0, false
		if s.err == nil {
			for s.end < 4 && s.more() {
			}
		}
	default:
		s.pos = bom
		s.base = 0
	}
	return s
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// window returns the unconsumed bytes read so far.
func (s *textStream) window() []byte { return s.buf[s.pos:s.end] }

// offset returns the stream offset of the first unconsumed byte.
func (s *textStream) offset() int64 { return s.base + int64(s.pos) }

// advance consumes n bytes of the window, counting the lines they end.
func (s *textStream) advance(n int) {
	s.line += bytes.Count(s.buf[s.pos:s.pos+n], newline)
	s.pos += n
}

var newline = []byte{'\n'}

// more reads more bytes into the window and reports whether it got any. It
// returns false at the end of the stream (eof is then set), on a read error
// (err is set), and when the window is full.
func (s *textStream) more() bool {
	if s.eof || s.err != nil {
		return false
	}
	if s.pos > 0 && (s.end == len(s.buf) || s.pos >= len(s.buf)/2) {
		// Move the window to the front; give back a buffer that one huge
		// record grew once it is no longer needed.
		n := s.end - s.pos
		if len(s.buf) > 4*initialBuffer && n < initialBuffer {
			nb := make([]byte, initialBuffer)
			copy(nb, s.buf[s.pos:s.end])
			s.buf = nb
		} else {
			copy(s.buf, s.buf[s.pos:s.end])
		}
		s.base += int64(s.pos)
		s.pos, s.end = 0, n
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxRecord {
			return false
		}
		nb := make([]byte, min(2*len(s.buf), maxRecord))
		copy(nb, s.buf[s.pos:s.end])
		s.base += int64(s.pos)
		s.pos, s.end = 0, s.end-s.pos
		s.buf = nb
	}
	// A reader may return no bytes and no error; a few retries tell a slow
	// reader from a broken one.
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
			return n > 0
		case err != nil:
			s.err = err
			return n > 0
		case n > 0:
			return true
		}
	}
	s.err = io.ErrNoProgress
	return false
}

// ensure reads until the window holds at least n bytes, or the stream ends.
func (s *textStream) ensure(n int) {
	for s.end-s.pos < n && s.more() {
	}
}

// skipSpace consumes white space and returns the next byte, reading as
// needed; ok is false at the end of the stream or on a read error.
func (s *textStream) skipSpace() (c byte, ok bool) {
	for {
		w := s.window()
		i := 0
		for i < len(w) && isJSONSpace(w[i]) {
			i++
		}
		s.advance(i)
		if i < len(w) {
			return w[i], true
		}
		if !s.more() {
			return 0, false
		}
	}
}

// skipLine consumes the rest of the current line, including its newline.
// It reports false when the stream ended first.
func (s *textStream) skipLine() bool {
	for {
		w := s.window()
		if i := bytes.IndexByte(w, '\n'); i >= 0 {
			s.advance(i + 1)
			return true
		}
		s.advance(len(w))
		if !s.more() {
			return false
		}
	}
}

// firstOnLine returns the first byte of the current line after blanks (the
// stream must be at the start of a line), consuming only those blanks.
func (s *textStream) firstOnLine() (c byte, ok bool) {
	for {
		w := s.window()
		i := 0
		for i < len(w) && (w[i] == ' ' || w[i] == '\t' || w[i] == '\r') {
			i++
		}
		s.advance(i)
		if i < len(w) {
			return w[i], true
		}
		if !s.more() {
			return 0, false
		}
	}
}

type textEncoding int

const (
	encUTF8 textEncoding = iota
	encUTF16LE
	encUTF16BE
)

// detectEncoding tells the encoding of a text from its first bytes and the
// length of its byte-order mark.
func detectEncoding(b []byte) (textEncoding, int) {
	switch {
	case len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF:
		return encUTF8, 3
	case len(b) >= 2 && b[0] == 0xFF && b[1] == 0xFE:
		return encUTF16LE, 2
	case len(b) >= 2 && b[0] == 0xFE && b[1] == 0xFF:
		return encUTF16BE, 2
	case len(b) >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0:
		// ASCII text such as "<E" or "{\"" in UTF-16 without a mark.
		return encUTF16LE, 0
	case len(b) >= 4 && b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0:
		return encUTF16BE, 0
	}
	return encUTF8, 0
}

// utf16Reader transcodes UTF-16 to UTF-8. Unpaired surrogates and a final odd
// byte become U+FFFD, as they do when Windows renders such strings.
type utf16Reader struct {
	r         io.Reader
	bigEndian bool
	in        [32 << 10]byte
	inN       int    // undecoded bytes at the start of in (0 or 1)
	hi        uint16 // a high surrogate waiting for its low half, or 0
	out       []byte
	outPos    int
	err       error
}

func (u *utf16Reader) Read(p []byte) (int, error) {
	for u.outPos == len(u.out) {
		if u.err != nil {
			return 0, u.err
		}
		u.out, u.outPos = u.out[:0], 0
		n, err := u.r.Read(u.in[u.inN:])
		n += u.inN
		i := 0
		for ; i+1 < n; i += 2 {
			var c uint16
			if u.bigEndian {
				c = uint16(u.in[i])<<8 | uint16(u.in[i+1])
			} else {
				c = uint16(u.in[i]) | uint16(u.in[i+1])<<8
			}
			u.out = u.appendUnit(u.out, c)
		}
		u.inN = copy(u.in[:], u.in[i:n])
		if err != nil {
			if u.hi != 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.hi = 0
			}
			if u.inN > 0 {
				u.out = utf8.AppendRune(u.out, utf8.RuneError)
				u.inN = 0
			}
			u.err = err
		}
	}
	n := copy(p, u.out[u.outPos:])
	u.outPos += n
	return n, nil
}

func (u *utf16Reader) appendUnit(out []byte, c uint16) []byte {
	switch {
	case u.hi != 0 && 0xDC00 <= c && c <= 0xDFFF:
		r := utf16.DecodeRune(rune(u.hi), rune(c))
		u.hi = 0
		return utf8.AppendRune(out, r)
	case u.hi != 0:
		out = utf8.AppendRune(out, utf8.RuneError)
		u.hi = 0
	}
	switch {
	case 0xD800 <= c && c <= 0xDBFF:
		u.hi = c
		return out
	case 0xDC00 <= c && c <= 0xDFFF:
		return utf8.AppendRune(out, utf8.RuneError)
	}
	return utf8.AppendRune(out, rune(c))
}

// decodeUTF16 transcodes a UTF-16 head (without its byte-order mark) for
// sniffing; a trailing odd byte is dropped.
func decodeUTF16(b []byte, bigEndian bool) []byte {
	u := utf16Reader{bigEndian: bigEndian}
	out := make([]byte, 0, len(b))
	for i := 0; i+1 < len(b); i += 2 {
		var c uint16
		if bigEndian {
			c = uint16(b[i])<<8 | uint16(b[i+1])
		} else {
			c = uint16(b[i]) | uint16(b[i+1])<<8
		}
		out = u.appendUnit(out, c)
	}
	return out
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }
