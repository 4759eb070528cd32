package sigma

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// A Correlator evaluates the correlation rules of a CorrelationSet over the
// matches of their base rules, in event time.
//
// # Collecting
//
// Each goroutine that matches events owns a Collector and hands it every
// match of a base rule that feeds a correlation (Collector.Add), with the
// event's time, an identity that is the same for two copies of one event,
// and a caller-defined reference E to the event (its evidence). A Collector
// keeps a compact record per match, filed under the correlation and the
// event's group key (the values of the group-by fields); no lock is taken,
// and nothing is evaluated yet, because the events of one group may arrive
// in any order, from any goroutine.
//
// # Evaluating
//
// Finish merges the Collectors' records per correlation and group key,
// sorts each group's records by (time, identity, rule), which is a total
// order that does not depend on the order events were read in, drops
// copies of one event, and evaluates the windows. The findings are
// therefore exactly those of one time-ordered stream, whatever the order of
// the input files and the number of goroutines.
//
// Windows slide and are anchored on events: for each record a, in order
// (events of equal time are simultaneous: the first of them anchors for
// all), the window of a holds a and every later record of its group whose
// time is at most a's time plus the timespan (both ends included). The measured
// value of the window (the count of events, of distinct values, of rules;
// the sum, average or percentile of the field's values) is compared with
// the condition; when it holds, the correlation matches, reporting the
// window from a to its last record. The next window considered is anchored
// on the first record after that window: windows that fire never overlap,
// so one burst of activity is one match, and a longer activity is one match
// per timespan. For temporal_ordered, windows are anchored only on records
// of the first rule, and the measured value is how many of the rules occur
// in their order within the window (events of equal time may appear in
// either order); for temporal and temporal_ordered without a condition,
// all the rules must occur.
//
// Matches of a base rule that lack a group-by field are not counted (there
// is no group to put them in), nor those whose field value is absent (or,
// for value_sum, value_avg and value_percentile, not a number); both are
// counted and reported by Notes.
//
// # Chains
//
// A correlation may name other correlations. Correlations are evaluated
// inputs first, and each match of a named correlation becomes a record of
// the correlations naming it, at the time its condition first held within
// its window (the event that crossed the threshold, or completed the set
// of rules: when a stream would have known), with its group-by values, and
// with the values of any other field those correlations read (carried
// from the events of its window: one record per distinct combination). A
// correlation named by another reports no match of its own unless one
// naming it says generate: true; likewise for base rules (see
// CorrelationSet.Reported).
//
// # Memory
//
// What a Collector keeps is bounded by Limits, per correlation: the number
// of group keys, the records kept per key, and the records kept over all
// keys. A key whose records exceed MaxValues keeps its earliest ones. When
// the keys or records of a correlation exceed their cap, the keys with the
// largest hashes are dropped and no key with a larger hash is admitted
// afterwards; Finish applies the same caps to the merged records. The keys
// kept are thus the keys of smallest hash that fit, whatever the order of
// input: capped results are still deterministic. Every cap that was hit is
// reported by Notes, with the number of keys (estimated beyond a
// thousand, within a few percent) and records dropped. With N Collectors a hunt holds at most N
// times the caps before Finish merges them.
type Correlator[E any] struct {
	set   *CorrelationSet
	lim   Limits
	cmp   func(a, b E) int
	mu    sync.Mutex // guards cols while Collectors are made
	cols  []*Collector[E]
	notes []string
	done  bool
}

// Limits bound the state of a Correlator. Zero fields take the values of
// DefaultLimits.
type Limits struct {
	// MaxKeys is how many group keys one correlation keeps.
	MaxKeys int
	// MaxValues is how many matches (and so values) one group key keeps.
	MaxValues int
	// MaxRecords is how many matches one correlation keeps over all keys.
	MaxRecords int
	// MaxEvidence is how many events a correlation match lists.
	MaxEvidence int
}

// DefaultLimits returns the limits of a Correlator that is given none: in
// the order of 100 MB per correlation and Collector at most.
func DefaultLimits() Limits {
	return Limits{MaxKeys: 100_000, MaxValues: 100_000, MaxRecords: 1_000_000, MaxEvidence: 20}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxKeys <= 0 {
		l.MaxKeys = d.MaxKeys
	}
	if l.MaxValues <= 0 {
		l.MaxValues = d.MaxValues
	}
	if l.MaxRecords <= 0 {
		l.MaxRecords = d.MaxRecords
	}
	if l.MaxEvidence <= 0 {
		l.MaxEvidence = d.MaxEvidence
	}
	return l
}

// RecordSize is the size in bytes of one remembered match, besides the
// evidence reference E and the values it holds, for estimating memory.
const RecordSize = 32

// keyOverhead is about what one group key costs besides its records: its
// state, its entries in a map and a heap, and a short key.
const keyOverhead = 256

// Bytes estimates the most memory one Collector holds for one correlation
// within these limits, with evidence references of refSize bytes: its
// records (twice over, for slices that grow by doubling) and its keys, not
// counting the text of the values it remembers.
func (l Limits) Bytes(refSize int) int64 {
	l = l.withDefaults()
	return 2*int64(l.MaxRecords)*int64(RecordSize+refSize) + int64(l.MaxKeys)*keyOverhead
}

// CorrelationMatch is one match of a correlation rule: a window of one
// group's events for which the condition held.
type CorrelationMatch[E any] struct {
	Correlation *Correlation
	Index       int          // of the correlation in the set
	Group       []GroupValue // the group-by names and this group's values
	Start, End  time.Time    // times of the window's first and last event
	Value       float64      // the measured value
	Total       int          // events in the window
	// Evidence lists up to Limits.MaxEvidence of the window's events, in
	// time order: first one per distinct value (value_count) or rule
	// (temporal types), then the earliest others.
	Evidence []CorrelationEvidence[E]
}

// GroupValue is one group-by field of a match and its value.
type GroupValue struct {
	Name, Value string
}

// CorrelationEvidence is one event behind a correlation match.
type CorrelationEvidence[E any] struct {
	Ref   E
	Time  time.Time
	Rule  string // the rule the event matched, as the correlation names it
	Value string // the event's value of the correlation's field, if any
}

// NewCorrelator returns a Correlator for the set. cmp orders two
// references to copies of one event (the same identity and time), so that
// the copy kept as evidence does not depend on the order of input; nil
// treats all references as equal.
func NewCorrelator[E any](set *CorrelationSet, lim Limits, cmp func(a, b E) int) *Correlator[E] {
	if cmp == nil {
		cmp = func(E, E) int { return 0 }
	}
	return &Correlator[E]{set: set, lim: lim.withDefaults(), cmp: cmp}
}

// Limits returns the limits in force.
func (c *Correlator[E]) Limits() Limits { return c.lim }

// NewCollector returns a Collector, the state one goroutine fills. It must
// not be called once Finish has begun.
func (c *Correlator[E]) NewCollector() *Collector[E] {
	col := c.newCollector()
	c.mu.Lock()
	c.cols = append(c.cols, col)
	c.mu.Unlock()
	return col
}

func (c *Correlator[E]) newCollector() *Collector[E] {
	col := &Collector[E]{cr: c, stores: make([]*store[E], len(c.set.plans))}
	for i := range col.stores {
		col.stores[i] = &store[E]{keys: map[string]*keyState[E]{}, theta: math.MaxUint64}
	}
	return col
}

// Collector gathers the matches one goroutine sees. It is not safe for
// concurrent use.
type Collector[E any] struct {
	cr     *Correlator[E]
	stores []*store[E] // per correlation
	vals   []string    // scratch: the fields of one event
	rank   []int       // scratch: which candidate name found each field
	buf    []byte      // scratch: encoded group key
	cbuf   []byte      // scratch: encoded carried values
}

// rec is one remembered match.
type rec[E any] struct {
	t     int64  // event time, Unix nanoseconds
	id    uint64 // event identity: orders equal times, spots copies
	v     uint64 // value_count: index of the value; metrics: float64 bits
	carry uint32 // 1 + index of the carried values' combination; 0: none
	in    uint16 // input (rule) of the correlation
	ref   E
}

// keyState is one group of one correlation.
type keyState[E any] struct {
	hash uint64
	key  string // encoded group values
	hidx int    // position in the store's heap
	recs []rec[E]
	full bool  // recs holds MaxValues records as a max-heap
	vIdx bool  // rec.v is an index in strs (value_count)
	seen int64 // matches seen, kept or not
	// strs interns the values and carried combinations of the records.
	strs   []string
	strIdx map[string]uint32
}

// store is one correlation's share of a Collector.
type store[E any] struct {
	keys    map[string]*keyState[E]
	heap    []*keyState[E] // max-heap by hash: the next key to drop on top
	theta   uint64         // keys of this hash or more are refused
	records int            // records kept over all keys
	// What was not kept, for Notes.
	droppedRecs int64 // records of dropped keys
	dropped     kmv   // hashes of dropped keys
	ungrouped   int64 // matches lacking a group-by field
	novalue     int64 // matches lacking a (numeric) value
	carried     int64 // combinations of carried values beyond the cap
}

// Add records a match of base rule i (an index in the RuleSet) on an
// event: its time, its identity (equal for two copies of the same event,
// such as a hash of its host, channel, record number and time) and the
// caller's reference to it. Rules that feed no correlation are ignored.
// Add allocates only for a new group key or value.
func (col *Collector[E]) Add(rule int, t time.Time, id uint64, ev Event, ref E) {
	set := col.cr.set
	if rule < 0 || rule >= len(set.byRule) {
		return
	}
	tn := nanos(t)
	for _, f := range set.byRule[rule] {
		p := set.plans[f.corr]
		in := &p.inputs[f.input]
		st := col.stores[f.corr]
		switch col.read(ev, in) {
		case readNoGroup:
			st.ungrouped++
		case readNoValue:
			st.novalue++
		default:
			col.add(st, p, f, tn, id, ref)
		}
	}
}

// add files the values in col.vals (group, value, carry) as one record.
func (col *Collector[E]) add(st *store[E], p *corrPlan, f feed, tn int64, id uint64, ref E) {
	in := &p.inputs[f.input]
	ng := len(in.group)
	col.buf = col.buf[:0]
	for _, v := range col.vals[:ng] {
		col.buf = appendLP(col.buf, v)
	}
	r := rec[E]{t: tn, id: id, in: uint16(f.input), ref: ref}
	var value string
	if in.value != nil {
		value = col.vals[ng]
		if p.c.Type != ValueCount {
			n, ok := parseNumber(value)
			if !ok || math.IsNaN(n.f) || math.IsInf(n.f, 0) {
				st.novalue++
				return
			}
			r.v = math.Float64bits(n.f)
		}
	}
	var carry []string
	if len(in.carry) > 0 {
		carry = col.vals[len(col.vals)-len(in.carry):]
	}
	lim := &col.cr.lim
	ks := st.keys[string(col.buf)]
	if ks == nil {
		h := keyHash(f.corr, col.buf)
		if h >= st.theta {
			st.droppedRecs++
			st.dropped.add(h)
			return
		}
		ks = &keyState[E]{hash: h, key: string(col.buf), vIdx: p.c.Type == ValueCount}
		st.keys[ks.key] = ks
		st.push(ks)
	}
	ks.seen++
	if ks.full && recCmp(r, ks.recs[0], col.cr.cmp) >= 0 {
		return // later than every record kept: only counted
	}
	if p.c.Type == ValueCount {
		r.v = uint64(ks.intern(value))
	}
	if carry != nil {
		col.cbuf = col.cbuf[:0]
		for _, v := range carry {
			col.cbuf = appendLP(col.cbuf, v)
		}
		r.carry = 1 + ks.internBytes(col.cbuf)
	}
	if ks.keep(r, lim.MaxValues, col.cr.cmp) {
		st.records++
	}
	st.enforce(lim)
}

// Outcomes of Collector.read.
const (
	readOK = iota
	readNoGroup
	readNoValue
)

// read looks up the fields an input needs in an event: the group-by
// fields (all must be present), the value field (must be present) and the
// carried fields (empty when absent). It fills col.vals.
func (col *Collector[E]) read(ev Event, in *corrInput) int {
	need := len(in.fields)
	if cap(col.vals) < need {
		col.vals = make([]string, need)
		col.rank = make([]int, need)
	}
	col.vals, col.rank = col.vals[:need], col.rank[:need]
	for j := range col.rank {
		col.vals[j], col.rank[j] = "", math.MaxInt
	}
	n := ev.NumFields()
	exact := 0 // fields found under their first candidate name
	for i := 0; i < n && exact < need; i++ {
		name, val := ev.Field(i)
		for j, cands := range in.fields {
			for k, c := range cands {
				if k >= col.rank[j] {
					break
				}
				if name == c {
					if k == 0 {
						exact++
					}
					col.vals[j], col.rank[j] = val, k
					break
				}
			}
		}
	}
	// Names that differ only in case or spaces, as the matcher accepts.
	for j := range in.fields {
		if col.rank[j] != math.MaxInt {
			continue
		}
	scan:
		for i := 0; i < n; i++ {
			name, val := ev.Field(i)
			for _, c := range in.fields[j] {
				if sameName(name, c) {
					col.vals[j], col.rank[j] = val, len(in.fields[j])
					break scan
				}
			}
		}
	}
	for j := range in.group {
		if col.rank[j] == math.MaxInt {
			return readNoGroup
		}
	}
	if in.value != nil && col.rank[len(in.group)] == math.MaxInt {
		return readNoValue
	}
	return readOK
}

// sameName compares an event's field name with a rule's ignoring ASCII
// case and spaces, without allocating.
func sameName(a, b string) bool {
	i, j := 0, 0
	for {
		for i < len(a) && a[i] == ' ' {
			i++
		}
		for j < len(b) && b[j] == ' ' {
			j++
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		x, y := a[i], b[j]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
		i++
		j++
	}
}

// keep adds a record, keeping the earliest max records in the order of
// recCmp; it reports whether the number of records grew.
func (ks *keyState[E]) keep(r rec[E], max int, cmp func(a, b E) int) bool {
	if !ks.full {
		ks.recs = append(ks.recs, r)
		if len(ks.recs) >= max {
			ks.full = true
			for i := len(ks.recs)/2 - 1; i >= 0; i-- {
				siftDown(ks.recs, i, cmp)
			}
		}
		return true
	}
	ks.recs[0] = r
	siftDown(ks.recs, 0, cmp)
	if len(ks.strs) > 2*len(ks.recs)+64 {
		ks.compact()
	}
	return false
}

// siftDown restores the max-heap order (latest record on top) below i.
func siftDown[E any](h []rec[E], i int, cmp func(a, b E) int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && recCmp(h[r], h[l], cmp) > 0 {
			m = r
		}
		if recCmp(h[m], h[i], cmp) <= 0 {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// compact drops the interned strings no kept record uses any more.
func (ks *keyState[E]) compact() {
	used := make(map[uint32]uint32)
	var strs []string
	remap := func(i uint32) uint32 {
		if j, ok := used[i]; ok {
			return j
		}
		j := uint32(len(strs))
		strs = append(strs, ks.strs[i])
		used[i] = j
		return j
	}
	// Values and carried combinations share the table.
	for k := range ks.recs {
		r := &ks.recs[k]
		if ks.vIdx {
			r.v = uint64(remap(uint32(r.v)))
		}
		if r.carry > 0 {
			r.carry = 1 + remap(r.carry-1)
		}
	}
	ks.strs, ks.strIdx = strs, nil
	for i, s := range strs {
		ks.indexStr(s, uint32(i))
	}
}

// intern returns the index of a value in the key's table.
func (ks *keyState[E]) intern(s string) uint32 {
	if ks.strIdx != nil {
		if i, ok := ks.strIdx[s]; ok {
			return i
		}
	} else {
		for i, have := range ks.strs {
			if have == s {
				return uint32(i)
			}
		}
	}
	i := uint32(len(ks.strs))
	s = strings.Clone(s)
	ks.strs = append(ks.strs, s)
	ks.indexStr(s, i)
	return i
}

func (ks *keyState[E]) internBytes(b []byte) uint32 {
	if ks.strIdx != nil {
		if i, ok := ks.strIdx[string(b)]; ok {
			return i
		}
	} else {
		for i, have := range ks.strs {
			if have == string(b) {
				return uint32(i)
			}
		}
	}
	i := uint32(len(ks.strs))
	s := string(b)
	ks.strs = append(ks.strs, s)
	ks.indexStr(s, i)
	return i
}

// indexStr maintains the map over the table once it is long enough for a
// linear search to cost more.
func (ks *keyState[E]) indexStr(s string, i uint32) {
	if ks.strIdx == nil && len(ks.strs) > 16 {
		ks.strIdx = make(map[string]uint32, 2*len(ks.strs))
		for k, v := range ks.strs {
			if _, dup := ks.strIdx[v]; !dup {
				ks.strIdx[v] = uint32(k)
			}
		}
		return
	}
	if ks.strIdx != nil {
		if _, dup := ks.strIdx[s]; !dup {
			ks.strIdx[s] = i
		}
	}
}

// push adds a key to the store's max-heap of hashes.
func (st *store[E]) push(ks *keyState[E]) {
	ks.hidx = len(st.heap)
	st.heap = append(st.heap, ks)
	i := ks.hidx
	for i > 0 {
		parent := (i - 1) / 2
		if st.heap[parent].hash >= st.heap[i].hash {
			break
		}
		st.swap(i, parent)
		i = parent
	}
}

func (st *store[E]) swap(i, j int) {
	st.heap[i], st.heap[j] = st.heap[j], st.heap[i]
	st.heap[i].hidx, st.heap[j].hidx = i, j
}

// pop removes the key of the largest hash.
func (st *store[E]) pop() *keyState[E] {
	top := st.heap[0]
	last := len(st.heap) - 1
	st.swap(0, last)
	st.heap[last] = nil
	st.heap = st.heap[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(st.heap) {
			break
		}
		m := l
		if r := l + 1; r < len(st.heap) && st.heap[r].hash > st.heap[l].hash {
			m = r
		}
		if st.heap[m].hash <= st.heap[i].hash {
			break
		}
		st.swap(i, m)
		i = m
	}
	return top
}

// enforce drops the keys of largest hash while the store is over a cap.
func (st *store[E]) enforce(lim *Limits) {
	for (len(st.keys) > lim.MaxKeys || st.records > lim.MaxRecords) && len(st.heap) > 0 {
		ks := st.pop()
		delete(st.keys, ks.key)
		st.theta = ks.hash
		st.records -= len(ks.recs)
		st.droppedRecs += ks.seen
		st.dropped.add(ks.hash)
	}
}

// nanos converts a time to Unix nanoseconds, saturating outside the range
// an int64 holds; the zero time (an event without one) sorts first.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return math.MinInt64
	}
	// An int64 of nanoseconds spans the years 1678 to 2262.
	switch s := t.Unix(); {
	case s <= math.MinInt64/int64(time.Second):
		return math.MinInt64 + 1
	case s >= math.MaxInt64/int64(time.Second):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// timeOf converts nanos back.
func timeOf(n int64) time.Time {
	if n == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// appendLP appends a length-prefixed string: values are joined so that
// no value can forge a separator.
func appendLP(b []byte, s string) []byte {
	n := uint64(len(s))
	for n >= 0x80 {
		b = append(b, byte(n)|0x80)
		n >>= 7
	}
	b = append(b, byte(n))
	return append(b, s...)
}

// splitLP decodes what appendLP joined.
func splitLP(s string) []string {
	var out []string
	for len(s) > 0 {
		var n uint64
		var shift uint
		i := 0
		for i < len(s) {
			c := s[i]
			i++
			n |= uint64(c&0x7f) << shift
			if c < 0x80 {
				break
			}
			shift += 7
		}
		if n > uint64(len(s)-i) {
			n = uint64(len(s) - i)
		}
		out = append(out, s[i:i+int(n)])
		s = s[i+int(n):]
	}
	return out
}

// keyHash is a fixed 64-bit hash (FNV-1a, then a finalizer that spreads
// its bits) of a correlation and an encoded key: fixed so that the keys
// kept under a cap are the same in every run.
func keyHash(corr int, key []byte) uint64 {
	h := uint64(14695981039346656037)
	h ^= uint64(corr)
	h *= 1099511628211
	for _, c := range key {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return mix64(h)
}

// mix64 is the splitmix64 finalizer.
func mix64(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}

// recCmp orders records by time, identity and input, then by reference.
func recCmp[E any](a, b rec[E], cmp func(a, b E) int) int {
	switch {
	case a.t != b.t:
		return cmpInt(a.t, b.t)
	case a.id != b.id:
		return cmpUint(a.id, b.id)
	case a.in != b.in:
		return cmpUint(uint64(a.in), uint64(b.in))
	}
	if cmp != nil {
		return cmp(a.ref, b.ref)
	}
	return 0
}

func cmpInt(a, b int64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

func cmpUint(a, b uint64) int {
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// kmv keeps the kmvSize smallest distinct hashes added to it, to count
// distinct dropped keys: exactly up to kmvSize, estimated beyond. Merging
// two sketches gives the sketch of the union, whatever the order of adds.
type kmv struct {
	h []uint64 // sorted
}

const kmvSize = 1024

func (k *kmv) add(h uint64) {
	i, found := slices.BinarySearch(k.h, h)
	if found {
		return
	}
	if len(k.h) >= kmvSize {
		if i >= len(k.h) {
			return
		}
		k.h = k.h[:len(k.h)-1]
	}
	k.h = slices.Insert(k.h, i, h)
}

func (k *kmv) merge(o *kmv) {
	for _, h := range o.h {
		k.add(h)
	}
}

// count estimates the number of distinct hashes added, and whether it is
// exact. The hashes are those of dropped keys, which are all the keys of
// hash lo or more: uniform over [lo, 2^64), not over all hashes.
func (k *kmv) count(lo uint64) (int64, bool) {
	if len(k.h) < kmvSize {
		return int64(len(k.h)), true
	}
	span := math.Exp2(64) - float64(lo)
	top := float64(k.h[len(k.h)-1]-lo) / span
	if top <= 0 {
		return int64(len(k.h)), false
	}
	return int64(float64(kmvSize-1) / top), false
}

// Finish merges what every Collector gathered, evaluates the correlations
// (inputs before the correlations they feed) and calls emit with each
// match of a correlation whose matches are reported (see
// CorrelationSet), ordered by time and group. It must be called once,
// after the last Add; the Collectors' state is released as it goes.
func (c *Correlator[E]) Finish(emit func(*CorrelationMatch[E])) error {
	c.mu.Lock()
	if c.done {
		c.mu.Unlock()
		return fmt.Errorf("sigma: correlator finished twice")
	}
	c.done = true
	cols := c.cols
	c.cols = nil
	c.mu.Unlock()
	chain := c.newCollector()
	cols = append(cols, chain)
	for pi, p := range c.set.plans {
		keys, note := c.merge(pi, cols)
		matches := c.evaluate(p, keys)
		// Records are no longer needed: let them go before the next.
		clear(keys)
		slices.SortFunc(matches, func(a, b *corrMatch[E]) int {
			if d := cmpInt(a.start, b.start); d != 0 {
				return d
			}
			return strings.Compare(a.key, b.key)
		})
		for _, m := range matches {
			if p.report {
				emit(c.public(p, m))
			}
			for _, f := range p.feeds {
				c.feedChain(chain, p, f, m)
			}
		}
		c.notes = append(c.notes, note...)
	}
	return nil
}

// Notes returns what a reader must know of the correlations once Finish
// has run: every cap that was hit and every match that could not be
// counted, per correlation. The text does not depend on the order of
// input.
func (c *Correlator[E]) Notes() []string { return c.notes }

// merge gathers correlation pi's keys from every Collector, applies the
// caps to the union and returns the keys kept, sorted by hash, with their
// records sorted, copies of one event removed, and at most MaxValues each.
func (c *Correlator[E]) merge(pi int, cols []*Collector[E]) ([]*keyState[E], []string) {
	p := c.set.plans[pi]
	lim := &c.lim
	theta := uint64(math.MaxUint64)
	var drops kmv
	var droppedRecs, ungrouped, novalue, carried int64
	for _, col := range cols {
		st := col.stores[pi]
		theta = min(theta, st.theta)
		droppedRecs += st.droppedRecs
		ungrouped += st.ungrouped
		novalue += st.novalue
		carried += st.carried
		drops.merge(&st.dropped)
	}
	merged := map[string]*keyState[E]{}
	for _, col := range cols {
		st := col.stores[pi]
		for k, ks := range st.keys {
			if ks.hash >= theta {
				droppedRecs += ks.seen
				drops.add(ks.hash)
				continue
			}
			have := merged[k]
			if have == nil {
				merged[k] = ks
				continue
			}
			have.seen += ks.seen
			for _, r := range ks.recs {
				// Strings are per key: re-intern into the merged key.
				if p.c.Type == ValueCount {
					r.v = uint64(have.intern(ks.strs[r.v]))
				}
				if r.carry > 0 {
					r.carry = 1 + have.intern(ks.strs[r.carry-1])
				}
				have.recs = append(have.recs, r)
			}
		}
		col.stores[pi] = nil // release as we go
	}
	keys := make([]*keyState[E], 0, len(merged))
	for _, ks := range merged {
		keys = append(keys, ks)
	}
	clear(merged)
	slices.SortFunc(keys, func(a, b *keyState[E]) int { return cmpUint(a.hash, b.hash) })
	// The caps over the union: the longest prefix of keys (by hash) that
	// fits, counting each key's records as a Collector would keep them.
	total, cut := 0, len(keys)
	for i, ks := range keys {
		n := int(min(ks.seen, int64(lim.MaxValues)))
		if i+1 > lim.MaxKeys || total+n > lim.MaxRecords {
			cut = i
			break
		}
		total += n
	}
	lo := theta // every key of this hash or more was dropped
	if cut < len(keys) {
		lo = keys[cut].hash
	}
	for _, ks := range keys[cut:] {
		droppedRecs += ks.seen
		drops.add(ks.hash)
	}
	clear(keys[cut:])
	keys = keys[:cut]
	var truncKeys, truncRecs int64
	cmp := c.cmp
	for _, ks := range keys {
		slices.SortFunc(ks.recs, func(a, b rec[E]) int { return recCmp(a, b, cmp) })
		if len(ks.recs) > lim.MaxValues {
			ks.recs = ks.recs[:lim.MaxValues]
		}
		if ks.seen > int64(len(ks.recs)) {
			truncKeys++
			truncRecs += ks.seen - int64(len(ks.recs))
		}
		ks.recs = dedupRecs(ks.recs, p.c.Type == Temporal || p.c.Type == TemporalOrdered)
		ks.full = false
	}
	var notes []string
	name := fmt.Sprintf("correlation %q", p.c.Title)
	if n, exact := drops.count(lo); n > 0 {
		about := ""
		if !exact {
			about = "about "
		}
		notes = append(notes, fmt.Sprintf("%s: %s%d group keys beyond the cap (%d keys, %d matches) were dropped with their %d matches: raise the caps or narrow the hunt",
			name, about, n, lim.MaxKeys, lim.MaxRecords, droppedRecs))
	}
	if truncKeys > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d group keys had more than %d matches; their %d latest matches were not counted",
			name, truncKeys, lim.MaxValues, truncRecs))
	}
	if ungrouped > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d matches of its rules lacked a group-by field (%s) and were not counted",
			name, ungrouped, strings.Join(p.c.GroupBy, ", ")))
	}
	if novalue > 0 {
		what := "no " + p.c.Field
		if p.c.Type != ValueCount {
			what = "no numeric " + p.c.Field
		}
		notes = append(notes, fmt.Sprintf("%s: %d matches of its rules had %s and were not counted", name, novalue, what))
	}
	if carried > 0 {
		notes = append(notes, fmt.Sprintf("%s: %d combinations of values passed on by the correlations it names were beyond the cap of %d per match",
			name, carried, lim.MaxValues))
	}
	return keys, notes
}

// dedupRecs removes copies of one event (equal time and identity, and for
// the temporal types equal rule too), keeping the first in order.
func dedupRecs[E any](recs []rec[E], perInput bool) []rec[E] {
	out := recs[:0]
	for i, r := range recs {
		if i > 0 {
			prev := out[len(out)-1]
			if prev.t == r.t && prev.id == r.id && (!perInput || prev.in == r.in) {
				continue
			}
		}
		out = append(out, r)
	}
	return out
}

// corrMatch is a match before it is made public.
type corrMatch[E any] struct {
	ks         *keyState[E]
	key        string
	start, end int64
	value      float64
	total      int
	evidence   []rec[E]
	last       rec[E]   // the window's last record
	held       int64    // when the condition first held in the window
	carries    []string // distinct carried combinations of the window
}

// evaluate evaluates the windows of every key, in parallel over the keys;
// the result is in key order.
func (c *Correlator[E]) evaluate(p *corrPlan, keys []*keyState[E]) []*corrMatch[E] {
	workers := min(runtime.GOMAXPROCS(0), (len(keys)+255)/256)
	if workers <= 1 {
		var w windower[E]
		var out []*corrMatch[E]
		for _, ks := range keys {
			out = w.run(p, &c.lim, ks, out)
		}
		return out
	}
	parts := make([][]*corrMatch[E], workers)
	var wg sync.WaitGroup
	for wi := 0; wi < workers; wi++ {
		lo, hi := len(keys)*wi/workers, len(keys)*(wi+1)/workers
		wg.Add(1)
		go func(wi int, keys []*keyState[E]) {
			defer wg.Done()
			var w windower[E]
			for _, ks := range keys {
				parts[wi] = w.run(p, &c.lim, ks, parts[wi])
			}
		}(wi, keys[lo:hi])
	}
	wg.Wait()
	var out []*corrMatch[E]
	for _, part := range parts {
		out = append(out, part...)
	}
	return out
}

// windower holds the scratch space of window evaluation.
type windower[E any] struct {
	counts  map[uint64]int // value_count: records per value in the window
	inputs  []int          // temporal: records per rule in the window
	sorted  []float64      // value_percentile: the window's values, sorted
	prefix  []float64      // value_sum, value_avg: prefix sums
	chosen  []bool
	classes map[uint64]bool
}

// run evaluates the windows of one key (see Correlator) and appends the
// matches.
func (w *windower[E]) run(p *corrPlan, lim *Limits, ks *keyState[E], out []*corrMatch[E]) []*corrMatch[E] {
	recs := ks.recs
	n := len(recs)
	if n == 0 {
		return out
	}
	span := int64(p.c.Timespan)
	typ := p.c.Type
	distinct := 0
	switch typ {
	case ValueCount:
		if w.counts == nil {
			w.counts = map[uint64]int{}
		}
		clear(w.counts)
	case Temporal, TemporalOrdered:
		w.inputs = slices.Grow(w.inputs[:0], p.nRules)[:p.nRules]
		clear(w.inputs)
	case ValueSum, ValueAvg:
		w.prefix = slices.Grow(w.prefix[:0], n+1)[:n+1]
		w.prefix[0] = 0
		for i, r := range recs {
			w.prefix[i+1] = w.prefix[i] + math.Float64frombits(r.v)
		}
	case ValuePercentile:
		w.sorted = w.sorted[:0]
	}
	addRec := func(r *rec[E]) {
		switch typ {
		case ValueCount:
			w.counts[r.v]++
			if w.counts[r.v] == 1 {
				distinct++
			}
		case Temporal, TemporalOrdered:
			pos := p.inputs[r.in].pos
			w.inputs[pos]++
			if w.inputs[pos] == 1 {
				distinct++
			}
		case ValuePercentile:
			v := math.Float64frombits(r.v)
			i, _ := slices.BinarySearch(w.sorted, v)
			w.sorted = slices.Insert(w.sorted, i, v)
		}
	}
	dropRec := func(r *rec[E]) {
		switch typ {
		case ValueCount:
			w.counts[r.v]--
			if w.counts[r.v] == 0 {
				delete(w.counts, r.v)
				distinct--
			}
		case Temporal, TemporalOrdered:
			pos := p.inputs[r.in].pos
			w.inputs[pos]--
			if w.inputs[pos] == 0 {
				distinct--
			}
		case ValuePercentile:
			v := math.Float64frombits(r.v)
			if i, ok := slices.BinarySearch(w.sorted, v); ok {
				w.sorted = slices.Delete(w.sorted, i, i+1)
			}
		}
	}
	b, next := 0, 0
	for a := 0; a < n; a++ {
		end := satAdd(recs[a].t, span)
		for b < n && recs[b].t <= end {
			addRec(&recs[b])
			b++
		}
		// Events of equal time are simultaneous: windows are anchored on
		// the first of them, and hold them all.
		if a >= next && (a == 0 || recs[a-1].t != recs[a].t) {
			if v, ok := w.measure(p, recs, a, b, distinct); ok {
				out = append(out, w.match(p, lim, ks, a, b, v))
				next = b
			}
		}
		dropRec(&recs[a])
	}
	return out
}

// measure returns the window's measured value, and whether the condition
// holds for it.
func (w *windower[E]) measure(p *corrPlan, recs []rec[E], a, b, distinct int) (float64, bool) {
	c := p.c
	var v float64
	switch c.Type {
	case EventCount:
		v = float64(b - a)
	case ValueCount:
		v = float64(distinct)
	case ValueSum:
		v = w.prefix[b] - w.prefix[a]
	case ValueAvg:
		v = (w.prefix[b] - w.prefix[a]) / float64(b-a)
	case ValuePercentile:
		v = percentile(c.Percentile, w.sorted)
	case Temporal:
		v = float64(distinct)
	case TemporalOrdered:
		// Anchored only on (a time of) an event of the first rule.
		first := false
		for k := a; k < b && recs[k].t == recs[a].t; k++ {
			first = first || p.inputs[recs[k].in].pos == 0
		}
		if !first {
			return 0, false
		}
		v = float64(ordered(p, recs[a:b]))
	}
	if len(c.Condition) == 0 {
		return v, v >= float64(p.nRules)
	}
	return v, holds(c.Condition, v)
}

// ordered returns how many of a temporal_ordered correlation's rules occur
// in their order in the window's records; records of equal time may occur
// in either order.
func ordered[E any](p *corrPlan, recs []rec[E]) int {
	next := 0
	for i := 0; i < len(recs) && next < p.nRules; {
		j := i
		for j < len(recs) && recs[j].t == recs[i].t {
			j++
		}
		next = orderedStep(p, recs[i:j], next)
		i = j
	}
	return next
}

// orderedStep advances the count of rules seen in order over records of
// one time, which may complete the rules in any order among themselves.
func orderedStep[E any](p *corrPlan, group []rec[E], next int) int {
	for progress := true; progress && next < p.nRules; {
		progress = false
		for k := range group {
			if p.inputs[group[k].in].pos == next {
				next++
				progress = true
				break
			}
		}
	}
	return next
}

// heldAt returns the time at which the condition first held over a
// window's records, taken in order from its first: for "at least" and
// "more than" conditions, the event that crossed the threshold; for the
// temporal types, the event that completed the set. It is the time at
// which a stream would have known of the match, and so the time of the
// match as seen by the correlations that name this one.
func (w *windower[E]) heldAt(p *corrPlan, recs []rec[E]) int64 {
	c := p.c
	cond := func(v float64) bool {
		if len(c.Condition) == 0 {
			return v >= float64(p.nRules)
		}
		return holds(c.Condition, v)
	}
	seen := map[uint64]int{}
	var sorted []float64
	sum, next := 0.0, 0
	for i := 0; i < len(recs); {
		// Events of one time arrive together.
		j := i
		for j < len(recs) && recs[j].t == recs[i].t {
			j++
		}
		for k := i; k < j; k++ {
			r := &recs[k]
			switch c.Type {
			case ValueCount:
				seen[r.v]++
			case Temporal:
				seen[uint64(p.inputs[r.in].pos)]++
			case ValueSum, ValueAvg:
				sum += math.Float64frombits(r.v)
			case ValuePercentile:
				v := math.Float64frombits(r.v)
				at, _ := slices.BinarySearch(sorted, v)
				sorted = slices.Insert(sorted, at, v)
			}
		}
		var v float64
		switch c.Type {
		case EventCount:
			v = float64(j)
		case ValueCount, Temporal:
			v = float64(len(seen))
		case ValueSum:
			v = sum
		case ValueAvg:
			v = sum / float64(j)
		case ValuePercentile:
			v = percentile(c.Percentile, sorted)
		case TemporalOrdered:
			next = orderedStep(p, recs[i:j], next)
			v = float64(next)
		}
		if cond(v) {
			return recs[i].t
		}
		i = j
	}
	return recs[len(recs)-1].t
}

// percentile returns the nearest-rank percentile pct (50 when 0) of
// sorted values: the smallest value with at least pct percent of the
// values at or below it.
func percentile(pct float64, sorted []float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	if pct == 0 {
		pct = 50
	}
	rank := int(math.Ceil(pct / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

// satAdd adds without overflowing.
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

// match builds the match of window [a, b): its evidence (one record per
// distinct value or rule first, then the earliest others) and the
// distinct carried combinations.
func (w *windower[E]) match(p *corrPlan, lim *Limits, ks *keyState[E], a, b int, v float64) *corrMatch[E] {
	recs := ks.recs[a:b]
	m := &corrMatch[E]{ks: ks, key: ks.key, start: recs[0].t, end: recs[len(recs)-1].t, value: v, total: len(recs),
		last: recs[len(recs)-1]}
	if cap(w.chosen) < len(recs) {
		w.chosen = make([]bool, len(recs))
	}
	w.chosen = w.chosen[:len(recs)]
	clear(w.chosen)
	if w.classes == nil {
		w.classes = map[uint64]bool{}
	}
	clear(w.classes)
	picked := 0
	class := func(r *rec[E]) (uint64, bool) {
		switch p.c.Type {
		case ValueCount:
			return r.v, true
		case Temporal, TemporalOrdered:
			return uint64(p.inputs[r.in].pos), true
		}
		return 0, false
	}
	for i := range recs {
		if picked >= lim.MaxEvidence {
			break
		}
		if k, ok := class(&recs[i]); ok && !w.classes[k] {
			w.classes[k] = true
			w.chosen[i] = true
			picked++
		}
	}
	for i := range recs {
		if picked >= lim.MaxEvidence {
			break
		}
		if !w.chosen[i] {
			w.chosen[i] = true
			picked++
		}
	}
	for i := range recs {
		if w.chosen[i] {
			m.evidence = append(m.evidence, recs[i])
		}
	}
	if len(p.feeds) > 0 {
		m.held = w.heldAt(p, recs)
	}
	if len(p.carry) > 0 {
		clear(w.classes)
		for i := range recs {
			cv := recs[i].carry
			if cv == 0 || w.classes[uint64(cv)] {
				continue
			}
			w.classes[uint64(cv)] = true
			m.carries = append(m.carries, ks.strs[cv-1])
		}
		slices.Sort(m.carries)
	}
	return m
}

// public turns a match into what Finish reports.
func (c *Correlator[E]) public(p *corrPlan, m *corrMatch[E]) *CorrelationMatch[E] {
	out := &CorrelationMatch[E]{
		Correlation: p.c, Index: p.idx,
		Start: timeOf(m.start), End: timeOf(m.end), Value: m.value, Total: m.total,
	}
	vals := splitLP(m.key)
	for i, g := range p.c.GroupBy {
		gv := GroupValue{Name: g}
		if i < len(vals) {
			gv.Value = vals[i]
		}
		out.Group = append(out.Group, gv)
	}
	for _, r := range m.evidence {
		e := CorrelationEvidence[E]{Ref: r.ref, Time: timeOf(r.t), Rule: p.inputs[r.in].name}
		switch p.c.Type {
		case ValueCount:
			e.Value = m.ks.strs[r.v]
		case ValueSum, ValueAvg, ValuePercentile:
			e.Value = formatNumber(math.Float64frombits(r.v))
		}
		out.Evidence = append(out.Evidence, e)
	}
	return out
}

// feedChain turns a match of p into records of the correlation it feeds:
// one per distinct combination of carried values (one when p carries
// none), at the time the match's condition first held (see heldAt), with
// the window's last event as its evidence.
func (c *Correlator[E]) feedChain(chain *Collector[E], p *corrPlan, f feed, m *corrMatch[E]) {
	consumer := c.set.plans[f.corr]
	in := &consumer.inputs[f.input]
	st := chain.stores[f.corr]
	group := splitLP(m.key)
	// The chained record's identity: the match itself.
	var idb []byte
	idb = appendLP(idb, m.key)
	idb = append(idb, byte(m.start>>56), byte(m.start>>48), byte(m.start>>40), byte(m.start>>32),
		byte(m.start>>24), byte(m.start>>16), byte(m.start>>8), byte(m.start))
	id := keyHash(p.idx, idb)
	combos := m.carries
	if len(combos) == 0 {
		combos = []string{""}
	}
	for ci, combo := range combos {
		if ci >= c.lim.MaxValues {
			st.carried += int64(len(combos) - ci)
			break
		}
		carried := splitLP(combo)
		need := len(in.fields)
		chain.vals = append(chain.vals[:0], make([]string, need)...)
		ok := true
		for j, names := range in.fields {
			name := names[0]
			if gi := slices.Index(p.c.GroupBy, name); gi >= 0 && gi < len(group) {
				chain.vals[j] = group[gi]
			} else if ci := slices.Index(p.carry, name); ci >= 0 && ci < len(carried) {
				chain.vals[j] = carried[ci]
			} else if j < len(in.group) || (in.value != nil && j == len(in.group)) {
				ok = false
			}
		}
		if !ok {
			st.ungrouped++
			continue
		}
		chain.add(st, consumer, f, m.held, id+uint64(ci), m.last.ref)
	}
}

// Text is the sentence that explains a match, such as "42 distinct
// TargetUserName >= 10 within 5m, grouped by IpAddress=172.16.144.128".
func (m *CorrelationMatch[E]) Text() string {
	c := m.Correlation
	v := formatNumber(m.Value)
	cond := ConditionText(c.Condition)
	var s string
	switch c.Type {
	case EventCount:
		s = fmt.Sprintf("%s events %s", v, cond)
	case ValueCount:
		s = fmt.Sprintf("%s distinct %s %s", v, c.Field, cond)
	case ValueSum:
		s = fmt.Sprintf("sum of %s %s %s", c.Field, v, cond)
	case ValueAvg:
		s = fmt.Sprintf("average of %s %s %s", c.Field, v, cond)
	case ValuePercentile:
		pct := c.Percentile
		if pct == 0 {
			pct = 50
		}
		s = fmt.Sprintf("%s percentile of %s %s %s", ordinal(pct), c.Field, v, cond)
	case Temporal, TemporalOrdered:
		what := "rules"
		if c.Type == TemporalOrdered {
			what = "rules in order"
		}
		if cond == "" {
			s = fmt.Sprintf("all %s %s of %s", v, what, strings.Join(c.Rules, ", "))
		} else {
			s = fmt.Sprintf("%s %s %s of %s", v, what, cond, strings.Join(c.Rules, ", "))
		}
	}
	s += " within " + FormatTimespan(c.Timespan)
	if len(m.Group) > 0 {
		s += ", grouped by " + m.Key()
	}
	return s
}

// Measure names the measured value of the match's correlation, such as
// "distinct TargetUserName".
func (m *CorrelationMatch[E]) Measure() string {
	c := m.Correlation
	switch c.Type {
	case EventCount:
		return "events"
	case ValueCount:
		return "distinct " + c.Field
	case ValueSum:
		return "sum of " + c.Field
	case ValueAvg:
		return "average of " + c.Field
	case ValuePercentile:
		return "percentile of " + c.Field
	}
	return "rules"
}

// Key renders the group as "name=value, name=value" in group-by order.
func (m *CorrelationMatch[E]) Key() string {
	var b strings.Builder
	for i, g := range m.Group {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(g.Name)
		b.WriteByte('=')
		b.WriteString(g.Value)
	}
	return b.String()
}

// ordinal renders 95 as "95th", 1 as "1st".
func ordinal(p float64) string {
	s := formatNumber(p)
	if p != math.Trunc(p) {
		return s + "th"
	}
	n := int64(p)
	switch {
	case n%100 >= 11 && n%100 <= 13:
		return s + "th"
	case n%10 == 1:
		return s + "st"
	case n%10 == 2:
		return s + "nd"
	case n%10 == 3:
		return s + "rd"
	}
	return s + "th"
}
