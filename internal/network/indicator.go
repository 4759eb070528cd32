package network

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"

	"github.com/breakwater/breakwater/internal/event"
)

// Indicators is a list of known-bad addresses, networks and domains
// (indicators of compromise) that every log is checked against. The zero
// value matches nothing.
type Indicators struct {
	addrs    map[netip.Addr]string
	nets     map[int]map[netip.Prefix]string // by prefix length
	bits     []int                           // the prefix lengths in nets, longest first
	domains  map[string]string               // matches the domain and every name under it
	n        int
	source   string
	problems []string
}

// maxProblems bounds the bad lines an indicator list reports one by one.
const maxProblems = 10

// LoadIndicators reads an indicator list from a file.
func LoadIndicators(path string) (*Indicators, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	defer f.Close()
	ind, err := ParseIndicators(f, path)
	if err != nil {
		return nil, err
	}
	return ind, nil
}

// ParseIndicators reads an indicator list: one IP address, network (CIDR)
// or domain per line; "#" starts a comment; blank lines are ignored;
// defanged forms ("example[.]com", "10.0.0[.]1") are accepted. name names
// the list in errors. A line that is none of these is an error naming the
// line: a list that silently matches less than its author thinks is worse
// than none.
func ParseIndicators(r io.Reader, name string) (*Indicators, error) {
	ind := &Indicators{source: name}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	line, bad := 0, 0
	for sc.Scan() {
		line++
		s := sc.Text()
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if err := ind.add(s); err != nil {
			bad++
			if len(ind.problems) < maxProblems {
				ind.problems = append(ind.problems, fmt.Sprintf("%s:%d: %v", name, line, err))
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("indicators %s: line %d: %w", name, line+1, err)
	}
	if bad > 0 {
		msg := strings.Join(ind.problems, "\n")
		if bad > len(ind.problems) {
			msg += fmt.Sprintf("\n... and %d more", bad-len(ind.problems))
		}
		return nil, fmt.Errorf("indicators: %d lines are not an address, a network or a domain:\n%s", bad, msg)
	}
	if ind.n == 0 {
		return nil, fmt.Errorf("indicators %s: no indicator in the list", name)
	}
	return ind, nil
}

// add reads one indicator.
func (ind *Indicators) add(s string) error {
	text := s
	s = strings.ReplaceAll(strings.ReplaceAll(s, "[.]", "."), "[:]", ":")
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fmt.Errorf("%q is not a network (want CIDR such as 203.0.113.0/24)", text)
		}
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-unmapBits(p.Addr()))
		p = p.Masked()
		if ind.nets == nil {
			ind.nets = make(map[int]map[netip.Prefix]string)
		}
		m := ind.nets[p.Bits()]
		if m == nil {
			m = make(map[netip.Prefix]string)
			ind.nets[p.Bits()] = m
			ind.bits = append(ind.bits, p.Bits())
			slices.SortFunc(ind.bits, func(a, b int) int { return b - a })
		}
		m[p] = p.String()
		ind.n++
		return nil
	}
	if a, err := netip.ParseAddr(s); err == nil {
		a = a.Unmap()
		if ind.addrs == nil {
			ind.addrs = make(map[netip.Addr]string)
		}
		ind.addrs[a] = a.String()
		ind.n++
		return nil
	}
	d := normalizeName(strings.TrimPrefix(s, "*."))
	if !validDomain(d) {
		return fmt.Errorf("%q is not an address, a network or a domain", text)
	}
	if ind.domains == nil {
		ind.domains = make(map[string]string)
	}
	ind.domains[d] = d
	ind.n++
	return nil
}

// unmapBits is how many leading bits an IPv4-mapped address adds.
func unmapBits(a netip.Addr) int {
	if a.Is4In6() {
		return 96
	}
	return 0
}

// validDomain reports whether s is a DNS name of at least two labels.
func validDomain(s string) bool {
	if len(s) < 3 || len(s) > 253 || !strings.Contains(s, ".") {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}

// Len is the number of indicators in the list.
func (ind *Indicators) Len() int {
	if ind == nil {
		return 0
	}
	return ind.n
}

// Empty reports whether the list matches nothing.
func (ind *Indicators) Empty() bool { return ind.Len() == 0 }

// Source names the list, as it was given.
func (ind *Indicators) Source() string {
	if ind == nil {
		return ""
	}
	return ind.source
}

// MatchAddr returns the indicator an address matches: itself, or the
// longest network that holds it.
func (ind *Indicators) MatchAddr(a netip.Addr) (string, bool) {
	if ind == nil {
		return "", false
	}
	a = a.Unmap()
	if s, ok := ind.addrs[a]; ok {
		return s, true
	}
	for _, b := range ind.bits {
		if b > a.BitLen() {
			continue
		}
		p, err := a.Prefix(b)
		if err != nil {
			continue
		}
		if s, ok := ind.nets[b][p]; ok {
			return s, true
		}
	}
	return "", false
}

// MatchName returns the domain indicator a DNS name is, or is under.
func (ind *Indicators) MatchName(name string) (string, bool) {
	if ind == nil || len(ind.domains) == 0 {
		return "", false
	}
	name = normalizeName(name)
	for n := name; n != ""; {
		if s, ok := ind.domains[n]; ok {
			return s, true
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
	return "", false
}

// Match returns the indicator a field value matches: an address (an
// address and port, a URL) or a name.
func (ind *Indicators) Match(v string) (string, bool) {
	if ind.Empty() || v == "" || v == "-" {
		return "", false
	}
	host := hostOf(v)
	if host == "" {
		return "", false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return ind.MatchAddr(a)
	}
	return ind.MatchName(host)
}

// hostOf extracts the host of a value that may be a URL, a host and port,
// or a bracketed IPv6 address.
func hostOf(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, "://"); i >= 0 {
		v = v[i+3:]
		if j := strings.IndexAny(v, "/?#"); j >= 0 {
			v = v[:j]
		}
		if j := strings.LastIndexByte(v, '@'); j >= 0 {
			v = v[j+1:]
		}
	}
	if strings.HasPrefix(v, "[") {
		if j := strings.IndexByte(v, ']'); j > 0 {
			return v[1:j]
		}
	}
	if strings.Count(v, ":") == 1 {
		v = v[:strings.IndexByte(v, ':')]
	}
	return v
}

// indicatorFields are the fields of Zeek logs that hold an address or a
// name; every field named *_h or *_hosts is one too.
var indicatorFields = map[string]bool{
	"query": true, "answers": true, "host": true, "server_name": true, "san.dns": true, "san.ip": true,
	"referrer": true, "origin": true, "src": true, "dst": true, "client_addr": true, "server_addr": true,
	"assigned_addr": true, "requested_addr": true, "x_originating_ip": true,
}

// windowsFields are the fields of Windows events that hold an address or
// a name.
var windowsFields = map[string]bool{
	"IpAddress": true, "SourceAddress": true, "DestAddress": true, "DestinationIp": true, "SourceIp": true,
	"DestinationHostname": true, "SourceHostname": true, "QueryName": true, "ClientAddress": true,
	"RemoteAddress": true, "ClientIP": true, "SourceNetworkAddress": true,
}

// indicators checks an event's address and name fields against the list.
func (w *worker) indicators(ev *event.Event, ind *Indicators) {
	zeek := ev.Provider == zeekProvider
	for i := range ev.Fields {
		f := &ev.Fields[i]
		if zeek {
			if !indicatorFields[f.Name] && !strings.HasSuffix(f.Name, "_h") && !strings.HasSuffix(f.Name, "_hosts") {
				continue
			}
		} else if !windowsFields[f.Name] {
			continue
		}
		hit, ok := ind.Match(f.Value)
		if !ok {
			continue
		}
		w.buf = append(w.buf[:0], kindIndicator...)
		w.buf = append(w.buf, 0)
		w.buf = append(w.buf, hit...)
		w.buf = append(w.buf, 0)
		w.buf = append(w.buf, ev.Channel...)
		g := w.st.group(string(w.buf))
		if g == nil {
			return
		}
		it := item{ref: refOf(ev), key: eventKey(ev), channel: w.st.str(ev.Channel), eventID: int32(ev.EventID),
			record: ev.RecordID}
		it.file = w.st.str(it.file)
		if len(g.first) < w.st.cfg.Caps.Evidence || refLess(&it.ref, &g.first[len(g.first)-1].ref) {
			// Only the earliest are kept: copy the record for them alone.
			it.fields = make([]fieldKV, 0, len(ev.Fields))
			for _, f := range ev.Fields {
				it.fields = append(it.fields, fieldKV{f.Name, strings.Clone(f.Value)})
			}
		}
		w.st.addItem(g, it, mark{extra: f.Name, value: strings.ToLower(f.Value)})
		return // one hit per event is enough to point at it
	}
}
