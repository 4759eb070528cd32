package sigma

import (
	"strings"
	"unicode/utf8"
)

// partKind is the kind of one piece of a Sigma string value.
type partKind uint8

const (
	partLit  partKind = iota // literal text
	partStar                 // * : any run of characters
	partOne                  // ? : exactly one character
	partDash                 // one of the five dash characters (windash)
	partPH                   // %name% placeholder (expand)
)

type part struct {
	kind partKind
	text string // literal text, or the placeholder name
}

// sstring is a Sigma string value: literal text with wildcards, as the
// specification's escaping rules define it.
type sstring []part

// parseSString parses a string value. A backslash escapes *, ? and itself;
// before any other character, and at the end, it is a literal backslash.
// With placeholders, %name% is a placeholder and \% a literal percent sign.
func parseSString(s string, placeholders bool) sstring {
	var out sstring
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, part{kind: partLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 < len(s) {
				switch n := s[i+1]; {
				case n == '*' || n == '?' || n == '\\':
					lit.WriteByte(n)
					i++
					continue
				case n == '%' && placeholders:
					lit.WriteByte('%')
					i++
					continue
				}
			}
			lit.WriteByte('\\')
		case c == '*':
			flush()
			out = append(out, part{kind: partStar})
		case c == '?':
			flush()
			out = append(out, part{kind: partOne})
		case c == '%' && placeholders:
			end := strings.IndexByte(s[i+1:], '%')
			if end <= 0 {
				lit.WriteByte('%')
				continue
			}
			flush()
			out = append(out, part{kind: partPH, text: s[i+1 : i+1+end]})
			i += end + 1
		default:
			lit.WriteByte(c)
		}
	}
	flush()
	return out.normalize()
}

// normalize merges adjacent literals and adjacent stars.
func (s sstring) normalize() sstring {
	out := s[:0:0]
	for _, p := range s {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if p.kind == partLit && last.kind == partLit {
				last.text += p.text
				continue
			}
			if p.kind == partStar && last.kind == partStar {
				continue
			}
		}
		if p.kind == partLit && p.text == "" {
			continue
		}
		out = append(out, p)
	}
	return out
}

// plain reports whether the string has only literal parts, and returns
// their text.
func (s sstring) plain() (string, bool) {
	var b strings.Builder
	for _, p := range s {
		if p.kind != partLit {
			return "", false
		}
		b.WriteString(p.text)
	}
	return b.String(), true
}

func (s sstring) has(k partKind) bool {
	for _, p := range s {
		if p.kind == k {
			return true
		}
	}
	return false
}

// String renders the value back in Sigma syntax, escaping as needed.
func (s sstring) String() string {
	var b strings.Builder
	for _, p := range s {
		switch p.kind {
		case partLit:
			for i := 0; i < len(p.text); i++ {
				c := p.text[i]
				if c == '*' || c == '?' {
					b.WriteByte('\\')
				} else if c == '\\' && (i+1 == len(p.text) || p.text[i+1] == '*' || p.text[i+1] == '?' || p.text[i+1] == '\\') {
					b.WriteByte('\\')
				}
				b.WriteByte(c)
			}
		case partStar:
			b.WriteByte('*')
		case partOne:
			b.WriteByte('?')
		case partDash:
			b.WriteString("[-/–—―]")
		case partPH:
			b.WriteString("%" + p.text + "%")
		}
	}
	return b.String()
}

// Dash characters the windash modifier makes interchangeable.
var windashRunes = []rune{'-', '/', '–', '—', '―'}

func isDash(r rune) bool {
	for _, d := range windashRunes {
		if r == d {
			return true
		}
	}
	return false
}

// withWindash replaces every dash character of the literal parts by a dash
// class that matches any of the five.
func (s sstring) withWindash() sstring {
	var out sstring
	for _, p := range s {
		if p.kind != partLit {
			out = append(out, p)
			continue
		}
		start := 0
		for i, r := range p.text {
			if isDash(r) {
				if i > start {
					out = append(out, part{kind: partLit, text: p.text[start:i]})
				}
				out = append(out, part{kind: partDash})
				start = i + utf8.RuneLen(r)
			}
		}
		if start < len(p.text) {
			out = append(out, part{kind: partLit, text: p.text[start:]})
		}
	}
	return out
}

// expandDashes turns dash classes into every concrete permutation, for the
// modifiers that must see concrete text (encodings). It gives up beyond
// limit results.
func (s sstring) expandDashes(limit int) ([]sstring, bool) {
	out := []sstring{nil}
	for _, p := range s {
		if p.kind != partDash {
			for i := range out {
				out[i] = append(out[i], p)
			}
			continue
		}
		if len(out)*len(windashRunes) > limit {
			return nil, false
		}
		next := make([]sstring, 0, len(out)*len(windashRunes))
		for _, o := range out {
			for _, d := range windashRunes {
				c := append(append(sstring(nil), o...), part{kind: partLit, text: string(d)})
				next = append(next, c)
			}
		}
		out = next
	}
	for i := range out {
		out[i] = out[i].normalize()
	}
	return out, true
}

// glob is a compiled wildcard pattern, matched against a whole value. It is
// a sequence of segments separated by stars; a segment is a sequence of
// literal runs, single-character wildcards and dash classes.
type glob struct {
	segs     []segment
	anchorL  bool // no star before the first segment
	anchorR  bool // no star after the last segment
	minBytes int
}

type segment []part // parts of kind partLit, partOne, partDash

func compileGlob(s sstring) *glob {
	g := &glob{anchorL: true, anchorR: true}
	var cur segment
	for i, p := range s {
		if p.kind == partStar {
			if i == 0 {
				g.anchorL = false
			}
			g.segs = append(g.segs, cur)
			cur = nil
			continue
		}
		cur = append(cur, p)
		if p.kind == partLit {
			g.minBytes += len(p.text)
		} else {
			g.minBytes++
		}
	}
	g.segs = append(g.segs, cur)
	if len(s) > 0 && s[len(s)-1].kind == partStar {
		g.anchorR = false
	}
	return g
}

// matchAt reports whether the segment matches v at offset i, and where the
// match ends.
func (seg segment) matchAt(v string, i int) (int, bool) {
	for _, p := range seg {
		switch p.kind {
		case partLit:
			if !strings.HasPrefix(v[i:], p.text) {
				return 0, false
			}
			i += len(p.text)
		case partOne:
			if i >= len(v) {
				return 0, false
			}
			_, n := utf8.DecodeRuneInString(v[i:])
			i += n
		case partDash:
			if i >= len(v) {
				return 0, false
			}
			r, n := utf8.DecodeRuneInString(v[i:])
			if !isDash(r) {
				return 0, false
			}
			i += n
		}
	}
	return i, true
}

// find returns the leftmost match of the segment in v at or after i.
func (seg segment) find(v string, i int) (start, end int, ok bool) {
	if len(seg) == 0 {
		return i, i, true
	}
	if seg[0].kind == partLit {
		lit := seg[0].text
		for i <= len(v) {
			j := strings.Index(v[i:], lit)
			if j < 0 {
				return 0, 0, false
			}
			if e, ok := seg.matchAt(v, i+j); ok {
				return i + j, e, true
			}
			i += j + 1
		}
		return 0, 0, false
	}
	for ; i <= len(v); i++ {
		if e, ok := seg.matchAt(v, i); ok {
			return i, e, true
		}
	}
	return 0, 0, false
}

// match reports whether v matches the whole pattern. Leftmost matching of
// each star-separated segment is enough: a later segment only needs some
// position after the previous one, and the leftmost leaves the most room.
// Only the last segment, when anchored at the end, must be tried at the end.
func (g *glob) match(v string) bool {
	if len(v) < g.minBytes { // every part takes at least one byte, a literal its length
		return false
	}
	segs := g.segs
	i := 0
	if g.anchorL {
		e, ok := segs[0].matchAt(v, 0)
		if !ok {
			return false
		}
		if len(segs) == 1 {
			return !g.anchorR || e == len(v)
		}
		i = e
		segs = segs[1:]
	}
	last := len(segs) - 1
	for k, seg := range segs {
		if k == last && g.anchorR {
			return seg.matchEnd(v, i)
		}
		_, e, ok := seg.find(v, i)
		if !ok {
			return false
		}
		i = e
	}
	return true
}

// matchEnd reports whether the segment matches a suffix of v that starts at
// or after i.
func (seg segment) matchEnd(v string, i int) bool {
	// Segments without single-character parts have a fixed byte length.
	fixed := 0
	for _, p := range seg {
		if p.kind != partLit {
			fixed = -1
			break
		}
		fixed += len(p.text)
	}
	if fixed >= 0 {
		if len(v)-fixed < i {
			return false
		}
		e, ok := seg.matchAt(v, len(v)-fixed)
		return ok && e == len(v)
	}
	for s := len(v); s >= i; s-- {
		if s < len(v) && !utf8.RuneStart(v[s]) {
			continue
		}
		if e, ok := seg.matchAt(v, s); ok && e == len(v) {
			return true
		}
	}
	return false
}

// literalSets returns the literal runs of the pattern that any match must
// contain: the literal parts, with dash classes expanded when there are few.
// Each returned slice is a set of alternatives, one of which must occur.
func (s sstring) literalSets() [][]string {
	var sets [][]string
	// Runs of literal and dash parts without other wildcards.
	var run sstring
	flush := func() {
		if len(run) == 0 {
			return
		}
		dashes := 0
		for _, p := range run {
			if p.kind == partDash {
				dashes++
			}
		}
		if dashes > 0 && dashes <= 2 {
			exp, _ := run.expandDashes(25)
			var alts []string
			for _, e := range exp {
				t, _ := e.plain()
				alts = append(alts, t)
			}
			sets = append(sets, alts)
		} else {
			for _, p := range run {
				if p.kind == partLit {
					sets = append(sets, []string{p.text})
				}
			}
		}
		run = nil
	}
	for _, p := range s {
		switch p.kind {
		case partLit, partDash:
			run = append(run, p)
		default:
			flush()
		}
	}
	flush()
	return sets
}
