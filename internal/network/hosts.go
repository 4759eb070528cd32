package network

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// Host names. Zeek knows addresses, Windows knows computer names: a report
// that names a machine by its address in network findings and by its name
// in host findings lists it twice. The hunt usually holds records that tie
// the two together, and the detector already sees every event, so it
// learns address → name as it goes and names the hosts of its findings at
// the end.
//
// Names come from sources of unequal trust, kept apart by a tier that
// starts each tally key (so that the smallest keys, which a capped tally
// keeps, are the most trusted):
const (
	// tierWindows: a Windows computer logged a connection from or to its
	// own address (Sysmon event 3). The name is the Computer of host
	// findings, spelt as they spell it.
	tierWindows = '0'
	// tierDNS: the network's resolver answered a name with an internal
	// address (dns.log).
	tierDNS = '1'
	// tierAuth: the host named itself in NTLM or Kerberos (ntlm.log,
	// kerberos.log): a NetBIOS name, often without its domain.
	tierAuth = '2'
)

// maxNamesPerHost bounds the names tallied for one address (addresses
// handed from host to host by DHCP).
const maxNamesPerHost = 8

// sysmonChannel is the channel of Sysmon's events.
const sysmonChannel = "Microsoft-Windows-Sysmon/Operational"

// hostAddr reports whether an address can be one host's own: not loopback,
// multicast, link-local or unspecified.
func hostAddr(a netip.Addr) bool {
	return a.IsValid() && !a.IsLoopback() && !special(a)
}

// addHostName counts one sighting of a name for an address. The addresses
// kept past Caps.Items are the smallest, so that the same ones are kept
// whatever the order the workers saw them in.
func (s *state) addHostName(a netip.Addr, tier byte, name string) {
	if name == "" || !hostAddr(a) || (s.hostsCut.IsValid() && a.Compare(s.hostsCut) > 0) {
		return
	}
	m := s.hosts[a]
	if m == nil {
		m = make(map[string]int)
		s.hosts[a] = m
	}
	key := string(tier) + name
	if _, ok := m[key]; !ok {
		key = s.str(key)
	}
	s.hosts[a] = tallyInto(m, key, maxNamesPerHost)
	if n := s.cfg.Caps.Items; len(s.hosts) > n+n/4 {
		s.pruneHosts()
	}
}

// pruneHosts keeps the Caps.Items smallest addresses.
func (s *state) pruneHosts() {
	n := s.cfg.Caps.Items
	if len(s.hosts) <= n {
		return
	}
	as := make([]netip.Addr, 0, len(s.hosts))
	for a := range s.hosts {
		as = append(as, a)
	}
	slices.SortFunc(as, addrCmp)
	for _, a := range as[n:] {
		delete(s.hosts, a)
	}
	s.hostsCut = as[n-1]
}

// mergeHosts adds another worker's host names.
func (s *state) mergeHosts(o *state) {
	if o.hostsCut.IsValid() && (!s.hostsCut.IsValid() || o.hostsCut.Compare(s.hostsCut) < 0) {
		s.hostsCut = o.hostsCut
	}
	for a, om := range o.hosts {
		if s.hostsCut.IsValid() && a.Compare(s.hostsCut) > 0 {
			continue
		}
		s.hosts[a] = mergeTally(s.hosts[a], om, maxNamesPerHost)
	}
	for a := range s.hosts {
		if s.hostsCut.IsValid() && a.Compare(s.hostsCut) > 0 {
			delete(s.hosts, a)
		}
	}
	s.pruneHosts()
}

// sysmonConn learns a name from a Sysmon network connection (event 3): the
// computer that logged it owns the source address of a connection it
// initiated, and the destination address of one it accepted.
func (w *worker) sysmonConn(ev *event.Event) {
	if ev.Computer == "" {
		return
	}
	var src, dst, initiated string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "SourceIp":
			src = f.Value
		case "DestinationIp":
			dst = f.Value
		case "Initiated":
			initiated = f.Value
		}
	}
	own := dst
	switch initiated {
	case "true":
		own = src
	case "false":
	default:
		return
	}
	if a, ok := parseAddr(own); ok {
		w.st.addHostName(a, tierWindows, ev.Computer)
	}
}

// authNames learns the names hosts give themselves in ntlm.log (the
// client's workstation name, the server's computer name) and kerberos.log
// (a machine account asking for its own tickets: "WS01$").
func (w *worker) authNames(ev *event.Event) {
	orig, resp, ok := endpoints(ev)
	if !ok {
		return
	}
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "hostname":
			w.st.addHostName(orig, tierAuth, cleanHostName(f.Value))
		case "server_dns_computer_name", "server_nb_computer_name":
			w.st.addHostName(resp, tierAuth, cleanHostName(f.Value))
		case "client":
			// "WS01$/CORP.EXAMPLE": a computer account; a user's
			// principal names no host.
			acct, _, _ := strings.Cut(f.Value, "/")
			if acct, ok := strings.CutSuffix(acct, "$"); ok {
				w.st.addHostName(orig, tierAuth, cleanHostName(acct))
			}
		}
	}
}

// cleanHostName returns a name as a host name, or "" when it is none.
func cleanHostName(s string) string {
	s = strings.TrimSuffix(strings.TrimSpace(s), ".")
	if s == "" || s == "-" || len(s) > 255 || strings.ContainsAny(s, " \t\\/@$") {
		return ""
	}
	return s
}

// dnsHostName learns the internal address a name resolved to. A chain of
// aliases names the host by its last alias (the canonical name), not by
// the alias asked for.
func (w *worker) dnsHostName(query string, ev *event.Event) {
	name := query
	var addrs [4]netip.Addr
	n := 0
	for i := range ev.Fields {
		f := &ev.Fields[i]
		if f.Name != "answers" {
			continue
		}
		if a, ok := parseAddr(f.Value); ok {
			if n < len(addrs) && w.d.cfg.isInternal(a) {
				addrs[n] = a
				n++
			}
			continue
		}
		name = normalizeName(f.Value)
	}
	// A bare domain ("corp.example") resolves to every domain
	// controller: a host's name has a label of its own before it.
	if name = cleanHostName(name); strings.Count(name, ".") < 2 {
		return
	}
	for _, a := range addrs[:n] {
		w.st.addHostName(a, tierDNS, name)
	}
}

// isInternal reports whether an address is in the operator's networks.
func (c *Config) isInternal(a netip.Addr) bool {
	for _, p := range c.Internal {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// hostNames chooses a name per address: the most trusted source, then the
// name seen most often, then the first in text order. A name from DNS that
// several addresses share (round-robin, a domain's own name) names no one
// host. Names not from Windows take the spelling of the Windows computer
// name they are, so that a machine is one host in the report.
func hostNames(hosts map[netip.Addr]map[string]int) map[netip.Addr]string {
	if len(hosts) == 0 {
		return nil
	}
	shared := make(map[string]int) // DNS name -> addresses it named
	windows := make(map[string]string)
	short := make(map[string][]string) // first label of a Windows name -> the names
	for _, m := range hosts {
		for k := range m {
			if k == overflowKey {
				continue
			}
			switch k[0] {
			case tierDNS:
				shared[k[1:]]++
			case tierWindows:
				lk := strings.ToLower(k[1:])
				if _, ok := windows[lk]; !ok {
					windows[lk] = k[1:]
					first, _, _ := strings.Cut(lk, ".")
					short[first] = append(short[first], k[1:])
				}
			}
		}
	}
	out := make(map[netip.Addr]string, len(hosts))
	for a, m := range hosts {
		best, n := "", 0
		for k, c := range m {
			if k == overflowKey || k[0] == tierDNS && shared[k[1:]] > 1 {
				continue
			}
			if best == "" || k[0] < best[0] || k[0] == best[0] && (c > n || c == n && k < best) {
				best, n = k, c
			}
		}
		if best == "" {
			continue
		}
		name := best[1:]
		if best[0] != tierWindows {
			lk := strings.ToLower(name)
			if w, ok := windows[lk]; ok {
				name = w
			} else if ws := short[lk]; !strings.Contains(lk, ".") && len(ws) == 1 {
				name = ws[0]
			}
		}
		out[a] = name
	}
	return out
}

// nameHost names the host of a finding by its computer name when the hunt
// tied its address to one, and puts the names of the addresses the summary
// and explanation show beside them: "10.0.1.40 (MON01.corp.example)".
func (r *reporter) nameHost(f *finding.Finding) {
	if len(r.hostName) == 0 {
		return
	}
	if a, err := netip.ParseAddr(f.Host); err == nil {
		if name, ok := r.hostName[a.Unmap()]; ok {
			f.Host = name
			f.Explain.Values = append(f.Explain.Values, field("host_address", a.Unmap().String()), field("host_name", name))
		}
	}
	f.Summary = r.annotate(f.Summary)
	f.Explain.Text = r.annotate(f.Explain.Text)
}

// annotate puts its name after the first mention of each named address in
// a text. An address counts as mentioned when it stands as a word: not in
// a path (\\10.0.1.10\C$) nor with a port (10.0.1.10:3389).
func (r *reporter) annotate(s string) string {
	var b strings.Builder
	done := make(map[netip.Addr]bool)
	last := 0
	for i := 0; i < len(s); {
		if !addrChar(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && addrChar(s[j]) {
			j++
		}
		before := i == 0 || s[i-1] == ' ' || s[i-1] == '('
		after := j == len(s) || strings.IndexByte(" ,;)", s[j]) >= 0
		if before && after {
			if a, err := netip.ParseAddr(s[i:j]); err == nil && !done[a.Unmap()] {
				if name, ok := r.hostName[a.Unmap()]; ok {
					done[a.Unmap()] = true
					b.WriteString(s[last:j])
					b.WriteString(" (")
					b.WriteString(name)
					b.WriteString(")")
					last = j
				}
			}
		}
		i = j
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// addrChar reports whether a byte can be part of a written address.
func addrChar(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == '.' || c == ':'
}

// hostsNote tells the reader how many hosts were named, and whether the
// cap cut the learning short.
func (r *reporter) hostsNote() {
	if r.st.hostsCut.IsValid() {
		r.note("host-name cap of %s addresses reached: names were learned for addresses up to %s only",
			fmtCount(r.cfg.Caps.Items), r.st.hostsCut)
	}
}
