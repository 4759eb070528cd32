package sigma

import "sort"

// Evaluation cost classes of a matcher: a needle flag or a string compare
// is cheap, a glob walks the value, a regular expression runs a machine.
const (
	costCheap = 1
	costGlob  = 4
	costRegex = 32
)

// selCost estimates what evaluating a selection costs for one event: the
// sum over its items of their dearest matcher.
func selCost(s *selection) int {
	total := 0
	for _, g := range s.groups {
		for _, it := range g {
			worst := costCheap
			for _, m := range it.flat {
				switch m.kind {
				case mRegex:
					worst = max(worst, costRegex)
				case mGlob, mFieldRef:
					worst = max(worst, costGlob)
				}
			}
			total += worst
		}
	}
	return total
}

// orderByCost reorders the operands of every AND, OR and "n of" of a
// condition so
// that the cheap ones run first: all three short-circuit, so a selection with a
// regular expression is evaluated only for the events the cheap part
// leaves. Operands have no side effects, so the result is unchanged.
func orderByCost(e *cexpr, sels []*selection) int {
	switch e.op {
	case cSel:
		return selCost(sels[e.sel])
	case cNot:
		return orderByCost(e.kids[0], sels)
	case cAnd, cOr, cAtLeast:
		costs := make([]int, len(e.kids))
		total := 0
		for i, k := range e.kids {
			costs[i] = orderByCost(k, sels)
			total += costs[i]
		}
		idx := make([]int, len(e.kids))
		for i := range idx {
			idx[i] = i
		}
		sort.SliceStable(idx, func(a, b int) bool { return costs[idx[a]] < costs[idx[b]] })
		kids := make([]*cexpr, len(e.kids))
		for i, j := range idx {
			kids[i] = e.kids[j]
		}
		e.kids = kids
		return total
	}
	return 0
}
