package simulate

import (
	"time"
)

// While the host logs are generated, what each event implies on the wire
// is noted as a fact: a connection a process made (Sysmon 3), a name it
// resolved (Sysmon 22), a session a logon stands for (4624 to 4634), a
// command sent to the web shell. Noting a fact draws nothing from the
// host generator's random source, so the host logs stay what they were;
// the network half (zeeklog.go) turns the facts into Zeek records with a
// random source of its own, at the times and addresses the host logs show.

// netFacts is everything the host logs imply about the network.
type netFacts struct {
	conns    []*connFact
	dns      []*dnsFact
	sessions []*session
	open     map[uint64]*session // sessions by logon id, until their logoff
	desks    []desk
	ntp      []ntpFact
	shells   []time.Time // web shell commands
	sweep    []pingFact
	krb      []krbFact
}

// connFact is an outbound TCP connection logged by Sysmon (event 3).
type connFact struct {
	t          time.Time
	src        *host
	sport      uint16
	dst        string
	dport      uint16
	name       string // the destination's host name, "-" when unknown
	image      string
	behaviour  string // of the intrusion step it is evidence of, "" for benign
	sessionEnd time.Time
}

// dnsFact is a name a process resolved (Sysmon 22).
type dnsFact struct {
	t            time.Time
	src          *host
	name, answer string
	behaviour    string
}

// Services a session can stand for.
const (
	svcSMB   = "smb"   // 445: shares, named pipes, NTLM over SMB
	svcRDP   = "rdp"   // 3389
	svcHTTPS = "https" // 443 to the intranet application
	svcRPC   = "rpc"   // 135 then a dynamic port: WMI, DCOM
	svcNone  = ""      // the connection is noted elsewhere
)

// session is a logon from another host: the connection it rode on, from
// the logon to the logoff.
type session struct {
	svc        string
	src, dst   string // addresses
	port       uint16 // the responder's port, when not the service's own
	dstHost    *host
	sport      uint16
	start, end time.Time
	user       string
	failed     bool
	files      []smbFile
	// tag names the intrusion step the session belongs to, "" for benign.
	tag string
	// via, when set, is the host whose port proxy relayed the session:
	// the session arrived there on viaPort from viaSrc.
	via     *host
	viaSrc  string
	viaPort uint16
}

// smbFile is a file a session opened on a share.
type smbFile struct {
	t          time.Time
	share      string // \\HOST\SHARE
	name       string // relative to the share
	size       int64
	write      bool
	tag        string
	fromVolume bool // a file of the staged archive, not a small one
}

// desk is a user's working day at a workstation: when they browse.
type desk struct {
	h          *host
	start, end time.Time
}

// ntpFact is a clock synchronisation with the domain controller.
type ntpFact struct {
	t time.Time
	h *host
}

// pingFact is one echo request of a ping sweep.
type pingFact struct {
	t   time.Time
	src *host
	dst string
}

func newNetFacts() *netFacts { return &netFacts{open: map[uint64]*session{}} }

// behaviourOf is the catalogue row of the first step a record is evidence
// of, "" when benign.
func behaviourOf(steps []*Step) string {
	if len(steps) == 0 {
		return ""
	}
	if steps[0].Behaviour == "" {
		return "-"
	}
	return steps[0].Behaviour
}

// remote reports whether an address logged by a logon is another host's.
func remote(ip string) bool {
	return ip != "" && ip != "-" && ip != "127.0.0.1" && ip != "::1"
}

// noteLogon notes the session a network (3) or remote desktop (10) logon
// stands for; logoff ends it.
func (g *gen) noteLogon(h *host, t time.Time, typ uint32, ip string, port string, user string, logonID uint64, steps []*Step) {
	if !remote(ip) || (typ != 3 && typ != 10) {
		return
	}
	s := &session{svc: svcSMB, src: ip, dst: h.ip, dstHost: h, sport: parsePort(port), start: t, user: user, tag: behaviourOf(steps)}
	if typ == 10 {
		s.svc = svcRDP
	}
	g.net.sessions = append(g.net.sessions, s)
	g.net.open[logonID] = s
}

// noteLogoff ends the session of a logon.
func (g *gen) noteLogoff(t time.Time, logonID uint64) {
	if s := g.net.open[logonID]; s != nil {
		s.end = t
		delete(g.net.open, logonID)
	}
}

// sessionOf returns the session of a logon still open, nil if none.
func (g *gen) sessionOf(logonID uint64) *session { return g.net.open[logonID] }

// setService says what a logon's session really was: the default for a
// network logon is SMB.
func (g *gen) setService(logonID uint64, svc, tag string) {
	if s := g.net.open[logonID]; s != nil {
		s.svc, s.tag = svc, tag
	}
}

// parsePort reads a port logged as text, 0 when there is none.
func parsePort(s string) uint16 {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
		if n > 65535 {
			return 0
		}
	}
	return uint16(n)
}

// krbFact is a Kerberos exchange with the domain controller.
type krbFact struct {
	t      time.Time
	src    string
	sport  uint16
	failed bool
}

// noteKerberos notes a ticket request the domain controller logged.
func (g *gen) noteKerberos(t time.Time, fromIP, port string, failed bool) {
	g.net.krb = append(g.net.krb, krbFact{t: t, src: fromIP, sport: parsePort(port), failed: failed})
}

// svcWMIExec is Impacket's wmiexec: DCOM over RPC, and SMB to read the
// output files it leaves on ADMIN$.
const svcWMIExec = "wmiexec"

// relayed says that a remote desktop logon came through a port proxy on
// via, listening on port, from src.
func (g *gen) relayed(logonID uint64, via, src *host, port int) {
	if s := g.sessionOf(logonID); s != nil {
		s.via, s.viaSrc, s.viaPort, s.tag = via, src.ip, uint16(port), "relay"
	}
}
