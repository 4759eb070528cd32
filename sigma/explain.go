package sigma

import (
	"fmt"
	"strconv"
	"strings"
)

// Explanation says why a rule matches an event or not: whether the event
// comes from a source the rule applies to, and for every search of the
// detection whether it matched and which field/value pairs decided it. It
// is built by the slow, thorough Explain, for people (rules explain) and
// for the evidence of findings.
type Explanation struct {
	RuleID    string              `json:"rule_id,omitempty"`
	Title     string              `json:"rule"`
	Matched   bool                `json:"matched"`
	Source    string              `json:"source,omitempty"` // the event source that applied
	Reason    string              `json:"reason,omitempty"` // why the rule did not apply, when it did not
	Condition []string            `json:"condition,omitempty"`
	Searches  []SearchExplanation `json:"searches,omitempty"`
}

// SearchExplanation is the result of one search identifier.
type SearchExplanation struct {
	Name    string             `json:"name"`
	Matched bool               `json:"matched"`
	Groups  []GroupExplanation `json:"groups"`
}

// GroupExplanation is one map of a search (its field matches are ANDed; the
// groups of a search are ORed).
type GroupExplanation struct {
	Matched bool               `json:"matched"`
	Fields  []FieldExplanation `json:"fields"`
}

// FieldExplanation is the result of one field match.
type FieldExplanation struct {
	Field      string `json:"field"`                 // as the rule writes it, with modifiers; "" for keywords
	EventField string `json:"event_field,omitempty"` // the event's field it read after mapping
	Matched    bool   `json:"matched"`
	// Value is the event value that decided the result (for a match, the
	// value that matched), and Pattern the rule value it matched.
	Value   string `json:"value,omitempty"`
	Pattern string `json:"pattern,omitempty"`
	Reason  string `json:"reason,omitempty"`
}

// String renders the explanation as indented text.
func (e *Explanation) String() string {
	var b strings.Builder
	verdict := "does not match"
	if e.Matched {
		verdict = "matches"
	}
	fmt.Fprintf(&b, "rule %q %s", e.Title, verdict)
	if e.Source != "" {
		fmt.Fprintf(&b, " (source %s)", e.Source)
	}
	b.WriteByte('\n')
	if e.Reason != "" {
		fmt.Fprintf(&b, "  %s\n", e.Reason)
	}
	for _, c := range e.Condition {
		fmt.Fprintf(&b, "  condition: %s\n", c)
	}
	for _, s := range e.Searches {
		fmt.Fprintf(&b, "  %s %s\n", mark(s.Matched), s.Name)
		for gi, g := range s.Groups {
			if len(s.Groups) > 1 {
				fmt.Fprintf(&b, "    %s alternative %d\n", mark(g.Matched), gi+1)
			}
			for _, f := range g.Fields {
				name := f.Field
				if name == "" {
					name = "(keywords)"
				}
				fmt.Fprintf(&b, "      %s %s", mark(f.Matched), name)
				if f.EventField != "" && f.EventField != strings.SplitN(f.Field, "|", 2)[0] {
					fmt.Fprintf(&b, " [read %s]", f.EventField)
				}
				if f.Pattern != "" {
					fmt.Fprintf(&b, ": %q", f.Pattern)
				}
				if f.Value != "" {
					fmt.Fprintf(&b, " <- %q", f.Value)
				}
				if f.Reason != "" {
					fmt.Fprintf(&b, " (%s)", f.Reason)
				}
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

func mark(ok bool) string {
	if ok {
		return "+"
	}
	return "-"
}

// Explain evaluates rule i against an event without shortcuts and records
// why it matches or not. It allocates freely: it is for people, not for the
// hot path, and it agrees with Matcher.Match.
func (rs *RuleSet) Explain(i int, ev Event) *Explanation { return rs.explain(i, ev, nil) }

// Explain is RuleSet.Explain on the matcher's memory, which saves building
// a matcher per call when many matches are explained.
func (m *Matcher) Explain(i int, ev Event) *Explanation { return m.rs.explain(i, ev, m) }

func (rs *RuleSet) explain(i int, ev Event, m *Matcher) *Explanation {
	r := rs.rules[i]
	ex := &Explanation{RuleID: r.ID, Title: r.Title}
	for _, c := range r.Detection.Conditions {
		ex.Condition = append(ex.Condition, c.Text)
	}
	for _, f := range rs.Filters(i) {
		for _, c := range f.Detection.Conditions {
			ex.Condition = append(ex.Condition, "and not filter "+f.Ident()+": "+c.Text)
		}
	}
	ch, prov, eid := fold(ev.Channel()), fold(ev.Provider()), ev.EventID()
	var applies []*unit
	var sources []string
	for ui := range rs.units {
		u := &rs.units[ui]
		if int(u.rule) != i {
			continue
		}
		sources = append(sources, u.src.String())
		for _, k := range u.keys {
			if (k.channel == "" || k.channel == ch) && (k.provider == "" || k.provider == prov) && (k.eventID < 0 || k.eventID == eid) {
				applies = append(applies, u)
				break
			}
		}
	}
	if len(applies) == 0 {
		ex.Reason = fmt.Sprintf("the event (channel %q, provider %q, event id %d) is not from a source the rule applies to (logsource %s: %s)",
			ev.Channel(), ev.Provider(), eid, r.LogSource, strings.Join(sources, ", "))
		if len(sources) == 0 {
			ex.Reason = "the rule cannot match any event of its logsource (its EventID values and the logsource's disagree)"
		}
		return ex
	}
	if m == nil {
		m = rs.NewMatcher()
	}
	m.prepare(ev)
	for _, u := range applies {
		ex.Source = u.src.String()
		ex.Searches = ex.Searches[:0]
		for _, s := range u.sels {
			ex.Searches = append(ex.Searches, m.explainSel(s))
		}
		ex.Matched = m.evalUnit(u)
		if ex.Matched {
			break
		}
	}
	return ex
}

func (m *Matcher) explainSel(s *selection) SearchExplanation {
	se := SearchExplanation{Name: s.name}
	for _, g := range s.groups {
		ge := GroupExplanation{Matched: true}
		for _, it := range g {
			fe := m.explainItem(it)
			ge.Fields = append(ge.Fields, fe)
			ge.Matched = ge.Matched && fe.Matched
		}
		se.Groups = append(se.Groups, ge)
		se.Matched = se.Matched || ge.Matched
	}
	return se
}

func (m *Matcher) explainItem(it *item) FieldExplanation {
	fe := FieldExplanation{Field: it.fm.Key(), EventField: it.mapped, Matched: m.evalItem(it)}
	if it.field < 0 {
		fe.EventField = ""
	}
	first := m.firstOf(it.field)
	switch {
	case it.kind == itemExists:
		if first >= 0 {
			fe.Reason = "field present"
		} else {
			fe.Reason = "field absent"
		}
		return fe
	case it.field >= 0 && first < 0:
		fe.Reason = "field absent"
		if it.null {
			fe.Reason += " (null)"
		}
		return fe
	}
	// Find the deciding pair: the first value and matcher that match.
	var values []int
	if it.field < 0 {
		for i := 0; i < m.n; i++ {
			values = append(values, i)
		}
	} else {
		for i := first; i >= 0; i = m.next[i] {
			values = append(values, int(i))
		}
	}
	for _, i := range values {
		for _, mt := range it.flat {
			if m.matchOne(mt, i) {
				fe.Value, fe.Pattern = m.vals[i], describeMatcher(mt)
				if it.neq {
					fe.Reason = "equal to an excluded value"
				}
				return fe
			}
		}
	}
	if it.null && fe.Matched {
		fe.Reason = "field empty (null)"
		return fe
	}
	if len(values) > 0 && it.field >= 0 {
		fe.Value = m.vals[values[0]]
	}
	var pats []string
	for k, mt := range it.flat {
		if k == 8 {
			pats = append(pats, fmt.Sprintf("... %d more", len(it.flat)-k))
			break
		}
		pats = append(pats, describeMatcher(mt))
	}
	if it.neq {
		fe.Reason = "different from " + strings.Join(pats, ", ")
	} else {
		fe.Reason = "no value matched " + strings.Join(pats, ", ")
	}
	return fe
}

// describeMatcher renders a matcher as the rule value and its final form.
func describeMatcher(mt *matcher) string {
	switch mt.kind {
	case mEq:
		return mt.s
	case mPrefix:
		return mt.s + "*"
	case mSuffix:
		return "*" + mt.s
	case mContains:
		return "*" + mt.s + "*"
	case mAny:
		return "*"
	case mGlob:
		return mt.s
	case mRegex:
		return "/" + mt.re.String() + "/"
	case mNum:
		return mt.text
	case mCmp, mTime:
		return mt.modifiers + " " + mt.text
	case mCIDR:
		return mt.pfx.String()
	case mFieldRef:
		return "field " + mt.refName
	}
	return strconv.Quote(mt.text)
}
