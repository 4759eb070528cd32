package detect

import (
	"slices"
	"strings"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/sigma"
)

// View lets the Sigma engine read an event. It is a pointer in disguise,
// so converting an *event.Event to a sigma.Event allocates nothing.
type View struct{ E *event.Event }

// Channel implements sigma.Event.
func (v View) Channel() string { return v.E.Channel }

// Provider implements sigma.Event.
func (v View) Provider() string { return v.E.Provider }

// EventID implements sigma.Event.
func (v View) EventID() int { return v.E.EventID }

// NumFields implements sigma.Event.
func (v View) NumFields() int { return len(v.E.Fields) }

// Field implements sigma.Event.
func (v View) Field(i int) (string, string) {
	f := &v.E.Fields[i]
	return f.Name, f.Value
}

// Sigma runs Sigma rules: every match of a single-event rule is a finding,
// and, given WithCorrelations, correlation rules aggregate the matches of
// the rules they name (see correlation.go).
type Sigma struct {
	rs    *sigma.RuleSet
	rules []ruleInfo // per rule of rs
	byID  map[string]int

	// Correlations; nil without.
	cs       *sigma.CorrelationSet
	corr     *sigma.Correlator[evRef]
	corrs    []ruleInfo // per correlation of cs
	corrByID map[string]int
	names    *interner
}

// ruleInfo is what a finding repeats of its rule, computed once.
type ruleInfo struct {
	id         string
	title      string
	level      finding.Level
	techniques []string
	tactics    []string
}

// NewSigma makes a detector of a compiled rule set.
func NewSigma(rs *sigma.RuleSet, opts ...SigmaOption) *Sigma {
	d := &Sigma{rs: rs, rules: make([]ruleInfo, rs.Len()), byID: make(map[string]int, rs.Len())}
	for i := range d.rules {
		r := rs.Rule(i)
		d.rules[i] = ruleInfo{
			id:         r.Ident(),
			title:      r.Title,
			level:      Level(r.Level),
			techniques: r.Techniques(),
			tactics:    r.Tactics(),
		}
		d.byID[r.Ident()] = i
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Level converts a Sigma level; a rule without one counts as medium, the
// level the specification suggests when a rule gives none.
func Level(l sigma.Level) finding.Level {
	switch l {
	case sigma.LevelInformational:
		return finding.Informational
	case sigma.LevelLow:
		return finding.Low
	case sigma.LevelHigh:
		return finding.High
	case sigma.LevelCritical:
		return finding.Critical
	}
	return finding.Medium
}

// RuleSet returns the rules the detector runs.
func (d *Sigma) RuleSet() *sigma.RuleSet { return d.rs }

var (
	_ Detector  = (*Sigma)(nil)
	_ Describer = (*Sigma)(nil)
	_ Noter     = (*Sigma)(nil)
)

// Name implements Detector.
func (d *Sigma) Name() string { return "sigma" }

// NewWorker implements Detector.
func (d *Sigma) NewWorker() Worker {
	w := &sigmaWorker{d: d, m: d.rs.NewMatcher(), explained: make(map[string]struct{})}
	if d.corr != nil {
		w.corr = &corrState{col: d.corr.NewCollector(), cache: map[string]uint32{}}
	}
	return w
}

// Finish implements Detector: single-event rules have nothing left;
// correlations are evaluated over everything the workers collected.
func (d *Sigma) Finish(emit func(*finding.Finding)) error {
	if d.corr == nil {
		return nil
	}
	return d.corr.Finish(func(m *sigma.CorrelationMatch[evRef]) { emit(d.correlationFinding(m)) })
}

// Notes implements Noter: the caps correlations hit, and the matches they
// could not count.
func (d *Sigma) Notes() []string {
	if d.corr == nil {
		return nil
	}
	return d.corr.Notes()
}

// Describe implements Describer.
func (d *Sigma) Describe(kind finding.Kind, id string) (finding.Rule, bool) {
	if kind == finding.KindCorrelation && d.cs != nil {
		return d.describeCorrelation(id)
	}
	if kind != finding.KindSigma {
		return finding.Rule{}, false
	}
	i, ok := d.byID[id]
	if !ok {
		return finding.Rule{}, false
	}
	r := d.rs.Rule(i)
	return finding.Rule{
		ID: id, Kind: kind, Title: r.Title, Level: d.rules[i].level, Status: r.Status,
		Description: r.Description, Author: r.Author,
		References: r.References, FalsePositives: r.FalsePositives,
		Techniques: d.rules[i].techniques, Tactics: d.rules[i].tactics, Path: r.Pos.File,
	}, true
}

type sigmaWorker struct {
	d    *Sigma
	m    *sigma.Matcher
	hits []int
	// explained holds the ids of the findings this worker has explained:
	// copies of an event (the same log in two folders) make the same
	// finding, and one explanation serves them all. Bounded by clearing.
	explained map[string]struct{}
	corr      *corrState // nil without correlations
}

// maxExplained bounds a worker's memory of explained findings.
const maxExplained = 1 << 16

func (w *sigmaWorker) Observe(ev *event.Event, emit func(*finding.Finding)) {
	w.hits = w.m.Match(View{ev}, w.hits[:0])
	if len(w.hits) == 0 {
		return
	}
	if w.corr != nil && !w.correlate(ev) {
		return // the rules that matched only feed correlations
	}
	key := finding.EventKey(ev)
	evidence := finding.EvidenceOf(ev)
	evidence.Fields = slices.Clone(ev.Fields)
	for _, i := range w.hits {
		if w.corr != nil && !w.d.cs.Reported(i) {
			continue
		}
		f := w.d.newFinding(i, ev, key, evidence)
		if _, done := w.explained[f.ID]; !done {
			if len(w.explained) >= maxExplained {
				clear(w.explained)
			}
			w.explained[f.ID] = struct{}{}
			f.Explain = explanation(w.m.Explain(i, View{ev}))
			f.Summary = summary(f.Rule, ev, f.Explain.Matches)
		}
		emit(f)
	}
}

func (w *sigmaWorker) Close() {}

// newFinding builds the finding of rule i on one event, without its
// explanation, which the worker adds once per finding id. A finding
// without one is a copy of another: Explain.Condition is never empty for
// an explained Sigma finding, and the collector keeps the explained copy's
// summary and explanation.
func (d *Sigma) newFinding(i int, ev *event.Event, key string, evidence finding.Evidence) *finding.Finding {
	ri := &d.rules[i]
	f := &finding.Finding{
		ID:         finding.NewID(finding.KindSigma, ri.id, key),
		Kind:       finding.KindSigma,
		RuleID:     ri.id,
		Rule:       ri.title,
		Level:      ri.level,
		Time:       ev.Time,
		Host:       ev.Computer,
		User:       UserOf(ev),
		Techniques: ri.techniques,
		Tactics:    ri.tactics,
		Evidence:   []finding.Evidence{evidence},
	}
	return f
}

// explanation keeps, of the engine's full explanation, the field values
// that made the rule match.
func explanation(ex *sigma.Explanation) finding.Explanation {
	out := finding.Explanation{Condition: strings.Join(ex.Condition, " | ")}
	for _, s := range ex.Searches {
		if !s.Matched {
			continue
		}
		for _, g := range s.Groups {
			if !g.Matched {
				continue
			}
			for _, fe := range g.Fields {
				if !fe.Matched {
					continue
				}
				name, mods, _ := strings.Cut(fe.Field, "|")
				field := fe.EventField
				if field == "" {
					field = name
				}
				out.Matches = append(out.Matches, finding.Match{
					Selection: s.Name, Field: field, Modifiers: mods,
					Pattern: fe.Pattern, Value: fe.Value,
				})
			}
			break // one matching alternative is enough to explain
		}
	}
	return out
}

// UserOf names the account an event is about: the acting user of a
// process, or the account of a logon, as DOMAIN\name when both are known.
func UserOf(ev *event.Event) string {
	for _, name := range [...]string{"User", "SourceUser"} {
		if u, ok := ev.Get(name); ok && u != "" && u != "-" {
			return u
		}
	}
	for _, p := range [...][2]string{
		{"TargetDomainName", "TargetUserName"},
		{"SubjectDomainName", "SubjectUserName"},
		{"AccountDomain", "AccountName"},
	} {
		name, ok := ev.Get(p[1])
		if !ok || name == "" || name == "-" {
			continue
		}
		if dom, ok := ev.Get(p[0]); ok && dom != "" && dom != "-" {
			return dom + `\` + name
		}
		return name
	}
	return ""
}

// keyFields are the fields that best say what an event did, most telling
// first; the summary line shows the first one present.
var keyFields = []string{
	"CommandLine", "ScriptBlockText", "ServiceFileName", "ImagePath", "TargetFilename",
	"TargetObject", "QueryName", "DestinationIp", "Image", "NewProcessName",
	"TaskName", "ServiceName", "TargetUserName", "IpAddress", "query", "id.resp_h",
}

// summary is one line a person can read: the rule's title and the value
// that tells this event apart.
func summary(title string, ev *event.Event, matches []finding.Match) string {
	for _, name := range keyFields {
		if v, ok := ev.Get(name); ok && v != "" && v != "-" {
			return title + ": " + shorten(v, 200)
		}
	}
	for _, m := range matches {
		if m.Value != "" {
			return title + ": " + shorten(m.Value, 200)
		}
	}
	return title
}

// shorten cuts s to at most n bytes on a rune boundary.
func shorten(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && s[cut]&0xC0 == 0x80 {
		cut--
	}
	return s[:cut] + "…"
}
