package sigma

import (
	"encoding/base64"
	"math/rand"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Properties checked against simple reference implementations on random
// input.

func TestMultiIndexAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	alphabet := []string{"a", "b", "c", "\\", ".", "é", "\x00", "ab", "abc"}
	word := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(alphabet[rng.Intn(len(alphabet))])
		}
		return b.String()
	}
	for round := 0; round < 300; round++ {
		seen := map[string]bool{}
		var pats []string
		for i := rng.Intn(40) + 1; i > 0; i-- {
			p := word(rng.Intn(12) + 1)
			if !seen[p] {
				seen[p] = true
				pats = append(pats, p)
			}
		}
		x := newMultiIndex(pats)
		for k := 0; k < 10; k++ {
			text := word(rng.Intn(60))
			got := map[hit]int{}
			for _, h := range x.scan(text, nil) {
				got[h]++
			}
			want := map[hit]int{}
			for pi, p := range pats {
				for i := 0; i+len(p) <= len(text); i++ {
					if text[i:i+len(p)] == p {
						want[hit{pat: int32(pi), end: int32(i + len(p))}]++
					}
				}
			}
			if len(got) != len(want) {
				t.Fatalf("patterns %q text %q: %d hits, want %d", pats, text, len(got), len(want))
			}
			for h, n := range want {
				if got[h] != n {
					t.Fatalf("patterns %q text %q: hit %v found %d times, want %d", pats, text, h, got[h], n)
				}
			}
		}
	}
}

func TestGlobAgainstRegexp(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	pieces := []string{"a", "b", "*", "?", "\\*", "\\?", "\\\\", "\\", "-", "é"}
	texts := []string{"", "a", "b", "ab", "ba", "aab", "abab", "a*b", "a?b", "a\\b", "é", "aéb", "a-b", "a/b", "a–b", "*", "?", "\\"}
	for round := 0; round < 2000; round++ {
		var b strings.Builder
		for i := rng.Intn(6); i >= 0; i-- {
			b.WriteString(pieces[rng.Intn(len(pieces))])
		}
		src := b.String()
		s := parseSString(src, false)
		if rng.Intn(3) == 0 {
			s = s.withWindash()
		}
		g := compileGlob(s)
		re := regexp.MustCompile("^(?s:" + globRegexp(s) + ")$")
		for _, text := range texts {
			if got, want := g.match(text), re.MatchString(text); got != want {
				t.Fatalf("pattern %q (%s) on %q: %v, want %v", src, s, text, got, want)
			}
		}
	}
}

// globRegexp translates a pattern for the reference implementation.
func globRegexp(s sstring) string {
	var b strings.Builder
	for _, p := range s {
		switch p.kind {
		case partLit:
			b.WriteString(regexp.QuoteMeta(p.text))
		case partStar:
			b.WriteString(".*")
		case partOne:
			b.WriteString(".")
		case partDash:
			b.WriteString("[-/–—―]")
		}
	}
	return b.String()
}

func TestFoldAgainstStrings(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	runes := []rune("aAzZ09 @[`{\\éÉİıKſΣσ\u212a\x7f")
	for round := 0; round < 5000; round++ {
		var b strings.Builder
		for i := rng.Intn(30); i > 0; i-- {
			b.WriteRune(runes[rng.Intn(len(runes))])
		}
		if rng.Intn(10) == 0 {
			b.WriteByte(0xff) // invalid UTF-8 stays as is
		}
		s := b.String()
		var want strings.Builder
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n <= 1 {
				want.WriteByte(s[i])
				i++
				continue
			}
			want.WriteString(strings.ToLower(string(r)))
			i += n
		}
		if got := fold(s); got != want.String() {
			t.Fatalf("fold(%q) = %q, want %q", s, got, want.String())
		}
		if needsFold(s) != (want.String() != s) {
			t.Fatalf("needsFold(%q) = %v", s, needsFold(s))
		}
	}
}

// TestBase64Offsets checks the three forms against every way the value can
// sit in a longer encoded string.
func TestBase64Offsets(t *testing.T) {
	for _, v := range []string{"a", "ab", "abc", "whoami", "Invoke-Mimikatz", "\x00\xff"} {
		forms := base64Offsets(v)
		for pre := 0; pre < 6; pre++ {
			for post := 0; post < 4; post++ {
				enc := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("x", pre) + v + strings.Repeat("y", post)))
				form := forms[pre%3]
				if form != "" && !strings.Contains(enc, form) {
					t.Errorf("%q with %d before, %d after: %q does not contain %q", v, pre, post, enc, form)
				}
			}
		}
	}
}

// TestRegexFiltersAgainstRegexp: the shortcuts taken before a regular
// expression runs (needed literals, length bounds) never change its answer.
func TestRegexFiltersAgainstRegexp(t *testing.T) {
	patterns := []string{
		`(?i)(set).*&&\s?set.*(environment|invoke|\$\{?input).*&&.*"`,
		`^[A-Za-z0-9]{16}$`,
		`^(ab|abcdef)$`,
		`(?i)ÉCHO.*clip`,
		`cmd.{0,5}(?:/c|/r).+powershell`,
		`(?i)straße`,
		`^.{2,3}$`,
		`(?s)a.*b$`,
		`x+y{2}z?`,
		`(?i)\b(start-process|saps|start)\b[^;|\n]*(\\windows\\temp\\|%temp%)`,
		`(a|bc)+d(e|f)?g`,
	}
	words := []string{"set", "SET", "&&", " ", "\"", "environment", "écho", "ÉCHO", "clip", "cmd", "/c", "powershell",
		"ab", "abcdef", "Z9", "ß", "STRASSE", "straße", "é", "\n", "x", "yy", "z", "b", "a",
		"set&&", "SET invoke&&", "set&&set invoke&&\"", "Start ", "saps", "bcdg", "adeg", "\\Windows\\Temp\\", "%TEMP%", ";", "bc", "d", "g", "e"}
	rng := rand.New(rand.NewSource(7))
	for _, p := range patterns {
		m, err := compileRegex(p, "")
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		matched := 0
		for n := 0; n < 20000; n++ {
			var b strings.Builder
			for k := rng.Intn(8); k >= 0; k-- {
				b.WriteString(words[rng.Intn(len(words))])
			}
			v := b.String()
			want := m.re.MatchString(v)
			if got := m.mayMatch(v, func() string { return fold(v) }) && want; got != want {
				t.Fatalf("%s on %q: shortcuts say no, the expression says yes", p, v)
			}
			if want {
				matched++
			}
		}
		if matched == 0 {
			t.Errorf("%s: no random text matched, so the shortcuts went untested", p)
		}
	}
}
