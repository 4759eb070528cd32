package zeek

import (
	"bytes"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// The canonical time layout, shared with the rest of Breakwater.
const timeLayout = "2006-01-02T15:04:05.0000000Z"

// Bounds of the times that render in timeLayout (years 1 to 9999), in Unix
// seconds. A hostile "1e300" in a time field is kept as text, not turned
// into a time that cannot be printed.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// appendTime renders t in timeLayout. It is written out by hand because it
// runs for every record and time.AppendFormat interprets the layout each
// time.
func appendTime(dst []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendDigits(dst, y, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, d, 2)
	dst = append(dst, 'T')
	dst = appendDigits(dst, h, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, s, 2)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/100, 7)
	return append(dst, 'Z')
}

// appendDigits appends the n low decimal digits of v, zero-padded.
func appendDigits(dst []byte, v, n int) []byte {
	var b [9]byte
	for i := n - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:n]...)
}

// parseEpoch reads Unix seconds with an optional fraction ("1521911720.865716")
// exactly, without going through a float64, which would lose the last
// microsecond digits of a current date.
func parseEpoch(b []byte) (time.Time, bool) {
	neg := false
	i := 0
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i++
	}
	var sec int64
	start := i
	for ; i < len(b) && isDigit(b[i]); i++ {
		if i-start >= 13 { // beyond year 9999 either way
			return time.Time{}, false
		}
		sec = sec*10 + int64(b[i]-'0')
	}
	digits := i - start
	var ns int64
	if i < len(b) && b[i] == '.' {
		i++
		scale := int64(100000000)
		fstart := i
		for ; i < len(b) && isDigit(b[i]); i++ {
			ns += int64(b[i]-'0') * scale
			scale /= 10
		}
		digits += i - fstart
	}
	if i != len(b) || digits == 0 {
		return parseEpochFloat(b)
	}
	if neg {
		sec, ns = -sec, -ns
	}
	if sec < minUnix || sec > maxUnix {
		return time.Time{}, false
	}
	return time.Unix(sec, ns).UTC(), true
}

// parseEpochFloat reads Unix seconds written in a form parseEpoch does not
// take, such as an exponent.
func parseEpochFloat(b []byte) (time.Time, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || f < minUnix || f > maxUnix {
		return time.Time{}, false
	}
	// Zeek keeps times to the microsecond: the digits a float carries
	// beyond that are rounding noise, which its JSON writer drops too.
	sec := math.Floor(f)
	return time.Unix(int64(sec), int64(math.Round((f-sec)*1e6))*1000).UTC(), true
}

// looksISO reports whether b starts like an ISO 8601 date and time
// ("2018-03-24T17:15:20" or with a space for the T). It guards the
// inference of time fields in JSON, so it is strict.
func looksISO(b []byte) bool {
	if len(b) < 19 || len(b) > 40 {
		return false
	}
	for i, c := range b[:19] {
		switch i {
		case 4, 7:
			if c != '-' {
				return false
			}
		case 10:
			if c != 'T' && c != ' ' {
				return false
			}
		case 13, 16:
			if c != ':' {
				return false
			}
		default:
			if !isDigit(c) {
				return false
			}
		}
	}
	return true
}

// parseISO reads an ISO 8601 date and time. A time without a zone is taken
// as UTC, which is what Zeek and its shippers mean by it.
func parseISO(b []byte) (time.Time, bool) {
	if !looksISO(b) {
		return time.Time{}, false
	}
	if t, ok := parseISOFast(b); ok {
		return t, true
	}
	s := string(b)
	for _, layout := range [...]string{
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02T15:04:05.999999999Z0700",
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}, false
			}
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// parseISOFast reads the common UTC form "2006-01-02T15:04:05.999999Z",
// which looksISO has already checked up to the seconds.
func parseISOFast(b []byte) (time.Time, bool) {
	if b[len(b)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(lo, hi int) int {
		n := 0
		for _, c := range b[lo:hi] {
			n = n*10 + int(c-'0')
		}
		return n
	}
	y, mo, d := num(0, 4), num(5, 7), num(8, 10)
	h, mi, s := num(11, 13), num(14, 16), num(17, 19)
	ns := 0
	rest := b[19 : len(b)-1]
	if len(rest) > 0 {
		if rest[0] != '.' || len(rest) == 1 {
			return time.Time{}, false
		}
		scale := 100000000
		for _, c := range rest[1:] {
			if !isDigit(c) {
				return time.Time{}, false
			}
			ns += int(c-'0') * scale
			scale /= 10
		}
	}
	if y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60 {
		return time.Time{}, false
	}
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC), true
}

// parseCanonTime reads a time rendered by appendTime.
func parseCanonTime(s string) (time.Time, bool) {
	if t, ok := parseISO([]byte(s)); ok {
		return t, true
	}
	return time.Time{}, false
}

// parseSeconds reads a decimal number of seconds ("3.000158") exactly.
func parseSeconds(s string) (time.Duration, bool) {
	neg := false
	i := 0
	if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		i++
	}
	var sec, ns int64
	start := i
	for ; i < len(s) && isDigit(s[i]); i++ {
		if i-start >= 10 {
			return 0, false
		}
		sec = sec*10 + int64(s[i]-'0')
	}
	if sec > math.MaxInt64/int64(time.Second)-1 { // about 292 years: no Duration holds more
		return 0, false
	}
	digits := i - start
	if i < len(s) && s[i] == '.' {
		i++
		scale := int64(100000000)
		fstart := i
		for ; i < len(s) && isDigit(s[i]); i++ {
			ns += int64(s[i]-'0') * scale
			scale /= 10
		}
		digits += i - fstart
	}
	if i != len(s) || digits == 0 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.Abs(f) > 9e9 {
			return 0, false
		}
		return time.Duration(math.Round(f * 1e9)), true
	}
	d := time.Duration(sec)*time.Second + time.Duration(ns)
	if neg {
		d = -d
	}
	return d, true
}

// appendFloat6 renders a double or interval with six fraction digits. Text
// already in that form (all of Zeek's TSV) is copied as it is; text that is
// not a number is kept, so no input is lost.
func appendFloat6(dst, b []byte) []byte {
	if isFixed6(b) {
		return append(dst, b...)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return appendText(dst, b)
	}
	return strconv.AppendFloat(dst, f, 'f', 6, 64)
}

// isFixed6 reports whether b is a decimal with exactly six fraction digits.
func isFixed6(b []byte) bool {
	i := 0
	if len(b) > 0 && b[0] == '-' {
		i++
	}
	start := i
	for i < len(b) && isDigit(b[i]) {
		i++
	}
	if i == start || len(b)-i != 7 || b[i] != '.' {
		return false
	}
	for _, c := range b[i+1:] {
		if !isDigit(c) {
			return false
		}
	}
	return true
}

// appendPort renders a port as its number: old Bro logs and some shippers
// write "80/tcp".
func appendPort(dst, b []byte) []byte {
	if i := bytes.IndexByte(b, '/'); i > 0 && allDigits(b[:i]) {
		return append(dst, b[:i]...)
	}
	return appendText(dst, b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) {
			return false
		}
	}
	return len(b) > 0
}

// unescapeTSV appends b with the escapes of Zeek's ASCII writer undone:
// "\xHH" is the byte HH (separators, non-printable bytes, and a value that
// would read as a marker) and "\\" is a backslash. A backslash in any other
// position is kept, so malformed escapes lose nothing.
func unescapeTSV(dst, b []byte) []byte {
	for {
		i := bytes.IndexByte(b, '\\')
		if i < 0 {
			return append(dst, b...)
		}
		dst = append(dst, b[:i]...)
		b = b[i:]
		switch {
		case len(b) >= 4 && b[1] == 'x' && isHex(b[2]) && isHex(b[3]):
			dst = append(dst, unhex(b[2])<<4|unhex(b[3]))
			b = b[4:]
		case len(b) >= 2 && b[1] == '\\':
			dst = append(dst, '\\')
			b = b[2:]
		default:
			dst = append(dst, '\\')
			b = b[1:]
		}
	}
}

// appendText appends a TSV text value in canonical form: the escapes of
// Zeek's ASCII writer undone, then the bytes that Zeek's JSON writer would
// show as "\xHH" text shown so (see canonText). Most values need neither,
// and are copied in one pass.
func appendText(dst, raw []byte) []byte {
	plain := true
	for _, c := range raw {
		if c == '\\' || c < 0x20 || c >= 0x7f {
			plain = false
			break
		}
	}
	if plain {
		return append(dst, raw...)
	}
	st := len(dst)
	return canonText(unescapeTSV(dst, raw), st)
}

// canonText rewrites b[st:] in the canonical text form, which is how Zeek's
// JSON writer renders a string: valid UTF-8 and the controls tab, newline,
// carriage return, backspace and form feed as they are; any other control
// byte, DEL, and every byte that is not part of valid UTF-8 as the four
// characters "\xHH" (lower-case hex). The TSV and JSON copies of a log
// then give the same values, and no raw control byte from the input ever
// reaches a value.
func canonText(b []byte, st int) []byte {
	i := st
	for i < len(b) {
		c := b[i]
		if c >= 0x20 && c < 0x7f {
			i++
			continue
		}
		if c >= 0x80 {
			if r, n := utf8.DecodeRune(b[i:]); r != utf8.RuneError || n > 1 {
				i += n
				continue
			}
		} else if keptControl(c) {
			i++
			continue
		}
		break
	}
	if i == len(b) {
		return b
	}
	tail := append([]byte(nil), b[i:]...)
	b = b[:i]
	for j := 0; j < len(tail); {
		c := tail[j]
		switch {
		case c >= 0x20 && c < 0x7f, c < 0x20 && keptControl(c):
			b = append(b, c)
			j++
		case c >= 0x80:
			if r, n := utf8.DecodeRune(tail[j:]); r != utf8.RuneError || n > 1 {
				b = append(b, tail[j:j+n]...)
				j += n
				continue
			}
			fallthrough
		default:
			b = append(b, '\\', 'x', hexDigits[c>>4], hexDigits[c&15])
			j++
		}
	}
	return b
}

const hexDigits = "0123456789abcdef"

// keptControl reports whether a control byte stays as it is in canonical
// text (see canonText).
func keptControl(c byte) bool {
	switch c {
	case '\t', '\n', '\r', '\b', '\f':
		return true
	}
	return false
}

func isHex(c byte) bool {
	return isDigit(c) || (c|0x20) >= 'a' && (c|0x20) <= 'f'
}

func unhex(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}
