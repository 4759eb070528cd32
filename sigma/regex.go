package sigma

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Go's regexp package runs in linear time (it is RE2), so no expression can
// make matching hang; but it is not fast, about as slow per byte as the
// rest of matching put together. Three filters, derived from the parsed
// expression, keep it from running on values it cannot match:
//
//   - literals one of which any match contains (see requiredLiterals),
//     which also gate the rule;
//   - the least number of runes a match has;
//   - a run of bytes from one set that any match contains, such as the 64
//     hexadecimal digits of \s[a-fA-F0-9]{64}\s, checked in one pass.

// compileRegex compiles a re value with its flags, refusing what RE2 cannot
// run and what is too large, and derives its filters.
func compileRegex(expr, flags string) (*matcher, error) {
	if len(expr) > maxRegexLen {
		return nil, fmt.Errorf("regular expression longer than %d bytes: %w", maxRegexLen, ErrLimit)
	}
	full := expr
	if flags != "" {
		full = "(?" + flags + ")" + expr
	}
	tree, err := syntax.Parse(full, syntax.Perl)
	if err != nil {
		return nil, regexError(expr, err)
	}
	tree = tree.Simplify()
	prog, err := syntax.Compile(tree)
	if err != nil {
		return nil, regexError(expr, err)
	}
	if len(prog.Inst) > maxRegexInsts {
		return nil, fmt.Errorf("regular expression compiles to more than %d instructions: %w", maxRegexInsts, ErrLimit)
	}
	re, err := regexp.Compile(full)
	if err != nil {
		return nil, regexError(expr, err)
	}
	m := &matcher{kind: mRegex, re: re, pre: regexLiterals(tree), minLen: minRunes(tree), maxLen: -1}
	if anchoredBoth(tree) {
		m.maxLen = maxRunes(tree)
	}
	m.need = neededLiterals(tree)
	if r := longestRun(tree); r != nil && r.n >= minUsefulRun {
		m.run = r
	}
	return m, nil
}

func regexError(expr string, err error) error {
	var se *syntax.Error
	if errors.As(err, &se) {
		switch se.Code {
		case syntax.ErrInvalidPerlOp:
			if strings.HasPrefix(se.Expr, "(?=") || strings.HasPrefix(se.Expr, "(?!") || strings.HasPrefix(se.Expr, "(?<") {
				return fmt.Errorf("regular expression %q uses look-around %s, which Go's RE2 engine cannot run: %w", expr, se.Expr, ErrUnsupported)
			}
			return fmt.Errorf("regular expression %q uses %s, which Go's RE2 engine cannot run: %w", expr, se.Expr, ErrUnsupported)
		case syntax.ErrInvalidEscape:
			if len(se.Expr) == 2 && se.Expr[1] >= '1' && se.Expr[1] <= '9' || strings.HasPrefix(se.Expr, `\k`) {
				return fmt.Errorf("regular expression %q uses the back-reference %s, which Go's RE2 engine cannot run: %w", expr, se.Expr, ErrUnsupported)
			}
		case syntax.ErrInvalidRepeatOp:
			return fmt.Errorf("regular expression %q uses %s (a possessive or repeated quantifier), which Go's RE2 engine cannot run: %w", expr, se.Expr, ErrUnsupported)
		case syntax.ErrLarge, syntax.ErrNestingDepth, syntax.ErrInvalidRepeatSize:
			return fmt.Errorf("regular expression %q is too large: %v: %w", expr, se.Code, ErrLimit)
		}
		return fmt.Errorf("invalid regular expression %q: %v %s", expr, se.Code, se.Expr)
	}
	return fmt.Errorf("invalid regular expression %q: %v", expr, err)
}

// regexLiterals returns literals, lower-cased, one of which occurs in any
// text the expression matches; nil when there is no such set.
func regexLiterals(re *syntax.Regexp) []string {
	set := requiredLiterals(re)
	for _, s := range set {
		if s == "" {
			return nil
		}
	}
	return set
}

// Limits of the literal analysis: alternatives of one set, and runes of a
// character class expanded into alternatives.
const (
	maxLiteralAlts = 64
	maxClassExpand = 4
	minUsefulRun   = 8
	maxRepeatCount = 1 << 20
)

// requiredLiterals returns a set of alternatives one of which any match
// contains; nil means none is known.
func requiredLiterals(re *syntax.Regexp) []string {
	switch re.Op {
	case syntax.OpLiteral, syntax.OpConcat, syntax.OpCharClass:
		// Runs of adjacent literal runes and small classes, as the set of
		// strings the run can be (a class of a few runes multiplies it);
		// anything else ends a run. The best run, or the best set of a
		// child, will do.
		var best []string
		consider := func(set []string) {
			if betterLiterals(set, best) {
				best = set
			}
		}
		run := []string{""}
		flush := func() {
			if run[0] != "" {
				consider(dedupStrings(run))
			}
			run = []string{""}
		}
		extend := func(alts []rune) {
			if len(run)*len(alts) > maxLiteralAlts {
				flush()
				if len(alts) > maxLiteralAlts {
					return
				}
			}
			next := make([]string, 0, len(run)*len(alts))
			for _, r := range run {
				for _, a := range alts {
					next = append(next, r+string(a))
				}
			}
			run = next
		}
		subs := re.Sub
		if re.Op != syntax.OpConcat {
			subs = []*syntax.Regexp{re}
		}
		for _, sub := range subs {
			switch sub.Op {
			case syntax.OpLiteral:
				for _, r := range sub.Rune {
					if sub.Flags&syntax.FoldCase != 0 && !foldSafe(r) {
						flush()
						continue
					}
					extend([]rune{unicode.ToLower(r)})
				}
			case syntax.OpCharClass:
				alts := classRunes(sub.Rune, maxClassExpand)
				if alts == nil {
					flush()
					continue
				}
				extend(alts)
			default:
				flush()
				consider(requiredLiterals(sub))
			}
		}
		flush()
		return best
	case syntax.OpCapture, syntax.OpPlus:
		return requiredLiterals(re.Sub[0])
	case syntax.OpRepeat:
		if re.Min >= 1 {
			return requiredLiterals(re.Sub[0])
		}
	case syntax.OpAlternate:
		var out []string
		for _, sub := range re.Sub {
			set := requiredLiterals(sub)
			if len(set) == 0 {
				return nil
			}
			out = append(out, set...)
		}
		if len(out) > maxLiteralAlts {
			return nil
		}
		return dedupStrings(out)
	}
	return nil
}

// classRunes lists the runes of a character class, lower-cased and without
// duplicates, when there are at most limit of them.
func classRunes(ranges []rune, limit int) []rune {
	n := 0
	for i := 0; i+1 < len(ranges); i += 2 {
		n += int(ranges[i+1]-ranges[i]) + 1
		if n > 2*limit { // case variants collapse below; allow some room
			return nil
		}
	}
	var out []rune
	for i := 0; i+1 < len(ranges); i += 2 {
		for r := ranges[i]; r <= ranges[i+1]; r++ {
			l := unicode.ToLower(r)
			dup := false
			for _, o := range out {
				dup = dup || o == l
			}
			if !dup {
				out = append(out, l)
			}
		}
	}
	if len(out) > limit {
		return nil
	}
	return out
}

func dedupStrings(in []string) []string {
	seen := map[string]bool{}
	out := in[:0]
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// minRunes returns the least number of runes a match has.
func minRunes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minRunes(re.Sub[0])
	case syntax.OpRepeat:
		return min(maxRepeatCount, re.Min*minRunes(re.Sub[0]))
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			n = min(maxRepeatCount, n+minRunes(sub))
		}
		return n
	case syntax.OpAlternate:
		n := -1
		for _, sub := range re.Sub {
			if m := minRunes(sub); n < 0 || m < n {
				n = m
			}
		}
		return max(n, 0)
	}
	return 0
}

// neededLiterals lists sets of lower-cased literals such that every match
// contains one literal of each set, read off the top-level sequence of the
// expression (a literal is a set of one; an alternation, the set of its
// branches' literals). Where regexLiterals finds one good needle for the
// shared scan, these are all checked before the expression runs: SigmaHQ
// and our own pack write patterns such as (set).*&&\s?set.*&&.*" or
// \b(start|saps)\b[^;]*(\\windows\\temp\\|%temp%) whose telling part is
// not the first, and Go's engine pays for every .* on a long command line.
func neededLiterals(re *syntax.Regexp) [][]string {
	subs := []*syntax.Regexp{re}
	for len(subs) == 1 && subs[0].Op == syntax.OpCapture {
		subs = subs[0].Sub
	}
	if len(subs) == 1 && subs[0].Op == syntax.OpConcat {
		subs = subs[0].Sub
	}
	var sets [][]string
	for _, sub := range subs {
		switch sub.Op {
		case syntax.OpStar, syntax.OpQuest, syntax.OpEmptyMatch:
			continue
		case syntax.OpRepeat:
			if sub.Min < 1 {
				continue
			}
		}
		set := requiredLiterals(sub)
		if len(set) == 0 || slices.Contains(set, "") {
			continue
		}
		dup := false
		for _, have := range sets {
			if slices.Equal(have, set) {
				dup = true
				break
			}
		}
		if !dup {
			sets = append(sets, set)
		}
	}
	return sets
}

// anchoredBoth reports whether a regular expression must match the whole
// text: it starts with ^ and ends with $ (without the m flag).
func anchoredBoth(re *syntax.Regexp) bool {
	if re.Op == syntax.OpCapture {
		return anchoredBoth(re.Sub[0])
	}
	if re.Op != syntax.OpConcat || len(re.Sub) < 2 {
		return false
	}
	return re.Sub[0].Op == syntax.OpBeginText && re.Sub[len(re.Sub)-1].Op == syntax.OpEndText
}

// maxRunes is the length in runes of the longest text a regular expression
// matches, or -1 when there is no bound. With anchoredBoth it lets a value
// too long to match be rejected without running the expression, which
// SigmaHQ's fixed-length patterns (^[A-Za-z0-9]{16}$) make worth having.
func maxRunes(re *syntax.Regexp) int {
	switch re.Op {
	case syntax.OpLiteral:
		return len(re.Rune)
	case syntax.OpCharClass, syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		return 1
	case syntax.OpCapture, syntax.OpQuest:
		return maxRunes(re.Sub[0])
	case syntax.OpStar, syntax.OpPlus:
		if maxRunes(re.Sub[0]) == 0 {
			return 0
		}
		return -1
	case syntax.OpRepeat:
		sub := maxRunes(re.Sub[0])
		if sub < 0 || re.Max < 0 {
			return -1
		}
		return min(maxRepeatCount, re.Max*sub)
	case syntax.OpConcat:
		n := 0
		for _, sub := range re.Sub {
			m := maxRunes(sub)
			if m < 0 {
				return -1
			}
			n = min(maxRepeatCount, n+m)
		}
		return n
	case syntax.OpAlternate:
		n := 0
		for _, sub := range re.Sub {
			m := maxRunes(sub)
			if m < 0 {
				return -1
			}
			n = max(n, m)
		}
		return n
	}
	return 0 // empty matches and assertions
}

// byteRun is a filter: a match contains n consecutive bytes of the set.
type byteRun struct {
	set [4]uint64 // ASCII bytes
	n   int
}

func (r *byteRun) has(c byte) bool { return r.set[c>>6]&(1<<(c&63)) != 0 }

// present reports whether s holds n consecutive bytes of the set.
func (r *byteRun) present(s string) bool {
	k := 0
	for i := 0; i < len(s); i++ {
		if r.has(s[i]) {
			k++
			if k >= r.n {
				return true
			}
		} else {
			k = 0
		}
	}
	return false
}

// longestRun finds the longest run of single-byte positions that every
// match holds, each position's byte from a set of ASCII bytes: in a
// concatenation, consecutive literals, classes and repetitions of them (a
// repetition contributes its minimum count: the bytes it matches are all
// consecutive, so the run found is at least that long). The run's set is
// the union of theirs.
func longestRun(re *syntax.Regexp) *byteRun {
	switch re.Op {
	case syntax.OpCapture:
		return longestRun(re.Sub[0])
	case syntax.OpConcat:
	default:
		r, _ := nodeRun(re)
		return r
	}
	var best, cur *byteRun
	end := func(r *byteRun) {
		if r != nil && (best == nil || r.n > best.n) {
			best = r
		}
	}
	for _, sub := range re.Sub {
		r, ok := nodeRun(sub)
		if !ok {
			end(cur)
			cur = nil
			end(longestRun(sub))
			continue
		}
		if cur == nil {
			cur = &byteRun{}
		}
		for i := range cur.set {
			cur.set[i] |= r.set[i]
		}
		cur.n = min(maxRepeatCount, cur.n+r.n)
	}
	end(cur)
	return best
}

// nodeRun returns the byte set and least length of a node that matches
// only bytes of one ASCII set, at least one of them.
func nodeRun(re *syntax.Regexp) (*byteRun, bool) {
	switch re.Op {
	case syntax.OpLiteral:
		out := &byteRun{n: len(re.Rune)}
		for _, r := range re.Rune {
			if r >= utf8.RuneSelf {
				return nil, false
			}
			out.set[r>>6] |= 1 << (r & 63)
			if re.Flags&syntax.FoldCase != 0 {
				for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
					if f >= utf8.RuneSelf {
						return nil, false
					}
					out.set[f>>6] |= 1 << (f & 63)
				}
			}
		}
		return out, len(re.Rune) > 0
	case syntax.OpCharClass:
		out := &byteRun{n: 1}
		for i := 0; i+1 < len(re.Rune); i += 2 {
			if re.Rune[i+1] >= utf8.RuneSelf {
				return nil, false
			}
			for r := re.Rune[i]; r <= re.Rune[i+1]; r++ {
				out.set[r>>6] |= 1 << (r & 63)
			}
		}
		return out, true
	case syntax.OpCapture:
		return nodeRun(re.Sub[0])
	case syntax.OpRepeat, syntax.OpPlus:
		lo := 1
		if re.Op == syntax.OpRepeat {
			lo = re.Min
		}
		if lo < 1 {
			return nil, false
		}
		inner, ok := nodeRun(re.Sub[0])
		if !ok {
			return nil, false
		}
		inner.n = min(maxRepeatCount, inner.n*lo)
		return inner, true
	}
	return nil, false
}
