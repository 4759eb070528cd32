package sigma

import "math"

// Gating: for each compiled rule, a set of (field, literal) needles of which
// at least one must occur (in the lower-cased value of that field, or of any
// field for keyword searches) for the rule to possibly match. The RuleSet
// searches the needles of all candidate rules at once, per field, and
// evaluates a rule only when one of its needles was found. Rules for which
// no such set exists are evaluated for every event they route to.
//
// The set is derived from the condition: an AND needs only one of its
// operands' sets (the most selective is chosen), an OR needs the union of
// all, and a NOT gives nothing to rely on. Likewise a group of field
// matches is an AND, a list of values an OR.

// needleInfo is one literal the RuleSet searches for: lower-cased text,
// in the values of one field (-1: of every field, for keyword searches).
type needleInfo struct {
	field int32
	text  string
}

// gater derives gates; it knows the needles' texts, and how many other
// needles of the same field contain each.
type gater struct {
	needles   []needleInfo
	contained []int
}

// newGater counts, for each needle, the other needles of its field that
// contain it. A needle many others contain (".exe", "\windows\") is common
// in the values those needles were written for: a poor gate, whatever its
// length.
func newGater(needles []needleInfo) *gater {
	g := &gater{needles: needles, contained: make([]int, len(needles))}
	byField := map[int32][]int32{}
	for i, n := range needles {
		byField[n.field] = append(byField[n.field], int32(i))
	}
	var hits []hit
	for _, ids := range byField {
		texts := make([]string, len(ids))
		for i, id := range ids {
			texts[i] = needles[id].text
		}
		idx := newMultiIndex(texts)
		for i, t := range texts {
			hits = idx.scan(t, hits[:0])
			seen := map[int32]bool{}
			for _, h := range hits {
				if int(h.pat) != i && !seen[h.pat] {
					seen[h.pat] = true
					g.contained[ids[h.pat]]++
				}
			}
		}
	}
	return g
}

// gateOf returns the needle ids of a compiled detection and whether a gate
// exists. An empty set with ok means the detection can never match.
func (g *gater) gateOf(e *cexpr, sels []*selection) ([]int32, bool) {
	switch e.op {
	case cTrue:
		return nil, false
	case cFalse:
		return nil, true
	case cSel:
		return g.union(len(sels[e.sel].groups), func(i int) ([]int32, bool) { return g.group(sels[e.sel].groups[i]) })
	case cNot:
		return nil, false
	case cAnd:
		return g.best(len(e.kids), func(i int) ([]int32, bool) { return g.gateOf(e.kids[i], sels) })
	case cOr, cAtLeast:
		return g.union(len(e.kids), func(i int) ([]int32, bool) { return g.gateOf(e.kids[i], sels) })
	}
	return nil, false
}

// best returns the cheapest of n alternatives that have a gate (for ANDs).
func (g *gater) best(n int, f func(int) ([]int32, bool)) ([]int32, bool) {
	var best []int32
	found := false
	for i := 0; i < n; i++ {
		set, ok := f(i)
		if ok && (!found || g.cost(set) < g.cost(best)) {
			best, found = set, true
		}
	}
	return best, found
}

// union returns the union of n alternatives, all of which need a gate (for
// ORs).
func (g *gater) union(n int, f func(int) ([]int32, bool)) ([]int32, bool) {
	var all []int32
	for i := 0; i < n; i++ {
		set, ok := f(i)
		if !ok {
			return nil, false
		}
		all = append(all, set...)
	}
	return dedupIDs(all), true
}

func (g *gater) group(items []*item) ([]int32, bool) {
	return g.best(len(items), func(i int) ([]int32, bool) { return g.item(items[i]) })
}

func (g *gater) item(it *item) ([]int32, bool) {
	if it.kind != itemValues || it.neq || it.null || len(it.flat) == 0 {
		return nil, false
	}
	if !it.all {
		return g.union(len(it.flat), func(i int) ([]int32, bool) { return g.matcherNeedles(it.flat[i]) })
	}
	return g.best(len(it.groups), func(i int) ([]int32, bool) {
		grp := it.groups[i]
		return g.union(len(grp), func(j int) ([]int32, bool) { return g.matcherNeedles(grp[j]) })
	})
}

// matcherNeedles returns needles one of which occurs in any value the
// matcher accepts. Needles too short to index cannot gate.
func (g *gater) matcherNeedles(m *matcher) ([]int32, bool) {
	set := m.preIDs
	if m.needle >= 0 {
		set = []int32{m.needle}
	}
	for _, n := range set {
		if !multiIndexable(g.needles[n].text) {
			return nil, false
		}
	}
	return set, len(set) > 0
}

// cost estimates how often a needle set lets a rule through: short needles
// occur by chance far more often than long ones, needles that many others
// contain are common, and a needle of a keyword search is looked for in
// every field.
func (g *gater) cost(set []int32) float64 {
	c := 0.0
	for _, id := range set {
		n := g.needles[id]
		l := len(n.text)
		if l > 12 {
			l = 12
		}
		w := math.Pow(0.3, float64(l)) * float64(1+g.contained[id])
		if n.field < 0 {
			w *= 8
		}
		c += w
	}
	return c
}

func dedupIDs(in []int32) []int32 {
	seen := make(map[int32]bool, len(in))
	out := in[:0]
	for _, n := range in {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// literalSets of a glob: the literal runs of its segments, each a set of
// alternatives (dash classes expanded when few).
func (g *glob) literalSets() [][]string {
	var all sstring
	for i, seg := range g.segs {
		if i > 0 {
			all = append(all, part{kind: partStar})
		}
		all = append(all, seg...)
	}
	return all.literalSets()
}

// eventIDs derives the event ids a compiled detection can match from its
// tests of the EventID field: the set, and whether one was found. Like the
// gate, an AND takes the intersection of what its operands require, an OR
// the union.
func eventIDs(e *cexpr, sels []*selection, eidField int32) (map[int]bool, bool) {
	switch e.op {
	case cFalse:
		return map[int]bool{}, true
	case cSel:
		s := sels[e.sel]
		out := map[int]bool{}
		for _, g := range s.groups {
			set, ok := groupEventIDs(g, eidField)
			if !ok {
				return nil, false
			}
			for id := range set {
				out[id] = true
			}
		}
		return out, true
	case cAnd:
		var out map[int]bool
		found := false
		for _, k := range e.kids {
			set, ok := eventIDs(k, sels, eidField)
			if !ok {
				continue
			}
			if !found {
				out, found = set, true
				continue
			}
			for id := range out {
				if !set[id] {
					delete(out, id)
				}
			}
		}
		return out, found
	case cOr, cAtLeast:
		out := map[int]bool{}
		for _, k := range e.kids {
			set, ok := eventIDs(k, sels, eidField)
			if !ok {
				return nil, false
			}
			for id := range set {
				out[id] = true
			}
		}
		return out, true
	}
	return nil, false
}

func groupEventIDs(g []*item, eidField int32) (map[int]bool, bool) {
	var out map[int]bool
	found := false
	for _, it := range g {
		if it.field != eidField || it.field < 0 || it.kind != itemValues || it.neq || it.null || it.all || len(it.flat) == 0 {
			continue
		}
		set := map[int]bool{}
		ok := true
		for _, m := range it.flat {
			switch {
			case m.kind == mNum && m.num.isInt:
				set[int(m.num.i)] = true
			case m.kind == mEq && allDigits(m.s) && len(m.s) < 10:
				n, _ := parseNumber(m.s)
				set[int(n.i)] = true
			default:
				ok = false
			}
		}
		if !ok {
			continue
		}
		if !found {
			out, found = set, true
			continue
		}
		for id := range out {
			if !set[id] {
				delete(out, id)
			}
		}
	}
	return out, found
}
