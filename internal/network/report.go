package network

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// reporter turns the merged state into findings, once, at the end of a
// hunt.
type reporter struct {
	d     *Detector
	cfg   *Config
	st    *state
	emit  func(*finding.Finding)
	notes []string
	sc    scorer

	list []pairData           // every pair with connections, closed or open, sorted
	open map[pairKey][]*conn  // sessions still open at the end, by pair
	uids map[string]*conn     // closed connections named by ssl/http records, by uid
	excl map[string]bool      // uids scored under a server name: left out of address pairs
	serv map[netip.Addr]bool  // internal hosts that answered connections: servers
	dcs  map[netip.Addr]bool  // domain controllers: hosts that answered Kerberos or LDAP
	seen map[netip.Addr]int64 // first connection to each destination, µs

	// The windows beacons, long connections and strobes are judged in.
	wins []window

	hostName map[netip.Addr]string // computer names of addresses (hosts.go)
	fwd      map[netip.Addr]bool   // DNS forwarders (forwarder.go)
}

// window is a span of conn.log that connections are judged in, as RITA
// judges an import: from its last connection back Beacon.Window (not
// before its first), connections counting from the top of the first hour.
type window struct {
	lo, hi int64 // seconds: the span the histogram and coverage measure
	start  int64 // µs: connections from here, up to hi, count
	latest bool  // the last window of its stretch of logs
}

// holds reports whether a closed connection falls in the window.
func (w *window) holds(c *conn) bool { return c.ts >= w.start && floorDiv(c.ts, 1e6) <= w.hi }

func newReporter(d *Detector, st *state, emit func(*finding.Finding)) *reporter {
	r := &reporter{d: d, cfg: &d.cfg, st: st, sc: scorer{cfg: &d.cfg.Beacon}}
	// Every finding names its hosts as the Windows logs name them.
	r.emit = func(f *finding.Finding) {
		r.nameHost(f)
		emit(f)
	}
	return r
}

// note adds a line to the hunt's notes.
func (r *reporter) note(format string, args ...any) {
	r.notes = append(r.notes, "network: "+fmt.Sprintf(format, args...))
}

// run reports every analytic.
func (r *reporter) run() {
	r.hostName = hostNames(r.st.hosts)
	r.prepare()
	r.forwarders()
	groups := r.nameGroups()
	r.pairs()
	r.names(groups)
	r.resolved()
	r.relays()
	r.callbacks()
	r.adminToDC()
	r.sweeps()
	r.domains()
	r.itemFindings()
	r.capNotes()
}

func addrCmp(a, b netip.Addr) int { return a.Compare(b) }

func pairCmp(a, b pairKey) int {
	if c := addrCmp(a.src, b.src); c != 0 {
		return c
	}
	return addrCmp(a.dst, b.dst)
}

// prepare puts every pair's connections in order, drops copies of one
// record, sets the window, and finds servers and domain controllers.
func (r *reporter) prepare() {
	st := r.st
	r.list = make([]pairData, 0, len(st.pairs)+len(st.open))
	for k, cs := range st.pairs {
		slices.SortFunc(cs, func(a, b conn) int { return connLess(&a, &b) })
		// The same log read twice (a TSV and a JSON copy, a log and its
		// .gz) gives each connection twice: keep one per uid and time.
		for i := 1; i < len(cs); i++ {
			if cs[i].uid == cs[i-1].uid && cs[i].ts == cs[i-1].ts {
				cs = dedupe(cs)
				break
			}
		}
		r.list = append(r.list, pairData{k: k, cs: cs})
	}

	// Sessions still open: the latest update of each, unless conn.log
	// shows it closed.
	r.open = make(map[pairKey][]*conn)
	uids := make([]string, 0, len(st.open))
	for uid := range st.open {
		uids = append(uids, uid)
	}
	slices.Sort(uids)
	closed := make(map[pairKey]map[string]bool)
	for _, uid := range uids {
		oc := st.open[uid]
		cs, ok := st.pairs[oc.key]
		if ok {
			m := closed[oc.key]
			if m == nil {
				m = make(map[string]bool, len(cs))
				for i := range cs {
					m[cs[i].uid] = true
				}
				closed[oc.key] = m
			}
			if m[uid] {
				continue
			}
		} else if _, seen := r.open[oc.key]; !seen {
			r.list = append(r.list, pairData{k: oc.key})
		}
		r.open[oc.key] = append(r.open[oc.key], &oc.c)
	}
	slices.SortFunc(r.list, func(a, b pairData) int { return pairCmp(a.k, b.k) })
	for k, os := range r.open {
		i, _ := slices.BinarySearchFunc(r.list, k, func(p pairData, k pairKey) int { return pairCmp(p.k, k) })
		r.list[i].open = os
	}

	r.windows()

	// Servers answer connections; domain controllers answer Kerberos and
	// LDAP.
	r.serv = make(map[netip.Addr]bool)
	r.dcs = make(map[netip.Addr]bool)
	r.seen = make(map[netip.Addr]int64)
	for a := range st.kdc {
		if r.internal(a) {
			r.dcs[a] = true
		}
	}
	for _, p := range r.list {
		k, cs := p.k, p.cs
		if len(cs) == 0 {
			continue
		}
		if first, ok := r.seen[k.dst]; !ok || cs[0].ts < first {
			r.seen[k.dst] = cs[0].ts
		}
		if !r.internal(k.dst) || k.src == k.dst {
			continue
		}
		serv, dc := r.serv[k.dst], r.dcs[k.dst]
		for i := 0; i < len(cs) && !(serv && dc); i++ {
			c := &cs[i]
			if !c.established() || c.proto == protoICMP {
				continue
			}
			serv = serv || c.dport < 49152
			switch c.dport {
			case 88, 389, 636, 3268, 3269:
				dc = true
			}
		}
		if serv {
			r.serv[k.dst] = true
		}
		if dc {
			r.dcs[k.dst] = true
		}
	}
	for a := range r.dcs {
		r.serv[a] = true
	}
}

// pairData is a pair with its connections, closed and still open.
type pairData struct {
	k    pairKey
	cs   []conn
	open []*conn
}

// dedupe drops the copies of a connection from sorted connections.
func dedupe(cs []conn) []conn {
	out := cs[:1]
	for i := 1; i < len(cs); i++ {
		if last := &out[len(out)-1]; last.uid == cs[i].uid && last.ts == cs[i].ts {
			continue
		}
		out = append(out, cs[i])
	}
	return out
}

// floorDiv divides rounding toward minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func mod(a, b int64) int64 { return a - floorDiv(a, b)*b }

// internal reports whether an address is in the operator's networks.
func (r *reporter) internal(a netip.Addr) bool {
	for _, p := range r.cfg.Internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// external reports whether an address is on the internet: routable and
// not the operator's.
func (r *reporter) external(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !r.internal(a) && a != netip.IPv4Unspecified()
}

// special reports whether an address is not one host: multicast,
// broadcast, unspecified, link-local.
func special(a netip.Addr) bool {
	return a.IsMulticast() || a.IsUnspecified() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// windows cuts the connections in windows. Logs often come as stretches
// with gaps between them (several sensors, several incidents, samples of
// different days): each stretch of conn.log without a day-long gap is
// judged on its own, in day-long windows counted back from its last
// connection. The last window of a stretch is the one RITA judges when the
// stretch is imported alone; earlier ones let a beacon that stopped before
// the end of the logs be found too.
func (r *reporter) windows() {
	hours := make(map[int64]struct{})
	for _, p := range r.list {
		for i := range p.cs {
			hours[floorDiv(p.cs[i].ts, 3600e6)] = struct{}{}
		}
	}
	if len(hours) == 0 {
		return
	}
	hs := make([]int64, 0, len(hours))
	for h := range hours {
		hs = append(hs, h)
	}
	slices.Sort(hs)
	span := int64(r.cfg.Beacon.Window / time.Second)
	gap := max(span/3600, 1) // hours without connections that split stretches
	// The first hour of each stretch, then each stretch's exact first and
	// last connection.
	var starts []int64
	for i, h := range hs {
		if i == 0 || h-hs[i-1] > gap {
			starts = append(starts, h)
		}
	}
	type stretch struct{ first, last int64 }
	sts := make([]stretch, len(starts))
	for i := range sts {
		sts[i] = stretch{first: 1<<63 - 1, last: -1 << 63}
	}
	for _, p := range r.list {
		for i := range p.cs {
			ts := p.cs[i].ts
			j, found := slices.BinarySearch(starts, floorDiv(ts, 3600e6))
			if !found {
				j--
			}
			sts[j].first = min(sts[j].first, ts)
			sts[j].last = max(sts[j].last, ts)
		}
	}
	for _, st := range sts {
		first, hi := floorDiv(st.first, 1e6), floorDiv(st.last, 1e6)
		for n := 0; ; n++ {
			lo := max(first, hi-span)
			r.wins = append(r.wins, window{lo: lo, hi: hi, start: (lo - mod(lo, 3600)) * 1e6, latest: n == 0})
			if lo <= first || n >= maxWindows {
				break
			}
			hi = lo
		}
	}
	slices.SortFunc(r.wins, func(a, b window) int { return cmp.Compare(a.hi, b.hi) })
}

// maxWindows bounds the windows of one stretch of logs: a year of days.
const maxWindows = 366

// in returns the connections of a sorted series that fall in a window.
func in(cs []*conn, w *window) []*conn {
	i, _ := slices.BinarySearchFunc(cs, w.start, func(c *conn, t int64) int { return cmp.Compare(c.ts, t) })
	j := i
	for j < len(cs) && floorDiv(cs[j].ts, 1e6) <= w.hi {
		j++
	}
	return cs[i:j]
}

// windowsOver returns the windows that hold any of a sorted series'
// connections, latest first.
func (r *reporter) windowsOver(cs []*conn) []*window {
	if len(cs) == 0 {
		return nil
	}
	var out []*window
	first, last := cs[0].ts, cs[len(cs)-1].ts
	for i := len(r.wins) - 1; i >= 0; i-- {
		w := &r.wins[i]
		if w.start <= last && floorDiv(first, 1e6) <= w.hi {
			out = append(out, w)
		}
	}
	return out
}

// series is the connections of one pair, or of one (source, name), in the
// window, with the sessions still open.
type series struct {
	closed []*conn
	open   []*conn
	// keys gives the pair of a connection when the series has more than
	// one (a server name served from several addresses).
	keys map[string]pairKey
}

// stats are the totals of a series.
type stats struct {
	count, unique  int
	dur            float64 // seconds, open sessions included
	bytes          int64   // IP bytes both ways, open sessions included
	openDur        float64
	longest        *conn
	ports          []string // "80/tcp/http", at most maxPorts
	morePorts      bool
	medianDuration float64
}

const maxPorts = 8

func (s *series) stats() stats {
	var t stats
	t.count = len(s.closed)
	var last int64 = -1 << 62
	durs := make([]float64, 0, len(s.closed))
	for _, c := range s.closed {
		if sec := floorDiv(c.ts, 1e6); sec != last {
			t.unique++
			last = sec
		}
		t.dur += c.dur
		t.bytes += c.oib + c.rib
		durs = append(durs, c.dur)
	}
	for _, c := range s.open {
		t.dur += c.dur
		t.openDur += c.dur
		t.bytes += c.oib + c.rib
	}
	slices.Sort(durs)
	t.medianDuration = median(durs)
	seen := make(map[string]bool)
	for _, cs := range [][]*conn{s.open, s.closed} {
		for _, c := range cs {
			if t.longest == nil || c.dur > t.longest.dur {
				t.longest = c
			}
			p := portString(c)
			if seen[p] {
				continue
			}
			if len(t.ports) >= maxPorts {
				t.morePorts = true
				continue
			}
			seen[p] = true
			t.ports = append(t.ports, p)
		}
	}
	slices.Sort(t.ports)
	return t
}

// portString is a connection's port, protocol and service: "80/tcp/http";
// ICMP as "icmp/8/0" (type and code).
func portString(c *conn) string {
	if c.proto == protoICMP {
		return "icmp/" + strconv.Itoa(int(c.sport)) + "/" + strconv.Itoa(int(c.dport))
	}
	s := strconv.Itoa(int(c.dport)) + "/" + protoNames[c.proto]
	if c.service != "" {
		s += "/" + c.service
	}
	return s
}

// pairs reports beacons, long connections and strobes per (source,
// destination).
func (r *reporter) pairs() {
	lc := &r.cfg.Long
	for _, p := range r.list {
		k := p.k
		if r.internal(k.src) && r.internal(k.dst) {
			// Inside the network, as RITA by default, only relays and
			// first-seen administration are judged: internal services
			// are periodic and long-lived by design.
			continue
		}
		// Most pairs are a handful of short connections: judge them
		// before gathering anything.
		cs := p.cs
		dur := 0.0
		for i := range cs {
			dur += cs[i].dur
		}
		for _, c := range p.open {
			dur += c.dur
		}
		if len(cs) < r.cfg.Beacon.MinUniqueTimes && len(cs) < lc.StrobeConnections && dur < lc.MinDuration.Seconds() {
			continue
		}
		var all series
		for i := range cs {
			if c := &cs[i]; !r.excl[c.uid] {
				all.closed = append(all.closed, c)
			}
		}
		for _, c := range p.open {
			if !r.excl[c.uid] {
				all.open = append(all.open, c)
			}
		}
		if len(all.closed) == 0 && len(all.open) == 0 {
			continue
		}
		subject := k.src.String() + " -> " + k.dst.String()
		key := []string{k.src.String(), k.dst.String()}
		if !special(k.dst) && !(r.external(k.src) && r.internal(k.dst)) {
			// Inbound connections are left out, as RITA leaves them out:
			// a beacon calls out.
			bs := &all
			if r.fwd[k.src] {
				// A DNS forwarder's queries follow its clients' rhythm:
				// they tell nothing of the forwarder itself.
				bs = withoutDNS(&all)
			}
			r.beacon(Beacon, k.src, subject, key, k, bs)
		}
		if special(k.dst) {
			continue // announcements to a group, not a session with a host
		}
		r.long(k.src, subject, key, k, &all)
		if r.external(k.src) || r.external(k.dst) {
			r.strobe(k, &all)
		}
	}
}

// nameGroup is the connections of one source to one TLS server name or
// HTTP Host.
type nameGroup struct {
	src   netip.Addr
	name  string
	s     series
	dsts  []netip.Addr
	first *nameRec // the earliest ssl or http record, for evidence
}

// nameGroups links ssl and http records to their connections by uid, and
// marks the connections that (source, name) analytics take over: those of
// groups scored as beacons, and named sessions still open, as RITA does.
func (r *reporter) nameGroups() []*nameGroup {
	st := r.st
	r.excl = make(map[string]bool)
	if len(st.names) == 0 {
		return nil
	}
	slices.SortFunc(st.names, func(a, b nameRec) int {
		if c := addrCmp(a.src, b.src); c != 0 {
			return c
		}
		if a.name != b.name {
			return strings.Compare(a.name, b.name)
		}
		if a.uid != b.uid {
			return strings.Compare(a.uid, b.uid)
		}
		return refCmp(&a.ref, &b.ref)
	})
	r.uids = make(map[string]*conn)
	for i := range st.names {
		if !st.names[i].open {
			r.uids[st.names[i].uid] = nil
		}
	}
	for _, p := range r.list {
		cs := p.cs
		for i := range cs {
			c := &cs[i]
			if have, ok := r.uids[c.uid]; ok && have == nil {
				r.uids[c.uid] = c
			}
		}
	}
	var out []*nameGroup
	var g *nameGroup
	lastUID := ""
	for i := range st.names {
		n := &st.names[i]
		if g == nil || g.src != n.src || g.name != n.name {
			g = &nameGroup{src: n.src, name: n.name, first: n}
			out = append(out, g)
			lastUID = ""
		} else if refLess(&n.ref, &g.first.ref) {
			g.first = n
		}
		if n.uid == lastUID {
			continue // more requests on one connection, or a copy
		}
		lastUID = n.uid
		if g.s.keys == nil {
			g.s.keys = make(map[string]pairKey)
		}
		g.s.keys[n.uid] = pairKey{n.src, n.dst}
		if !slices.Contains(g.dsts, n.dst) && len(g.dsts) < 10 {
			g.dsts = append(g.dsts, n.dst)
		}
		if n.open {
			if oc, ok := st.open[n.uid]; ok && r.stillOpen(oc) {
				g.s.open = append(g.s.open, &oc.c)
				r.excl[n.uid] = true
			}
			continue
		}
		if c := r.uids[n.uid]; c != nil {
			g.s.closed = append(g.s.closed, c)
		}
	}
	for _, g := range out {
		slices.SortFunc(g.s.closed, func(a, b *conn) int { return connLess(a, b) })
		slices.SortFunc(g.dsts, addrCmp)
		for _, w := range r.windowsOver(g.s.closed) {
			// Scored as a (source, name) beacon in some window: its
			// connections are left out of the address pairs.
			ws := series{closed: in(g.s.closed, w)}
			if t := ws.stats(); t.unique >= r.cfg.Beacon.MinUniqueTimes && t.count < r.cfg.Beacon.MaxConnections {
				for _, c := range g.s.closed {
					r.excl[c.uid] = true
				}
				break
			}
		}
	}
	return out
}

// stillOpen reports whether an open_conn session was not closed in
// conn.log.
func (r *reporter) stillOpen(oc *openConn) bool {
	for _, c := range r.open[oc.key] {
		if c.uid == oc.c.uid {
			return true
		}
	}
	return false
}

// names reports beacons and long connections per (source, server name).
func (r *reporter) names(groups []*nameGroup) {
	for _, g := range groups {
		if len(g.s.closed) == 0 && len(g.s.open) == 0 {
			continue
		}
		subject := g.src.String() + " -> " + g.name
		key := []string{g.src.String(), g.name}
		var dst netip.Addr
		if len(g.dsts) > 0 {
			dst = g.dsts[0]
		}
		k := pairKey{g.src, dst}
		if r.internal(g.src) && r.internal(dst) {
			continue
		}
		if !(r.external(g.src) && r.internal(dst)) {
			r.beacon(BeaconName, g.src, subject, key, k, &g.s, g)
		}
		// Only what the name group took over from the address pairs is
		// judged long here; the rest was judged with its pair.
		var own series
		for _, c := range g.s.closed {
			if r.excl[c.uid] {
				own.closed = append(own.closed, c)
			}
		}
		own.open = g.s.open
		own.keys = g.s.keys
		if len(own.closed) > 0 || len(own.open) > 0 {
			r.long(g.src, subject, key, k, &own, g)
		}
	}
}

// resolved reports beacons per (source, name the source resolved): the
// connections of a source to every address a name resolved to, ssl and
// http names aside. Only names served from two addresses or more are
// judged, since a name with one address is the address pair already
// judged; the connections stay with their pairs too (RITA has no such
// grouping to follow).
func (r *reporter) resolved() {
	if len(r.st.answers) == 0 {
		return
	}
	type dnsKey struct {
		src  netip.Addr
		name string
	}
	groups := make(map[dnsKey]*nameGroup)
	for _, p := range r.list {
		name, ok := r.st.answers[p.k]
		if !ok || len(p.cs) == 0 || special(p.k.dst) {
			continue
		}
		key := dnsKey{p.k.src, name}
		g := groups[key]
		if g == nil {
			g = &nameGroup{src: p.k.src, name: name}
			g.s.keys = make(map[string]pairKey)
			groups[key] = g
		}
		g.dsts = append(g.dsts, p.k.dst)
		for i := range p.cs {
			c := &p.cs[i]
			if _, named := r.uids[c.uid]; named {
				continue // judged under its TLS or HTTP name
			}
			g.s.closed = append(g.s.closed, c)
			g.s.keys[c.uid] = p.k
		}
	}
	keys := make([]dnsKey, 0, len(groups))
	for k, g := range groups {
		if len(g.dsts) >= 2 && len(g.s.closed) > 0 {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b dnsKey) int {
		if c := addrCmp(a.src, b.src); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	for _, k := range keys {
		g := groups[k]
		if r.internal(g.src) && r.internal(g.dsts[0]) || r.external(g.src) && r.internal(g.dsts[0]) {
			continue
		}
		slices.SortFunc(g.s.closed, func(a, b *conn) int { return connLess(a, b) })
		slices.SortFunc(g.dsts, addrCmp)
		if len(g.dsts) > 10 {
			g.dsts = g.dsts[:10]
		}
		subject := g.src.String() + " -> " + g.name
		r.beacon(BeaconName, g.src, subject, []string{g.src.String(), "dns", g.name}, pairKey{g.src, g.dsts[0]}, &g.s, g)
	}
}

// newFinding starts a finding of an analytic.
func (r *reporter) newFinding(rule string, key ...string) *finding.Finding {
	a := r.d.info[rule]
	return &finding.Finding{ID: finding.NewID(finding.KindNetwork, rule, key...), Kind: finding.KindNetwork,
		RuleID: rule, Rule: a.Title, Level: a.Level, Techniques: a.Techniques, Tactics: a.Tactics}
}

// beacon scores a series and reports it when the score reaches MinScore.
func (r *reporter) beacon(rule string, src netip.Addr, subject string, key []string, k pairKey, all *series, g ...*nameGroup) {
	cfg := &r.cfg.Beacon
	if len(all.closed) < cfg.MinUniqueTimes {
		return
	}
	// Windows are scored from the latest back; the first that reaches
	// MinScore is reported: the latest window is the one RITA would judge,
	// and an earlier one finds a beacon that stopped before the end of the
	// logs. Sessions still open are no part of a beacon: they have no end
	// yet.
	var (
		b      beaconScore
		s      *series
		t      *stats
		w      *window
		scored int
	)
	for _, win := range r.windowsOver(all.closed) {
		ws := &series{closed: in(all.closed, win), keys: all.keys}
		if len(ws.closed) < cfg.MinUniqueTimes || len(ws.closed) >= cfg.MaxConnections {
			continue
		}
		wt := ws.stats()
		if wt.unique < cfg.MinUniqueTimes {
			continue
		}
		// Most connections must have been answered: a scanner's or a
		// misconfigured client's retries against a closed port are
		// regular too, and carry nothing.
		answered := 0
		for _, c := range ws.closed {
			if c.answered() {
				answered++
			}
		}
		if 2*answered < len(ws.closed) {
			continue
		}
		ts := make([]int64, len(ws.closed))
		sizes := make([]float64, len(ws.closed))
		for i, c := range ws.closed {
			ts[i] = floorDiv(c.ts, 1e6)
			sizes[i] = float64(c.oib)
		}
		wb, ok := r.sc.score(ts, sizes, win.lo, win.hi)
		if !ok {
			continue
		}
		scored++
		if wb.Score >= cfg.MinScore {
			b, s, t, w = wb, ws, &wt, win
			break
		}
	}
	if s == nil {
		return
	}
	f := r.newFinding(rule, key...)
	f.Host = src.String()
	switch {
	case b.Score >= cfg.HighScore:
		f.Level = finding.High
	case b.Score >= cfg.MediumScore:
		f.Level = finding.Medium
	default:
		f.Level = finding.Low
	}
	every := time.Duration(b.TSMedian * float64(time.Second))
	f.Summary = fmt.Sprintf("beacon %s (%s): score %.3f, %s connections about every %s", subject, portList(t),
		b.Score, fmtCount(t.count), fmtSpan(every))
	noHost, agents := r.missingHost(s)
	text := fmt.Sprintf("%s connections from %s between %s and %s (%s distinct seconds): "+
		"intervals median %s (MAD %s, Bowley skew %s), %s bytes sent per connection (MAD %s, skew %s), "+
		"connections in %d of %d bins, longest run %d; score %.3f = timestamp %.3f, data size %.3f, histogram %.3f, duration %.3f, weighted as RITA v5 weighs them",
		fmtCount(t.count), subject, fmtSec(w.start/1e6), fmtSec(w.hi), fmtCount(t.unique),
		fmtSpan(every), fmtSpan(time.Duration(b.TSMAD*float64(time.Second))), f4(b.TSSkew),
		fmtNum(b.DSMedian), fmtNum(b.DSMAD), f4(b.DSSkew), b.Bars, len(b.Histogram), b.LongestRun,
		b.Score, b.TS, b.DS, b.Hist, b.Dur)
	if noHost > 0 {
		text += fmt.Sprintf("; %s HTTP requests had no Host header (User-Agent %s)", fmtCount(noHost), strings.Join(agents, ", "))
	}
	if !w.latest {
		text += fmt.Sprintf("; %d later windows of the logs scored lower", scored-1)
	}
	f.Explain.Text = text
	vals := []event.Field{
		field("source", src.String()), field("destination", strings.TrimPrefix(subject, src.String()+" -> ")),
		field("window_from", fmtSec(w.start/1e6)), field("window_to", fmtSec(w.hi)),
		field("latest_window", strconv.FormatBool(w.latest)),
		field("connections", strconv.Itoa(t.count)), field("unique_times", strconv.Itoa(t.unique)),
		field("ports", strings.Join(t.ports, " ")),
		field("score", f3(b.Score)),
		field("ts_score", f3(b.TS)), field("ts_skew", f4(b.TSSkew)), field("ts_skew_score", f4(b.TSSkewSc)),
		field("ts_mad", fmtNum(b.TSMAD)), field("ts_median", fmtNum(b.TSMedian)), field("ts_mad_score", f4(b.TSMADSc)),
		field("ts_intervals", strconv.Itoa(b.Intervals)),
		field("ds_score", f3(b.DS)), field("ds_skew", f4(b.DSSkew)), field("ds_skew_score", f4(b.DSSkewSc)),
		field("ds_mad", fmtNum(b.DSMAD)), field("ds_median", fmtNum(b.DSMedian)), field("ds_mad_score", f4(b.DSMADSc)),
		field("hist_score", f3(b.Hist)), field("hist_cv_score", f3(b.HistCV)), field("hist_bimodal_score", f3(b.HistBimodal)),
		field("hist_bars", strconv.Itoa(b.Bars)), field("histogram", joinInts(b.Histogram)),
		field("dur_score", f3(b.Dur)), field("dur_coverage", f3(b.Coverage)), field("dur_consistency", f3(b.Consistency)),
		field("dur_longest_run", strconv.Itoa(b.LongestRun)),
		field("total_bytes", strconv.FormatInt(t.bytes, 10)), field("total_duration", fmtNum(round6(t.dur))),
	}
	if noHost > 0 {
		vals = append(vals, field("missing_host", strconv.Itoa(noHost)), field("user_agents", strings.Join(agents, ", ")))
	}
	if len(g) > 0 {
		vals = append(vals, field("addresses", joinAddrs(g[0].dsts)))
	}
	f.Explain.Values = vals
	r.connEvidence(f, k, s, g...)
	r.emit(f)
}

// missingHost counts the connections of a series whose HTTP requests had
// no Host header, with their User-Agents.
func (r *reporter) missingHost(s *series) (int, []string) {
	if len(r.st.noHost) == 0 {
		return 0, nil
	}
	n := 0
	var agents []string
	for _, c := range s.closed {
		ua, ok := r.st.noHost[c.uid]
		if !ok {
			continue
		}
		n++
		if !slices.Contains(agents, ua) && len(agents) < 3 {
			agents = append(agents, ua)
		}
	}
	slices.Sort(agents)
	return n, agents
}

// long reports a series whose connections last long in total: the
// sessions still open and the closed connections of the latest window
// where they add up to Long.MinDuration, as RITA adds them up.
func (r *reporter) long(src netip.Addr, subject string, key []string, k pairKey, all *series, g ...*nameGroup) {
	cfg := &r.cfg.Long
	var s *series
	var t stats
	var w *window
	for _, win := range r.windowsOver(all.closed) {
		ws := &series{closed: in(all.closed, win), open: all.open, keys: all.keys}
		if wt := ws.stats(); wt.dur >= cfg.MinDuration.Seconds() {
			s, t, w = ws, wt, win
			break
		}
	}
	if s == nil {
		// Sessions still open alone, or too little closed in any window.
		s = &series{open: all.open, keys: all.keys}
		if t = s.stats(); len(s.open) == 0 || t.dur < cfg.MinDuration.Seconds() {
			return
		}
	}
	f := r.newFinding(LongConnection, key...)
	f.Host = src.String()
	switch {
	case t.dur >= cfg.HighDuration.Seconds():
		f.Level = finding.High
	case t.dur >= cfg.MediumDuration.Seconds():
		f.Level = finding.Medium
	}
	total := time.Duration(t.dur * float64(time.Second))
	f.Summary = fmt.Sprintf("long connection %s (%s): %s in total (%s s), %s bytes", subject, portList(&t),
		fmtSpan(total), fmtNum(round2(t.dur)), fmtCount64(t.bytes))
	var parts []string
	if len(s.open) > 0 {
		parts = append(parts, fmt.Sprintf("%s still open at the end of the logs for %s s", plural(len(s.open), "session"),
			fmtNum(round2(t.openDur))))
	}
	if len(s.closed) > 0 {
		parts = append(parts, fmt.Sprintf("%s closed between %s and %s for %s s", plural(len(s.closed), "connection"),
			fmtSec(w.start/1e6), fmtSec(w.hi), fmtNum(round2(t.dur-t.openDur))))
	}
	f.Explain.Text = fmt.Sprintf("%s: %s; the longest lasted %s (uid %s)", subject, strings.Join(parts, " and "),
		fmtSpan(time.Duration(t.longest.dur*float64(time.Second))), t.longest.uid)
	f.Explain.Values = []event.Field{
		field("source", src.String()), field("destination", strings.TrimPrefix(subject, src.String()+" -> ")),
		field("total_duration", fmtNum(round6(t.dur))), field("open_duration", fmtNum(round6(t.openDur))),
		field("total_bytes", strconv.FormatInt(t.bytes, 10)),
		field("connections", strconv.Itoa(t.count)), field("open_sessions", strconv.Itoa(len(s.open))),
		field("longest_duration", fmtNum(round6(t.longest.dur))), field("longest_uid", t.longest.uid),
		field("ports", strings.Join(t.ports, " ")),
	}
	if w != nil {
		f.Explain.Values = append(f.Explain.Values, field("window_from", fmtSec(w.start/1e6)), field("window_to", fmtSec(w.hi)))
	}
	r.connEvidence(f, k, s, g...)
	r.emit(f)
}

// strobe reports a pair with very many short connections in a window: the
// latest window where they are.
func (r *reporter) strobe(k pairKey, all *series) {
	cfg := &r.cfg.Long
	if len(all.closed) < cfg.StrobeConnections {
		return
	}
	var s *series
	var t stats
	var w *window
	for _, win := range r.windowsOver(all.closed) {
		ws := &series{closed: in(all.closed, win)}
		if len(ws.closed) < cfg.StrobeConnections {
			continue
		}
		if wt := ws.stats(); wt.medianDuration <= cfg.StrobeMaxMedian.Seconds() {
			s, t, w = ws, wt, win
			break
		}
	}
	if s == nil {
		return
	}
	f := r.newFinding(Strobe, k.src.String(), k.dst.String())
	f.Host = k.src.String()
	subject := k.src.String() + " -> " + k.dst.String()
	f.Summary = fmt.Sprintf("strobe %s (%s): %s connections, %s bytes, %s s in total", subject, portList(&t),
		fmtCount(t.count), fmtCount64(t.bytes), fmtNum(round2(t.dur)))
	f.Explain.Text = fmt.Sprintf("%s connections from %s between %s and %s, the median lasting %s s (at least %s connections lasting at most %s make a strobe)",
		fmtCount(t.count), subject, fmtSec(w.start/1e6), fmtSec(w.hi), fmtNum(round6(t.medianDuration)),
		fmtCount(cfg.StrobeConnections), fmtSpan(cfg.StrobeMaxMedian))
	f.Explain.Values = []event.Field{
		field("source", k.src.String()), field("destination", k.dst.String()),
		field("connections", strconv.Itoa(t.count)), field("total_bytes", strconv.FormatInt(t.bytes, 10)),
		field("total_duration", fmtNum(round6(t.dur))), field("median_duration", fmtNum(round6(t.medianDuration))),
		field("ports", strings.Join(t.ports, " ")), field("window_from", fmtSec(w.start/1e6)), field("window_to", fmtSec(w.hi)),
	}
	r.connEvidence(f, k, s)
	r.emit(f)
}

// portList renders a series' ports for a summary.
func portList(t *stats) string {
	s := strings.Join(t.ports, ", ")
	if t.morePorts {
		s += ", ..."
	}
	return s
}

// connEvidence sets a finding's evidence from a series: the open sessions
// and the first and last closed connections, and for a name group the
// record that named the server. The finding's time is that of the
// earliest connection.
func (r *reporter) connEvidence(f *finding.Finding, k pairKey, s *series, g ...*nameGroup) {
	n := r.cfg.Caps.Evidence
	keyOf := func(c *conn) pairKey {
		if kk, ok := s.keys[c.uid]; ok {
			return kk
		}
		return k
	}
	var ev []finding.Evidence
	for _, c := range s.open {
		if len(ev) >= (n+1)/2 {
			break
		}
		ev = append(ev, connEv(keyOf(c), c, "zeek.open_conn"))
	}
	rest := n - len(ev)
	named := len(g) > 0 && g[0].first != nil
	if named && rest > 1 {
		ev = append(ev, nameEv(g[0].first))
		rest--
	}
	cl := s.closed
	if len(cl) > rest {
		head := (rest + 1) / 2
		cl = append(append([]*conn(nil), cl[:head]...), cl[len(cl)-(rest-head):]...)
	}
	for _, c := range cl {
		ev = append(ev, connEv(keyOf(c), c, "zeek.conn"))
	}
	sortEvidence(ev)
	f.Evidence = ev
	total := len(s.closed) + len(s.open)
	if named {
		total++
	}
	if total > len(ev) {
		f.EvidenceTotal = total
	}
	first := int64(1<<63 - 1)
	for _, cs := range [][]*conn{s.open, s.closed} {
		if len(cs) > 0 {
			first = min(first, cs[0].ts)
		}
	}
	if first != 1<<63-1 {
		f.Time = time.UnixMicro(first).UTC()
	} else if len(ev) > 0 {
		f.Time = ev[0].Time
	}
}

// connEv is the evidence of a connection: its place in the log, its uid,
// its 5-tuple and what it carried.
func connEv(k pairKey, c *conn, channel string) finding.Evidence {
	e := finding.Evidence{File: c.file, Offset: c.offset, Line: int(c.line), Channel: channel, EventID: -1,
		Time: time.UnixMicro(c.ts).UTC()}
	if e.Line > 0 {
		e.Offset = -1
	}
	e.Fields = []event.Field{
		field("uid", c.uid), field("id.orig_h", k.src.String()), field("id.orig_p", strconv.Itoa(int(c.sport))),
		field("id.resp_h", k.dst.String()), field("id.resp_p", strconv.Itoa(int(c.dport))),
		field("proto", protoNames[c.proto]),
	}
	if c.service != "" {
		e.Fields = append(e.Fields, field("service", c.service))
	}
	e.Fields = append(e.Fields, field("duration", strconv.FormatFloat(c.dur, 'f', 6, 64)),
		field("orig_bytes", strconv.FormatInt(c.ob, 10)), field("resp_bytes", strconv.FormatInt(c.rb, 10)))
	if c.state != "" {
		e.Fields = append(e.Fields, field("conn_state", c.state))
	}
	e.Fields = append(e.Fields, field("orig_ip_bytes", strconv.FormatInt(c.oib, 10)),
		field("resp_ip_bytes", strconv.FormatInt(c.rib, 10)))
	return e
}

// nameEv is the evidence of the ssl or http record that named a server.
func nameEv(n *nameRec) finding.Evidence {
	e := finding.Evidence{File: n.file, Offset: n.offset, Line: int(n.line), EventID: -1, Time: time.UnixMicro(n.ts).UTC()}
	if e.Line > 0 {
		e.Offset = -1
	}
	e.Channel = "zeek.ssl"
	name := "server_name"
	if n.http {
		e.Channel, name = "zeek.http", "host"
	}
	if n.open {
		e.Channel = strings.Replace(e.Channel, "zeek.", "zeek.open_", 1)
	}
	e.Fields = []event.Field{field("uid", n.uid), field("id.orig_h", n.src.String()), field("id.resp_h", n.dst.String()),
		field(name, n.name)}
	return e
}
