package event

import (
	"strconv"
	"unicode/utf8"
)

// AppendJSON appends the event as one JSON object: its fields in order, a
// name that repeats becoming an array of its values at the place of its
// first occurrence, and its source under keys that begin with "@" (no
// Windows field name does): "@file", "@offset" or "@line", "@format".
func (e *Event) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"@file":`...)
	dst = AppendJSONString(dst, e.Source.File)
	if e.Source.Line > 0 {
		dst = append(dst, `,"@line":`...)
		dst = strconv.AppendInt(dst, int64(e.Source.Line), 10)
	} else {
		dst = append(dst, `,"@offset":`...)
		dst = strconv.AppendInt(dst, e.Source.Offset, 10)
	}
	dst = append(dst, `,"@format":`...)
	dst = AppendJSONString(dst, string(e.Source.Format))
	if len(e.Fields) > 0 {
		dst = append(dst, ',')
		dst = appendMembers(dst, e.Fields)
	}
	return append(dst, '}')
}

// AppendFieldsJSON appends fields as a JSON object, a name that repeats
// becoming an array of its values at the place of its first occurrence.
func AppendFieldsJSON(dst []byte, fields []Field) []byte {
	dst = append(dst, '{')
	dst = appendMembers(dst, fields)
	return append(dst, '}')
}

// appendMembers appends fields as the members of a JSON object.
func appendMembers(dst []byte, fields []Field) []byte {
	var g nameGroups
	g.build(fields)
	for i, f := range fields {
		if g.head[i] != int16(i) {
			continue // emitted with the first field of its name
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = AppendJSONString(dst, f.Name)
		dst = append(dst, ':')
		if g.next[i] < 0 {
			dst = AppendJSONString(dst, f.Value)
			continue
		}
		dst = append(dst, '[')
		for j := i; j >= 0; j = int(g.next[j]) {
			if j != i {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, fields[j].Value)
		}
		dst = append(dst, ']')
	}
	return dst
}

// maxGrouped is the number of fields nameGroups handles on the stack; the
// rare event with more is grouped by a plain quadratic scan.
const maxGrouped = 128

// nameGroups links the fields of an event that share a name: head[i] is the
// first field with field i's name, next[i] the following one or -1.
type nameGroups struct {
	head, next []int16
	h, n       [maxGrouped]int16
}

func (g *nameGroups) build(fields []Field) {
	n := len(fields)
	if n <= maxGrouped {
		g.head, g.next = g.h[:n], g.n[:n]
	} else {
		g.head, g.next = make([]int16, n), make([]int16, n)
	}
	const size = 256 // open-addressing table of group heads, by name hash
	var table [size]int16
	var tail [maxGrouped]int16
	tails := tail[:min(n, maxGrouped)]
	if n > maxGrouped {
		tails = make([]int16, n)
	}
	for i := range fields {
		g.next[i] = -1
		name := fields[i].Name
		if n > size/2 {
			// Too many for the table: scan.
			g.head[i] = int16(i)
			for k := 0; k < i; k++ {
				if g.head[k] == int16(k) && fields[k].Name == name {
					g.head[i] = int16(k)
					g.next[tails[k]] = int16(i)
					tails[k] = int16(i)
					break
				}
			}
			if g.head[i] == int16(i) {
				tails[i] = int16(i)
			}
			continue
		}
		h := nameHash(name) & (size - 1)
		for {
			k := table[h] - 1
			if k < 0 {
				table[h] = int16(i + 1)
				g.head[i], tails[i] = int16(i), int16(i)
				break
			}
			if fields[k].Name == name {
				g.head[i] = k
				g.next[tails[k]] = int16(i)
				tails[k] = int16(i)
				break
			}
			h = (h + 1) & (size - 1)
		}
	}
}

func nameHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}

// AppendJSONString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// control characters and the line separators that break JavaScript are
// escaped, so the output is safe to embed anywhere JSON goes.
func AppendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		// Eight bytes at a time while none needs escaping.
		for i+8 <= len(s) && !needsEscape8(uint64(s[i])|uint64(s[i+1])<<8|uint64(s[i+2])<<16|uint64(s[i+3])<<24|
			uint64(s[i+4])<<32|uint64(s[i+5])<<40|uint64(s[i+6])<<48|uint64(s[i+7])<<56) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if jsonSafe[c] {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' || hiddenRune(r) {
			// Line separators break JavaScript; C1 controls (U+009B is a
			// one-character ANSI escape) and bidirectional overrides act on
			// a terminal that shows the output: escape them all.
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', hex[r>>12&0xf], hex[r>>8&0xf], hex[r>>4&0xf], hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// needsEscape8 reports whether any of the eight bytes in x is a control
// character, a quote, a backslash or not ASCII (the word-at-a-time zero-byte
// test, applied to each condition).
func needsEscape8(x uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	less20 := (x - ones*0x20) & ^x & highs
	quote := ((x ^ ones*'"') - ones) & ^(x ^ ones*'"') & highs
	backslash := ((x ^ ones*'\\') - ones) & ^(x ^ ones*'\\') & highs
	return less20|quote|backslash|x&highs != 0
}

// jsonSafe marks the bytes AppendJSONString copies as they are: printable
// ASCII other than the quote and the backslash.
var jsonSafe = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// systemFields are the canonical System fields, in the order Windows writes
// them, with the XML element and attribute each comes from.
var systemFields = []struct{ name, elem, attr string }{
	{FieldProvider, "Provider", "Name"},
	{FieldProviderGUID, "Provider", "Guid"},
	{FieldEventSource, "Provider", "EventSourceName"},
	{FieldEventID, "EventID", ""},
	{FieldQualifiers, "EventID", "Qualifiers"},
	{FieldVersion, "Version", ""},
	{FieldLevel, "Level", ""},
	{FieldTask, "Task", ""},
	{FieldOpcode, "Opcode", ""},
	{FieldKeywords, "Keywords", ""},
	{FieldTimeCreated, "TimeCreated", "SystemTime"},
	{FieldRecordID, "EventRecordID", ""},
	{FieldActivityID, "Correlation", "ActivityID"},
	{FieldRelActivityID, "Correlation", "RelatedActivityID"},
	{FieldProcessID, "Execution", "ProcessID"},
	{FieldThreadID, "Execution", "ThreadID"},
	{FieldChannel, "Channel", ""},
	{FieldComputer, "Computer", ""},
	{FieldUserID, "Security", "UserID"},
}

// AppendXML appends the event in the layout of Windows event XML, on one
// line: the System fields as their elements and attributes, every other
// field as <Data Name="...">. It is the event as Breakwater sees it, so
// UserData structure from an EVTX record comes out flattened.
func (e *Event) AppendXML(dst []byte) []byte {
	dst = append(dst, `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>`...)
	for i := 0; i < len(systemFields); {
		elem := systemFields[i].elem
		j := i
		for j < len(systemFields) && systemFields[j].elem == elem {
			j++
		}
		text, hasText := "", false
		var attrs []int
		for k := i; k < j; k++ {
			if _, ok := e.Get(systemFields[k].name); ok {
				if systemFields[k].attr == "" {
					text, hasText = e.mustGet(systemFields[k].name), true
				} else {
					attrs = append(attrs, k)
				}
			}
		}
		if hasText || len(attrs) > 0 {
			dst = append(dst, '<')
			dst = append(dst, elem...)
			for _, k := range attrs {
				dst = append(dst, ' ')
				dst = append(dst, systemFields[k].attr...)
				dst = append(dst, '=', '"')
				dst = appendXMLEscaped(dst, e.mustGet(systemFields[k].name), true)
				dst = append(dst, '"')
			}
			if hasText {
				dst = append(dst, '>')
				dst = appendXMLEscaped(dst, text, false)
				dst = append(dst, '<', '/')
				dst = append(dst, elem...)
				dst = append(dst, '>')
			} else {
				dst = append(dst, '/', '>')
			}
		}
		i = j
	}
	dst = append(dst, `</System><EventData>`...)
	for _, f := range e.Fields {
		if isSystemField(f.Name) {
			continue
		}
		if f.Name == "Data" {
			dst = append(dst, `<Data>`...)
		} else {
			dst = append(dst, `<Data Name="`...)
			dst = appendXMLEscaped(dst, f.Name, true)
			dst = append(dst, `">`...)
		}
		dst = appendXMLEscaped(dst, f.Value, false)
		dst = append(dst, `</Data>`...)
	}
	return append(dst, `</EventData></Event>`...)
}

func (e *Event) mustGet(name string) string {
	v, _ := e.Get(name)
	return v
}

func isSystemField(name string) bool {
	for _, s := range systemFields {
		if s.name == name {
			return true
		}
	}
	return false
}

// appendXMLEscaped escapes text for XML. Control characters that XML 1.0
// cannot carry become U+FFFD: event data is attacker-controlled and the
// output must stay well formed.
func appendXMLEscaped(dst []byte, s string, attr bool) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<':
			dst = append(dst, "&lt;"...)
		case c == '>':
			dst = append(dst, "&gt;"...)
		case c == '&':
			dst = append(dst, "&amp;"...)
		case c == '"' && attr:
			dst = append(dst, "&quot;"...)
		case c == '\t' || c == '\n' || c == '\r':
			if attr {
				dst = append(dst, "&#"...)
				dst = strconv.AppendInt(dst, int64(c), 10)
				dst = append(dst, ';')
			} else {
				dst = append(dst, c)
			}
		case c < 0x20:
			dst = append(dst, "\uFFFD"...)
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				dst = append(dst, "\uFFFD"...)
			} else {
				dst = append(dst, s[i:i+size]...)
			}
			i += size
			continue
		default:
			dst = append(dst, c)
		}
		i++
	}
	return dst
}

// hiddenRune reports C1 control characters and the invisible formatting
// characters that reorder or hide text.
func hiddenRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f,
		r == 0x061c, r == 0x200e, r == 0x200f,
		r >= 0x202a && r <= 0x202e,
		r >= 0x2066 && r <= 0x2069:
		return true
	}
	return false
}
