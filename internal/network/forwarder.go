package network

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/breakwater/breakwater/internal/event"
)

// DNS forwarders. A domain controller (or any internal DNS server)
// answers its clients and forwards what it cannot answer to a resolver
// outside: its queries follow the clients' rhythm, so the pair scores as a
// beacon, and a client's look-up of its public address shows up a second
// time, as the forwarder's own. A forwarder is recognised from the
// traffic: an internal host that answers DNS for several internal
// clients. Its DNS (port 53, which Zeek recognised as DNS) is left out of
// beacon scoring, and its IP-lookup queries are left to the clients that
// asked, whose own queries the logs show when the sensor sees them.

// minForwarderClients internal clients answered make a host a DNS server.
const minForwarderClients = 2

// maxDNSClients is how many clients are remembered per DNS server: enough
// to tell a server from a host that answered once.
const maxDNSClients = 4

// dnsClient records that an internal host asked an internal DNS server
// (dns.log), so that forwarders are known even without conn.log.
func (w *worker) dnsClient(ev *event.Event, src netip.Addr) {
	var dst netip.Addr
	var port uint16
	ok := false
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "id.resp_h":
			dst, ok = parseAddr(f.Value)
		case "id.resp_p":
			port = parsePort(f.Value)
		}
	}
	cfg := &w.d.cfg
	if !ok || port != 53 || src == dst || !cfg.isInternal(src) || !cfg.isInternal(dst) {
		return
	}
	w.st.addDNSClient(dst, src)
}

// addDNSClient keeps the smallest few clients of a DNS server, the same
// whatever the order they came in.
func (s *state) addDNSClient(srv, client netip.Addr) {
	cs, ok := s.dnsSrv[srv]
	if !ok && len(s.dnsSrv) >= s.cfg.Caps.Items {
		s.dnsDrop++
		return
	}
	i, found := slices.BinarySearchFunc(cs, client, addrCmp)
	if found || i >= maxDNSClients {
		return
	}
	cs = slices.Insert(cs, i, client)
	if len(cs) > maxDNSClients {
		cs = cs[:maxDNSClients]
	}
	s.dnsSrv[srv] = cs
}

// dnsConn reports whether a connection is DNS to a server's DNS port.
func dnsConn(c *conn) bool {
	return c.dport == 53 && (c.proto == protoUDP || c.proto == protoTCP) && strings.Contains(c.service, "dns")
}

// forwarders finds the internal hosts that answer DNS for
// minForwarderClients internal clients or more, from dns.log and
// conn.log.
func (r *reporter) forwarders() {
	clients := make(map[netip.Addr][]netip.Addr)
	add := func(srv, c netip.Addr) {
		if cs := clients[srv]; !slices.Contains(cs, c) && len(cs) < minForwarderClients {
			clients[srv] = append(cs, c)
		}
	}
	for srv, cs := range r.st.dnsSrv {
		for _, c := range cs {
			add(srv, c)
		}
	}
	for _, p := range r.list {
		k := p.k
		if k.src == k.dst || !r.internal(k.src) || !r.internal(k.dst) {
			continue
		}
		for i := range p.cs {
			if c := &p.cs[i]; dnsConn(c) && c.answered() {
				add(k.dst, k.src)
				break
			}
		}
	}
	r.fwd = make(map[netip.Addr]bool)
	for srv, cs := range clients {
		if len(cs) >= minForwarderClients {
			r.fwd[srv] = true
		}
	}
}

// withoutDNS returns a forwarder's series without its DNS connections.
func withoutDNS(s *series) *series {
	out := &series{open: s.open, keys: s.keys}
	for _, c := range s.closed {
		if !dnsConn(c) {
			out.closed = append(out.closed, c)
		}
	}
	return out
}

// relayedLookup reports whether an IP-lookup group of a forwarder holds
// only DNS queries: the clients' queries it passed on, not its own.
func (r *reporter) relayedLookup(src netip.Addr, g *itemGroup) bool {
	if !r.fwd[src] || len(g.extra) == 0 {
		return false
	}
	for k := range g.extra {
		if !strings.HasPrefix(k, "dns ") {
			return false
		}
	}
	return true
}

// forwardersNote names the DNS forwarders the analytics treated as such.
func (r *reporter) forwardersNote() {
	if len(r.fwd) == 0 && r.st.dnsDrop == 0 {
		return
	}
	as := make([]netip.Addr, 0, len(r.fwd))
	for a := range r.fwd {
		as = append(as, a)
	}
	slices.SortFunc(as, addrCmp)
	names := make([]string, 0, min(len(as), 5))
	for _, a := range as[:min(len(as), 5)] {
		names = append(names, r.annotate(a.String()))
	}
	if len(as) > 5 {
		names = append(names, "...")
	}
	if len(as) > 0 {
		verb := "answers"
		if len(as) > 1 {
			verb = "answer"
		}
		r.note("%s %s DNS for internal clients: DNS forwarded to other servers was left out of beacon scoring, and IP look-ups passed on were left to the clients that asked",
			strings.Join(names, ", "), verb)
	}
	if r.st.dnsDrop > 0 {
		r.note("DNS-server cap of %s reached: %s queries to other servers were not used to find forwarders",
			fmtCount(r.cfg.Caps.Items), fmtCount(r.st.dnsDrop))
	}
}
