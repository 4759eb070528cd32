package network

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// Protocols of a connection, as Zeek's proto field names them.
const (
	protoOther uint8 = iota
	protoTCP
	protoUDP
	protoICMP
)

var protoNames = [...]string{"other", "tcp", "udp", "icmp"}

func protoCode(s string) uint8 {
	switch s {
	case "tcp":
		return protoTCP
	case "udp":
		return protoUDP
	case "icmp":
		return protoICMP
	}
	return protoOther
}

// ref says where an event is, for evidence: enough to point a person at
// the line without keeping the record.
type ref struct {
	file   string
	offset int64
	line   int32
	ts     int64 // unix microseconds
}

// refLess is a total order on references that does not depend on the order
// inputs were read in.
func refLess(a, b *ref) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	if a.file != b.file {
		return a.file < b.file
	}
	if a.line != b.line {
		return a.line < b.line
	}
	return a.offset < b.offset
}

// conn is one connection of conn.log (or one update of open_conn.log),
// reduced to what the analytics read.
type conn struct {
	ref
	uid     string
	service string // interned
	state   string // interned conn_state
	dur     float64
	ob, rb  int64 // payload bytes, originator and responder
	oib     int64 // IP bytes sent by the originator
	rib     int64 // IP bytes sent by the responder
	sport   uint16
	dport   uint16
	proto   uint8
}

// connLess orders connections by time, then uid, then place: copies of one
// record (the same log read twice) end up side by side.
func connLess(a, b *conn) int {
	if a.ts != b.ts {
		return cmp.Compare(a.ts, b.ts)
	}
	if a.uid != b.uid {
		return strings.Compare(a.uid, b.uid)
	}
	if refLess(&a.ref, &b.ref) {
		return -1
	}
	if refLess(&b.ref, &a.ref) {
		return 1
	}
	return 0
}

// established reports whether the connection's handshake completed: the
// responder answered.
func (c *conn) established() bool {
	switch c.state {
	case "SF", "S1", "S2", "S3", "RSTO", "RSTR":
		return true
	case "":
		return c.rb > 0
	}
	return false
}

// answered reports whether the responder took part: a handshake or a
// payload (a reset to a closed port is no answer).
func (c *conn) answered() bool { return c.rb > 0 || c.established() }

// pairKey is a (source, destination) pair of addresses.
type pairKey struct{ src, dst netip.Addr }

// nameRec is a TLS server name or an HTTP Host header of a connection:
// beacons and long connections are also judged per (source, name).
type nameRec struct {
	ref
	src, dst netip.Addr
	name     string // interned
	uid      string
	open     bool
	http     bool // an HTTP Host, not a TLS server name
}

// openConn is the latest update of a session still open at the end of a
// log (open_conn.log is rewritten every so often with the session so far).
type openConn struct {
	key pairKey
	c   conn
}

// later reports whether update a says more than b about one session.
func later(a, b *conn) bool {
	if a.dur != b.dur {
		return a.dur > b.dur
	}
	if a.oib+a.rib != b.oib+b.rib {
		return a.oib+a.rib > b.oib+b.rib
	}
	return refLess(&b.ref, &a.ref)
}

// item is one event of the smaller stores, with the fields shown as its
// evidence.
type item struct {
	ref
	key     uint64 // identifies the event whatever copy of its log it came from
	channel string
	eventID int32
	record  uint64
	fields  []fieldKV
}

// fieldKV is a field kept for evidence.
type fieldKV struct{ name, value string }

// itemGroup collects events of one kind about one entity: a count, the
// earliest few as evidence, and tallies of what varies between them.
type itemGroup struct {
	count  int             // distinct events
	approx bool            // too many to tell copies apart: count may hold copies
	seen   map[uint64]mark // keys of the events counted, up to maxSeen, and what each tallied
	first  []item          // the earliest, at most Caps.Evidence
	extra  map[string]int  // a tally: fields, actions, how a service was reached
	values map[string]int  // a second tally: the values that matched
}

// mark is what one event added to its group's tallies: remembered with the
// event's key, so that merging two workers' groups can take back what a
// copy of an event (the same log read twice, on two workers) counted again.
type mark struct {
	extra, value string // "" when the event tallied nothing there
}

// tallyKeys is how many keys each tally of a group keeps.
const tallyKeys = 8

// tallyMark counts what one event adds to the tallies.
func (g *itemGroup) tallyMark(m mark) {
	if m.extra != "" {
		g.extra = tallyInto(g.extra, m.extra, tallyKeys)
	}
	if m.value != "" {
		g.values = tallyInto(g.values, m.value, tallyKeys)
	}
}

// untally takes back one count of key from a tally made by tallyInto: from
// the key when the tally kept it, else from the overflow.
func untally(m map[string]int, key string) {
	if key == "" || m == nil {
		return
	}
	if _, ok := m[key]; !ok {
		key = overflowKey
	}
	if m[key] > 0 {
		m[key]--
		if m[key] == 0 {
			delete(m, key)
		}
	}
}

// tallyInto counts key in m, which keeps the n smallest keys and counts
// the rest under overflowKey: every worker then keeps the keys the merged
// tally keeps, whatever the order it saw them in.
func tallyInto(m map[string]int, key string, n int) map[string]int {
	if m == nil {
		m = make(map[string]int)
	}
	if _, ok := m[key]; ok {
		m[key]++
		return m
	}
	kept := len(m)
	if _, ok := m[overflowKey]; ok {
		kept--
	}
	if kept < n {
		m[key] = 1
		return m
	}
	largest := ""
	for k := range m {
		if k != overflowKey && k > largest {
			largest = k
		}
	}
	if key < largest {
		m[overflowKey] += m[largest]
		delete(m, largest)
		m[key] = 1
		return m
	}
	m[overflowKey]++
	return m
}

// overflowKey tallies what did not fit in a tally; it sorts last.
const overflowKey = "\xffothers"

// maxSeen is how many distinct events one group remembers to tell copies
// of an event (the same log read twice) from new ones.
const maxSeen = 1 << 14

// addItem records one event in a group, keeping the earliest few as
// evidence, and reports whether it was new: a copy of an event already
// counted (the same record read from another copy of a log) is not counted
// again, though its place may replace the first copy's as evidence, so
// that the evidence does not depend on the order copies were read in.
func (s *state) addItem(g *itemGroup, it item, m mark) bool {
	k := s.cfg.Caps.Evidence
	if _, dup := g.seen[it.key]; dup {
		for i := range g.first {
			if g.first[i].key == it.key {
				if refLess(&it.ref, &g.first[i].ref) {
					g.first[i] = it
					sortItems(g.first)
				}
				return false
			}
		}
		g.keep(it, k)
		return false
	}
	switch {
	case len(g.seen) < maxSeen && s.seenTotal < s.cfg.Caps.SubdomainsTotal:
		if g.seen == nil {
			g.seen = make(map[uint64]mark)
		}
		// The event's strings may not outlive it.
		g.seen[it.key] = mark{extra: strings.Clone(m.extra), value: strings.Clone(m.value)}
		s.seenTotal++
	default:
		// Too many to remember: counted, copies or not.
		g.approx = true
	}
	g.count++
	g.tallyMark(m)
	g.keep(it, k)
	return true
}

// keep keeps an event if it is among the earliest k.
func (g *itemGroup) keep(it item, k int) {
	if len(g.first) < k {
		g.first = append(g.first, it)
		sortItems(g.first)
		return
	}
	if refLess(&it.ref, &g.first[len(g.first)-1].ref) {
		g.first[len(g.first)-1] = it
		sortItems(g.first)
	}
}

func sortItems(its []item) {
	slices.SortFunc(its, func(a, b item) int { return refCmp(&a.ref, &b.ref) })
}

// mergeItems adds the events of group o to group g.
func (s *state) mergeItems(g, o *itemGroup) {
	g.approx = g.approx || o.approx
	extra := 0
	for key, m := range o.seen {
		if _, ok := g.seen[key]; ok {
			// Both counted this event: o's count of it is not added
			// (extra), nor its tallies.
			untally(o.extra, m.extra)
			untally(o.values, m.value)
			continue
		}
		if len(g.seen) < maxSeen && s.seenTotal < s.cfg.Caps.SubdomainsTotal {
			if g.seen == nil {
				g.seen = make(map[uint64]mark)
			}
			g.seen[key] = m
			s.seenTotal++
		} else {
			g.approx = true
		}
		extra++
	}
	// Events o counted without remembering them add up as they are.
	g.count += extra + o.count - len(o.seen)
	for _, it := range o.first {
		if _, dup := g.seen[it.key]; dup {
			replaced := false
			for i := range g.first {
				if g.first[i].key == it.key {
					if refLess(&it.ref, &g.first[i].ref) {
						g.first[i] = it
						sortItems(g.first)
					}
					replaced = true
					break
				}
			}
			if replaced {
				continue
			}
		}
		g.keep(it, s.cfg.Caps.Evidence)
	}
	g.extra = mergeTally(g.extra, o.extra, tallyKeys)
	g.values = mergeTally(g.values, o.values, tallyKeys)
}

// mergeTally adds tally o to m, keeping at most n keys; the keys kept are
// the smallest, so that the result does not depend on the merge order.
func mergeTally(m, o map[string]int, n int) map[string]int {
	if len(o) == 0 {
		return m
	}
	if m == nil {
		m = make(map[string]int)
	}
	for k, v := range o {
		m[k] += v
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != overflowKey {
			keys = append(keys, k)
		}
	}
	if len(keys) <= n {
		return m
	}
	slices.Sort(keys)
	for _, k := range keys[n:] {
		m[overflowKey] += m[k]
		delete(m, k)
	}
	return m
}

func refCmp(a, b *ref) int {
	switch {
	case refLess(a, b):
		return -1
	case refLess(b, a):
		return 1
	}
	return 0
}

// domainState counts the distinct names queried under one parent domain.
type domainState struct {
	names   map[uint64]struct{} // hashes of distinct names, up to Caps.Subdomains
	capped  bool
	srcs    map[netip.Addr]struct{} // up to maxSources
	srcMore bool
	samples []string // the smallest few names, for the explanation
	ev      itemGroup
}

const maxSources = 32

// adminEdge is the first use of an administration protocol from one host
// to another.
type adminEdge struct {
	src, dst netip.Addr
	service  string
}

// state is what one worker collects, and what the detector merges.
type state struct {
	cfg *Config

	pairs    map[pairKey][]conn
	nconns   int
	cutoff   int64 // connections before this time (µs) were dropped for the cap
	dropped  int
	minTS    int64 // closed connections, µs
	maxTS    int64
	zMin     int64 // every Zeek record, µs
	zMax     int64
	open     map[string]*openConn
	openDrop int

	names     []nameRec
	namesDrop int
	answers   map[pairKey]string // (source, address) -> the name the source resolved to it
	noHost    map[string]string  // uid -> User-Agent of HTTP requests without a Host header

	domains     map[string]*domainState
	domainsDrop int
	subTotal    int
	subDrop     int

	items     map[string]*itemGroup // indicator hits, IP lookups, SMB files: by kind and key
	itemsDrop int
	seenTotal int // events remembered by all item groups, to tell copies apart

	admin     map[adminEdge]item // earliest use, from protocol logs
	adminDrop int
	kdc       map[netip.Addr]struct{} // hosts that answered Kerberos or LDAP

	hosts    map[netip.Addr]map[string]int // address -> tally of tier+name (hosts.go)
	hostsCut netip.Addr                    // when valid, addresses above it were dropped for the cap
	dnsSrv   map[netip.Addr][]netip.Addr   // DNS server -> the smallest few internal clients dns.log shows it answer
	dnsDrop  int

	intern map[string]string
}

func newState(cfg *Config) *state {
	return &state{
		cfg:     cfg,
		pairs:   make(map[pairKey][]conn),
		open:    make(map[string]*openConn),
		noHost:  make(map[string]string),
		answers: make(map[pairKey]string),
		domains: make(map[string]*domainState),
		items:   make(map[string]*itemGroup),
		admin:   make(map[adminEdge]item),
		kdc:     make(map[netip.Addr]struct{}),
		hosts:   make(map[netip.Addr]map[string]int),
		dnsSrv:  make(map[netip.Addr][]netip.Addr),
		intern:  make(map[string]string),
		minTS:   1<<63 - 1,
		maxTS:   -1 << 63,
		zMin:    1<<63 - 1,
		zMax:    -1 << 63,
	}
}

// str interns a short, repetitive string (a service, a file name, a
// domain), copying it once.
func (s *state) str(v string) string {
	if v == "" {
		return ""
	}
	if have, ok := s.intern[v]; ok {
		return have
	}
	if len(s.intern) >= 1<<16 {
		// Too many to share: copy without keeping.
		return strings.Clone(v)
	}
	c := strings.Clone(v)
	s.intern[c] = c
	return c
}

// addConn keeps a closed connection.
func (s *state) addConn(k pairKey, c conn) {
	s.minTS = min(s.minTS, c.ts)
	s.maxTS = max(s.maxTS, c.ts)
	if c.ts < s.cutoff {
		s.dropped++
		return
	}
	s.pairs[k] = append(s.pairs[k], c)
	s.nconns++
	if s.nconns > s.cfg.Caps.Conns+s.cfg.Caps.Conns/4 {
		s.prune(s.cutoff)
	}
}

// prune drops the connections before floor, then the oldest until at most
// Caps.Conns remain. Connections of one instant stay or go together, and
// the cut is the earliest time that leaves no more than the cap: so the
// connections kept are the same whatever the order the workers saw them in
// (each worker's cut is at or before the cut over all connections).
func (s *state) prune(floor int64) {
	if floor <= s.cutoff && s.nconns <= s.cfg.Caps.Conns {
		return
	}
	cut := max(floor, s.cutoff)
	if s.nconns > s.cfg.Caps.Conns {
		ts := make([]int64, 0, s.nconns)
		for _, cs := range s.pairs {
			for i := range cs {
				if cs[i].ts >= cut {
					ts = append(ts, cs[i].ts)
				}
			}
		}
		if len(ts) > s.cfg.Caps.Conns {
			slices.Sort(ts)
			k := len(ts) - s.cfg.Caps.Conns // at least k must go
			c := ts[k]
			if ts[k-1] == c {
				// Equal times go together: cut above them.
				j, _ := slices.BinarySearch(ts, c+1)
				if j < len(ts) {
					c = ts[j]
				} else {
					c++
				}
			}
			cut = max(cut, c)
		}
	}
	s.cutoff = cut
	n := 0
	for k, cs := range s.pairs {
		kept := cs[:0]
		for i := range cs {
			if cs[i].ts >= cut {
				kept = append(kept, cs[i])
			} else {
				s.dropped++
			}
		}
		if len(kept) == 0 {
			delete(s.pairs, k)
			continue
		}
		if cap(kept) > 2*len(kept)+8 {
			kept = slices.Clip(slices.Clone(kept))
		}
		s.pairs[k] = kept
		n += len(kept)
	}
	s.nconns = n
}

// addOpen keeps the latest update of a still-open session.
func (s *state) addOpen(k pairKey, c conn) {
	if have, ok := s.open[c.uid]; ok {
		if later(&c, &have.c) {
			have.c, have.key = c, k
		}
		return
	}
	if len(s.open) >= s.cfg.Caps.Open {
		s.openDrop++
		return
	}
	s.open[c.uid] = &openConn{key: k, c: c}
}

// addAnswer records that a source resolved a name to an address; when it
// resolved several names to one address, the first in text order is kept,
// whatever the order the answers came in.
func (s *state) addAnswer(k pairKey, name string) {
	if have, ok := s.answers[k]; ok {
		if name < have {
			s.answers[k] = s.str(name)
		}
		return
	}
	if len(s.answers) >= s.cfg.Caps.Names {
		s.namesDrop++
		return
	}
	s.answers[k] = s.str(name)
}

func (s *state) addName(n nameRec) {
	if len(s.names) >= s.cfg.Caps.Names {
		s.namesDrop++
		return
	}
	s.names = append(s.names, n)
}

// group returns the item group of a key, nil when the cap is reached.
func (s *state) group(key string) *itemGroup {
	if g, ok := s.items[key]; ok {
		return g
	}
	if len(s.items) >= s.cfg.Caps.Items {
		s.itemsDrop++
		return nil
	}
	g := &itemGroup{}
	s.items[strings.Clone(key)] = g
	return g
}

// seeAdmin records a use of an administration protocol, keeping the
// earliest.
func (s *state) seeAdmin(e adminEdge, it item) {
	if have, ok := s.admin[e]; ok {
		if refLess(&it.ref, &have.ref) {
			s.admin[e] = it
		}
		return
	}
	if len(s.admin) >= s.cfg.Caps.Items {
		s.adminDrop++
		return
	}
	s.admin[e] = it
}

// merge adds what another worker collected.
func (s *state) merge(o *state) {
	s.minTS = min(s.minTS, o.minTS)
	s.maxTS = max(s.maxTS, o.maxTS)
	s.zMin = min(s.zMin, o.zMin)
	s.zMax = max(s.zMax, o.zMax)
	s.dropped += o.dropped
	floor := max(s.cutoff, o.cutoff)
	if len(s.pairs) == 0 {
		// The first worker's connections are taken over, not copied.
		s.pairs, s.nconns = o.pairs, o.nconns
	} else {
		for k, cs := range o.pairs {
			s.pairs[k] = append(s.pairs[k], cs...)
			s.nconns += len(cs)
		}
	}
	o.pairs = nil
	s.prune(floor)

	for uid, oc := range o.open {
		if have, ok := s.open[uid]; ok {
			if later(&oc.c, &have.c) {
				*have = *oc
			}
			continue
		}
		if len(s.open) >= s.cfg.Caps.Open {
			s.openDrop++
			continue
		}
		s.open[uid] = oc
	}
	s.openDrop += o.openDrop

	for _, n := range o.names {
		s.addName(n)
	}
	s.namesDrop += o.namesDrop
	for k, name := range o.answers {
		s.addAnswer(k, name)
	}
	for uid, ua := range o.noHost {
		if len(s.noHost) < s.cfg.Caps.Names {
			s.noHost[uid] = ua
		}
	}

	for name, od := range o.domains {
		d, ok := s.domains[name]
		if !ok {
			if len(s.domains) >= s.cfg.Caps.Domains {
				s.domainsDrop++
				continue
			}
			s.domains[name] = od
			s.subTotal += len(od.names)
			s.seenTotal += len(od.ev.seen)
			continue
		}
		s.mergeDomain(d, od)
	}
	s.domainsDrop += o.domainsDrop
	s.subDrop += o.subDrop

	for key, og := range o.items {
		if g, ok := s.items[key]; ok {
			s.mergeItems(g, og)
			continue
		}
		if len(s.items) >= s.cfg.Caps.Items {
			s.itemsDrop += og.count
			continue
		}
		s.items[key] = og
		s.seenTotal += len(og.seen)
	}
	s.itemsDrop += o.itemsDrop

	for e, it := range o.admin {
		s.seeAdmin(e, it)
	}
	s.adminDrop += o.adminDrop
	for a := range o.kdc {
		s.kdc[a] = struct{}{}
	}
	s.mergeHosts(o)
	for srv, cs := range o.dnsSrv {
		for _, c := range cs {
			s.addDNSClient(srv, c)
		}
	}
	s.dnsDrop += o.dnsDrop
}

// mergeDomain adds the names of od to d.
func (s *state) mergeDomain(d, od *domainState) {
	d.capped = d.capped || od.capped
	for h := range od.names {
		s.addSub(d, h)
	}
	for a := range od.srcs {
		addSource(d, a)
	}
	d.srcMore = d.srcMore || od.srcMore
	for _, n := range od.samples {
		addSample(d, n)
	}
	s.mergeItems(&d.ev, &od.ev)
}

// addSub counts one distinct name hash under a domain, within the caps: a
// domain's count stops at its cap whatever the order names come in.
func (s *state) addSub(d *domainState, h uint64) {
	if _, ok := d.names[h]; ok {
		return
	}
	if len(d.names) >= s.cfg.Caps.Subdomains {
		d.capped = true
		return
	}
	if s.subTotal >= s.cfg.Caps.SubdomainsTotal {
		s.subDrop++
		return
	}
	d.names[h] = struct{}{}
	s.subTotal++
}

func addSource(d *domainState, a netip.Addr) {
	if _, ok := d.srcs[a]; ok {
		return
	}
	if len(d.srcs) >= maxSources {
		d.srcMore = true
		return
	}
	d.srcs[a] = struct{}{}
}

// maxSamples is how many example names a DNS finding shows.
const maxSamples = 5

// addSample keeps the longest few names (then the first in text order):
// the telling examples, the same whatever the order of the queries.
func addSample(d *domainState, name string) {
	less := func(a, b string) bool {
		if len(a) != len(b) {
			return len(a) > len(b)
		}
		return a < b
	}
	for _, have := range d.samples {
		if have == name {
			return
		}
	}
	if len(d.samples) < maxSamples {
		d.samples = append(d.samples, name)
	} else if less(name, d.samples[len(d.samples)-1]) {
		d.samples[len(d.samples)-1] = name
	} else {
		return
	}
	slices.SortFunc(d.samples, func(a, b string) int {
		switch {
		case less(a, b):
			return -1
		case less(b, a):
			return 1
		}
		return 0
	})
}

// Kinds of item groups; the kind starts each group's key.
const (
	kindLookup    = "lookup"
	kindSMB       = "smb"
	kindIndicator = "ioc"
)
