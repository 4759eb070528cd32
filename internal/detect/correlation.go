package detect

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/sigma"
)

// Correlation rules run inside the Sigma detector: its workers already
// know which base rules matched each event, and hand the matches of the
// rules that feed correlations to a sigma.Collector of their own (no lock
// is shared); Finish evaluates the windows over all of them at once, so
// the findings of a batch hunt are those of one time-ordered stream
// whatever the order of the files and the number of workers.

// SigmaOption configures a Sigma detector.
type SigmaOption func(*Sigma)

// WithCorrelations makes the detector run the correlation rules of cs,
// which must be resolved against the detector's rule set, within the
// limits given (zero fields take sigma.DefaultLimits). Base rules that only
// correlations use then report no findings of their own, unless a
// correlation naming them says generate: true.
func WithCorrelations(cs *sigma.CorrelationSet, lim sigma.Limits) SigmaOption {
	return func(d *Sigma) {
		if cs == nil || cs.Len() == 0 {
			return
		}
		d.cs = cs
		d.names = &interner{ids: map[string]uint32{"": 0}, names: []string{""}}
		d.corr = sigma.NewCorrelator(cs, lim, d.names.compareRefs)
		d.corrs = make([]ruleInfo, cs.Len())
		d.corrByID = make(map[string]int, cs.Len())
		for i := range d.corrs {
			d.corrs[i] = d.correlationInfo(i)
			d.corrByID[d.corrs[i].id] = i
		}
	}
}

// correlate hands the worker's matches of rules that feed correlations to
// its Collector, and reports whether some match is also reported on its
// own.
func (w *sigmaWorker) correlate(ev *event.Event) bool {
	cs := w.d.cs
	reported, fed := false, false
	var ref evRef
	var id uint64
	for _, i := range w.hits {
		if cs.Feeds(i) {
			if !fed {
				ref, id, fed = w.corr.ref(w.d.names, ev), Identity(ev), true
			}
			w.corr.col.Add(i, ev.Time, id, View{ev}, ref)
		}
		reported = reported || cs.Reported(i)
	}
	return reported
}

// evRef is what a correlation remembers of an event to list it as
// evidence: where it is and what it is, without its fields.
type evRef struct {
	recordID uint64
	pos      int64  // byte offset in the file, or minus the line for text formats
	file     uint32 // interned names
	host     uint32
	channel  uint32
	eventID  int32
}

// maxNames bounds the interned file, host and channel names; beyond it,
// evidence names none (hostile input can invent endless host names).
const maxNames = 1 << 20

// interner gives the file, host and channel names of evidence small ids,
// shared by every worker: workers look names up in their own cache and
// take the lock only for a name they have not seen.
type interner struct {
	mu    sync.Mutex
	ids   map[string]uint32
	names []string
}

func (in *interner) id(s string) uint32 {
	in.mu.Lock()
	defer in.mu.Unlock()
	if i, ok := in.ids[s]; ok {
		return i
	}
	if len(in.names) >= maxNames {
		return 0
	}
	i := uint32(len(in.names))
	s = strings.Clone(s)
	in.ids[s] = i
	in.names = append(in.names, s)
	return i
}

func (in *interner) name(i uint32) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if int(i) < len(in.names) {
		return in.names[i]
	}
	return ""
}

// compareRefs orders two copies of one event by file and position, so that
// the copy a correlation lists does not depend on the order of input.
func (in *interner) compareRefs(a, b evRef) int {
	if a.file != b.file {
		if c := strings.Compare(in.name(a.file), in.name(b.file)); c != 0 {
			return c
		}
	}
	return cmp.Compare(a.pos, b.pos)
}

// corrState is a worker's share of the correlations.
type corrState struct {
	col   *sigma.Collector[evRef]
	cache map[string]uint32 // names already interned
}

// maxCache bounds a worker's cache of interned names.
const maxCache = 1 << 12

func (s *corrState) intern(names *interner, v string) uint32 {
	if i, ok := s.cache[v]; ok {
		return i
	}
	i := names.id(v)
	if len(s.cache) < maxCache {
		s.cache[strings.Clone(v)] = i
	}
	return i
}

// ref makes the evidence reference and the identity of an event.
func (s *corrState) ref(names *interner, ev *event.Event) evRef {
	r := evRef{
		recordID: ev.RecordID, pos: ev.Source.Offset, eventID: int32(ev.EventID),
		file: s.intern(names, ev.Source.File), host: s.intern(names, ev.Computer), channel: s.intern(names, ev.Channel),
	}
	if ev.Source.Line > 0 {
		r.pos = -int64(ev.Source.Line)
	}
	return r
}

// Identity makes a 64-bit identity of an event that two copies of it
// share (read from two exports of one log): the fixed FNV-1a hash of what
// finding.EventKey holds, computed without allocating.
func Identity(ev *event.Event) uint64 {
	h := uint64(14695981039346656037)
	str := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= 1099511628211
		}
		h ^= 0xff // a separator no UTF-8 text holds
		h *= 1099511628211
	}
	num := func(n uint64) {
		for i := 0; i < 8; i++ {
			h ^= n & 0xff
			h *= 1099511628211
			n >>= 8
		}
	}
	str(ev.Computer)
	str(ev.Channel)
	num(uint64(ev.EventID))
	num(ev.RecordID)
	num(uint64(ev.Time.Unix()))
	num(uint64(ev.Time.Nanosecond()))
	if ev.RecordID == 0 {
		for _, f := range ev.Fields {
			str(f.Name)
			str(f.Value)
		}
	}
	return h
}

// correlationInfo is what findings repeat of correlation i: its level, or
// the highest of its base rules when it gives none, and its ATT&CK tags,
// or its base rules' when it has none.
func (d *Sigma) correlationInfo(i int) ruleInfo {
	c := d.cs.Correlation(i)
	ri := ruleInfo{id: c.Ident(), title: c.Title, techniques: c.Techniques(), tactics: c.Tactics()}
	level := c.Level
	inputs := d.cs.Inputs(i)
	for _, r := range inputs {
		base := d.rs.Rule(r)
		if c.Level == sigma.LevelNone && base.Level > level {
			level = base.Level
		}
		if len(c.Techniques()) == 0 {
			for _, t := range d.rules[r].techniques {
				if !slices.Contains(ri.techniques, t) {
					ri.techniques = append(ri.techniques, t)
				}
			}
		}
		if len(c.Tactics()) == 0 {
			for _, t := range d.rules[r].tactics {
				if !slices.Contains(ri.tactics, t) {
					ri.tactics = append(ri.tactics, t)
				}
			}
		}
	}
	ri.level = Level(level)
	return ri
}

// userFields are group-by fields that name the account a finding is
// about.
var userFields = []string{"User", "TargetUserName", "SubjectUserName", "AccountName", "UserName"}

// correlationFinding turns a match into a finding.
func (d *Sigma) correlationFinding(m *sigma.CorrelationMatch[evRef]) *finding.Finding {
	ci := &d.corrs[m.Index]
	key := m.Key()
	text := m.Text()
	f := &finding.Finding{
		ID:         finding.NewID(finding.KindCorrelation, ci.id, key, m.Start.UTC().Format(time.RFC3339Nano)),
		Kind:       finding.KindCorrelation,
		RuleID:     ci.id,
		Rule:       ci.title,
		Level:      ci.level,
		Time:       m.Start,
		Techniques: ci.techniques,
		Tactics:    ci.tactics,
		Summary:    ci.title + ": " + shorten(text, 300),
	}
	if len(m.Evidence) > 0 {
		f.Host = d.names.name(m.Evidence[0].Ref.host)
	}
	for _, g := range m.Group {
		for _, u := range userFields {
			if strings.EqualFold(g.Name, u) && f.User == "" && g.Value != "" && g.Value != "-" {
				f.User = g.Value
			}
		}
	}
	c := m.Correlation
	for _, e := range m.Evidence {
		r := e.Ref
		ev := finding.Evidence{
			File: d.names.name(r.file), RecordID: r.recordID, Offset: r.pos,
			Channel: d.names.name(r.channel), EventID: int(r.eventID), Time: e.Time,
		}
		if r.pos < 0 {
			ev.Offset, ev.Line = -1, int(-r.pos)
		}
		for _, g := range m.Group {
			ev.Fields = append(ev.Fields, event.Field{Name: g.Name, Value: g.Value})
		}
		if c.Field != "" && !groupHas(m.Group, c.Field) {
			ev.Fields = append(ev.Fields, event.Field{Name: c.Field, Value: e.Value})
		}
		f.Evidence = append(f.Evidence, ev)
	}
	if m.Total > len(m.Evidence) {
		f.EvidenceTotal = m.Total
	}
	cond := string(c.Type)
	if c.Field != "" {
		cond += "(" + c.Field + ")"
	}
	if ct := sigma.ConditionText(c.Condition); ct != "" {
		cond += " " + ct
	}
	cond += " within " + sigma.FormatTimespan(c.Timespan)
	if len(c.GroupBy) > 0 {
		cond += " by " + strings.Join(c.GroupBy, ", ")
	}
	f.Explain = finding.Explanation{Condition: cond, Text: text}
	for _, g := range m.Group {
		f.Explain.Values = append(f.Explain.Values, event.Field{Name: g.Name, Value: g.Value})
	}
	f.Explain.Values = append(f.Explain.Values,
		event.Field{Name: m.Measure(), Value: formatValue(m.Value)},
		event.Field{Name: "events", Value: strconv.Itoa(m.Total)},
		event.Field{Name: "first", Value: string(event.AppendTime(nil, m.Start))},
		event.Field{Name: "last", Value: string(event.AppendTime(nil, m.End))},
	)
	return f
}

func groupHas(gs []sigma.GroupValue, name string) bool {
	for _, g := range gs {
		if g.Name == name {
			return true
		}
	}
	return false
}

// formatValue renders a measured value as the explanation text does.
func formatValue(v float64) string {
	if v == float64(int64(v)) {
		return strconv.FormatInt(int64(v), 10)
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// describeCorrelation describes correlation rule id for reports.
func (d *Sigma) describeCorrelation(id string) (finding.Rule, bool) {
	i, ok := d.corrByID[id]
	if !ok {
		return finding.Rule{}, false
	}
	c := d.cs.Correlation(i)
	ci := &d.corrs[i]
	return finding.Rule{
		ID: id, Kind: finding.KindCorrelation, Title: c.Title, Level: ci.level, Status: c.Status,
		Description: c.Description, Author: c.Author, References: c.References, FalsePositives: c.FalsePositives,
		Techniques: ci.techniques, Tactics: ci.tactics, Path: c.Pos.File,
	}, true
}
