package sigma

import (
	"encoding/base64"
	"fmt"
	"sort"
	"unicode/utf16"
)

// modClass groups the value modifiers by what they do.
type modClass uint8

const (
	modString   modClass = iota // contains, startswith, endswith: add wildcards
	modEncode                   // windash, base64, base64offset, utf16*: rewrite the value
	modFlag                     // all, cased, neq: change how values combine or compare
	modRegex                    // re
	modRegexFl                  // i, m, s: flags of re
	modCIDR                     // cidr
	modCompare                  // lt, lte, gt, gte
	modTime                     // minute ... year
	modExists                   // exists
	modFieldRef                 // fieldref
	modExpand                   // expand
)

// Modifiers lists every value modifier of Sigma 2.1 this package implements.
var modifiers = map[string]modClass{
	"contains": modString, "startswith": modString, "endswith": modString,
	"windash": modEncode, "base64": modEncode, "base64offset": modEncode,
	"utf16le": modEncode, "utf16be": modEncode, "utf16": modEncode, "wide": modEncode,
	"all": modFlag, "cased": modFlag, "neq": modFlag,
	"re": modRegex, "i": modRegexFl, "m": modRegexFl, "s": modRegexFl,
	"cidr": modCIDR,
	"lt":   modCompare, "lte": modCompare, "gt": modCompare, "gte": modCompare,
	"minute": modTime, "hour": modTime, "day": modTime, "week": modTime, "month": modTime, "year": modTime,
	"exists":   modExists,
	"fieldref": modFieldRef,
	"expand":   modExpand,
}

// Modifiers returns the names of the value modifiers this package
// implements, for documentation and tools.
func Modifiers() []string {
	out := make([]string, 0, len(modifiers))
	for m := range modifiers {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// checkModifiers validates a chain of modifiers on its own: every name
// known, no duplicates, and no combination without a meaning.
func checkModifiers(mods []string) error {
	count := map[modClass]int{}
	seen := map[string]bool{}
	for _, m := range mods {
		c, ok := modifiers[m]
		if !ok {
			if m == "" {
				return fmt.Errorf("empty modifier (two | in a row)")
			}
			return fmt.Errorf("unknown modifier %q: %w", m, ErrUnsupported)
		}
		if seen[m] {
			return fmt.Errorf("modifier %q given twice", m)
		}
		seen[m] = true
		count[c]++
	}
	has := func(c modClass) bool { return count[c] > 0 }
	others := func(allowed ...modClass) bool {
		for c, n := range count {
			if n == 0 {
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || a == c
			}
			if !ok {
				return true
			}
		}
		return false
	}
	switch {
	case has(modRegexFl) && !has(modRegex):
		return fmt.Errorf("modifiers i, m and s only apply to re")
	case has(modExists) && len(mods) > 1:
		return fmt.Errorf("exists cannot be combined with other modifiers")
	case has(modRegex) && others(modRegex, modRegexFl, modFlag):
		return fmt.Errorf("re can be combined only with i, m, s, all, cased and neq")
	case has(modCIDR) && others(modCIDR, modFlag):
		return fmt.Errorf("cidr can be combined only with all and neq")
	case count[modCompare] > 1:
		return fmt.Errorf("only one of lt, lte, gt, gte can be used")
	case count[modTime] > 1:
		return fmt.Errorf("only one of minute, hour, day, week, month, year can be used")
	case (has(modCompare) || has(modTime)) && others(modCompare, modTime, modFlag):
		return fmt.Errorf("lt, lte, gt, gte and the time modifiers can be combined only with each other, all and neq")
	case has(modFieldRef) && others(modFieldRef, modString, modFlag):
		return fmt.Errorf("fieldref can be combined only with contains, startswith, endswith, all, cased and neq")
	}
	return nil
}

// checkValues validates the values of a field match against its modifiers.
func checkValues(fm *FieldMatch) error {
	mods := fm.Modifiers
	classes := map[modClass]bool{}
	for _, m := range mods {
		classes[modifiers[m]] = true
	}
	if fm.Keyword() {
		for _, m := range mods {
			switch modifiers[m] {
			case modExists, modFieldRef, modCIDR, modCompare, modTime:
				return fmt.Errorf("modifier %q needs a field name", m)
			}
		}
	}
	for _, v := range fm.Values {
		switch {
		case v.Kind == NullValue && len(mods) > 0:
			return fmt.Errorf("null cannot be combined with modifiers")
		case classes[modExists] && v.Kind != BoolValue && v.Text != "true" && v.Text != "false":
			return fmt.Errorf("exists takes true or false, not %q", v.Text)
		case (classes[modCompare] || classes[modTime]) && !isNumber(v.Text):
			return fmt.Errorf("%q is not a number", v.Text)
		}
	}
	if classes[modExists] && len(fm.Values) != 1 {
		return fmt.Errorf("exists takes one value")
	}
	return nil
}

// encode applies an encoding modifier to every value of a group. Dash
// classes are made concrete first, since an encoding needs plain text.
func encode(mod string, in []sstring) ([]sstring, error) {
	var out []sstring
	for _, s := range in {
		variants := []sstring{s}
		if mod != "windash" && s.has(partDash) {
			exp, ok := s.expandDashes(maxExpansion)
			if !ok {
				return nil, fmt.Errorf("windash creates more than %d variants of %q: %w", maxExpansion, s.String(), ErrLimit)
			}
			variants = exp
		}
		for _, v := range variants {
			res, err := encodeOne(mod, v)
			if err != nil {
				return nil, err
			}
			out = append(out, res...)
			if len(out) > maxExpansion {
				return nil, fmt.Errorf("%s creates more than %d values: %w", mod, maxExpansion, ErrLimit)
			}
		}
	}
	return out, nil
}

// maxExpansion caps how many concrete values one rule value may turn into
// (windash permutations, placeholder values, base64 offsets).
const maxExpansion = 4096

func encodeOne(mod string, s sstring) ([]sstring, error) {
	switch mod {
	case "windash":
		return []sstring{s.withWindash()}, nil
	case "utf16le", "wide", "utf16be", "utf16":
		return []sstring{mapLiterals(s, func(t string) string { return utf16Bytes(t, mod) }, mod == "utf16")}, nil
	}
	text, ok := s.plain()
	if !ok {
		return nil, fmt.Errorf("%s cannot encode a value with wildcards (%q); put contains, startswith or endswith after it", mod, s.String())
	}
	switch mod {
	case "base64":
		return []sstring{{{kind: partLit, text: base64.StdEncoding.EncodeToString([]byte(text))}}}, nil
	case "base64offset":
		var out []sstring
		for _, v := range base64Offsets(text) {
			if v != "" {
				out = append(out, sstring{{kind: partLit, text: v}})
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("base64offset of an empty value")
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown encoding %q", mod)
}

// mapLiterals rewrites the literal parts of s; with bom, the first literal
// (or a new one) is preceded by a byte order mark.
func mapLiterals(s sstring, f func(string) string, bom bool) sstring {
	out := make(sstring, 0, len(s)+1)
	if bom {
		out = append(out, part{kind: partLit, text: "\xff\xfe"})
	}
	for _, p := range s {
		if p.kind == partLit {
			p.text = f(p.text)
		}
		out = append(out, p)
	}
	return out.normalize()
}

// utf16Bytes encodes text as UTF-16 code units, little-endian (utf16le,
// wide, utf16 after its mark) or big-endian (utf16be), and returns the bytes
// as a string.
func utf16Bytes(text, mod string) string {
	units := utf16.Encode([]rune(text))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if mod == "utf16be" {
			b = append(b, byte(u>>8), byte(u))
		} else {
			b = append(b, byte(u), byte(u>>8))
		}
	}
	return string(b)
}

// base64Offsets returns the three forms text can take inside a longer
// base64 string, one per position of text modulo 3 in the decoded data.
// With k bytes before it, text's bits start at bit 8k; a base64 character
// covers 6 bits, so only the characters from ceil(8k/6) up to
// floor(8(k+n)/6) depend on text alone; the others mix in the neighbours.
func base64Offsets(text string) [3]string {
	var out [3]string
	n := len(text)
	for k := 0; k < 3; k++ {
		buf := make([]byte, k+n)
		copy(buf[k:], text)
		enc := base64.RawStdEncoding.EncodeToString(buf)
		start := (8*k + 5) / 6
		end := 8 * (k + n) / 6
		if end > len(enc) {
			end = len(enc)
		}
		if start < end {
			out[k] = enc[start:end]
		}
	}
	return out
}

// addWildcards applies contains, startswith or endswith.
func addWildcards(mod string, in []sstring) []sstring {
	out := make([]sstring, len(in))
	star := part{kind: partStar}
	for i, s := range in {
		c := append(sstring(nil), s...)
		if (mod == "contains" || mod == "endswith") && (len(c) == 0 || c[0].kind != partStar) {
			c = append(sstring{star}, c...)
		}
		if (mod == "contains" || mod == "startswith") && (len(c) == 0 || c[len(c)-1].kind != partStar) {
			c = append(c, star)
		}
		out[i] = c
	}
	return out
}

func isNumber(s string) bool {
	_, ok := parseNumber(s)
	return ok
}
