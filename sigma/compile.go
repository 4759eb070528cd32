package sigma

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
)

// Limits on what one rule may ask of the matcher.
const (
	maxRegexLen   = 8192   // bytes of one regular expression
	maxRegexInsts = 20_000 // instructions of its compiled program
)

// Config says how to compile rules: where their logsources are found and
// what their placeholders stand for.
type Config struct {
	// Mappings resolve logsources and field names; nil means
	// DefaultMappings().
	Mappings *Mappings
	// Placeholders give the values of the placeholders that rules use with
	// the expand modifier, by name without the percent signs, such as
	// "Administrators". Values may use wildcards. A rule that uses a
	// placeholder with no entry here cannot be used (ErrPlaceholder).
	Placeholders map[string][]string
	// Filters are Sigma filter documents to apply to the rules they name
	// (see the filters specification): an event a filter's detection
	// matches is no longer matched by those rules. Filters that tune no
	// rule are listed by RuleSet.FilterProblems.
	Filters []*Filter
}

// The compiled form of a detection: a condition over selections; a
// selection is an OR of groups; a group an AND of items; an item tests one
// field (or, for keywords, every field) against values.

type itemKind uint8

const (
	itemValues itemKind = iota // compare the field's values with matchers
	itemExists                 // the field exists (or not)
)

type item struct {
	field  int32  // interned event field id; -1 for a keyword search
	name   string // the field as the rule names it
	mapped string // the event field it reads after mapping
	fm     *FieldMatch
	kind   itemKind
	want   bool // for itemExists
	all    bool // every group must match (the all modifier)
	neq    bool // the value predicate is negated (the neq modifier)
	// null: the item also matches when the field is absent or empty.
	null bool
	// groups holds, per rule value, its variants (windash, base64offset and
	// placeholder values make several); variants are ORed. Without all,
	// flat holds every variant of every value.
	groups [][]*matcher
	flat   []*matcher
	refs   bool // some matcher is a fieldref
	// An item with many case-insensitive literals (and neither all nor
	// neq) tests them in one scan of each value: lits indexes their texts,
	// litFlags[p] says which needle flags of text p satisfy a matcher, and
	// rest holds the other matchers.
	lits     *multiIndex
	litFlags []uint8
	rest     []*matcher
	// Otherwise, without all and neq, the literals are tests of needle
	// flags, laid out together, and others holds the other matchers. Set
	// when binding.
	tests  []needleTest
	others []*matcher
}

// needleTest is a literal matcher as a test of the scan's results: the
// needle, and the flag its kind requires.
type needleTest struct {
	needle int32
	flag   uint8
}

// itemIndexMin is how many literals make an item use its own index: from
// there one scan of a value costs less than looking each literal up.
const itemIndexMin = 16

type mkind uint8

const (
	mEq       mkind = iota // whole value equals s
	mPrefix                // value starts with s
	mSuffix                // value ends with s
	mContains              // value contains s
	mGlob                  // value matches a wildcard pattern
	mAny                   // "*": any value
	mRegex                 // regular expression
	mNum                   // a rule number: same text, or same integer
	mCmp                   // lt, lte, gt, gte on numbers
	mTime                  // a part of a timestamp, compared
	mCIDR                  // an IP address in a network
	mFieldRef              // compare with another field's values
)

// matcher tests one value.
type matcher struct {
	kind  mkind
	cased bool   // compare with the value as is, not lower-cased
	s     string // the literal (lower-cased unless cased)
	g     *glob
	re    *regexp.Regexp
	pre   []string // mRegex, mGlob: one of these (lower-cased) occurs in any match
	// mRegex: cheap necessary conditions, tested before the expression.
	minLen int        // runes
	maxLen int        // runes, when the expression is anchored at both ends; -1 otherwise
	need   [][]string // every match contains one lower-cased literal of each set
	run    *byteRun   // a run of bytes from a set, or nil
	num    number
	cmp    cmpOp
	part   timePart
	pfx    netip.Prefix
	// fieldref: the other field, and how to compare (mEq, mPrefix, mSuffix
	// or mContains).
	refName   string
	ref       int32
	refMode   mkind
	text      string // the rule value as written, for explanations
	modifiers string

	// needle is the id of the literal (mEq, mPrefix, mSuffix, mContains)
	// among the RuleSet's needles, -1 if none; preIDs are the ids of pre
	// (for mGlob and mRegex). Set when binding to an event source.
	needle int32
	preIDs []int32
}

type selection struct {
	name   string
	groups [][]*item
}

type cop uint8

const (
	cSel cop = iota
	cAnd
	cOr
	cNot
	cAtLeast // at least n of the children
	cTrue
	cFalse
)

type cexpr struct {
	op   cop
	sel  int
	n    int
	kids []*cexpr
}

// compiled is a rule's detection compiled once, with fields still named as
// the rule names them; bind makes a copy for one event source.
type compiled struct {
	sels []*selection
	cond *cexpr
}

// compiler compiles rules, interning field names.
type compiler struct {
	cfg       Config
	maps      *Mappings
	fields    map[string]int32
	names     []string
	needles   []needleInfo
	needleIDs map[needleInfo]int32
}

func newCompiler(cfg Config) *compiler {
	c := &compiler{cfg: cfg, maps: cfg.Mappings, fields: map[string]int32{}, needleIDs: map[needleInfo]int32{}}
	if c.maps == nil {
		c.maps = DefaultMappings()
	}
	return c
}

func (c *compiler) intern(name string) int32 {
	if id, ok := c.fields[name]; ok {
		return id
	}
	id := int32(len(c.names))
	c.fields[name] = id
	c.names = append(c.names, name)
	return id
}

// compileDetection compiles a detection; errors carry positions.
func (c *compiler) compileDetection(d *Detection) (*compiled, error) {
	out := &compiled{}
	index := map[string]int{}
	for _, s := range d.Searches {
		sel := &selection{name: s.Name}
		for _, g := range s.Groups {
			var group []*item
			for _, fm := range g {
				it, err := c.compileItem(fm)
				if err != nil {
					return nil, err
				}
				group = append(group, it)
			}
			sel.groups = append(sel.groups, group)
		}
		index[s.Name] = len(out.sels)
		out.sels = append(out.sels, sel)
	}
	if len(d.Conditions) == 0 {
		return nil, &Error{Pos: d.Pos, Msg: "detection has no condition"}
	}
	var roots []*cexpr
	for _, cond := range d.Conditions {
		if cond.Expr == nil {
			return nil, &Error{Pos: cond.Pos, Msg: fmt.Sprintf("condition %q did not parse", cond.Text)}
		}
		e, err := compileCond(d, cond.Expr, index)
		if err != nil {
			return nil, &Error{Pos: cond.Pos, Msg: err.Error()}
		}
		roots = append(roots, e)
	}
	if len(roots) == 1 {
		out.cond = roots[0]
	} else {
		out.cond = &cexpr{op: cOr, kids: roots}
	}
	return out, nil
}

func compileCond(d *Detection, n Node, index map[string]int) (*cexpr, error) {
	switch n := n.(type) {
	case *Ident:
		i, ok := index[n.Name]
		if !ok {
			return nil, fmt.Errorf("condition refers to undefined search identifier %q", n.Name)
		}
		return &cexpr{op: cSel, sel: i}, nil
	case *ParenExpr:
		return compileCond(d, n.X, index)
	case *NotExpr:
		x, err := compileCond(d, n.X, index)
		if err != nil {
			return nil, err
		}
		return &cexpr{op: cNot, kids: []*cexpr{x}}, nil
	case *BinaryExpr:
		x, err := compileCond(d, n.X, index)
		if err != nil {
			return nil, err
		}
		y, err := compileCond(d, n.Y, index)
		if err != nil {
			return nil, err
		}
		op := cAnd
		if n.Op == OR {
			op = cOr
		}
		// Flatten chains of the same operator.
		var kids []*cexpr
		for _, k := range []*cexpr{x, y} {
			if k.op == op {
				kids = append(kids, k.kids...)
			} else {
				kids = append(kids, k)
			}
		}
		return &cexpr{op: op, kids: kids}, nil
	case *OfExpr:
		ss := expandOf(d, n)
		if len(ss) == 0 {
			return nil, fmt.Errorf("%s matches no search identifier", n)
		}
		e := &cexpr{op: cAtLeast, n: n.Count}
		for _, s := range ss {
			e.kids = append(e.kids, &cexpr{op: cSel, sel: index[s.Name]})
		}
		switch {
		case n.Count == 0:
			e.op = cAnd
		case n.Count == 1:
			e.op = cOr
		case n.Count > len(e.kids):
			return &cexpr{op: cFalse}, nil
		}
		return e, nil
	}
	return nil, fmt.Errorf("unknown condition node %T", n)
}

// itemError makes an error positioned at a field match.
func itemError(fm *FieldMatch, sentinel error, format string, args ...any) *Error {
	return &Error{Pos: fm.Pos, Msg: fm.Key() + ": " + fmt.Sprintf(format, args...), Err: sentinel}
}

func (c *compiler) compileItem(fm *FieldMatch) (*item, error) {
	if err := checkModifiers(fm.Modifiers); err != nil {
		return nil, itemError(fm, errors.Unwrap(err), "%v", err)
	}
	if err := checkValues(fm); err != nil {
		return nil, itemError(fm, errors.Unwrap(err), "%v", err)
	}
	it := &item{field: -1, name: fm.Field, fm: fm}
	var (
		cased, re, cidr, expand, fieldref bool
		cmp                               = cmpEq
		hasCmp                            bool
		tpart                             timePart
		reFlags                           string
		pipeline                          []string // string and encoding modifiers, in order
	)
	for _, m := range fm.Modifiers {
		switch m {
		case "all":
			it.all = true
		case "cased":
			cased = true
		case "neq":
			it.neq = true
		case "re":
			re = true
		case "i", "m", "s":
			reFlags += m
		case "cidr":
			cidr = true
		case "lt", "lte", "gt", "gte":
			cmp, hasCmp = cmpNames[m], true
		case "minute", "hour", "day", "week", "month", "year":
			tpart = timePartNames[m]
		case "exists":
			it.kind = itemExists
		case "fieldref":
			fieldref = true
		case "expand":
			expand = true
		default:
			pipeline = append(pipeline, m)
		}
	}
	if it.neq {
		// "different from the values" is different from each of them.
		it.all = false
	}
	mods := strings.Join(fm.Modifiers, "|")
	if it.kind == itemExists {
		it.want = fm.Values[0].Text == "true"
		return it, nil
	}
	for _, v := range fm.Values {
		var group []*matcher
		switch {
		case v.Kind == NullValue:
			it.null = true
			continue
		case re:
			m, err := compileRegex(v.Text, reFlags)
			if err != nil {
				return nil, itemError(fm, errors.Unwrap(err), "%v", err)
			}
			group = append(group, m)
		case cidr:
			p, err := parseCIDR(v.Text)
			if err != nil {
				return nil, itemError(fm, nil, "%v", err)
			}
			group = append(group, &matcher{kind: mCIDR, pfx: p})
		case tpart != 0:
			n, _ := parseNumber(v.Text)
			group = append(group, &matcher{kind: mTime, part: tpart, cmp: cmp, num: n})
		case hasCmp:
			n, _ := parseNumber(v.Text)
			group = append(group, &matcher{kind: mCmp, cmp: cmp, num: n})
		case fieldref:
			m := &matcher{kind: mFieldRef, refName: v.Text, refMode: mEq, cased: cased}
			for _, p := range pipeline {
				switch {
				case p == "contains", m.refMode == mPrefix && p == "endswith", m.refMode == mSuffix && p == "startswith":
					m.refMode = mContains
				case p == "startswith" && m.refMode == mEq:
					m.refMode = mPrefix
				case p == "endswith" && m.refMode == mEq:
					m.refMode = mSuffix
				}
			}
			it.refs = true
			group = append(group, m)
		case v.Kind == NumberValue && len(pipeline) == 0 && !fm.Keyword() && !expand:
			n, ok := parseNumber(v.Text)
			if !ok {
				// A YAML number Go cannot read (.inf, 1_000): compare as text.
				group = append(group, stringMatcher(sstring{{kind: partLit, text: v.Text}}, cased))
				break
			}
			group = append(group, &matcher{kind: mNum, s: fold(v.Text), num: n})
		default:
			vals, err := c.stringValues(fm, v, expand, pipeline)
			if err != nil {
				return nil, err
			}
			for _, s := range vals {
				group = append(group, stringMatcher(s, cased))
			}
		}
		for _, m := range group {
			m.text, m.modifiers = v.Text, mods
		}
		it.groups = append(it.groups, group)
	}
	for _, g := range it.groups {
		it.flat = append(it.flat, g...)
	}
	if !it.all {
		it.groups = nil
		if !it.neq {
			it.indexLiterals()
		}
	}
	return it, nil
}

// indexLiterals builds the item's own index when it has many literals.
func (it *item) indexLiterals() {
	var texts []string
	pos := map[string]int{}
	var flags []uint8
	var rest []*matcher
	for _, m := range it.flat {
		if m.cased || m.s == "" || (m.kind != mEq && m.kind != mPrefix && m.kind != mSuffix && m.kind != mContains) {
			rest = append(rest, m)
			continue
		}
		p, ok := pos[m.s]
		if !ok {
			p = len(texts)
			pos[m.s] = p
			texts = append(texts, m.s)
			flags = append(flags, 0)
		}
		flags[p] |= kindFlag[m.kind]
	}
	if len(texts) < itemIndexMin {
		return
	}
	it.lits, it.litFlags, it.rest = newMultiIndex(texts), flags, rest
}

// stringValues turns a string value into its final patterns: placeholders
// expanded, modifiers applied in the order written, and for a keyword the
// implicit "contains" of a search over the whole event.
func (c *compiler) stringValues(fm *FieldMatch, v Value, expand bool, pipeline []string) ([]sstring, error) {
	base := parseSString(v.Text, expand)
	vals := []sstring{base}
	if expand {
		var err error
		vals, err = c.expandPlaceholders(base)
		if err != nil {
			return nil, itemError(fm, errors.Unwrap(err), "%v", err)
		}
	}
	for _, m := range pipeline {
		switch modifiers[m] {
		case modString:
			vals = addWildcards(m, vals)
		case modEncode:
			var err error
			if vals, err = encode(m, vals); err != nil {
				return nil, itemError(fm, errors.Unwrap(err), "%v", err)
			}
		}
	}
	if fm.Keyword() {
		vals = addWildcards("contains", vals)
	}
	// Few dashes: the concrete permutations, plain literals that the
	// indexes find; many: a dash class in a wildcard pattern.
	var out []sstring
	for _, v := range vals {
		if v.has(partDash) {
			if exp, ok := v.expandDashes(maxDashVariants); ok {
				out = append(out, exp...)
				continue
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// maxDashVariants is how many permutations windash spells out (two dashes).
const maxDashVariants = 25

// expandPlaceholders replaces every placeholder by each of its configured
// values (the cartesian product when there are several).
func (c *compiler) expandPlaceholders(s sstring) ([]sstring, error) {
	out := []sstring{nil}
	for _, p := range s {
		if p.kind != partPH {
			for i := range out {
				out[i] = append(out[i], p)
			}
			continue
		}
		vals, ok := c.placeholder(p.text)
		if !ok {
			return nil, fmt.Errorf("placeholder %%%s%% has no values: %w", p.text, ErrPlaceholder)
		}
		if len(out)*len(vals) > maxExpansion {
			return nil, fmt.Errorf("placeholder %%%s%% creates more than %d values: %w", p.text, maxExpansion, ErrLimit)
		}
		var next []sstring
		for _, o := range out {
			for _, v := range vals {
				next = append(next, append(append(sstring(nil), o...), parseSString(v, false)...))
			}
		}
		out = next
	}
	for i := range out {
		out[i] = out[i].normalize()
	}
	return out, nil
}

func (c *compiler) placeholder(name string) ([]string, bool) {
	if v, ok := c.cfg.Placeholders[name]; ok && len(v) > 0 {
		return v, true
	}
	for k, v := range c.cfg.Placeholders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v, true
		}
	}
	return nil, false
}

// stringMatcher picks the fastest matcher for a pattern.
func stringMatcher(s sstring, cased bool) *matcher {
	if !cased {
		f := make(sstring, len(s))
		for i, p := range s {
			if p.kind == partLit {
				p.text = fold(p.text)
			}
			f[i] = p
		}
		s = f
	}
	m := &matcher{cased: cased}
	starL := len(s) > 0 && s[0].kind == partStar
	starR := len(s) > 0 && s[len(s)-1].kind == partStar
	inner := s
	if starL {
		inner = inner[1:]
	}
	if starR && len(inner) > 0 {
		inner = inner[:len(inner)-1]
	}
	if lit, ok := inner.plain(); ok {
		m.s = lit
		switch {
		case (starL || starR) && lit == "":
			m.kind = mAny
		case starL && starR:
			m.kind = mContains
		case starL:
			m.kind = mSuffix
		case starR:
			m.kind = mPrefix
		default:
			m.kind = mEq
		}
		return m
	}
	m.kind = mGlob
	m.g = compileGlob(s)
	m.s = s.String()
	// Literals one of which any matching value contains: a quick reject.
	for _, set := range m.g.literalSets() {
		folded := make([]string, len(set))
		for i, t := range set {
			folded[i] = fold(t)
		}
		if betterLiterals(folded, m.pre) {
			m.pre = folded
		}
	}
	return m
}

func parseCIDR(s string) (netip.Prefix, error) {
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid network %q", s)
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid network %q", s)
	}
	return p.Masked(), nil
}

// betterLiterals reports whether needle set a is more selective than b: a
// set whose shortest needle is longer wins; then the smaller set.
func betterLiterals(a, b []string) bool {
	if len(a) == 0 {
		return false
	}
	if len(b) == 0 {
		return true
	}
	ma, mb := minLen(a), minLen(b)
	if ma != mb {
		return ma > mb
	}
	return len(a) < len(b)
}

func minLen(set []string) int {
	m := -1
	for _, s := range set {
		if m < 0 || len(s) < m {
			m = len(s)
		}
	}
	return m
}
