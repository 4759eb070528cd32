package sigma

import (
	"strconv"
	"time"
)

// number is a numeric value read from a rule or an event: an integer when it
// was written as one (decimal or 0x hexadecimal), a float otherwise.
type number struct {
	i     int64
	f     float64
	isInt bool
}

// parseNumber reads a decimal integer, a 0x hexadecimal integer (as Windows
// renders many fields) or a decimal fraction. It does not allocate, even
// for text that is not a number, because it runs on event values.
func parseNumber(s string) (number, bool) {
	if s == "" {
		return number{}, false
	}
	neg := false
	t := s
	if t[0] == '-' || t[0] == '+' {
		neg = t[0] == '-'
		t = t[1:]
	}
	if len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') {
		var u uint64
		if len(t)-2 > 16 {
			return number{}, false
		}
		for i := 2; i < len(t); i++ {
			c := t[i]
			var d byte
			switch {
			case '0' <= c && c <= '9':
				d = c - '0'
			case 'a' <= c && c <= 'f':
				d = c - 'a' + 10
			case 'A' <= c && c <= 'F':
				d = c - 'A' + 10
			default:
				return number{}, false
			}
			u = u<<4 | uint64(d)
		}
		n := number{i: int64(u), f: float64(u), isInt: true}
		if neg {
			n.i, n.f = -n.i, -n.f
		}
		return n, true
	}
	if len(t) == 0 {
		return number{}, false
	}
	digits, dot, exp := 0, false, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case '0' <= c && c <= '9':
			digits++
		case c == '.' && !dot && !exp:
			dot = true
		case (c == 'e' || c == 'E') && !exp && digits > 0:
			exp = true
			if i+1 < len(t) && (t[i+1] == '-' || t[i+1] == '+') {
				i++
			}
			if i+1 >= len(t) {
				return number{}, false
			}
		default:
			return number{}, false
		}
	}
	if digits == 0 {
		return number{}, false
	}
	if !dot && !exp && len(t) <= 18 {
		var v int64
		for i := 0; i < len(t); i++ {
			v = v*10 + int64(t[i]-'0')
		}
		if neg {
			v = -v
		}
		return number{i: v, f: float64(v), isInt: true}, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return number{}, false
	}
	return number{f: f}, true
}

// compareNumbers returns -1, 0 or +1 as a is less than, equal to or greater
// than b.
func compareNumbers(a, b number) int {
	if a.isInt && b.isInt {
		switch {
		case a.i < b.i:
			return -1
		case a.i > b.i:
			return 1
		}
		return 0
	}
	switch {
	case a.f < b.f:
		return -1
	case a.f > b.f:
		return 1
	}
	return 0
}

// cmpOp is the comparison of lt, lte, gt, gte, or equality.
type cmpOp uint8

const (
	cmpEq cmpOp = iota
	cmpLt
	cmpLte
	cmpGt
	cmpGte
)

func (op cmpOp) holds(c int) bool {
	switch op {
	case cmpLt:
		return c < 0
	case cmpLte:
		return c <= 0
	case cmpGt:
		return c > 0
	case cmpGte:
		return c >= 0
	}
	return c == 0
}

var cmpNames = map[string]cmpOp{"lt": cmpLt, "lte": cmpLte, "gt": cmpGt, "gte": cmpGte}

// timePart is the part of a timestamp a time modifier extracts.
type timePart uint8

const (
	partMinute timePart = iota + 1
	partHour
	partDay
	partWeek
	partMonth
	partYear
)

var timePartNames = map[string]timePart{
	"minute": partMinute, "hour": partHour, "day": partDay, "week": partWeek, "month": partMonth, "year": partYear,
}

// timePartOf extracts a part of a timestamp written as
// YYYY-MM-DD[(T| )hh:mm[:ss[.fraction]]][zone], as Windows and Sysmon write
// them. The wall-clock values are taken as written: the specification says
// the modifiers convert no time zones. Week is the ISO 8601 week number.
func timePartOf(s string, part timePart) (int, bool) {
	if len(s) < 10 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	year, ok1 := atoiFixed(s[0:4])
	month, ok2 := atoiFixed(s[5:7])
	day, ok3 := atoiFixed(s[8:10])
	if !ok1 || !ok2 || !ok3 || month < 1 || month > 12 || day < 1 || day > 31 {
		return 0, false
	}
	switch part {
	case partYear:
		return year, true
	case partMonth:
		return month, true
	case partDay:
		return day, true
	case partWeek:
		_, w := time.Date(year, time.Month(month), day, 12, 0, 0, 0, time.UTC).ISOWeek()
		return w, true
	}
	if len(s) < 16 || (s[10] != 'T' && s[10] != ' ' && s[10] != 't') || s[13] != ':' {
		return 0, false
	}
	hour, ok1 := atoiFixed(s[11:13])
	minute, ok2 := atoiFixed(s[14:16])
	if !ok1 || !ok2 || hour > 23 || minute > 59 {
		return 0, false
	}
	if part == partHour {
		return hour, true
	}
	return minute, true
}

func atoiFixed(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
