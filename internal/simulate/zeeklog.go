package simulate

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"
)

// The network half of a scenario: what a Zeek sensor at the network's edge
// and core logs while the host logs are written. Every record stands for
// something the host logs show - a Sysmon connection or DNS query, a
// logon from another host, a Kerberos ticket, a command sent to the web
// shell - at the same time and between the same addresses, plus what
// hosts without Sysmon do on the wire (workstations browsing, resolving
// names, setting their clocks). The intrusion's network face is written
// to truth.jsonl as steps of kind "network", with the records that show
// it as evidence (file, line and Zeek uid).

// Addresses of the network half outside the network: the resolver the
// domain controller forwards to, and the public sites workstations visit.
const resolver = "192.0.2.53"

var sites = []struct{ name, ip string }{
	{"outlook.office365.com", "52.96.165.18"}, {"teams.microsoft.com", "52.113.194.132"},
	{"www.bing.com", "204.79.197.200"}, {"login.microsoftonline.com", "20.190.151.68"},
	{"www.wikipedia.org", "208.80.154.224"}, {"update.googleapis.com", "142.250.72.99"},
	{"www.weather.gov", "23.40.7.90"}, {"cdn.jsdelivr.net", "151.101.1.229"},
	{"github.com", "140.82.112.3"}, {"www.awwa.org", "104.18.22.51"},
	{"portal.azure.com", "13.107.246.64"}, {"www.linkedin.com", "13.107.42.14"},
}

// netgen writes the Zeek records of one scenario.
type netgen struct {
	g    *gen
	rng  *rand.Rand
	logs map[string]*zlog
	seq  int
	// The public address the intruder's web shell requests come from: a
	// compromised home router, as the KV botnet's.
	entry string
	steps map[string]*Step
}

// wire turns the facts the host logs noted into Zeek records, and the
// intrusion's network face into steps.
func (g *gen) wire() map[string]*zlog {
	n := &netgen{g: g, rng: rand.New(rand.NewPCG(uint64(g.opts.Seed), 0x7a65656b)), logs: newLogs(), steps: map[string]*Step{}}
	n.entry = fmt.Sprintf("%s.%d", pick2(n, []string{"198.51.100", "203.0.113"}), 2+n.rng.IntN(250))
	f := g.net
	for _, k := range f.krb {
		n.kerberos(k)
	}
	for _, d := range f.dns {
		n.dnsFact(d)
	}
	for _, c := range f.conns {
		n.connFact(c)
	}
	for _, s := range f.sessions {
		n.session(s)
	}
	for _, t := range f.ntp {
		n.conn(t.t, t.h.ip, 123, g.byName["DC01"].ip, 123, "udp", "ntp", 20*time.Millisecond, 48, 48, "SF")
	}
	for _, t := range f.shells {
		s := n.step("entry", "WEB01", "N1", "T1584.008", "resource-development",
			"Web shell requests reach the web server over HTTPS from a compromised home router ("+n.entry+")")
		c := n.conn(t.Add(-time.Duration(200+n.rng.IntN(300))*time.Millisecond), n.entry, n.ephemeral(), g.byName["WEB01"].ip, 443, "tcp", "ssl",
			time.Duration(300+n.rng.IntN(1200))*time.Millisecond, int64(900+n.rng.IntN(1600)), int64(1500+n.rng.IntN(10000)), "SF", s)
		n.ssl(c, "intranet."+domainDNS, s)
	}
	for _, p := range f.sweep {
		s := n.step("sweep", p.src.name, "N6", "T1018", "discovery", "Echo requests from "+p.src.name+" to one workstation address after another")
		var rb int64
		if n.hostAt(p.dst) != nil {
			rb = 32
		}
		n.connICMP(p.t, p.src.ip, p.dst, rb, s)
	}
	for _, d := range f.desks {
		n.desk(d)
	}
	return n.logs
}

func pick2[T any](n *netgen, list []T) T { return list[n.rng.IntN(len(list))] }

// step returns the network step of a name, made on first use.
func (n *netgen) step(key, host, behaviour, technique, tactic, summary string) *Step {
	if s := n.steps[key]; s != nil {
		return s
	}
	s := &Step{Host: host, Behaviour: behaviour, Technique: technique, Tactic: tactic, Summary: summary, Kind: KindNetwork}
	n.steps[key] = s
	n.g.steps = append(n.g.steps, s)
	return s
}

func (n *netgen) hostAt(ip string) *host {
	for _, h := range n.g.hosts {
		if h.ip == ip {
			return h
		}
	}
	return nil
}

func (n *netgen) ephemeral() uint16 { return uint16(49152 + n.rng.IntN(16000)) }

// uid returns a new Zeek connection (C...) or file (F...) identifier.
func (n *netgen) uid(prefix byte) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 18)
	b[0] = prefix
	for i := 1; i < len(b); i++ {
		b[i] = alphabet[n.rng.IntN(len(alphabet))]
	}
	return string(b)
}

func (n *netgen) add(log string, ts time.Time, vals []any, steps []*Step) *zrec {
	n.seq++
	r := &zrec{ts: ts.UTC().Truncate(time.Microsecond), seq: n.seq, vals: vals, steps: steps}
	r.vals[0] = r.ts
	n.logs[log].recs = append(n.logs[log].recs, r)
	return r
}

func internalAddr(ip string) bool { return strings.HasPrefix(ip, "10.") }

// zconn is a connection record and what other logs need of it.
type zconn struct {
	rec                *zrec
	uid                string
	ts                 time.Time
	src, dst           string
	sport, dport       uint16
	dur                time.Duration
	failed, noResponse bool
}

func nilIf[T comparable](v, zero T) any {
	if v == zero {
		return nil
	}
	return v
}

// conn writes a conn.log record.
func (n *netgen) conn(ts time.Time, src string, sport uint16, dst string, dport uint16, proto, service string, dur time.Duration,
	ob, rb int64, state string, steps ...*Step) *zconn {
	dur = dur.Truncate(time.Microsecond)
	uid := n.uid('C')
	op, rp := int64(1), int64(1)
	history, hdr := "Dd", int64(28)
	switch proto {
	case "tcp":
		op, rp, hdr = 3+ob/1380, 2+rb/1380, 52
		history = "ShADadFf"
		if state == "REJ" {
			op, rp, history = 1, 1, "Sr"
		}
	case "icmp":
		history = ""
		if rb == 0 {
			rp = 0
		}
	case "udp":
		if rb == 0 {
			history, rp = "D", 0
		}
	}
	vals := []any{nil, uid, src, int64(sport), dst, int64(dport), proto, nilIf(service, ""), dur, ob, rb, state,
		internalAddr(src), internalAddr(dst), int64(0), nilIf(history, ""), op, ob + op*hdr, rp, rb + rp*hdr, nil}
	r := n.add("conn", ts, vals, steps)
	return &zconn{rec: r, uid: uid, ts: r.ts, src: src, dst: dst, sport: sport, dport: dport, dur: dur}
}

func (n *netgen) connICMP(ts time.Time, src, dst string, rb int64, steps ...*Step) *zconn {
	c := n.conn(ts, src, 8, dst, 0, "icmp", "", time.Duration(0), 32, rb, "OTH", steps...)
	if rb > 0 {
		c.rec.vals[8] = time.Duration(400+n.rng.IntN(900)) * time.Microsecond
	}
	return c
}

// idVals are the uid and 5-tuple columns other logs share with conn.log.
func idVals(c *zconn) []any {
	return []any{c.uid, c.src, int64(c.sport), c.dst, int64(c.dport)}
}

func (n *netgen) ssl(c *zconn, server string, steps ...*Step) {
	vals := append([]any{nil}, idVals(c)...)
	vals = append(vals, "TLSv12", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "secp256r1", nilIf(server, ""), false, nil, "h2", true, "CsxknGIti")
	n.add("ssl", c.ts.Add(time.Duration(2+n.rng.IntN(30))*time.Millisecond), vals, steps)
}

func (n *netgen) http(c *zconn, method, host, uri, ua string, reqLen, respLen int64, mime string, steps ...*Step) string {
	fuid := n.uid('F')
	vals := append([]any{nil}, idVals(c)...)
	vals = append(vals, int64(1), method, host, uri, nil, "1.1", ua, reqLen, respLen, int64(200), "OK", []string{},
		[]string{fuid}, []string{mime})
	n.add("http", c.ts.Add(time.Duration(1+n.rng.IntN(20))*time.Millisecond), vals, steps)
	return fuid
}

// file writes a files.log record of a file seen in a connection; fromResp
// says the responder sent it.
func (n *netgen) file(c *zconn, ts time.Time, fuid, source, mime, name string, size int64, fromResp bool, steps ...*Step) {
	vals := []any{nil, fuid}
	vals = append(vals, idVals(c)...)
	vals = append(vals, source, int64(0), []string{}, nilIf(mime, ""), nilIf(name, ""), time.Duration(0), internalAddr(c.src) == fromResp,
		!fromResp, size, size, int64(0), int64(0), false)
	n.add("files", ts, vals, steps)
}

// dnsRecord writes a dns.log record of an A query and its connection.
func (n *netgen) dnsRecord(ts time.Time, src, server, name, answer string, steps ...*Step) {
	rtt := time.Duration(300+n.rng.IntN(30000)) * time.Microsecond
	if server == resolver {
		rtt += time.Duration(5+n.rng.IntN(40)) * time.Millisecond
	}
	c := n.conn(ts, src, n.ephemeral(), server, 53, "udp", "dns", rtt, int64(17+len(name)+12), int64(33+len(name)+12), "SF", steps...)
	vals := append([]any{nil}, idVals(c)...)
	var answers []string
	var ttls []time.Duration
	rcode, rcodeName := int64(0), "NOERROR"
	if answer != "" {
		answers, ttls = []string{answer}, []time.Duration{time.Duration(60+n.rng.IntN(3540)) * time.Second}
	} else {
		rcode, rcodeName = 3, "NXDOMAIN"
	}
	vals = append(vals, "udp", int64(n.rng.IntN(65536)), rtt, name, int64(1), "C_INTERNET", int64(1), "A", rcode, rcodeName,
		false, false, true, true, int64(0), nilIfEmpty(answers), nilIfEmptyD(ttls), false)
	n.add("dns", ts, vals, steps)
}

func nilIfEmpty(s []string) any {
	if len(s) == 0 {
		return nil
	}
	return s
}

func nilIfEmptyD(s []time.Duration) any {
	if len(s) == 0 {
		return nil
	}
	return s
}

// resolve writes a lookup by a host: asked of the domain controller, which
// forwards names outside the domain to the resolver unless it has them
// cached. The domain controller asks the resolver itself.
func (n *netgen) resolve(ts time.Time, h *host, name, answer string, steps ...*Step) {
	dc := n.g.byName["DC01"]
	external := !strings.HasSuffix(name, "."+domainDNS)
	if h != dc {
		n.dnsRecord(ts, h.ip, dc.ip, name, answer, steps...)
	}
	if external && (h == dc || n.rng.IntN(3) > 0 || len(steps) > 0) {
		n.dnsRecord(ts.Add(time.Duration(200+n.rng.IntN(800))*time.Microsecond), dc.ip, resolver, name, answer, steps...)
	}
}

func (n *netgen) kerberos(k krbFact) {
	dc := n.g.byName["DC01"]
	rb := int64(1350 + n.rng.IntN(400))
	if k.failed {
		rb = int64(180 + n.rng.IntN(40))
	}
	sport := k.sport
	if sport == 0 {
		sport = n.ephemeral()
	}
	n.conn(k.t.Add(-time.Duration(2+n.rng.IntN(6))*time.Millisecond), k.src, sport, dc.ip, 88, "tcp", "krb_tcp",
		time.Duration(3+n.rng.IntN(20))*time.Millisecond, int64(1400+n.rng.IntN(500)), rb, "SF")
}

func (n *netgen) dnsFact(d *dnsFact) {
	var steps []*Step
	if d.behaviour == "D24" {
		steps = append(steps, n.lookupStep())
	}
	n.resolve(d.t, d.src, d.name, d.answer, steps...)
}

func (n *netgen) lookupStep() *Step {
	return n.step("iplookup", "WEB01", "N7", "T1016", "discovery", "The web server asks ip-api.com for its public address: the DNS query and the HTTP request on the wire")
}

// connFact writes the connection a Sysmon event 3 logged.
func (n *netgen) connFact(c *connFact) {
	switch c.behaviour {
	case "D24":
		s := n.lookupStep()
		z := n.conn(c.t, c.src.ip, c.sport, c.dst, c.dport, "tcp", "http", time.Duration(80+n.rng.IntN(120))*time.Millisecond, 79, 612, "SF", s)
		fuid := n.http(z, "GET", c.name, "/", "curl/8.4.0", 0, 341, "application/json", s)
		n.file(z, z.ts.Add(90*time.Millisecond), fuid, "HTTP", "application/json", "", 341, true, s)
	case "D42":
		s := n.step("download", c.src.name, "", "T1105", "command-and-control", "certutil fetches the renamed FRP client over plain HTTP on port 8443 from the actor's relay")
		size := int64(3_400_000 + n.rng.IntN(300_000))
		z := n.conn(c.t, c.src.ip, c.sport, c.dst, c.dport, "tcp", "http", time.Duration(1800+n.rng.IntN(1500))*time.Millisecond,
			int64(180+n.rng.IntN(40)), size+int64(300+n.rng.IntN(50)), "SF", s)
		fuid := n.http(z, "GET", c.dst+":8443", "/"+n.g.toolName, "CertUtil URL Agent", 0, size, "application/x-dosexec", s)
		n.file(z, z.ts.Add(z.dur), fuid, "HTTP", "application/x-dosexec", "", size, true, s)
	case "D46":
		s := n.step("beacon", c.src.name, "N3", "T1090", "command-and-control",
			"The FRP client's sessions to the actor's relay on port 8443, every 25 to 40 minutes, from the monitoring server")
		n.conn(c.t, c.src.ip, c.sport, c.dst, c.dport, "tcp", "", time.Duration(240+n.rng.IntN(360))*time.Second,
			int64(2000+n.rng.IntN(600)), int64(1500+n.rng.IntN(400)), "SF", s)
	case "":
		switch c.dport {
		case 443:
			z := n.conn(c.t, c.src.ip, c.sport, c.dst, c.dport, "tcp", "ssl", time.Duration(200+n.rng.IntN(20000))*time.Millisecond,
				int64(900+n.rng.IntN(4000)), int64(4000+n.rng.IntN(200000)), "SF")
			name := c.name
			if name == "-" {
				name = ""
			}
			n.ssl(z, name)
		case 5985:
			z := n.conn(c.t, c.src.ip, c.sport, c.dst, c.dport, "tcp", "http", time.Duration(700+n.rng.IntN(400))*time.Millisecond,
				int64(2800+n.rng.IntN(900)), int64(5200+n.rng.IntN(2500)), "SF")
			n.http(z, "POST", strings.ToLower(c.name)+":5985", "/wsman", "Microsoft WinRM Client", 2800, 5200, "text/xml")
		default:
			n.conn(c.t, c.src.ip, c.sport, c.dst, c.dport, "tcp", "", time.Duration(100+n.rng.IntN(2000))*time.Millisecond,
				int64(200+n.rng.IntN(2000)), int64(200+n.rng.IntN(2000)), "SF")
		}
	}
}

// session writes the connections a logon from another host rode on.
func (n *netgen) session(s *session) {
	end := s.end
	if end.IsZero() || end.Before(s.start) {
		end = s.start.Add(time.Duration(1+n.rng.IntN(20)) * time.Minute)
	}
	sport := s.sport
	if sport == 0 {
		sport = n.ephemeral()
	}
	var steps []*Step
	switch s.tag {
	case "D18":
		steps = append(steps, n.step("spray", "DC01", "", "T1110.003", "credential-access",
			"Password spray: refused NTLM logons over SMB from the web server to the domain controller"))
	case "D28":
		steps = append(steps, n.step("rdp", s.dstHost.name, "", "T1021.001", "lateral-movement",
			"Remote desktop from the web server to the monitoring server"))
	case "relay":
		steps = append(steps, n.step("relay", s.via.name, "N2", "T1090.001", "command-and-control",
			fmt.Sprintf("%s relays remote desktop from the web server to the domain controller through its port proxy on %d", s.via.name, s.viaPort)),
			n.step("rdp-dc", s.dstHost.name, "N8", "T1021.001", "lateral-movement",
				"Remote desktop to the domain controller from the monitoring server, which never used it before"))
	case "loopback":
		steps = append(steps, n.step("loopback", s.dstHost.name, "", "T1090.001", "command-and-control",
			fmt.Sprintf("Remote desktop to the port proxy on %s:%d, which passes it to the host's own remote desktop", s.dstHost.name, s.port)))
	case "tool":
		steps = append(steps, n.step("tool", "DC01", "", "T1570", "lateral-movement", "7-Zip copied over SMB from the web server's C$ share to the domain controller"))
	case "D31":
		steps = append(steps, n.step("exfil", "DC01", "N5", "T1048", "exfiltration",
			"The archive of ntds.dit and the hives copied over SMB off the domain controller's C$ share to the monitoring server"))
	case "wmi":
		steps = append(steps, n.step("wmi", s.dstHost.name, "", "T1047", "execution", "WMI (DCOM over RPC) from the monitoring server to a workstation"))
	case "listing":
		steps = append(steps, n.step("listing", s.dstHost.name, "", "T1135", "discovery", "The file server's shares listed over SMB from the workstation"))
	case "wmiexec":
		steps = append(steps, n.step("wmiexec", s.dstHost.name, "", "T1047", "execution",
			"Impacket wmiexec from the web server to the file server: DCOM over RPC, output read back over SMB"))
	}
	switch s.svc {
	case svcNone:
	case svcSMB:
		n.smb(s, sport, end, steps)
	case svcRDP:
		n.rdp(s, sport, end, steps)
	case svcHTTPS:
		z := n.conn(s.start.Add(-time.Duration(300+n.rng.IntN(400))*time.Millisecond), s.src, sport, s.dst, 443, "tcp", "ssl",
			end.Sub(s.start), int64(3000+n.rng.IntN(30000)), int64(40000+n.rng.IntN(900000)), "SF", steps...)
		n.ssl(z, "intranet."+domainDNS, steps...)
	case svcRPC, svcWMIExec:
		t := s.start.Add(-time.Duration(100+n.rng.IntN(200)) * time.Millisecond)
		n.conn(t, s.src, sport, s.dst, 135, "tcp", "dce_rpc", time.Duration(20+n.rng.IntN(40))*time.Millisecond,
			int64(1100+n.rng.IntN(300)), int64(700+n.rng.IntN(200)), "SF", steps...)
		n.conn(t.Add(60*time.Millisecond), s.src, n.ephemeral(), s.dst, uint16(49664+n.rng.IntN(20)), "tcp", "dce_rpc", end.Sub(t),
			int64(4000+n.rng.IntN(8000)), int64(3000+n.rng.IntN(6000)), "SF", steps...)
		if s.svc == svcWMIExec {
			c := *s
			c.files = nil
			n.smb(&c, n.ephemeral(), end, steps)
		}
	}
}

// smb writes an SMB session and the files it opened.
func (n *netgen) smb(s *session, sport uint16, end time.Time, steps []*Step) {
	start := s.start.Add(-time.Duration(5+n.rng.IntN(40)) * time.Millisecond)
	ob, rb := int64(1500+n.rng.IntN(4500)), int64(2000+n.rng.IntN(18000))
	service := "gssapi,krb,smb"
	if s.failed {
		ob, rb, service = int64(1100+n.rng.IntN(200)), int64(600+n.rng.IntN(100)), "gssapi,ntlm,smb"
	}
	sizes := make([]int64, len(s.files))
	for i, f := range s.files {
		sizes[i] = f.size
		if sizes[i] == 0 {
			sizes[i] = fileSize(f.name, n)
		}
		if f.write {
			ob += sizes[i]
		} else {
			rb += sizes[i]
		}
	}
	z := n.conn(start, s.src, sport, s.dst, 445, "tcp", service, end.Sub(start), ob, rb, "SF", steps...)
	for i, f := range s.files {
		fuid := n.uid('F')
		vals := append([]any{nil}, idVals(z)...)
		action := "SMB::FILE_OPEN"
		vals = append(vals, fuid, action, f.share, f.name, sizes[i], nil, f.t.Add(-72*time.Hour).Truncate(time.Second), nil, nil, nil)
		n.add("smb_files", f.t, vals, steps)
		if sizes[i] < 64 {
			continue
		}
		verb := "SMB::FILE_READ"
		if f.write {
			verb = "SMB::FILE_WRITE"
		}
		vals = append([]any{nil}, idVals(z)...)
		vals = append(vals, fuid, verb, f.share, f.name, sizes[i], nil, f.t.Add(-72*time.Hour).Truncate(time.Second), nil, nil, nil)
		n.add("smb_files", f.t.Add(30*time.Millisecond), vals, steps)
		base := f.name[strings.LastIndex(f.name, `\`)+1:]
		n.file(z, f.t.Add(40*time.Millisecond), fuid, "SMB", mimeOf(base), base, sizes[i], !f.write, steps...)
	}
}

// fileSize is the size of a file a share serves.
func fileSize(name string, n *netgen) int64 {
	switch {
	case strings.HasSuffix(name, ".7z.001"):
		return 40 << 20 // 7za -v40m
	case strings.Contains(name, ".7z."):
		return int64(8<<20 + n.rng.IntN(20<<20))
	case strings.HasSuffix(name, "gpt.ini"):
		return 22
	}
	return int64(1000 + n.rng.IntN(100000))
}

func mimeOf(name string) string {
	switch {
	case strings.Contains(name, ".7z"):
		return "application/x-7z-compressed"
	case strings.HasSuffix(strings.ToLower(name), ".exe"):
		return "application/x-dosexec"
	}
	return ""
}

// rdp writes a remote desktop session: through a port proxy, the leg that
// reached the proxy and, within milliseconds, the leg the proxy opened,
// carrying the same bytes.
func (n *netgen) rdp(s *session, sport uint16, end time.Time, steps []*Step) {
	// The connection precedes the logon: TLS and network level
	// authentication come first.
	start := s.start.Add(-time.Duration(900+n.rng.IntN(1500)) * time.Millisecond)
	dur := end.Sub(start) + time.Duration(200+n.rng.IntN(600))*time.Millisecond
	secs := dur.Seconds()
	ob := int64(secs*float64(150+n.rng.IntN(350))) + 20000
	rb := int64(secs*float64(1500+n.rng.IntN(4000))) + 60000
	port := uint16(3389)
	if s.port != 0 {
		port = s.port
	}
	if s.via != nil {
		in := start.Add(-time.Duration(8+n.rng.IntN(40)) * time.Millisecond)
		n.conn(in, s.viaSrc, n.ephemeral(), s.via.ip, s.viaPort, "tcp", "rdp", dur+start.Sub(in)+time.Duration(n.rng.IntN(30))*time.Millisecond,
			ob, rb, "SF", steps...)
	}
	n.conn(start, s.src, sport, s.dst, port, "tcp", "rdp", dur, ob, rb, "SF", steps...)
}

// desk writes a user's browsing through a working day: names resolved,
// then TLS to the sites, and the internal names of the network.
func (n *netgen) desk(d desk) {
	dc := n.g.byName["DC01"]
	for _, name := range []string{"dc01", "fs01", "intranet"} {
		ip := dc.ip
		switch name {
		case "fs01":
			ip = n.g.byName["FS01"].ip
		case "intranet":
			ip = n.g.byName["WEB01"].ip
		}
		n.resolve(d.start.Add(time.Duration(2000+n.rng.IntN(9000))*time.Millisecond), d.h, name+"."+domainDNS, ip)
	}
	n.conn(d.start.Add(time.Duration(1+n.rng.IntN(3))*time.Second), d.h.ip, n.ephemeral(), dc.ip, 389, "tcp", "ldap",
		time.Duration(20+n.rng.IntN(200))*time.Millisecond, int64(1800+n.rng.IntN(1500)), int64(2500+n.rng.IntN(4000)), "SF")
	span := d.end.Sub(d.start)
	visits := 20 + n.rng.IntN(30)
	times := make([]time.Time, visits)
	for i := range times {
		times[i] = d.start.Add(time.Duration(n.rng.Int64N(int64(span))))
	}
	sort.Slice(times, func(i, j int) bool { return times[i].Before(times[j]) })
	for _, t := range times {
		site := pick2(n, sites)
		n.resolve(t, d.h, site.name, site.ip)
		z := n.conn(t.Add(time.Duration(20+n.rng.IntN(60))*time.Millisecond), d.h.ip, n.ephemeral(), site.ip, 443, "tcp", "ssl",
			time.Duration(200+n.rng.IntN(90000))*time.Millisecond, int64(1000+n.rng.IntN(20000)), int64(5000+n.rng.IntN(800000)), "SF")
		n.ssl(z, site.name)
	}
}
