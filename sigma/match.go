package sigma

import (
	"math/bits"
	"net/netip"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Event is what the matcher reads: an event's routing keys and its named
// values. It is an interface of index-based methods so that any record type
// can be matched without building a map or a closure per event.
//
// Channel, Provider and EventID route the event to the rules whose
// logsource can apply (channel and provider compare case-insensitively;
// EventID is -1 when the event has none and must agree with the EventID
// field). Field returns the i-th name and value, 0 <= i < NumFields; names
// may repeat (several "Data" values), and a field matches when any of its
// values does. Values are strings as Windows renders them.
type Event interface {
	Channel() string
	Provider() string
	EventID() int
	NumFields() int
	Field(i int) (name, value string)
}

// maxNameCache bounds the Matcher's cache of field names, which hostile
// input with endless distinct names could otherwise grow.
const maxNameCache = 1 << 14

// Matcher matches events against a RuleSet. It holds the scratch space of
// one goroutine, so that matching allocates nothing once it has seen a few
// events; it is not safe for concurrent use. Create one per goroutine with
// RuleSet.NewMatcher.
type Matcher struct {
	rs   *RuleSet
	plan *plan // of the current event

	// The current event, indexed: per field its value, its field id, the
	// next field with the same id, and its lower-cased value once needed.
	n     int
	vals  []string
	ids   []int32
	next  []int32
	low   []string
	lowOK []bool
	// Per field id: the first and last event field with that id, valid
	// when stamp[id] equals the event's stamp (so nothing is cleared).
	first []int32
	last  []int32
	stamp []uint32
	cur   uint32

	// Per needle: what the scan found in the current event (valid when
	// its top bits equal cur): cur<<4 | flag bits needlePresent...needleWhole.
	needle []uint32

	buf      []byte // lower-cased values
	keyBuf   []byte // lower-cased channel and provider
	hits     []hit
	cand     []uint64
	selState []uint8
	names    map[string]int32
	// The field names of the last event by position, and their ids.
	lastNames []string
	lastIDs   []int32
}

// idUnknown marks a lastIDs entry never filled (field ids are >= -1).
const idUnknown = -2

// NewMatcher returns a Matcher for the rule set.
func (rs *RuleSet) NewMatcher() *Matcher {
	nf := len(rs.names)
	return &Matcher{
		rs:       rs,
		first:    make([]int32, nf),
		last:     make([]int32, nf),
		stamp:    make([]uint32, nf),
		selState: make([]uint8, rs.maxSels),

		needle: make([]uint32, len(rs.needles)),
		names:  map[string]int32{},
	}
}

// Match appends to dst the indices (see RuleSet.Rule) of the rules that
// match the event, in increasing order, and returns the extended slice.
func (m *Matcher) Match(ev Event, dst []int) []int {
	p := m.prepare(ev)
	if p == nil {
		return dst
	}
	lastRule := int32(-1)
	for w, word := range m.cand {
		for word != 0 {
			b := bits.TrailingZeros64(word)
			word &^= 1 << b
			u := &m.rs.units[p.units[w*64+b]]
			if u.rule == lastRule {
				continue
			}
			if m.evalUnit(u) {
				dst = append(dst, int(u.rule))
				lastRule = u.rule
			}
		}
	}
	return dst
}

// prepare routes the event to its plan, indexes its fields and runs the
// plan's automata over them: afterwards m.cand holds the candidate units
// and the needle flags say which literals occur. It returns nil when no
// rule applies to the event.
func (m *Matcher) prepare(ev Event) *plan {
	p := m.route(ev)
	m.plan = p
	if p == nil {
		return nil
	}
	m.load(ev)
	words := len(p.always)
	if cap(m.cand) < words {
		m.cand = make([]uint64, words)
	}
	m.cand = m.cand[:words]
	copy(m.cand, p.always)
	for si := range p.scans {
		s := &p.scans[si]
		if m.stamp[s.field] != m.cur {
			continue
		}
		for i := m.first[s.field]; i >= 0; i = m.next[i] {
			m.scanValue(s, int(i))
		}
	}
	if p.keywords != nil {
		for i := 0; i < m.n; i++ {
			if id := m.ids[i]; id < 0 || p.scanned[id/64]&(1<<(id%64)) == 0 {
				m.scanValue(p.keywords, i)
			}
		}
	}
	return p
}

// Flags of a needle found in a field: anywhere, at the start of a value, at
// its end, or as the whole value.
const (
	needlePresent uint8 = 1 << iota
	needleStart
	needleEnd
	needleWhole
)

// scanValue runs a field's automaton over value i, records the needles
// found and marks the units they let in.
func (m *Matcher) scanValue(s *scan, i int) {
	v := m.lower(i)
	if v == "" {
		return
	}
	m.hits = s.idx.scan(v, m.hits[:0])
	cur := m.cur
	for _, h := range m.hits {
		n := s.needle[h.pat]
		f := needlePresent
		start := int(h.end) == len(s.idx.pats[h.pat])
		end := int(h.end) == len(v)
		if start {
			f |= needleStart
		}
		if end {
			f |= needleEnd
		}
		if start && end {
			f |= needleWhole
		}
		st := m.needle[n]
		if st>>4 != cur {
			st = cur << 4
		}
		m.needle[n] = st | uint32(f)
		for _, lu := range s.units[s.start[h.pat]:s.start[h.pat+1]] {
			m.cand[lu/64] |= 1 << (lu % 64)
		}
	}
}

// found reports whether needle n occurs with any of the flags: as the scan
// found it, or, for a needle the plan does not index, as a direct search
// finds it (once per event).
func (m *Matcher) found(n int32, flags uint8) bool {
	st := m.needle[n]
	if st>>4 != m.cur {
		if m.plan.indexed[n/64]&(1<<(n%64)) != 0 {
			return false
		}
		st = m.search(n)
	}
	return st&uint32(flags) != 0
}

// search sets the flags of a needle by searching the values of its field
// (of every field, for a keyword needle), and returns its state.
func (m *Matcher) search(n int32) uint32 {
	nd := &m.rs.needles[n]
	var f uint8
	i, all := m.firstOf(nd.field), nd.field < 0
	if all {
		i = 0
		if m.n == 0 {
			i = -1
		}
	}
	for i >= 0 {
		v := m.lower(int(i))
		if strings.Contains(v, nd.text) {
			f |= needlePresent
			if strings.HasPrefix(v, nd.text) {
				f |= needleStart
			}
			if strings.HasSuffix(v, nd.text) {
				f |= needleEnd
			}
			if len(v) == len(nd.text) {
				f |= needleWhole
			}
		}
		if all {
			if i++; int(i) >= m.n {
				i = -1
			}
		} else {
			i = m.next[i]
		}
	}
	m.needle[n] = m.cur<<4 | uint32(f)
	return m.needle[n]
}

// kindFlag is the needle flag that decides a literal matcher.
var kindFlag = [...]uint8{mEq: needleWhole, mPrefix: needleStart, mSuffix: needleEnd, mContains: needlePresent}

// viaNeedle reports whether the matcher's result can be read from the
// needle flags (case-insensitive literals).
func (mt *matcher) viaNeedle() bool { return mt.needle >= 0 && !mt.cased }

// prefiltered reports whether the scan rules the matcher out: none of the
// literals one of which every match contains was found.
func (m *Matcher) prefiltered(mt *matcher) bool {
	if len(mt.preIDs) == 0 {
		return false
	}
	for _, n := range mt.preIDs {
		if m.found(n, needlePresent) {
			return false
		}
	}
	return true
}

// route finds the plan of the event's channel, provider and event id.
func (m *Matcher) route(ev Event) *plan {
	ch, prov := ev.Channel(), ev.Provider()
	m.keyBuf = appendFold(m.keyBuf[:0], ch)
	n := len(m.keyBuf)
	m.keyBuf = appendFold(m.keyBuf, prov)
	return m.rs.plan(m.keyBuf[:n], m.keyBuf[n:], ev.EventID())
}

// load indexes the event's fields by id.
func (m *Matcher) load(ev Event) {
	n := ev.NumFields()
	if n < 0 {
		n = 0
	}
	if cap(m.vals) < n {
		m.vals = make([]string, n)
		m.ids = make([]int32, n)
		m.next = make([]int32, n)
		m.low = make([]string, n)
		m.lowOK = make([]bool, n)
	}
	m.n = n
	m.vals, m.ids, m.next, m.low, m.lowOK = m.vals[:n], m.ids[:n], m.next[:n], m.low[:n], m.lowOK[:n]
	m.cur++
	if m.cur >= 1<<28 { // stamps would wrap: forget every old one
		clear(m.stamp)
		clear(m.needle)
		m.cur = 1
	}
	m.buf = m.buf[:0]
	for len(m.lastNames) < n {
		m.lastNames = append(m.lastNames, "")
		m.lastIDs = append(m.lastIDs, idUnknown)
	}
	for i := 0; i < n; i++ {
		name, val := ev.Field(i)
		// Events of one kind list their fields in one order: the name at
		// this position is usually the last one's (and with names from a
		// reader that interns them, the comparison is of two pointers).
		id := m.lastIDs[i]
		if name != m.lastNames[i] || id == idUnknown {
			id = m.fieldID(name)
			m.lastNames[i], m.lastIDs[i] = name, id
		}
		m.vals[i], m.ids[i], m.next[i], m.lowOK[i] = val, id, -1, false
		if id < 0 {
			continue
		}
		if m.stamp[id] != m.cur {
			m.stamp[id] = m.cur
			m.first[id] = int32(i)
		} else {
			m.next[m.last[id]] = int32(i)
		}
		m.last[id] = int32(i)
	}
}

// fieldID returns the interned id of a field name (matched exactly, then
// ignoring case and spaces), or -1 when no rule reads the field.
func (m *Matcher) fieldID(name string) int32 {
	if id, ok := m.names[name]; ok {
		return id
	}
	id, ok := m.rs.fieldIDs[name]
	if !ok {
		if id, ok = m.rs.foldIDs[normName(name)]; !ok {
			id = -1
		}
	}
	if len(m.names) < maxNameCache {
		m.names[strings.Clone(name)] = id
	}
	return id
}

// lower returns the lower-cased value of field i, computing it once per
// event into the Matcher's buffer.
func (m *Matcher) lower(i int) string {
	if m.lowOK[i] {
		return m.low[i]
	}
	v := m.vals[i]
	if needsFold(v) {
		start := len(m.buf)
		m.buf = appendFold(m.buf, v)
		// The string aliases the buffer. Appending later may move the
		// buffer, but never rewrites bytes already handed out during this
		// event, and the old array stays alive while referenced.
		v = unsafe.String(unsafe.SliceData(m.buf[start:]), len(m.buf)-start)
	}
	m.low[i], m.lowOK[i] = v, true
	return v
}

func (m *Matcher) value(i int, cased bool) string {
	if cased {
		return m.vals[i]
	}
	return m.lower(i)
}

// Selection states during the evaluation of one unit.
const (
	selUnknown uint8 = iota
	selFalse
	selTrue
)

func (m *Matcher) evalUnit(u *unit) bool {
	st := m.selState[:len(u.sels)]
	clear(st)
	return m.evalCond(u, u.cond)
}

func (m *Matcher) evalCond(u *unit, e *cexpr) bool {
	switch e.op {
	case cSel:
		switch m.selState[e.sel] {
		case selTrue:
			return true
		case selFalse:
			return false
		}
		ok := m.evalSel(u.sels[e.sel])
		if ok {
			m.selState[e.sel] = selTrue
		} else {
			m.selState[e.sel] = selFalse
		}
		return ok
	case cAnd:
		for _, k := range e.kids {
			if !m.evalCond(u, k) {
				return false
			}
		}
		return true
	case cOr:
		for _, k := range e.kids {
			if m.evalCond(u, k) {
				return true
			}
		}
		return false
	case cNot:
		return !m.evalCond(u, e.kids[0])
	case cAtLeast:
		n, left := 0, len(e.kids)
		for _, k := range e.kids {
			left--
			if m.evalCond(u, k) {
				n++
				if n >= e.n {
					return true
				}
			}
			if n+left < e.n {
				return false
			}
		}
		return false
	case cTrue:
		return true
	}
	return false
}

func (m *Matcher) evalSel(s *selection) bool {
	for _, g := range s.groups {
		ok := true
		for _, it := range g {
			if !m.evalItem(it) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// firstOf returns the first event field with the id, or -1.
func (m *Matcher) firstOf(id int32) int32 {
	if id < 0 || m.stamp[id] != m.cur {
		return -1
	}
	return m.first[id]
}

func (m *Matcher) evalItem(it *item) bool {
	if it.field < 0 && it.kind == itemValues {
		return m.evalKeyword(it)
	}
	first := m.firstOf(it.field)
	if it.kind == itemExists {
		return (first >= 0) == it.want
	}
	if it.null {
		empty := true
		for i := first; i >= 0; i = m.next[i] {
			if m.vals[i] != "" {
				empty = false
				break
			}
		}
		if empty {
			return true
		}
	}
	if first < 0 || (it.refs && !m.refsPresent(it)) {
		return false
	}
	if it.lits != nil {
		for i := first; i >= 0; i = m.next[i] {
			if m.scanItem(it, int(i)) {
				return true
			}
		}
		return m.anyOf(it.rest, first)
	}
	if !it.all && !it.neq {
		for _, t := range it.tests {
			if m.found(t.needle, t.flag) {
				return true
			}
		}
		return m.anyOf(it.others, first)
	}
	// all and neq ask about one value at a time: the flags answer only
	// when the field has a single value.
	single := m.next[first] < 0
	for i := first; i >= 0; i = m.next[i] {
		var ok bool
		if it.neq {
			ok = !m.testAny(it.flat, int(i), single)
		} else {
			ok = true
			for _, g := range it.groups {
				if !m.testAny(g, int(i), single) {
					ok = false
					break
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// scanItem reports whether value i holds one of an item's indexed literals
// as the literal's matcher requires.
func (m *Matcher) scanItem(it *item, i int) bool {
	v := m.lower(i)
	m.hits = it.lits.scan(v, m.hits[:0])
	for _, h := range m.hits {
		l := int32(len(it.lits.pats[h.pat]))
		f := needlePresent
		if h.end == l {
			f |= needleStart
		}
		if int(h.end) == len(v) {
			f |= needleEnd
			if h.end == l {
				f |= needleWhole
			}
		}
		if f&it.litFlags[h.pat] != 0 {
			return true
		}
	}
	return false
}

// anyOf reports whether some value of the field starting at first matches
// some matcher. The needle flags of a field are the union over its values,
// which is what this asks.
func (m *Matcher) anyOf(ms []*matcher, first int32) bool {
	{
		for _, mt := range ms {
			if mt.viaNeedle() {
				if m.found(mt.needle, kindFlag[mt.kind]) {
					return true
				}
				continue
			}
			if m.prefiltered(mt) {
				continue
			}
			for i := first; i >= 0; i = m.next[i] {
				if m.matchOne(mt, int(i)) {
					return true
				}
			}
		}
		return false
	}
}

// testAny reports whether value i matches one of the matchers; flags says
// whether the needle flags describe value i alone.
func (m *Matcher) testAny(ms []*matcher, i int, flags bool) bool {
	for _, mt := range ms {
		if flags && mt.viaNeedle() {
			if m.found(mt.needle, kindFlag[mt.kind]) {
				return true
			}
			continue
		}
		if m.prefiltered(mt) {
			continue
		}
		if m.matchOne(mt, i) {
			return true
		}
	}
	return false
}

// refsPresent reports whether the fields a fieldref item compares with
// exist: comparing with a field the event lacks is false, neq or not.
func (m *Matcher) refsPresent(it *item) bool {
	for _, mt := range it.flat {
		if mt.kind == mFieldRef && m.firstOf(mt.ref) < 0 {
			return false
		}
	}
	return true
}

// evalKeyword evaluates a keyword search: a value matches when some field
// of the event matches it; with all, every value must be found, each in
// some field.
func (m *Matcher) evalKeyword(it *item) bool {
	if it.lits != nil {
		for i := 0; i < m.n; i++ {
			if m.scanItem(it, i) {
				return true
			}
		}
		return m.anywhere(it.rest)
	}
	if !it.all {
		return m.anywhere(it.flat)
	}
	for _, g := range it.groups {
		if !m.anywhere(g) {
			return false
		}
	}
	return true
}

// anywhere reports whether some field value matches one of the matchers.
func (m *Matcher) anywhere(ms []*matcher) bool {
	for _, mt := range ms {
		if mt.viaNeedle() {
			if m.found(mt.needle, kindFlag[mt.kind]) {
				return true
			}
			continue
		}
		if m.prefiltered(mt) {
			continue
		}
		for i := 0; i < m.n; i++ {
			if m.matchOne(mt, i) {
				return true
			}
		}
	}
	return false
}

func (m *Matcher) matchAny(ms []*matcher, i int) bool {
	for _, mt := range ms {
		if m.matchOne(mt, i) {
			return true
		}
	}
	return false
}

// matchOne tests field value i against one matcher.
func (m *Matcher) matchOne(mt *matcher, i int) bool {
	switch mt.kind {
	case mEq:
		return m.value(i, mt.cased) == mt.s
	case mPrefix:
		return strings.HasPrefix(m.value(i, mt.cased), mt.s)
	case mSuffix:
		return strings.HasSuffix(m.value(i, mt.cased), mt.s)
	case mContains:
		return strings.Contains(m.value(i, mt.cased), mt.s)
	case mAny:
		return true
	case mGlob:
		return mt.g.match(m.value(i, mt.cased))
	case mRegex:
		v := m.vals[i]
		if !mt.mayMatch(v, func() string { return m.lower(i) }) {
			return false
		}
		return mt.re.MatchString(v)
	case mNum:
		if m.lower(i) == mt.s {
			return true
		}
		n, ok := parseNumber(m.vals[i])
		return ok && compareNumbers(n, mt.num) == 0
	case mCmp:
		n, ok := parseNumber(m.vals[i])
		return ok && mt.cmp.holds(compareNumbers(n, mt.num))
	case mTime:
		v, ok := timePartOf(m.vals[i], mt.part)
		return ok && mt.cmp.holds(compareNumbers(number{i: int64(v), f: float64(v), isInt: true}, mt.num))
	case mCIDR:
		a, err := netip.ParseAddr(m.vals[i])
		if err != nil {
			return false
		}
		if mt.pfx.Addr().Is4() {
			a = a.Unmap()
		}
		return mt.pfx.Contains(a.WithZone(""))
	case mFieldRef:
		v := m.value(i, mt.cased)
		for j := m.firstOf(mt.ref); j >= 0; j = m.next[j] {
			r := m.value(int(j), mt.cased)
			switch mt.refMode {
			case mEq:
				if v == r {
					return true
				}
			case mPrefix:
				if strings.HasPrefix(v, r) {
					return true
				}
			case mSuffix:
				if strings.HasSuffix(v, r) {
					return true
				}
			case mContains:
				if strings.Contains(v, r) {
					return true
				}
			}
		}
	}
	return false
}

// mayMatch applies the cheap tests that rule a value out before a regular
// expression runs: its shortest and longest match, a run of bytes and the
// literals every match contains. lower returns the value lower-cased.
func (mt *matcher) mayMatch(v string, lower func() string) bool {
	if len(v) < mt.minLen || (mt.run != nil && !mt.run.present(v)) {
		return false
	}
	if mt.maxLen >= 0 && len(v) > mt.maxLen && (len(v) > utf8.UTFMax*mt.maxLen || utf8.RuneCountInString(v) > mt.maxLen) {
		return false
	}
	if len(mt.need) > 0 {
		low := lower()
	sets:
		for _, set := range mt.need {
			for _, lit := range set {
				if strings.Contains(low, lit) {
					continue sets
				}
			}
			return false
		}
	}
	return true
}
