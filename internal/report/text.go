package report

import (
	"strings"
	"unicode/utf8"
)

// Attacker-controlled text (command lines, user and host names, file paths)
// reaches every output. visible makes it inert for terminals and
// spreadsheets, and unambiguous on a page: what a terminal or editor would
// act on, hide or reorder becomes a visible escape a person can read:
//   - C0 controls, DEL and C1 controls (ESC starts ANSI sequences, CR
//     overwrites a line, NUL truncates in C tools): \n \r \t \x1b ...
//   - invalid UTF-8 bytes: \xff
//   - line and paragraph separators (U+2028, U+2029), which start a new line
//     in some viewers: \u2028
//   - bidirectional formatting characters, which reorder what is shown
//     (the "Trojan Source" trick): \u202e
//
// A backslash in the data stays as it is: Windows paths are full of them, and
// doubling each would make every command line harder to read than the rare
// ambiguity is worth.
func visible(s string) string {
	i := 0
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || hidden(r) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			b.WriteByte(c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				writeHexByte(&b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			writeHexByte(&b, c)
		case hidden(r):
			const hex = "0123456789abcdef"
			if r < 0x100 {
				writeHexByte(&b, byte(r)) // C1 control
			} else {
				b.WriteString(`\u`)
				b.WriteByte(hex[r>>12&0xf])
				b.WriteByte(hex[r>>8&0xf])
				b.WriteByte(hex[r>>4&0xf])
				b.WriteByte(hex[r&0xf])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func writeHexByte(b *strings.Builder, c byte) {
	const hex = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&0xf])
}

// hidden reports whether r is a non-ASCII character that a display acts on
// instead of showing: C1 controls, line separators, bidirectional controls,
// and the byte-order mark.
func hidden(r rune) bool {
	switch {
	case r >= 0x80 && r < 0xa0:
		return true
	case r == 0x2028, r == 0x2029:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f:
		return true
	case r >= 0x202a && r <= 0x202e:
		return true
	case r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0xfeff:
		return true
	}
	return false
}

// oneLine is visible text shortened to at most width characters, the cut
// marked with an ellipsis; runs of spaces fold to one, so that indented
// scripts read on one line.
func oneLine(s string, width int) string {
	s = visible(s)
	if strings.Contains(s, "  ") {
		s = strings.Join(strings.Fields(s), " ")
	}
	return truncate(s, width)
}

// truncate shortens s to at most width characters, ending with "…" when it
// cuts. It counts runes: close enough to terminal columns for the text of
// Windows logs, and never splits a character.
func truncate(s string, width int) string {
	if width <= 0 {
		return ""
	}
	if len(s) <= width {
		return s
	}
	n := 0
	for i := range s {
		if n == width-1 {
			if utf8.RuneCountInString(s[i:]) <= 1 {
				return s
			}
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// padRight pads s with spaces to width characters.
func padRight(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s
	}
	return s + strings.Repeat(" ", width-n)
}
