package sigma

import (
	"errors"
	"fmt"
	"strings"
)

// Filters (Sigma filters specification) are environment-specific
// exclusions kept apart from the rules they tune: a filter names rules by
// id or name, gives a logsource, and a detection whose matches those rules
// must no longer report. Compile applies them by rewriting the condition of
// each rule a filter names into "(condition) and not (filter condition)",
// so a filtered rule costs what any rule with one more selection costs, and
// matching stays free of allocations.
//
// A filter applies to a rule it names only when the rule's logsource agrees
// with the filter's: every part the filter gives (category, product,
// service) must equal the rule's, ignoring case. A filter that applies to
// no rule is reported by RuleSet.FilterProblems, since it silently tunes
// nothing otherwise.

// FilterProblem is a filter that was not applied, or applied to none of the
// rules it names, and why.
type FilterProblem struct {
	Filter *Filter
	Err    error
}

// compiledFilter is a filter's detection compiled once and shared by every
// rule it applies to.
type compiledFilter struct {
	f    *Filter
	comp *compiled
	used bool
	// named counts the usable rules that the filter names, whether or not
	// their logsource agrees.
	named []string
}

// compileFilters compiles the filters' detections; problems are returned
// for the filters that cannot be used.
func (c *compiler) compileFilters(fs []*Filter) ([]*compiledFilter, []FilterProblem) {
	var out []*compiledFilter
	var probs []FilterProblem
	for _, f := range fs {
		if f == nil {
			continue
		}
		if f.Err != nil {
			probs = append(probs, FilterProblem{Filter: f, Err: f.Err})
			continue
		}
		comp, err := c.compileDetection(&f.Detection)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Pos: f.Pos, Msg: err.Error()}
			}
			e.Rule = f.Ident()
			probs = append(probs, FilterProblem{Filter: f, Err: e})
			continue
		}
		out = append(out, &compiledFilter{f: f, comp: comp})
	}
	return out, probs
}

// names reports whether the filter names the rule, by id or name.
func (cf *compiledFilter) names(r *Rule) bool {
	for _, n := range cf.f.Rules {
		if n != "" && (n == r.ID || n == r.Name) {
			return true
		}
	}
	return false
}

// logsourceAgrees reports whether a filter's logsource admits a rule's:
// every part the filter gives equals the rule's, ignoring case.
func logsourceAgrees(filter, rule LogSource) bool {
	agree := func(f, r string) bool { return f == "" || strings.EqualFold(f, r) }
	return agree(filter.Category, rule.Category) && agree(filter.Product, rule.Product) && agree(filter.Service, rule.Service)
}

// applyFilters returns the rule's detection with the filters that apply to
// it folded in, and those filters.
func applyFilters(r *Rule, comp *compiled, fs []*compiledFilter) (*compiled, []*Filter) {
	var applied []*compiledFilter
	for _, cf := range fs {
		if !cf.names(r) {
			continue
		}
		cf.named = append(cf.named, r.Ident())
		if logsourceAgrees(cf.f.LogSource, r.LogSource) {
			cf.used = true
			applied = append(applied, cf)
		}
	}
	if len(applied) == 0 {
		return comp, nil
	}
	out := &compiled{sels: append([]*selection(nil), comp.sels...)}
	kids := []*cexpr{comp.cond}
	if comp.cond.op == cAnd {
		kids = append([]*cexpr(nil), comp.cond.kids...)
	}
	var filters []*Filter
	for _, cf := range applied {
		off := len(out.sels)
		for _, s := range cf.comp.sels {
			cp := *s
			// Prefixed so that explanations tell the filter's searches
			// from the rule's, which may have the same names.
			cp.name = "filter " + cf.f.Ident() + ": " + s.name
			out.sels = append(out.sels, &cp)
		}
		kids = append(kids, &cexpr{op: cNot, kids: []*cexpr{shiftSels(cf.comp.cond, off)}})
		filters = append(filters, cf.f)
	}
	out.cond = &cexpr{op: cAnd, kids: kids}
	return out, filters
}

// shiftSels copies a condition with its selection indices moved by off.
func shiftSels(e *cexpr, off int) *cexpr {
	cp := *e
	if e.op == cSel {
		cp.sel += off
	}
	if len(e.kids) > 0 {
		cp.kids = make([]*cexpr, len(e.kids))
		for i, k := range e.kids {
			cp.kids[i] = shiftSels(k, off)
		}
	}
	return &cp
}

// filterProblems lists the filters that tuned nothing.
func filterProblems(fs []*compiledFilter) []FilterProblem {
	var out []FilterProblem
	for _, cf := range fs {
		if cf.used {
			continue
		}
		var err *Error
		if len(cf.named) == 0 {
			err = &Error{Pos: cf.f.Pos, Rule: cf.f.Ident(),
				Msg: fmt.Sprintf("filter names no loaded rule (%s)", strings.Join(cf.f.Rules, ", "))}
		} else {
			err = &Error{Pos: cf.f.Pos, Rule: cf.f.Ident(),
				Msg: fmt.Sprintf("filter logsource %s agrees with none of the rules it names (%s)", cf.f.LogSource, strings.Join(cf.named, ", "))}
		}
		out = append(out, FilterProblem{Filter: cf.f, Err: err})
	}
	return out
}

// Filters returns the filters applied to rule i.
func (rs *RuleSet) Filters(i int) []*Filter {
	if i < 0 || i >= len(rs.filtered) {
		return nil
	}
	return rs.filtered[i]
}

// FilterProblems returns the filters of Config.Filters that were not
// applied to any rule, and why: a loader error, a detection that does not
// compile, no loaded rule by the names it gives, or no named rule of its
// logsource.
func (rs *RuleSet) FilterProblems() []FilterProblem { return rs.filterProbs }
