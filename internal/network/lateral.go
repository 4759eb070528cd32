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

// leg is one connection with its pair, for the analytics that follow
// connections across hosts.
type leg struct {
	k pairKey
	c *conn
}

func legCmp(a, b leg) int {
	if c := connLess(a.c, b.c); c != 0 {
		return c
	}
	return pairCmp(a.k, b.k)
}

// proxyPorts are where web proxies listen: a web proxy relays by design,
// so a relay through one is reported lower.
var proxyPorts = map[uint16]bool{80: true, 1080: true, 3128: true, 8080: true, 8118: true, 8888: true}

// relays finds hosts that pass a session on (N2): an inbound TCP session
// A→H, then within Relay.MaxDelay an outbound one H→B to a third host,
// carrying about the same bytes each way for about as long.
func (r *reporter) relays() {
	cfg := &r.cfg.Relay
	// Hosts are numbered so that legs sort by (host, time) cheaply; only
	// hosts that both receive and make connections can relay.
	const recv, send = 1, 2
	role := make(map[netip.Addr]uint8)
	for _, p := range r.list {
		if k := p.k; len(p.cs) > 0 && k.src != k.dst && !special(k.dst) {
			role[k.dst] |= recv
			role[k.src] |= send
		}
	}
	ids := make(map[netip.Addr]int32)
	var hosts []netip.Addr
	for a, rl := range role {
		if rl == recv|send {
			hosts = append(hosts, a)
		}
	}
	slices.SortFunc(hosts, addrCmp)
	for i, a := range hosts {
		ids[a] = int32(i)
	}
	// A leg is small, so that sorting hundreds of thousands is cheap: its
	// pair is an index into r.list.
	type hostLeg struct {
		ts   int64
		c    *conn
		pair int32
		host int32
	}
	var ins, outs []hostLeg
	for p, pd := range r.list {
		k := pd.k
		hi, okIn := ids[k.dst]
		ho, okOut := ids[k.src]
		if (!okIn && !okOut) || k.src == k.dst || special(k.dst) {
			continue
		}
		cs := pd.cs
		for i := range cs {
			c := &cs[i]
			if c.proto != protoTCP || !c.established() || (c.ob < cfg.MinBytes && c.rb < cfg.MinBytes) {
				continue
			}
			if okIn {
				ins = append(ins, hostLeg{c.ts, c, int32(p), hi})
			}
			if okOut {
				outs = append(outs, hostLeg{c.ts, c, int32(p), ho})
			}
		}
	}
	byHostTime := func(a, b hostLeg) int {
		if a.host != b.host {
			return cmp.Compare(a.host, b.host)
		}
		if a.ts != b.ts {
			return cmp.Compare(a.ts, b.ts)
		}
		if c := connLess(a.c, b.c); c != 0 {
			return c
		}
		return cmp.Compare(a.pair, b.pair)
	}
	slices.SortFunc(ins, byHostTime)
	slices.SortFunc(outs, byHostTime)
	// Relays are grouped per (source, relay, listening port): a port
	// proxy sends everything it gets on one port to one target, a web
	// proxy to wherever its clients ask.
	type relayKey struct {
		a, h   netip.Addr
		listen uint16
	}
	type relayHits struct {
		legs    [][2]leg
		delay   []time.Duration
		targets map[netip.AddrPort]bool
	}
	const maxTargets = 10 // named in a finding
	found := make(map[relayKey]*relayHits)
	delay := cfg.MaxDelay.Microseconds()
	j0 := 0
	for _, hl := range ins {
		h := hosts[hl.host]
		i := leg{r.list[hl.pair].k, hl.c}
		// The outbound legs of the same host from the inbound leg's start.
		for j0 < len(outs) && (outs[j0].host < hl.host || outs[j0].host == hl.host && outs[j0].ts < hl.ts) {
			j0++
		}
		for j := j0; j < len(outs) && outs[j].host == hl.host && outs[j].ts <= hl.ts+delay; j++ {
			o := leg{r.list[outs[j].pair].k, outs[j].c}
			if o.k.dst == i.k.src || o.k.dst == h || !similar(i.c, o.c, cfg.Tolerance) {
				continue
			}
			key := relayKey{i.k.src, h, i.c.dport}
			hits := found[key]
			if hits == nil {
				if len(found) >= r.cfg.Caps.Items {
					r.st.itemsDrop++
					break
				}
				hits = &relayHits{targets: make(map[netip.AddrPort]bool)}
				found[key] = hits
			}
			if len(hits.legs) < r.cfg.Caps.Items {
				hits.legs = append(hits.legs, [2]leg{i, o})
				hits.delay = append(hits.delay, time.Duration(o.c.ts-i.c.ts)*time.Microsecond)
			}
			if len(hits.targets) < r.cfg.Caps.Items {
				hits.targets[netip.AddrPortFrom(o.k.dst, o.c.dport)] = true
			}
			break
		}
	}
	keys := make([]relayKey, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y relayKey) int {
		if c := addrCmp(x.h, y.h); c != 0 {
			return c
		}
		if c := addrCmp(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(x.listen, y.listen)
	})
	for _, k := range keys {
		hits := found[k]
		first := hits.legs[0]
		f := r.newFinding(Relay, k.a.String(), k.h.String(), strconv.Itoa(int(k.listen)))
		f.Host = k.h.String()
		external := true
		for _, l := range hits.legs {
			external = external && r.external(l[1].k.dst)
		}
		ntargets := len(hits.targets)
		named := make([]netip.AddrPort, 0, ntargets)
		for t := range hits.targets {
			named = append(named, t)
		}
		slices.SortFunc(named, func(a, b netip.AddrPort) int { return a.Compare(b) })
		why := ""
		switch {
		case ntargets > 3 && (proxyPorts[k.listen] || external):
			// A web proxy relays by design: to many places, on the
			// internet, from a proxy port.
			f.Level = finding.Low
			why = "; it relays to many places, as a forward proxy does: check that it is one"
		case ntargets > 3:
			f.Level = finding.Medium
			why = "; it relays to many places, as a forward proxy or a SOCKS tunnel does"
		case proxyPorts[k.listen] && external:
			f.Level = finding.Medium
			why = fmt.Sprintf("; port %d is a web proxy's and the target is on the internet: a proxy may be doing its job", k.listen)
		}
		var ob, rb int64
		for _, l := range hits.legs {
			ob += l[0].c.ob
			rb += l[0].c.rb
		}
		slices.Sort(hits.delay)
		var names []string
		for _, t := range named[:min(len(named), maxTargets)] {
			names = append(names, t.String())
		}
		targets := strings.Join(names, ", ")
		if len(named) > maxTargets {
			targets += fmt.Sprintf(" and %d more", len(named)-maxTargets)
		}
		to := targets
		if ntargets > 1 {
			to = plural(ntargets, "destination")
		}
		f.Summary = fmt.Sprintf("%s relays port %d from %s to %s: %s", k.h, k.listen, k.a, to, plural(len(hits.legs), "session"))
		f.Explain.Text = fmt.Sprintf("%s connected to %s on port %d and within %s %s connected to %s, "+
			"the two sessions carrying about the same bytes (%s sent, %s received) for about as long (%s and %s)%s",
			k.a, k.h, k.listen, fmtSpan(hits.delay[0]), k.h, netip.AddrPortFrom(first[1].k.dst, first[1].c.dport),
			fmtCount64(first[0].c.ob), fmtCount64(first[0].c.rb),
			fmtSpan(time.Duration(first[0].c.dur*float64(time.Second))),
			fmtSpan(time.Duration(first[1].c.dur*float64(time.Second))), why)
		f.Explain.Values = []event.Field{
			field("source", k.a.String()), field("relay", k.h.String()), field("listen_port", strconv.Itoa(int(k.listen))),
			field("targets", targets), field("target_count", strconv.Itoa(ntargets)),
			field("sessions", strconv.Itoa(len(hits.legs))), field("delay_min", fmtSpan(hits.delay[0])),
			field("delay_max", fmtSpan(hits.delay[len(hits.delay)-1])),
			field("bytes_from_source", strconv.FormatInt(ob, 10)), field("bytes_to_source", strconv.FormatInt(rb, 10)),
		}
		var ev []finding.Evidence
		for _, l := range hits.legs {
			if len(ev)+2 > max(r.cfg.Caps.Evidence, 2) {
				break
			}
			ev = append(ev, connEv(l[0].k, l[0].c, "zeek.conn"), connEv(l[1].k, l[1].c, "zeek.conn"))
		}
		sortEvidence(ev)
		f.Evidence = ev
		if 2*len(hits.legs) > len(ev) {
			f.EvidenceTotal = 2 * len(hits.legs)
		}
		f.Time = ev[0].Time
		r.emit(f)
	}
}

// similar reports whether two sessions carry about the same payload each
// way for about as long; tol is a share of the larger value, and a little
// slack absorbs headers a relay adds or drops.
func similar(a, b *conn, tol float64) bool {
	near := func(x, y int64, slack float64) bool {
		d := float64(x - y)
		if d < 0 {
			d = -d
		}
		return d <= tol*float64(max(x, y))+slack
	}
	dd := a.dur - b.dur
	if dd < 0 {
		dd = -dd
	}
	return near(a.ob, b.ob, 32) && near(a.rb, b.rb, 32) && dd <= tol*max(a.dur, b.dur)+1
}

// refEnd is the end of the reference period of first-seen analytics, and
// whether the network logs span more than it.
func (r *reporter) refEnd() (int64, bool) {
	st := r.st
	if st.zMin > st.zMax {
		return 0, false
	}
	ref := r.cfg.Reference.Microseconds()
	return st.zMin + ref, st.zMax-st.zMin > ref
}

// callbacks reports quiet sessions from internal hosts to external
// addresses on the ports FRP and Earthworm called back to (N3).
func (r *reporter) callbacks() {
	cfg := &r.cfg.Callback
	ports := make(map[uint16]bool, len(cfg.Ports))
	for _, p := range cfg.Ports {
		ports[p] = true
	}
	refEnd, judged := r.refEnd()
	for _, p := range r.list {
		k := p.k
		if !r.internal(k.src) || !r.external(k.dst) {
			continue
		}
		var s series
		cs := p.cs
		for i := range cs {
			if c := &cs[i]; ports[c.dport] && c.proto != protoICMP {
				s.closed = append(s.closed, c)
			}
		}
		for _, c := range p.open {
			if ports[c.dport] && c.proto != protoICMP {
				s.open = append(s.open, c)
			}
		}
		if len(s.closed) == 0 && len(s.open) == 0 {
			continue
		}
		answered := len(s.open) > 0
		for _, c := range s.closed {
			answered = answered || c.established()
		}
		t := s.stats()
		if !answered || (t.dur < cfg.MinDuration.Seconds() && t.count+len(s.open) < cfg.MinConnections) {
			continue
		}
		rate := 0.0
		if t.dur > 0 {
			rate = float64(t.bytes) / t.dur
		}
		if rate > cfg.MaxRate && t.dur >= 1 {
			continue // a bulk transfer or a download, not a quiet channel
		}
		first, ok := r.seen[k.dst]
		for _, c := range s.open {
			if !ok || c.ts < first {
				first, ok = c.ts, true
			}
		}
		newAddr := judged && first >= refEnd
		server := r.serv[k.src]
		f := r.newFinding(Callback, k.src.String(), k.dst.String())
		f.Host = k.src.String()
		switch {
		case newAddr && server:
			f.Level = finding.High
		case !newAddr && !server:
			f.Level = finding.Low
		}
		who := "host"
		if server {
			who = "server"
		}
		f.Summary = fmt.Sprintf("quiet sessions from %s %s to %s (%s): %s for %s, %s bytes", who, k.src, k.dst, portList(&t),
			plural(t.count+len(s.open), "session"), fmtSpan(time.Duration(t.dur*float64(time.Second))), fmtCount64(t.bytes))
		novelty := "the address was not judged new: the network logs span less than the reference period"
		switch {
		case newAddr:
			novelty = "the address was first contacted at " + fmtMicro(first) + ", after the reference period (to " + fmtMicro(refEnd) + ")"
		case judged:
			novelty = "the address was already contacted in the reference period"
		}
		f.Explain.Text = fmt.Sprintf("%s sessions from %s to %s on %s, a port FRP and Earthworm use for callbacks, lasting %s s in all at %s bytes/s; %s answers connections: %v; %s",
			fmtCount(t.count+len(s.open)), k.src, k.dst, portList(&t), fmtNum(round2(t.dur)), fmtNum(round2(rate)), k.src, server, novelty)
		f.Explain.Values = []event.Field{
			field("source", k.src.String()), field("destination", k.dst.String()), field("ports", strings.Join(t.ports, " ")),
			field("sessions", strconv.Itoa(t.count+len(s.open))), field("open_sessions", strconv.Itoa(len(s.open))),
			field("total_duration", fmtNum(round6(t.dur))), field("total_bytes", strconv.FormatInt(t.bytes, 10)),
			field("bytes_per_second", fmtNum(round2(rate))), field("source_is_server", strconv.FormatBool(server)),
			field("first_contact", fmtMicro(first)), field("new_address", strconv.FormatBool(newAddr)),
		}
		r.connEvidence(f, k, &s)
		r.emit(f)
	}
}

// adminServices are the administration protocols of N8, by port.
var adminServices = map[uint16]string{22: "ssh", 135: "rpc", 139: "smb", 445: "smb", 3389: "rdp", 5985: "winrm", 5986: "winrm"}

// adminToDC reports administration protocols used toward a domain
// controller from an internal host that had not used them in the reference
// period (N8).
func (r *reporter) adminToDC() {
	if len(r.dcs) == 0 {
		return
	}
	type use struct {
		ts int64
		ev finding.Evidence
	}
	edges := make(map[adminEdge]use)
	see := func(e adminEdge, ts int64, ev func() finding.Evidence) {
		if have, ok := edges[e]; ok && have.ts <= ts {
			return
		}
		edges[e] = use{ts, ev()}
	}
	for _, p := range r.list {
		k, cs := p.k, p.cs
		if !r.dcs[k.dst] || r.dcs[k.src] || !r.internal(k.src) || k.src == k.dst {
			continue
		}
		for i := range cs {
			c := &cs[i]
			svc, ok := adminServices[c.dport]
			if !ok || c.proto != protoTCP || !c.established() {
				continue
			}
			see(adminEdge{k.src, k.dst, svc}, c.ts, func() finding.Evidence { return connEv(k, c, "zeek.conn") })
		}
	}
	for e, it := range r.st.admin {
		if !r.dcs[e.dst] || r.dcs[e.src] || !r.internal(e.src) {
			continue
		}
		see(e, it.ts, func() finding.Evidence { return itemEv(&it) })
	}
	if len(edges) == 0 {
		return
	}
	refEnd, judged := r.refEnd()
	dcs := make([]netip.Addr, 0, len(r.dcs))
	for a := range r.dcs {
		dcs = append(dcs, a)
	}
	slices.SortFunc(dcs, addrCmp)
	if !judged {
		r.note("administration protocols toward the domain controllers (%s) not judged new: the network logs span less than the reference period of %s",
			joinAddrs(dcs[:min(len(dcs), 10)]), fmtSpan(r.cfg.Reference))
		return
	}
	keys := make([]adminEdge, 0, len(edges))
	for e := range edges {
		keys = append(keys, e)
	}
	slices.SortFunc(keys, func(a, b adminEdge) int {
		if c := addrCmp(a.src, b.src); c != 0 {
			return c
		}
		if c := addrCmp(a.dst, b.dst); c != 0 {
			return c
		}
		return strings.Compare(a.service, b.service)
	})
	for _, e := range keys {
		u := edges[e]
		if u.ts < refEnd {
			continue
		}
		f := r.newFinding(AdminToDC, e.src.String(), e.dst.String(), e.service)
		f.Host = e.dst.String()
		switch e.service {
		case "rdp", "winrm", "ssh":
			f.Level = finding.High
			f.Techniques = append(slices.Clone(f.Techniques), map[string]string{"rdp": "T1021.001", "winrm": "T1021.006", "ssh": "T1021.004"}[e.service])
		case "smb":
			f.Techniques = append(slices.Clone(f.Techniques), "T1021.002")
		}
		f.Summary = fmt.Sprintf("first %s from %s to domain controller %s at %s", strings.ToUpper(e.service), e.src, e.dst, fmtMicro(u.ts))
		f.Explain.Text = fmt.Sprintf("%s used %s toward %s (which answers Kerberos or LDAP) first at %s, after the reference period that ended at %s",
			e.src, strings.ToUpper(e.service), e.dst, fmtMicro(u.ts), fmtMicro(refEnd))
		f.Explain.Values = []event.Field{field("source", e.src.String()), field("domain_controller", e.dst.String()),
			field("service", e.service), field("first_seen", fmtMicro(u.ts)), field("reference_end", fmtMicro(refEnd))}
		f.Evidence = []finding.Evidence{u.ev}
		f.Time = u.ev.Time
		r.emit(f)
	}
}

// sweeps reports hosts that ping many internal addresses in a short time
// (N6).
func (r *reporter) sweeps() {
	type ping struct {
		ts  int64
		dst netip.Addr
		l   leg
	}
	bySrc := make(map[netip.Addr][]ping)
	for _, p := range r.list {
		k, cs := p.k, p.cs
		if !r.internal(k.src) || !r.internal(k.dst) || k.src == k.dst {
			continue
		}
		for i := range cs {
			c := &cs[i]
			// Zeek writes an ICMP message's type as the originator port:
			// 8 is an echo request, 128 its IPv6 form.
			if c.proto == protoICMP && (c.sport == 8 || c.sport == 128) {
				bySrc[k.src] = append(bySrc[k.src], ping{c.ts, k.dst, leg{k, c}})
			}
		}
	}
	srcs := make([]netip.Addr, 0, len(bySrc))
	for a, ps := range bySrc {
		if len(ps) >= r.cfg.Sweep.MinTargets {
			srcs = append(srcs, a)
		}
	}
	slices.SortFunc(srcs, addrCmp)
	win := r.cfg.Sweep.Window.Microseconds()
	for _, src := range srcs {
		ps := bySrc[src]
		slices.SortFunc(ps, func(a, b ping) int { return legCmp(a.l, b.l) })
		// The window holding the most distinct targets.
		counts := make(map[netip.Addr]int)
		best, bestLo, bestHi := 0, 0, 0
		lo := 0
		for hi := range ps {
			counts[ps[hi].dst]++
			for ps[hi].ts-ps[lo].ts > win {
				if counts[ps[lo].dst]--; counts[ps[lo].dst] == 0 {
					delete(counts, ps[lo].dst)
				}
				lo++
			}
			if len(counts) > best {
				best, bestLo, bestHi = len(counts), lo, hi
			}
		}
		if best < r.cfg.Sweep.MinTargets {
			continue
		}
		all := make(map[netip.Addr]bool)
		for _, p := range ps {
			all[p.dst] = true
		}
		burst := ps[bestLo : bestHi+1]
		f := r.newFinding(ICMPSweep, src.String(), strconv.FormatInt(burst[0].ts, 10))
		f.Host = src.String()
		span := time.Duration(burst[len(burst)-1].ts-burst[0].ts) * time.Microsecond
		f.Summary = fmt.Sprintf("%s pinged %s internal addresses in %s", src, fmtCount(best), fmtSpan(span))
		f.Explain.Text = fmt.Sprintf("%s sent ICMP echo requests to %s distinct internal addresses between %s and %s (%s in all the logs; %s within %s make a sweep)",
			src, fmtCount(best), fmtMicro(burst[0].ts), fmtMicro(burst[len(burst)-1].ts), fmtCount(len(all)),
			fmtCount(r.cfg.Sweep.MinTargets), fmtSpan(r.cfg.Sweep.Window))
		f.Explain.Values = []event.Field{field("source", src.String()), field("targets", strconv.Itoa(best)),
			field("targets_total", strconv.Itoa(len(all))), field("from", fmtMicro(burst[0].ts)),
			field("to", fmtMicro(burst[len(burst)-1].ts))}
		for i, p := range burst {
			if i >= r.cfg.Caps.Evidence {
				break
			}
			f.Evidence = append(f.Evidence, connEv(p.l.k, p.l.c, "zeek.conn"))
		}
		f.EvidenceTotal = len(burst)
		f.Time = f.Evidence[0].Time
		r.emit(f)
	}
}

// domains reports parent domains with very many distinct names queried.
func (r *reporter) domains() {
	cfg := &r.cfg.DNS
	names := make([]string, 0)
	for name, d := range r.st.domains {
		if len(d.names) >= cfg.MinSubdomains {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		d := r.st.domains[name]
		n := len(d.names)
		f := r.newFinding(DNSTunnel, name)
		switch {
		case n >= cfg.HighSubdomains:
			f.Level = finding.High
		case n >= cfg.MediumSubdomains:
			f.Level = finding.Medium
		}
		srcs := make([]netip.Addr, 0, len(d.srcs))
		for a := range d.srcs {
			srcs = append(srcs, a)
		}
		slices.SortFunc(srcs, addrCmp)
		if len(srcs) > 0 {
			f.Host = srcs[0].String()
		}
		count := fmtCount(n)
		if d.capped {
			count = "at least " + count
		}
		srcText := joinAddrs(srcs)
		if d.srcMore {
			srcText += " and more"
		}
		f.Summary = fmt.Sprintf("%s distinct names queried under %s by %s", count, name, plural(len(srcs), "host"))
		if d.srcMore {
			f.Summary = fmt.Sprintf("%s distinct names queried under %s by more than %d hosts", count, name, maxSources)
		}
		f.Explain.Text = fmt.Sprintf("%s distinct names under %s in %s queries from %s, such as %s (%s distinct names make a finding, as in RITA)",
			count, name, fmtCount(d.ev.count), srcText, strings.Join(d.samples, ", "), fmtCount(cfg.MinSubdomains))
		f.Explain.Values = []event.Field{field("domain", name), field("subdomains", strconv.Itoa(n)),
			field("capped", strconv.FormatBool(d.capped)), field("queries", strconv.Itoa(d.ev.count)),
			field("sources", srcText), field("examples", strings.Join(d.samples, " "))}
		for i := range d.ev.first {
			f.Evidence = append(f.Evidence, itemEv(&d.ev.first[i]))
		}
		if d.ev.count > len(f.Evidence) {
			f.EvidenceTotal = d.ev.count
		}
		if len(f.Evidence) > 0 {
			f.Time = f.Evidence[0].Time
		}
		r.emit(f)
	}
}

// itemFindings reports IP lookups, files moved over SMB and indicator
// hits.
func (r *reporter) itemFindings() {
	keys := make([]string, 0, len(r.st.items))
	for k := range r.st.items {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		g := r.st.items[key]
		parts := strings.Split(key, "\x00")
		var f *finding.Finding
		switch parts[0] {
		case kindLookup:
			f = r.lookupFinding(parts, g)
		case kindSMB:
			f = r.smbFinding(parts, g)
		case kindIndicator:
			f = r.indicatorFinding(parts, g)
		}
		if f == nil {
			continue
		}
		for i := range g.first {
			f.Evidence = append(f.Evidence, itemEv(&g.first[i]))
		}
		if g.count > len(f.Evidence) {
			f.EvidenceTotal = g.count
		}
		if len(f.Evidence) > 0 {
			f.Time = f.Evidence[0].Time
		}
		r.emit(f)
	}
}

// extras renders an item group's first tally: "dns ip-api.com ×3".
func extras(g *itemGroup) string { return renderTally(g.extra) }

// renderTally renders a tally in key order, what did not fit last.
func renderTally(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for i, k := range keys {
		name := k
		if k == overflowKey {
			name = "others"
		}
		keys[i] = name + " ×" + strconv.Itoa(m[k])
	}
	return strings.Join(keys, ", ")
}

func (r *reporter) lookupFinding(parts []string, g *itemGroup) *finding.Finding {
	if len(parts) != 3 {
		return nil
	}
	src, err := netip.ParseAddr(parts[1])
	if err != nil {
		return nil
	}
	if r.relayedLookup(src, g) {
		return nil // its clients' queries, passed on: theirs, not its own
	}
	f := r.newFinding(IPLookup, parts[1], parts[2])
	f.Host = parts[1]
	who := "host"
	if r.serv[src] {
		who = "server"
		f.Level = finding.Medium
	}
	f.Summary = fmt.Sprintf("%s %s looked up its public address at %s (%s)", who, parts[1], parts[2], plural(g.count, "time"))
	f.Explain.Text = fmt.Sprintf("%s asked %s, a service that tells a host its public address (%s); servers have no reason to, and Volt Typhoon did it with curl",
		parts[1], parts[2], extras(g))
	f.Explain.Values = []event.Field{field("source", parts[1]), field("service", parts[2]),
		field("queries", strconv.Itoa(g.count)), field("source_is_server", strconv.FormatBool(r.serv[src]))}
	return f
}

func (r *reporter) smbFinding(parts []string, g *itemGroup) *finding.Finding {
	if len(parts) != 5 {
		return nil
	}
	client, server, kind, path := parts[1], parts[2], parts[3], parts[4]
	f := r.newFinding(SMBTransfer, client, server, path)
	name := path
	if len(g.first) > 0 {
		// The name as the log writes it, in its case.
		var dir, file string
		for _, kv := range g.first[0].fields {
			switch kv.name {
			case "path":
				dir = kv.value
			case "name", "filename":
				file = kv.value
			}
		}
		name = dir + `\` + file
		if dir == "" {
			name = file
		}
	}
	f.Host = server
	switch kind {
	case fileNTDS:
		f.Level = finding.High
		f.Techniques = append(slices.Clone(f.Techniques), "T1003.003")
		f.Tactics = append(slices.Clone(f.Tactics), "credential-access")
	case fileHive:
		f.Level = finding.High
		f.Techniques = append(slices.Clone(f.Techniques), "T1003.002")
		f.Tactics = append(slices.Clone(f.Tactics), "credential-access")
	case fileDump:
		f.Level = finding.High
		f.Techniques = append(slices.Clone(f.Techniques), "T1003.001")
		f.Tactics = append(slices.Clone(f.Tactics), "credential-access")
	default:
		f.Techniques = append(slices.Clone(f.Techniques), "T1560")
	}
	if a, err := netip.ParseAddr(server); err == nil && r.dcs[a] {
		f.Summary = fmt.Sprintf("%s %s moved over SMB between %s and domain controller %s", kind, name, client, server)
	} else {
		f.Summary = fmt.Sprintf("%s %s moved over SMB between %s and %s", kind, name, client, server)
	}
	acts := ""
	if e := extras(g); e != "" {
		acts = ": " + e
	}
	f.Explain.Text = fmt.Sprintf("%s, %s by its name, crossed SMB between the client %s and the server %s (%s%s)", name, kind,
		client, server, plural(g.count, "record"), acts)
	f.Explain.Values = []event.Field{field("client", client), field("server", server), field("file", name),
		field("kind", kind), field("records", strconv.Itoa(g.count)), field("actions", extras(g))}
	return f
}

func (r *reporter) indicatorFinding(parts []string, g *itemGroup) *finding.Finding {
	if len(parts) != 3 || len(g.first) == 0 {
		return nil
	}
	ind, channel := parts[1], parts[2]
	value := renderTally(g.values)
	f := r.newFinding(Indicator, ind, channel)
	first := &g.first[0]
	for _, kv := range first.fields {
		if kv.name == "id.orig_h" || kv.name == event.FieldComputer {
			f.Host = kv.value
			break
		}
	}
	where := "the " + channel + " log"
	f.Summary = fmt.Sprintf("indicator %s seen in %s: %s", ind, where, plural(g.count, "event"))
	f.Explain.Text = fmt.Sprintf("%s of %s matched %s of the indicator list %s: %s, in the fields %s",
		plural(g.count, "event"), where, ind, r.cfg.Indicators.Source(), value, extras(g))
	f.Explain.Values = []event.Field{field("indicator", ind), field("channel", channel),
		field("events", strconv.Itoa(g.count)), field("values", value), field("fields", extras(g)),
		field("list", r.cfg.Indicators.Source())}
	return f
}

// capNotes tells the reader what the hunt did not see whole.
func (r *reporter) capNotes() {
	st, c := r.st, &r.cfg.Caps
	if n := len(r.wins); n > 0 {
		var last []string
		for _, w := range r.wins {
			if w.latest {
				last = append(last, fmtSec(w.start/1e6)+" to "+fmtSec(w.hi))
			}
		}
		stretches := ""
		if len(last) > 1 {
			stretches = fmt.Sprintf(" (%d stretches of logs with a day or more between them)", len(last))
		}
		r.note("beacons, long connections and strobes judged in %s of conn.log%s, counted back from the last connection as RITA counts: %s",
			plural(n, "window")+" of "+fmtSpan(r.cfg.Beacon.Window), stretches, strings.Join(last[:min(len(last), 5)], ", "))
	}
	if st.dropped > 0 {
		r.note("connection cap of %s reached: %s connections before %s were not analysed",
			fmtCount(c.Conns), fmtCount(st.dropped), fmtMicro(st.cutoff))
	}
	if st.openDrop > 0 {
		r.note("open-session cap of %s reached: %s open sessions were not analysed", fmtCount(c.Open), fmtCount(st.openDrop))
	}
	if st.namesDrop > 0 {
		r.note("server-name cap of %s reached: %s TLS and HTTP records were not linked to their connections",
			fmtCount(c.Names), fmtCount(st.namesDrop))
	}
	if st.domainsDrop > 0 {
		r.note("domain cap of %s reached: %s queries under other domains were not counted", fmtCount(c.Domains), fmtCount(st.domainsDrop))
	}
	if st.subDrop > 0 {
		r.note("distinct-name cap of %s reached: %s names were not counted", fmtCount(c.SubdomainsTotal), fmtCount(st.subDrop))
	}
	r.hostsNote()
	r.forwardersNote()
	if st.itemsDrop > 0 || st.adminDrop > 0 {
		r.note("item cap of %s reached: %s events (indicator hits, lookups, files, relays, admin sessions) were not kept",
			fmtCount(c.Items), fmtCount(st.itemsDrop+st.adminDrop))
	}
}
