package network

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// worker is one goroutine's share of the detector: it reduces the Zeek
// records it is shown to compact observations in its own state.
type worker struct {
	d   *Detector
	st  *state
	buf []byte
}

// Observe implements detect.Worker. Nothing is reported before Finish:
// every network analytic needs the whole input.
func (w *worker) Observe(ev *event.Event, _ func(*finding.Finding)) {
	if ind := w.d.cfg.Indicators; ind != nil && !ind.Empty() {
		w.indicators(ev, ind)
	}
	if ev.EventID == 3 && ev.Channel == sysmonChannel {
		w.sysmonConn(ev)
		return
	}
	if ev.Provider != zeekProvider || ev.Time.IsZero() {
		return
	}
	ts := ev.Time.UnixMicro()
	w.st.zMin = min(w.st.zMin, ts)
	w.st.zMax = max(w.st.zMax, ts)
	switch ev.Channel {
	case "zeek.conn":
		w.conn(ev, false)
	case "zeek.open_conn":
		w.conn(ev, true)
	case "zeek.ssl":
		w.name(ev, "server_name", false)
	case "zeek.open_ssl":
		w.name(ev, "server_name", true)
	case "zeek.http":
		w.name(ev, "host", false)
	case "zeek.open_http":
		w.name(ev, "host", true)
	case "zeek.dns":
		w.dns(ev)
	case "zeek.smb_files", "zeek.files":
		w.file(ev)
	case "zeek.rdp":
		w.adminLog(ev, "rdp")
	case "zeek.ssh":
		w.adminLog(ev, "ssh")
	case "zeek.dce_rpc":
		w.adminLog(ev, "rpc")
	case "zeek.smb_mapping":
		w.adminLog(ev, "smb")
	case "zeek.kerberos", "zeek.ldap", "zeek.ldap_search":
		if _, resp, ok := endpoints(ev); ok {
			w.st.kdc[resp] = struct{}{}
		}
		if ev.Channel == "zeek.kerberos" {
			w.authNames(ev)
		}
	case "zeek.ntlm":
		w.authNames(ev)
	}
}

// Close implements detect.Worker: the worker's state goes to the detector.
func (w *worker) Close() {
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	w.d.st.merge(w.st)
	w.st = nil
}

// zeekProvider is the Provider of events read from Zeek logs.
const zeekProvider = "zeek"

// refOf is where an event is.
func refOf(ev *event.Event) ref {
	return ref{file: ev.Source.File, offset: ev.Source.Offset, line: int32(min(ev.Source.Line, 1<<31-1)),
		ts: ev.Time.UnixMicro()}
}

// parseAddr reads an address as Zeek writes it, IPv4-mapped IPv6 as IPv4.
func parseAddr(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func parsePort(s string) uint16 {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0
	}
	return uint16(n)
}

func parseCount(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// endpoints reads a record's originator and responder addresses.
func endpoints(ev *event.Event) (orig, resp netip.Addr, ok bool) {
	var o, r bool
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "id.orig_h":
			orig, o = parseAddr(f.Value)
		case "id.resp_h":
			resp, r = parseAddr(f.Value)
		}
	}
	return orig, resp, o && r
}

// conn reads a conn.log or open_conn.log record.
func (w *worker) conn(ev *event.Event, open bool) {
	c := conn{ref: refOf(ev)}
	var src, dst netip.Addr
	var okSrc, okDst bool
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "uid":
			c.uid = f.Value
		case "id.orig_h":
			src, okSrc = parseAddr(f.Value)
		case "id.orig_p":
			c.sport = parsePort(f.Value)
		case "id.resp_h":
			dst, okDst = parseAddr(f.Value)
		case "id.resp_p":
			c.dport = parsePort(f.Value)
		case "proto":
			c.proto = protoCode(f.Value)
		case "service":
			c.service = f.Value
		case "duration":
			if d, err := strconv.ParseFloat(f.Value, 64); err == nil && d >= 0 && d < 1e12 {
				c.dur = d
			}
		case "orig_bytes":
			c.ob = parseCount(f.Value)
		case "resp_bytes":
			c.rb = parseCount(f.Value)
		case "orig_ip_bytes":
			c.oib = parseCount(f.Value)
		case "resp_ip_bytes":
			c.rib = parseCount(f.Value)
		case "conn_state":
			c.state = f.Value
		}
	}
	if !okSrc || !okDst || c.uid == "" {
		return
	}
	st := w.st
	c.uid = strings.Clone(c.uid)
	c.service = st.str(c.service)
	c.state = st.str(c.state)
	c.file = st.str(c.file)
	k := pairKey{src, dst}
	if open {
		st.addOpen(k, c)
		return
	}
	st.addConn(k, c)
}

// name reads the server name of an ssl.log record or the Host of an
// http.log record.
func (w *worker) name(ev *event.Event, field string, open bool) {
	var uid, name, ua string
	hasUA := false
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "uid":
			uid = f.Value
		case field:
			name = f.Value
		case "user_agent":
			ua, hasUA = f.Value, true
		}
	}
	src, dst, ok := endpoints(ev)
	if !ok || uid == "" {
		return
	}
	st := w.st
	if name == "" {
		if field == "host" && !open && len(st.noHost) < st.cfg.Caps.Names {
			// RITA raises the score of beacons whose HTTP requests have
			// no Host header: real browsers always send one.
			if !hasUA {
				ua = "-"
			}
			st.noHost[strings.Clone(uid)] = st.str(ua)
		}
		return
	}
	name = strings.ToLower(name)
	r := refOf(ev)
	r.file = st.str(r.file)
	st.addName(nameRec{ref: r, src: src, dst: dst, name: st.str(name), uid: strings.Clone(uid), open: open, http: field == "host"})
	if svc, ok := lookupService(name); ok && !open {
		via := "tls"
		if field == "host" {
			via = "http"
		}
		w.lookup(ev, src, svc, name, via)
	}
}

// dns reads a dns.log record: the query counts under its parent domain,
// and the addresses it resolved to name the source's connections to them.
func (w *worker) dns(ev *event.Event) {
	var query string
	for i := range ev.Fields {
		if ev.Fields[i].Name == "query" {
			query = ev.Fields[i].Value
			break
		}
	}
	src, _, ok := endpoints(ev)
	if !ok || query == "" {
		return
	}
	name := normalizeName(query)
	w.dnsHostName(name, ev)
	w.dnsClient(ev, src)
	for i := range ev.Fields {
		if f := &ev.Fields[i]; f.Name == "answers" {
			if a, ok := parseAddr(f.Value); ok {
				w.st.addAnswer(pairKey{src, a}, name)
			}
		}
	}
	if svc, ok := lookupService(name); ok {
		w.lookup(ev, src, svc, name, "dns")
	}
	parent, ok := parentDomain(name)
	if !ok || parent == name {
		return
	}
	st := w.st
	d := st.domains[parent]
	if d == nil {
		if len(st.domains) >= st.cfg.Caps.Domains {
			st.domainsDrop++
			return
		}
		d = &domainState{names: make(map[uint64]struct{}), srcs: make(map[netip.Addr]struct{})}
		st.domains[strings.Clone(parent)] = d
	}
	st.addSub(d, fnv64(name))
	addSource(d, src)
	if len(d.samples) < maxSamples || len(name) >= len(d.samples[len(d.samples)-1]) {
		addSample(d, strings.Clone(name))
	}
	st.addItem(&d.ev, w.item(ev, "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "query", "qtype_name", "rcode_name"), mark{})
}

// lookup records a query for an IP-lookup service (N7).
func (w *worker) lookup(ev *event.Event, src netip.Addr, svc, name, via string) {
	w.buf = append(w.buf[:0], kindLookup...)
	w.buf = append(w.buf, 0)
	w.buf = src.AppendTo(w.buf)
	w.buf = append(w.buf, 0)
	w.buf = append(w.buf, svc...)
	g := w.st.group(string(w.buf))
	if g == nil {
		return
	}
	w.st.addItem(g, w.item(ev, "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "query", "host", "server_name", "uri"),
		mark{extra: via + " " + name})
}

// file reads an smb_files.log or files.log record: archives and
// credential stores moved over SMB (N5).
func (w *worker) file(ev *event.Event) {
	var name, path, action, source string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "name", "filename":
			name = f.Value
		case "path":
			path = f.Value
		case "action":
			action = f.Value
		case "source":
			source = f.Value
		}
	}
	if ev.Channel == "zeek.files" && !strings.EqualFold(source, "SMB") {
		return
	}
	kind, ok := sensitiveFile(name)
	if !ok {
		return
	}
	client, server, ok := endpoints(ev)
	if !ok {
		// files.log of older Zeek names the hosts in tx_hosts and
		// rx_hosts: the sender and the receiver.
		tx, rx := firstAddr(ev, "tx_hosts"), firstAddr(ev, "rx_hosts")
		if !tx.IsValid() || !rx.IsValid() {
			return
		}
		client, server = rx, tx
	}
	w.buf = append(w.buf[:0], kindSMB...)
	w.buf = append(w.buf, 0)
	w.buf = client.AppendTo(w.buf)
	w.buf = append(w.buf, 0)
	w.buf = server.AppendTo(w.buf)
	w.buf = append(w.buf, 0)
	w.buf = append(w.buf, kind...)
	w.buf = append(w.buf, 0)
	w.buf = append(w.buf, strings.ToLower(path+"\\"+name)...)
	g := w.st.group(string(w.buf))
	if g == nil {
		return
	}
	it := w.item(ev, "uid", "fuid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "action", "path", "name",
		"filename", "size", "source", "tx_hosts", "rx_hosts", "total_bytes", "seen_bytes", "mime_type")
	w.st.addItem(g, it, mark{extra: strings.TrimPrefix(action, "SMB::")})
}

// firstAddr reads the first address of a set field.
func firstAddr(ev *event.Event, name string) netip.Addr {
	for i := range ev.Fields {
		if ev.Fields[i].Name == name {
			if a, ok := parseAddr(ev.Fields[i].Value); ok {
				return a
			}
		}
	}
	return netip.Addr{}
}

// adminLog records a session of an administration protocol seen in its
// own log (rdp, ssh, dce_rpc, smb_mapping): logs without conn.log still
// show who administers what.
func (w *worker) adminLog(ev *event.Event, service string) {
	src, dst, ok := endpoints(ev)
	if !ok || src == dst {
		return
	}
	w.st.seeAdmin(adminEdge{src, dst, service},
		w.item(ev, "uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "cookie", "result", "endpoint",
			"operation", "path", "share_type", "auth_success", "client", "server"))
}

// item makes a stored event with the named fields, copied.
func (w *worker) item(ev *event.Event, names ...string) item {
	it := item{ref: refOf(ev), key: eventKey(ev), channel: w.st.str(ev.Channel), eventID: int32(ev.EventID), record: ev.RecordID}
	it.file = w.st.str(it.file)
	for _, n := range names {
		for i := range ev.Fields {
			if ev.Fields[i].Name == n {
				it.fields = append(it.fields, fieldKV{n, strings.Clone(ev.Fields[i].Value)})
				break
			}
		}
	}
	return it
}

// eventKey hashes what identifies an event whatever copy of its log it was
// read from (as finding.EventKey does): its channel, time, record number
// and fields.
func eventKey(ev *event.Event) uint64 {
	h := fnvString(fnvOffset, ev.Channel)
	h = fnvString(h, ev.Computer)
	h = fnvUint(h, uint64(ev.Time.UnixNano()))
	h = fnvUint(h, ev.RecordID)
	for i := range ev.Fields {
		h = fnvString(h, ev.Fields[i].Name)
		h = fnvString(h, ev.Fields[i].Value)
	}
	return h
}
