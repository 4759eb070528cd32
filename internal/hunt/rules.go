package hunt

import (
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/sigma"
)

// RuleOptions say which Sigma rules a hunt runs.
type RuleOptions struct {
	Paths []string // rule files and folders of rule files
	// Builtin is the embedded rule pack; nil runs only Paths.
	Builtin fs.FS
	// Mappings is a user logsource mapping file that adds to or overrides
	// the built-in one; Placeholders a file of placeholder values.
	Mappings     string
	Placeholders string
	// Filters are files and folders of Sigma filter documents, the
	// user's own tuning: each excludes events from the rules it names.
	// Filters found among the rules of Paths apply as well.
	Filters []string
}

// Problem is a rule that cannot run, or cannot run yet, and why.
type Problem struct {
	File   string // the rule file (and line)
	Rule   string // id or title, "" when no rule could be read
	Reason string
	// NeedsValues marks a sound rule that waits for placeholder values.
	NeedsValues bool
}

func (p Problem) String() string {
	s := p.File
	if p.Rule != "" {
		s += " (" + p.Rule + ")"
	}
	return s + ": " + p.Reason
}

// Rules are the rules of a hunt, compiled, and the problems met on the way.
type Rules struct {
	Set *sigma.RuleSet
	// Correlations are the correlation rules, resolved against Set.
	Correlations *sigma.CorrelationSet
	Collection   *sigma.Collection
	// Documents counts the rule documents read, including unusable ones
	// and files that held no readable document.
	Documents int
	Problems  []Problem
}

// Usable counts the documents that can run, or can once their placeholder
// values are given.
func (r *Rules) Usable() int {
	n := r.Documents
	for _, p := range r.Problems {
		if !p.NeedsValues {
			n--
		}
	}
	return n
}

// NeedValues counts the rules that wait for placeholder values.
func (r *Rules) NeedValues() int {
	n := 0
	for _, p := range r.Problems {
		if p.NeedsValues {
			n++
		}
	}
	return n
}

// LoadRules reads and compiles rules. Broken rules are problems, not
// errors: the rest still run. The error is for what stops everything, such
// as a mapping file that cannot be read.
func LoadRules(o RuleOptions) (*Rules, error) {
	cfg := sigma.Config{}
	if o.Mappings != "" {
		m, err := sigma.LoadMappings(o.Mappings)
		if err != nil {
			return nil, fmt.Errorf("logsource mappings: %w", err)
		}
		cfg.Mappings = m
	}
	if o.Placeholders != "" {
		ph, err := sigma.LoadPlaceholders(o.Placeholders)
		if err != nil {
			return nil, fmt.Errorf("placeholder values: %w", err)
		}
		cfg.Placeholders = ph
	}
	var coll sigma.Collection
	var loadErrs sigma.ErrorList
	if o.Builtin != nil {
		c, err := sigma.LoadFS(o.Builtin, ".")
		coll.Add(c)
		collect(&loadErrs, err)
	}
	for _, p := range o.Paths {
		c, err := sigma.Load(p)
		var el sigma.ErrorList
		if errors.As(err, &el) && c.Len() == 0 && len(el) == 1 && errors.Is(el[0].Err, fs.ErrNotExist) {
			return nil, fmt.Errorf("rules: %s does not exist", p)
		}
		coll.Add(c)
		collect(&loadErrs, err)
	}
	// Documents of --filters files that are not filters do not run: a
	// rule there is more likely misplaced than meant.
	var misplaced []Problem
	for _, p := range o.Filters {
		c, err := sigma.Load(p)
		var el sigma.ErrorList
		if errors.As(err, &el) && c.Len() == 0 && len(el) == 1 && errors.Is(el[0].Err, fs.ErrNotExist) {
			return nil, fmt.Errorf("filters: %s does not exist", p)
		}
		coll.Filters = append(coll.Filters, c.Filters...)
		withDocs := make(map[string]bool)
		for _, r := range c.Rules {
			withDocs[r.Pos.File] = true
			why := "a rule among the filters is not run: give it with --rules"
			if r.Err != nil {
				why = reason(r.Err)
			}
			misplaced = append(misplaced, Problem{File: r.Pos.String(), Rule: r.Ident(), Reason: why})
		}
		for _, r := range c.Correlations {
			withDocs[r.Pos.File] = true
			misplaced = append(misplaced, Problem{File: r.Pos.String(), Rule: r.Ident(),
				Reason: "a correlation among the filters is not run: give it with --rules"})
		}
		for _, f := range c.Filters {
			withDocs[f.Pos.File] = true
		}
		for _, e := range errList(err) {
			if !withDocs[e.Pos.File] {
				withDocs[e.Pos.File] = true
				misplaced = append(misplaced, Problem{File: e.Pos.String(), Rule: e.Rule, Reason: e.Msg})
			}
		}
	}
	cfg.Filters = coll.Filters
	rs, _ := sigma.Compile(coll.Rules, cfg)
	cs, _ := sigma.CompileCorrelations(coll.Correlations, rs)
	out := &Rules{Set: rs, Correlations: cs, Collection: &coll, Documents: coll.Len() + len(misplaced)}
	out.Problems = append(out.Problems, misplaced...)

	// Files that yielded no document at all count once each.
	withDocs := make(map[string]bool)
	for _, r := range coll.Rules {
		withDocs[r.Pos.File] = true
	}
	for _, c := range coll.Correlations {
		withDocs[c.Pos.File] = true
	}
	for _, f := range coll.Filters {
		withDocs[f.Pos.File] = true
	}
	for _, e := range loadErrs {
		if !withDocs[e.Pos.File] {
			withDocs[e.Pos.File] = true
			out.Documents++
			out.Problems = append(out.Problems, Problem{File: e.Pos.String(), Rule: e.Rule, Reason: e.Msg})
		}
	}
	for _, u := range rs.Unusable() {
		p := Problem{File: u.Rule.Pos.String(), Rule: u.Rule.Ident(), Reason: reason(u.Err)}
		p.NeedsValues = errors.Is(u.Err, sigma.ErrPlaceholder)
		out.Problems = append(out.Problems, p)
	}
	for _, p := range cs.Problems() {
		c := p.Correlation
		out.Problems = append(out.Problems, Problem{File: c.Pos.String(), Rule: c.Ident(), Reason: reason(p.Err)})
	}
	for _, p := range rs.FilterProblems() {
		f := p.Filter
		out.Problems = append(out.Problems, Problem{File: f.Pos.String(), Rule: f.Ident(), Reason: reason(p.Err)})
	}
	sort.SliceStable(out.Problems, func(i, j int) bool { return out.Problems[i].File < out.Problems[j].File })
	return out, nil
}

// Detector returns the Sigma detector of the rules, which runs their
// correlations within the limits given (zero fields take
// sigma.DefaultLimits).
func (r *Rules) Detector(lim sigma.Limits) *detect.Sigma {
	return detect.NewSigma(r.Set, detect.WithCorrelations(r.Correlations, lim))
}

// errList returns the entries of an ErrorList error.
func errList(err error) sigma.ErrorList {
	var el sigma.ErrorList
	if errors.As(err, &el) {
		return el
	}
	if err != nil {
		return sigma.ErrorList{{Msg: err.Error(), Err: err}}
	}
	return nil
}

func collect(into *sigma.ErrorList, err error) {
	var el sigma.ErrorList
	if errors.As(err, &el) {
		*into = append(*into, el...)
	} else if err != nil {
		*into = append(*into, &sigma.Error{Msg: err.Error(), Err: err})
	}
}

// reason is an error's message without the position, which the problem
// already names.
func reason(err error) string {
	msg := err.Error()
	var e *sigma.Error
	if errors.As(err, &e) {
		msg = e.Msg
		if e.Err != nil {
			// The sentinel repeats what the message already says.
			msg = strings.TrimSuffix(msg, ": "+e.Err.Error())
		}
	}
	return msg
}
