package sigma

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Correlation rules (Sigma correlation specification, 2.1) aggregate the
// matches of other rules over time. CompileCorrelations resolves them
// against a compiled RuleSet: each rule a correlation names, by id or by
// name, is a base rule of the set or another correlation (a chain), and
// each group-by field is resolved, per named rule, through the
// correlation's aliases. A Correlator then evaluates them over events (see
// correlator.go for the windows and their exact semantics).

// CorrelationProblem is a correlation rule that cannot run, and why.
type CorrelationProblem struct {
	Correlation *Correlation
	Err         error
}

// CorrelationSet is a set of correlation rules resolved against a RuleSet.
// It is immutable and safe for concurrent use.
type CorrelationSet struct {
	rs       *RuleSet
	plans    []*corrPlan // usable correlations, inputs before the correlations they feed
	problems []CorrelationProblem
	// byRule lists, per base rule of rs, the correlation inputs it feeds.
	byRule [][]feed
	// silent marks the base rules whose own matches are not reported: a
	// usable correlation names them, and none of those generates them.
	silent []bool
}

// feed is one input of one correlation.
type feed struct {
	corr  int // index in plans
	input int // index in the plan's inputs
}

// corrPlan is one usable correlation, resolved.
type corrPlan struct {
	c      *Correlation
	idx    int
	inputs []corrInput
	// carry lists the fields the correlations this one feeds need from its
	// matches beyond its group-by values; its matches pass on the values
	// of these fields that its events had (one output per combination).
	carry []string
	feeds []feed // the correlations this one's matches feed
	// report says whether its own matches are reported: a correlation
	// named by another (a chain) is not, unless one that names it
	// generates its matches.
	report bool
	nRules int // distinct rules (positions) the temporal types count
}

// corrInput is one rule a correlation names, resolved.
type corrInput struct {
	name  string // as the correlation writes it
	title string
	rule  int // base rule index in rs, or -1
	corr  int // correlation (plan) index, or -1
	pos   int // position in the correlation's rules list (duplicates share one)
	// Fields to read, each as the names to try in order: for base rules
	// the event field names (aliases resolved, then the names the rule's
	// logsource maps them to); for a correlation, the one name of its
	// group-by or carried value.
	fields [][]string // group-by fields, then the field, then carried ones
	group  [][]string // the group-by fields (a prefix of fields)
	value  []string   // the correlation's field; nil when it has none
	carry  [][]string // this correlation's carried fields (a suffix)
}

// maxChain bounds the depth of chains of correlations.
const maxChain = 32

// CompileCorrelations resolves correlation rules against the base rules of
// rs. Correlations that cannot run (a loader error, a rule name that names
// nothing usable, a cycle) are left out and listed by Problems; the error
// is an ErrorList of the problems found here (not the loader's again). A
// nil set is never returned.
func CompileCorrelations(corrs []*Correlation, rs *RuleSet) (*CorrelationSet, error) {
	cs := &CorrelationSet{rs: rs, byRule: make([][]feed, rs.Len()), silent: make([]bool, rs.Len())}
	var errs ErrorList
	fail := func(c *Correlation, format string, args ...any) {
		e := &Error{Pos: c.Pos, Rule: c.Ident(), Msg: fmt.Sprintf(format, args...)}
		errs = append(errs, e)
		cs.problems = append(cs.problems, CorrelationProblem{Correlation: c, Err: e})
	}

	// Names: base rules first by id, then correlations by id, then names,
	// so that an id always wins over a name that happens to equal it.
	ruleByID, ruleByName := map[string]int{}, map[string]int{}
	for i, r := range rs.rules {
		if r.ID != "" {
			ruleByID[r.ID] = i
		}
		if r.Name != "" {
			if _, dup := ruleByName[r.Name]; !dup {
				ruleByName[r.Name] = i
			}
		}
	}
	var live []*Correlation
	for _, c := range corrs {
		if c == nil {
			continue
		}
		if c.Err != nil {
			cs.problems = append(cs.problems, CorrelationProblem{Correlation: c, Err: c.Err})
			continue
		}
		live = append(live, c)
	}
	corrByID, corrByName := map[string]int{}, map[string]int{}
	for i, c := range live {
		if c.ID != "" {
			if _, dup := corrByID[c.ID]; !dup {
				corrByID[c.ID] = i
			}
		}
		if c.Name != "" {
			if _, dup := corrByName[c.Name]; !dup {
				corrByName[c.Name] = i
			}
		}
	}
	resolve := func(name string) (rule, corr int) {
		if i, ok := ruleByID[name]; ok {
			return i, -1
		}
		if i, ok := corrByID[name]; ok {
			return -1, i
		}
		if i, ok := ruleByName[name]; ok {
			return i, -1
		}
		if i, ok := corrByName[name]; ok {
			return -1, i
		}
		return -1, -1
	}

	// Resolve references and settle which correlations are usable: those
	// whose every rule resolves to a base rule or a usable correlation,
	// without cycles.
	const (
		unvisited = iota
		visiting
		good
		bad
	)
	state := make([]int, len(live))
	var order []int // usable, inputs first
	var stack []int // the correlations being visited
	var visit func(i int) bool
	visit = func(i int) bool {
		switch state[i] {
		case good:
			return true
		case bad:
			return false
		case visiting:
			// Every correlation on the stack from i on is in the cycle.
			at := slices.Index(stack, i)
			for _, j := range stack[at:] {
				fail(live[j], "correlation rules form a cycle through %q", live[i].Ident())
				state[j] = bad
			}
			return false
		}
		c := live[i]
		if len(stack) > maxChain {
			fail(c, "chain of correlations deeper than %d", maxChain)
			state[i] = bad
			return false
		}
		if msg := checkCorrelation(c); msg != "" {
			fail(c, "%s", msg)
			state[i] = bad
			return false
		}
		state[i] = visiting
		stack = append(stack, i)
		defer func() { stack = stack[:len(stack)-1] }()
		for _, name := range c.Rules {
			rule, corr := resolve(name)
			switch {
			case rule >= 0:
			case corr >= 0:
				if !visit(corr) {
					if state[i] != bad {
						fail(c, "rule %q is a correlation that cannot run", name)
						state[i] = bad
					}
					return false
				}
			default:
				fail(c, "rule %q names no loaded rule or correlation", name)
				state[i] = bad
				return false
			}
		}
		state[i] = good
		order = append(order, i)
		return true
	}
	for i := range live {
		visit(i)
	}

	planOf := make(map[int]int, len(order)) // live index -> plan index
	for _, li := range order {
		c := live[li]
		p := &corrPlan{c: c, idx: len(cs.plans)}
		planOf[li] = p.idx
		positions := map[string]int{}
		for _, name := range c.Rules {
			rule, corr := resolve(name)
			in := corrInput{name: name, rule: rule, corr: -1}
			if corr >= 0 {
				in.corr = planOf[corr]
				in.title = live[corr].Title
			} else {
				in.title = rs.rules[rule].Title
			}
			key := strconv.Itoa(rule) + "/" + strconv.Itoa(in.corr)
			pos, seen := positions[key]
			if !seen {
				pos = len(positions)
				positions[key] = pos
			}
			in.pos = pos
			p.inputs = append(p.inputs, in)
		}
		p.nRules = len(positions)
		cs.plans = append(cs.plans, p)
	}

	// Which correlations each one feeds, and which report their matches.
	for _, p := range cs.plans {
		for ii, in := range p.inputs {
			if in.corr >= 0 {
				up := cs.plans[in.corr]
				up.feeds = append(up.feeds, feed{corr: p.idx, input: ii})
			} else {
				cs.byRule[in.rule] = append(cs.byRule[in.rule], feed{corr: p.idx, input: ii})
			}
		}
	}
	for _, p := range cs.plans {
		p.report = len(p.feeds) == 0
		for _, f := range p.feeds {
			if cs.plans[f.corr].c.Generate {
				p.report = true
			}
		}
	}
	for r, fs := range cs.byRule {
		if len(fs) == 0 {
			continue
		}
		silent := true
		for _, f := range fs {
			if cs.plans[f.corr].c.Generate {
				silent = false
			}
		}
		cs.silent[r] = silent
	}

	// Carried fields, from the last correlations of chains down to their
	// first: what a consumer reads of an input correlation's matches that
	// is not one of its group-by names must be carried by it.
	for i := len(cs.plans) - 1; i >= 0; i-- {
		p := cs.plans[i]
		for _, f := range p.feeds {
			consumer := cs.plans[f.corr]
			in := consumer.inputs[f.input]
			for _, name := range consumer.needs(in.name) {
				if !contains(p.c.GroupBy, name) && !contains(p.carry, name) {
					p.carry = append(p.carry, name)
				}
			}
		}
	}
	// Field names each input reads.
	for _, p := range cs.plans {
		for ii := range p.inputs {
			in := &p.inputs[ii]
			look := func(name string) []string {
				f := p.resolveAlias(name, in.name, in.rule, rs)
				if in.corr >= 0 {
					return []string{f}
				}
				return cs.candidates(f, in.rule)
			}
			for _, g := range p.c.GroupBy {
				in.fields = append(in.fields, look(g))
			}
			if p.c.Field != "" {
				in.fields = append(in.fields, look(p.c.Field))
			}
			for _, cf := range p.carry {
				in.fields = append(in.fields, look(cf))
			}
			ng := len(p.c.GroupBy)
			in.group = in.fields[:ng]
			if p.c.Field != "" {
				in.value = in.fields[ng]
			}
			in.carry = in.fields[len(in.fields)-len(p.carry):]
		}
	}
	return cs, errs.Err()
}

// checkCorrelation returns why a correlation cannot run, or "".
func checkCorrelation(c *Correlation) string {
	switch c.Type {
	case EventCount, ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if len(c.Condition) == 0 {
			return fmt.Sprintf("%s correlation needs a condition", c.Type)
		}
	case Temporal, TemporalOrdered:
	default:
		return fmt.Sprintf("unknown correlation type %q", c.Type)
	}
	switch c.Type {
	case ValueCount, ValueSum, ValueAvg, ValuePercentile:
		if c.Field == "" {
			return fmt.Sprintf("%s correlation needs a field", c.Type)
		}
	}
	if c.Type == ValuePercentile && (c.Percentile < 0 || c.Percentile > 100) {
		return fmt.Sprintf("percentile %g is not between 0 and 100", c.Percentile)
	}
	if c.Timespan <= 0 {
		return "correlation has no timespan"
	}
	if len(c.Rules) == 0 {
		return "correlation names no rules"
	}
	if len(c.Rules) > math.MaxUint16 {
		return "correlation names too many rules"
	}
	return ""
}

// needs lists the names a correlation reads of the matches of the input
// named name: its group-by fields, its field, and what it carries itself,
// each after its aliases.
func (p *corrPlan) needs(name string) []string {
	var out []string
	add := func(n string) {
		n = p.resolveAlias(n, name, -1, nil)
		if !contains(out, n) {
			out = append(out, n)
		}
	}
	for _, g := range p.c.GroupBy {
		add(g)
	}
	if p.c.Field != "" {
		add(p.c.Field)
	}
	for _, cf := range p.carry {
		add(cf)
	}
	return out
}

// resolveAlias returns the field an alias stands for in the events (or
// matches) of the named input; a name that is no alias stands for itself.
// Aliases are keyed by rule name; an input written by id is also found
// under the name of the rule it resolves to.
func (p *corrPlan) resolveAlias(field, input string, rule int, rs *RuleSet) string {
	m, ok := p.c.Aliases[field]
	if !ok {
		return field
	}
	if f, ok := m[input]; ok {
		return f
	}
	if rule >= 0 && rs != nil {
		r := rs.rules[rule]
		for _, k := range []string{r.Name, r.ID} {
			if f, ok := m[k]; ok && k != "" {
				return f
			}
		}
	}
	return field
}

// candidates lists the event field names to try for a field of a base
// rule's events: the name itself, then what the rule's logsource maps it
// to, in a stable order.
func (cs *CorrelationSet) candidates(field string, rule int) []string {
	out := []string{field}
	add := func(n string) {
		if n != "" && !contains(out, n) {
			out = append(out, n)
		}
	}
	if m := cs.rs.mappings; m != nil {
		add(m.FieldName(field))
	}
	for _, u := range cs.rs.units {
		if int(u.rule) != rule {
			continue
		}
		if to, ok := u.src.Fields[field]; ok {
			add(to)
		}
	}
	return out
}

// Problems returns the correlations left out, and why.
func (cs *CorrelationSet) Problems() []CorrelationProblem { return cs.problems }

// Len returns the number of usable correlations.
func (cs *CorrelationSet) Len() int { return len(cs.plans) }

// Correlation returns usable correlation i (0 <= i < Len()).
func (cs *CorrelationSet) Correlation(i int) *Correlation { return cs.plans[i].c }

// RuleSet returns the rules the correlations are resolved against.
func (cs *CorrelationSet) RuleSet() *RuleSet { return cs.rs }

// Feeds reports whether base rule i feeds some correlation.
func (cs *CorrelationSet) Feeds(i int) bool {
	return i >= 0 && i < len(cs.byRule) && len(cs.byRule[i]) > 0
}

// Reported reports whether the matches of base rule i are reported on
// their own: a rule that only correlations use is not, unless one of them
// says generate: true.
func (cs *CorrelationSet) Reported(i int) bool { return i < 0 || i >= len(cs.silent) || !cs.silent[i] }

// Inputs returns the base rules (indices in the RuleSet) that correlation i
// reads, directly or through the correlations it names, without
// duplicates, in increasing order.
func (cs *CorrelationSet) Inputs(i int) []int {
	seen := map[int]bool{}
	var walk func(p *corrPlan)
	walk = func(p *corrPlan) {
		for _, in := range p.inputs {
			if in.corr >= 0 {
				walk(cs.plans[in.corr])
			} else {
				seen[in.rule] = true
			}
		}
	}
	walk(cs.plans[i])
	out := make([]int, 0, len(seen))
	for r := range seen {
		out = append(out, r)
	}
	sort.Ints(out)
	return out
}

// FormatTimespan renders a duration the way correlation rules write
// timespans: "5m", "1h", "2d", "90s".
func FormatTimespan(d time.Duration) string {
	units := []struct {
		d time.Duration
		s string
	}{{7 * 24 * time.Hour, "w"}, {24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	for _, u := range units {
		if d >= u.d && d%u.d == 0 {
			return strconv.FormatInt(int64(d/u.d), 10) + u.s
		}
	}
	return d.String()
}

// ConditionText renders a correlation condition as ">= 10" or
// "> 100 and <= 200".
func ConditionText(th []Threshold) string {
	ops := map[string]string{"gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "eq": "=", "neq": "!="}
	var parts []string
	for _, t := range th {
		parts = append(parts, ops[t.Op]+" "+formatNumber(t.Value))
	}
	return strings.Join(parts, " and ")
}

// holds reports whether a measured value satisfies every threshold.
func holds(th []Threshold, v float64) bool {
	for _, t := range th {
		var ok bool
		switch t.Op {
		case "gt":
			ok = v > t.Value
		case "gte":
			ok = v >= t.Value
		case "lt":
			ok = v < t.Value
		case "lte":
			ok = v <= t.Value
		case "eq":
			ok = v == t.Value
		case "neq":
			ok = v != t.Value
		}
		if !ok {
			return false
		}
	}
	return true
}

// formatNumber renders a measured value: integers without a fraction,
// others with at most four decimals.
func formatNumber(v float64) string {
	if v == float64(int64(v)) && v < 1e15 && v > -1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}
