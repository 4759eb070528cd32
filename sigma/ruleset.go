package sigma

import (
	"errors"
	"sort"
	"strconv"
	"strings"
)

// RuleSet is a set of compiled rules, indexed for matching. It is immutable
// and safe for concurrent use; each goroutine matches through its own
// Matcher.
type RuleSet struct {
	rules    []*Rule
	units    []unit
	unusable []Unusable

	fieldIDs map[string]int32 // exact field names
	foldIDs  map[string]int32 // lower-cased field names
	names    []string         // field id -> name
	needles  []needleInfo     // needle id -> field and text
	short    []bool           // needle id -> too short to index

	channels map[string]*chanIndex // lower-cased channel
	anyChan  *chanIndex            // channels no rule names
	maxSels  int
	stats    Stats

	filtered    [][]*Filter // per rule: the filters applied to it
	filterProbs []FilterProblem
	mappings    *Mappings // what the rules were compiled with
}

// Unusable is a rule that was left out of a RuleSet, and why.
type Unusable struct {
	Rule *Rule
	Err  error
}

// Stats describe a RuleSet, for tuning and for the curious.
type Stats struct {
	Rules      int // usable rules
	Units      int // rules times the event sources they apply to
	Gated      int // units evaluated only when one of their needles occurs
	Always     int // units evaluated whenever their source matches
	Never      int // units that cannot match their source (dropped)
	Plans      int // distinct candidate sets
	Needles    int // needles indexed over all plans
	Unmapped   int // rules whose logsource no mapping names
	FieldNames int // distinct field names rules read
}

// unit is one rule compiled for one of its event sources.
type unit struct {
	rule   int32
	src    EventSource
	srcIdx int
	sels   []*selection
	cond   *cexpr
	gate   []int32 // needle ids, one of which must occur (when gated)
	gated  bool
	keys   []routeKey
}

// routeKey says where a unit is filed: a lower-cased channel and provider
// ("" for any) and an event id (-1 for any).
type routeKey struct {
	channel  string
	provider string
	eventID  int
}

type chanIndex struct {
	providers map[string]*provIndex
	other     *provIndex
}

type provIndex struct {
	eids  map[int]*plan
	other *plan
}

// plan is what the Matcher does for events of one (channel, provider,
// event id): the candidate units, the ones to evaluate always, and per
// field the automaton of the others' needles.
type plan struct {
	units  []int32  // unit ids, in rule order; a unit's position is its local id
	always []uint64 // bitset of local ids evaluated without a needle
	// scans holds per field the index of the needles the units look for in
	// it (with the keyword needles, which are looked for in every field);
	// keywords indexes the keyword needles alone, for the other fields.
	scans    []scan
	keywords *scan
	scanned  []uint64 // bitset of the field ids that have a scan
	indexed  []uint64 // bitset of the needle ids the scans find
}

type scan struct {
	field  int32 // -1 for the keyword scan
	idx    *multiIndex
	needle []int32 // pattern -> needle id
	// local units gated by pattern p: units[start[p]:start[p+1]]
	start []uint32
	units []uint32
}

// Compile compiles rules for matching. Rules that cannot be used (those
// whose Err is set by the loader, and those compiling finds a problem with)
// are left out and listed by Unusable; the error, an ErrorList, reports the
// problems compiling found (not the loader's again). A nil RuleSet is never
// returned.
func Compile(rules []*Rule, cfg Config) (*RuleSet, error) {
	c := newCompiler(cfg)
	rs := &RuleSet{mappings: c.maps}
	var errs ErrorList
	eidField := c.intern("EventID")
	filters, fprobs := c.compileFilters(cfg.Filters)
	for _, r := range rules {
		if r == nil {
			continue
		}
		if r.Err != nil {
			rs.unusable = append(rs.unusable, Unusable{Rule: r, Err: r.Err})
			continue
		}
		comp, err := c.compileDetection(&r.Detection)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				e = &Error{Pos: r.Pos, Msg: err.Error()}
			}
			e.Rule = r.Ident()
			errs = append(errs, e)
			rs.unusable = append(rs.unusable, Unusable{Rule: r, Err: e})
			continue
		}
		comp, applied := applyFilters(r, comp, filters)
		orderByCost(comp.cond, comp.sels)
		srcs, mapped := c.maps.Resolve(r.LogSource)
		if !mapped {
			rs.stats.Unmapped++
		}
		ruleIdx := int32(len(rs.rules))
		rs.rules = append(rs.rules, r)
		rs.filtered = append(rs.filtered, applied)
		for si, src := range srcs {
			u := unit{rule: ruleIdx, src: src, srcIdx: si, cond: comp.cond}
			u.sels = c.bind(comp.sels, src)
			u.keys = routeKeys(src, u.cond, u.sels, eidField)
			if len(u.keys) == 0 {
				rs.stats.Never++
				continue
			}
			if len(u.sels) > rs.maxSels {
				rs.maxSels = len(u.sels)
			}
			rs.units = append(rs.units, u)
		}
	}
	// Gates, now that every needle is known.
	g := newGater(c.needles)
	for i := range rs.units {
		u := &rs.units[i]
		u.gate, u.gated = g.gateOf(u.cond, u.sels)
	}
	rs.filterProbs = append(fprobs, filterProblems(filters)...)
	rs.fieldIDs = c.fields
	rs.names = c.names
	rs.needles = c.needles
	rs.short = make([]bool, len(c.needles))
	for i, n := range c.needles {
		rs.short[i] = !multiIndexable(n.text)
	}
	rs.foldIDs = make(map[string]int32, len(c.fields))
	for _, name := range sortedKeys(c.fields) {
		// When two names differ only in case or spaces, the first in
		// sorted order wins, so that the choice is deterministic.
		if _, dup := rs.foldIDs[normName(name)]; !dup {
			rs.foldIDs[normName(name)] = c.fields[name]
		}
	}
	rs.buildIndex()
	rs.stats.Rules = len(rs.rules)
	rs.stats.Units = len(rs.units)
	rs.stats.FieldNames = len(rs.names)
	for _, u := range rs.units {
		if u.gated {
			rs.stats.Gated++
		} else {
			rs.stats.Always++
		}
	}
	return rs, errs.Err()
}

// bind copies compiled selections for one event source, resolving field
// names through the mappings to interned ids and literals to needle ids.
func (c *compiler) bind(sels []*selection, src EventSource) []*selection {
	mapName := func(name string) string {
		n := c.maps.FieldName(name)
		if to, ok := src.Fields[n]; ok {
			return to
		}
		if to, ok := src.Fields[name]; ok {
			return to
		}
		return n
	}
	out := make([]*selection, len(sels))
	for i, s := range sels {
		ns := &selection{name: s.name, groups: make([][]*item, len(s.groups))}
		for gi, grp := range s.groups {
			ng := make([]*item, len(grp))
			for ii, it := range grp {
				cp := *it
				if !it.fm.Keyword() {
					cp.mapped = mapName(it.name)
					cp.field = c.intern(cp.mapped)
				}
				bound := map[*matcher]*matcher{}
				bindAll := func(ms []*matcher) []*matcher {
					out := make([]*matcher, len(ms))
					for k, m := range ms {
						if b, ok := bound[m]; ok {
							out[k] = b
							continue
						}
						b := c.bindMatcher(m, cp.field, mapName)
						bound[m] = b
						out[k] = b
					}
					return out
				}
				cp.flat = bindAll(it.flat)
				// The item's own literal index keeps its other matchers
				// aside; they need binding like the rest.
				if it.rest != nil {
					cp.rest = bindAll(it.rest)
				}
				if it.groups != nil {
					cp.groups = make([][]*matcher, len(it.groups))
					for k, g := range it.groups {
						cp.groups[k] = bindAll(g)
					}
				}
				cp.tests, cp.others = nil, nil
				for _, m := range cp.flat {
					if m.viaNeedle() {
						cp.tests = append(cp.tests, needleTest{needle: m.needle, flag: kindFlag[m.kind]})
					} else {
						cp.others = append(cp.others, m)
					}
				}
				ng[ii] = &cp
			}
			ns.groups[gi] = ng
		}
		out[i] = ns
	}
	return out
}

// bindMatcher copies a matcher for a field: fieldref targets resolved,
// literals registered as needles of the field.
func (c *compiler) bindMatcher(m *matcher, field int32, mapName func(string) string) *matcher {
	cp := *m
	cp.needle = -1
	switch m.kind {
	case mFieldRef:
		cp.ref = c.intern(mapName(m.refName))
	case mEq, mPrefix, mSuffix, mContains:
		if m.s != "" {
			cp.needle = c.needle(field, fold(m.s))
		}
	case mGlob, mRegex:
		cp.preIDs = nil
		for _, p := range m.pre {
			cp.preIDs = append(cp.preIDs, c.needle(field, p))
		}
	}
	return &cp
}

// needle interns a (field, lower-cased text) needle.
func (c *compiler) needle(field int32, text string) int32 {
	k := needleInfo{field: field, text: text}
	if id, ok := c.needleIDs[k]; ok {
		return id
	}
	id := int32(len(c.needles))
	c.needleIDs[k] = id
	c.needles = append(c.needles, k)
	return id
}

// routeKeys lists where a unit is filed: the source's channels, providers
// and event ids, the event ids narrowed to those the detection itself
// requires. No keys means the unit can never match.
func routeKeys(src EventSource, cond *cexpr, sels []*selection, eidField int32) []routeKey {
	chans := lowerAll(src.Channels)
	provs := lowerAll(src.Providers)
	if len(chans) == 0 {
		chans = []string{""}
	}
	if len(provs) == 0 {
		provs = []string{""}
	}
	ids := src.EventIDs
	if req, ok := eventIDs(cond, sels, eidField); ok {
		var narrowed []int
		if len(ids) == 0 {
			for id := range req {
				narrowed = append(narrowed, id)
			}
		} else {
			for _, id := range ids {
				if req[id] {
					narrowed = append(narrowed, id)
				}
			}
		}
		if len(narrowed) == 0 {
			return nil
		}
		sort.Ints(narrowed)
		ids = narrowed
	}
	if len(ids) == 0 {
		ids = []int{-1}
	}
	var keys []routeKey
	for _, ch := range chans {
		for _, p := range provs {
			for _, id := range ids {
				keys = append(keys, routeKey{channel: ch, provider: p, eventID: id})
			}
		}
	}
	return keys
}

// normName is the form in which field names compare when they differ from
// a rule's exactly: lower-cased, and without spaces, since the
// specification tells rule authors to strip the spaces of Windows field
// names ("Source Name" is written SourceName).
func normName(name string) string {
	if strings.IndexByte(name, ' ') >= 0 {
		name = strings.ReplaceAll(name, " ", "")
	}
	return fold(name)
}

func lowerAll(in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = fold(s)
	}
	return out
}

// buildIndex files the units under every (channel, provider, event id) an
// event can have: for each channel named by some unit (and one entry for
// all other channels), each provider named under it (and the others), and
// each event id (and the others), the plan holds every unit whose key
// accepts that combination.
func (rs *RuleSet) buildIndex() {
	type keyed struct {
		unit int32
		key  routeKey
	}
	var all []keyed
	chanSet := map[string]bool{}
	for ui, u := range rs.units {
		for _, k := range u.keys {
			all = append(all, keyed{int32(ui), k})
			if k.channel != "" {
				chanSet[k.channel] = true
			}
		}
	}
	plans := map[string]*plan{}
	makePlan := func(ids []int32) *plan {
		if len(ids) == 0 {
			return nil
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		ids = dedupInt32(ids)
		var kb strings.Builder
		for _, id := range ids {
			kb.WriteString(strconv.Itoa(int(id)))
			kb.WriteByte(',')
		}
		if p, ok := plans[kb.String()]; ok {
			return p
		}
		p := rs.newPlan(ids)
		plans[kb.String()] = p
		return p
	}
	buildChan := func(ch string, any bool) *chanIndex {
		var rel []keyed
		provSet := map[string]bool{}
		for _, k := range all {
			if k.key.channel == "" || (!any && k.key.channel == ch) {
				rel = append(rel, k)
				if k.key.provider != "" {
					provSet[k.key.provider] = true
				}
			}
		}
		ci := &chanIndex{providers: map[string]*provIndex{}}
		buildProv := func(p string, other bool) *provIndex {
			var relP []keyed
			eidSet := map[int]bool{}
			for _, k := range rel {
				if k.key.provider == "" || (!other && k.key.provider == p) {
					relP = append(relP, k)
					if k.key.eventID >= 0 {
						eidSet[k.key.eventID] = true
					}
				}
			}
			pi := &provIndex{eids: map[int]*plan{}}
			var anyIDs []int32
			for _, k := range relP {
				if k.key.eventID < 0 {
					anyIDs = append(anyIDs, k.unit)
				}
			}
			for _, e := range sortedInts(eidSet) {
				ids := append([]int32(nil), anyIDs...)
				for _, k := range relP {
					if k.key.eventID == e {
						ids = append(ids, k.unit)
					}
				}
				if p := makePlan(ids); p != nil {
					pi.eids[e] = p
				}
			}
			pi.other = makePlan(anyIDs)
			return pi
		}
		for _, p := range sortedKeys(provSet) {
			ci.providers[p] = buildProv(p, false)
		}
		ci.other = buildProv("", true)
		return ci
	}
	rs.channels = map[string]*chanIndex{}
	for _, ch := range sortedKeys(chanSet) {
		rs.channels[ch] = buildChan(ch, false)
	}
	rs.anyChan = buildChan("", true)
	rs.stats.Plans = len(plans)
	for _, p := range plans {
		for _, s := range p.scans {
			rs.stats.Needles += len(s.needle)
		}
	}
}

// newPlan builds the indexes of a candidate set: per field, one index of
// every needle the set's units use on that field, so that a scan of the
// field tells both which gated units to evaluate and the result of every
// literal test they make.
func (rs *RuleSet) newPlan(ids []int32) *plan {
	p := &plan{units: ids, always: make([]uint64, (len(ids)+63)/64)}
	byField := map[int32]map[int32][]uint32{} // field -> needle -> gated local units
	add := func(n int32) map[int32][]uint32 {
		f := rs.needles[n].field
		m := byField[f]
		if m == nil {
			m = map[int32][]uint32{}
			byField[f] = m
		}
		if _, ok := m[n]; !ok {
			m[n] = nil
		}
		return m
	}
	p.indexed = make([]uint64, (len(rs.needles)+63)/64)
	for local, uid := range ids {
		u := &rs.units[uid]
		u.eachNeedle(func(n int32) {
			if !rs.short[n] {
				add(n)
			}
		})
		if !u.gated {
			p.always[local/64] |= 1 << (local % 64)
			continue
		}
		for _, n := range u.gate {
			m := add(n)
			m[n] = append(m[n], uint32(local))
		}
	}
	kw := byField[-1]
	fields := make([]int32, 0, len(byField))
	for f := range byField {
		if f >= 0 {
			fields = append(fields, f)
		}
	}
	sort.Slice(fields, func(i, j int) bool { return fields[i] < fields[j] })
	p.scanned = make([]uint64, (len(rs.names)+63)/64)
	for _, m := range byField {
		for n := range m {
			p.indexed[n/64] |= 1 << (n % 64)
		}
	}
	for _, f := range fields {
		p.scans = append(p.scans, rs.newScan(f, byField[f], kw))
		p.scanned[f/64] |= 1 << (f % 64)
	}
	if len(kw) > 0 {
		s := rs.newScan(-1, kw, nil)
		p.keywords = &s
	}
	return p
}

// newScan indexes the needles of one field (and the keyword needles).
func (rs *RuleSet) newScan(field int32, own, kw map[int32][]uint32) scan {
	needles := make([]int32, 0, len(own)+len(kw))
	for n := range own {
		needles = append(needles, n)
	}
	for n := range kw {
		needles = append(needles, n)
	}
	sort.Slice(needles, func(i, j int) bool { return needles[i] < needles[j] })
	texts := make([]string, len(needles))
	for i, n := range needles {
		texts[i] = rs.needles[n].text
	}
	s := scan{field: field, idx: newMultiIndex(texts), needle: needles, start: make([]uint32, len(needles)+1)}
	for i, n := range needles {
		s.start[i] = uint32(len(s.units))
		units, ok := own[n]
		if !ok {
			units = kw[n]
		}
		s.units = append(s.units, dedupUint32(units)...)
	}
	s.start[len(needles)] = uint32(len(s.units))
	return s
}

// eachNeedle calls f with every needle the unit's matchers use.
func (u *unit) eachNeedle(f func(int32)) {
	for _, s := range u.sels {
		for _, g := range s.groups {
			for _, it := range g {
				for _, m := range it.flat {
					if m.needle >= 0 {
						f(m.needle)
					}
					for _, n := range m.preIDs {
						f(n)
					}
				}
			}
		}
	}
}

// plan returns the plan for an event's lower-cased routing keys, or nil.
func (rs *RuleSet) plan(channel, provider []byte, eventID int) *plan {
	ci := rs.channels[string(channel)]
	if ci == nil {
		ci = rs.anyChan
	}
	pi := ci.providers[string(provider)]
	if pi == nil {
		pi = ci.other
	}
	if p, ok := pi.eids[eventID]; ok {
		return p
	}
	return pi.other
}

// Len returns the number of usable rules.
func (rs *RuleSet) Len() int { return len(rs.rules) }

// Rule returns the usable rule with index i (0 <= i < Len()); matches are
// reported by these indices.
func (rs *RuleSet) Rule(i int) *Rule { return rs.rules[i] }

// Rules returns the usable rules in index order. The slice is shared: do
// not modify it.
func (rs *RuleSet) Rules() []*Rule { return rs.rules }

// Unusable returns the rules that were left out, and why.
func (rs *RuleSet) Unusable() []Unusable { return rs.unusable }

// Stats describes the compiled set.
func (rs *RuleSet) Stats() Stats { return rs.stats }

// Sources returns the event sources rule i applies to after its logsource
// was resolved (an unmapped logsource gives one pseudo-channel source).
func (rs *RuleSet) Sources(i int) []EventSource {
	var out []EventSource
	for _, u := range rs.units {
		if int(u.rule) == i {
			out = append(out, u.src)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedInts(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

func dedupInt32(s []int32) []int32 {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

func dedupUint32(s []uint32) []uint32 {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}
