package sigma

import (
	"encoding/binary"
	"slices"
	"unicode"
	"unicode/utf8"
	"unsafe"
)

// Case-insensitive matching in this package compares lower-cased strings:
// both the rule's values (once, when compiling) and the event's values (once
// per event) are mapped rune by rune with unicode.ToLower. Mapping rune by
// rune, without context, keeps a property the literal prefilters rely on: if
// a string contains a substring, its lower-cased form contains the substring
// lower-cased. Bytes that are not valid UTF-8 are kept as they are, on both
// sides, so encoded values (utf16le, base64) stay comparable.

// Eight ASCII bytes at a time (SWAR): with every byte below 0x80, adding
// 0x3f sets a byte's top bit when it is 'A' or more, adding 0x25 when it is
// more than 'Z', and no addition carries into the next byte.
const (
	swarHigh  = 0x8080808080808080
	swarGeA   = 0x3f3f3f3f3f3f3f3f
	swarGtZ   = 0x2525252525252525
	swarLower = 0x20 // the bit an upper-case ASCII letter lacks
)

// swarUpper returns the top bit of each byte of x (all ASCII) that is an
// upper-case letter.
func swarUpper(x uint64) uint64 { return ((x + swarGeA) &^ (x + swarGtZ)) & swarHigh }

// needsFold reports whether lower-casing s would change it.
func needsFold(s string) bool {
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&swarHigh != 0 {
			return needsFoldUnicode(s[i:])
		}
		if swarUpper(x) != 0 {
			return true
		}
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= utf8.RuneSelf {
			return needsFoldUnicode(s[i:])
		}
		if 'A' <= c && c <= 'Z' {
			return true
		}
	}
	return false
}

func needsFoldUnicode(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r != utf8.RuneError || n > 1 {
			if unicode.ToLower(r) != r {
				return true
			}
		}
		i += n
	}
	return false
}

// appendFold appends the lower-cased form of s to dst.
func appendFold(dst []byte, s string) []byte {
	// ASCII, the usual case, 8 bytes at a time into room made once.
	n := len(dst)
	dst = slices.Grow(dst, len(s))[:n+len(s)]
	out := dst[n:]
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if x&swarHigh != 0 {
			return appendFoldUnicode(dst[:n+i], s[i:])
		}
		binary.LittleEndian.PutUint64(out[i:], x|swarUpper(x)>>2)
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c >= utf8.RuneSelf {
			return appendFoldUnicode(dst[:n+i], s[i:])
		}
		out[i] = lowerASCII[c]
	}
	return dst
}

// lowerASCII maps each ASCII byte to its lower case.
var lowerASCII = func() (t [utf8.RuneSelf]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] += 'a' - 'A'
		}
	}
	return t
}()

// appendFoldUnicode appends the lower-cased form of s, rune by rune.
func appendFoldUnicode(dst []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			dst = append(dst, lowerASCII[c])
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			dst = append(dst, c) // invalid byte: keep it
			i++
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToLower(r))
		i += n
	}
	return dst
}

// fold returns s lower-cased. It allocates only when s changes; it is for
// compile time, the Matcher folds into its own buffer.
func fold(s string) string {
	if !needsFold(s) {
		return s
	}
	return string(appendFold(make([]byte, 0, len(s)), s))
}

// foldSafe reports whether every rune that a case-insensitive regular
// expression would treat as equal to r lower-cases to the same rune as r.
// A literal of such runes, lower-cased, is sure to appear in the lower-cased
// text wherever the expression matches; a rune like 's' (which (?i) also
// matches as U+017F, whose lower case is itself) is not.
func foldSafe(r rune) bool {
	want := unicode.ToLower(r)
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if unicode.ToLower(f) != want {
			return false
		}
	}
	return true
}
