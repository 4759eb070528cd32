package analytics

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// Remote execution methods, as findings name them.
const (
	methodWMI    = "WMI"
	methodWinRM  = "WinRM"
	methodPsExec = "PsExec"
)

// serviceJoin is how long before a PsExec service install (7045, which
// names no logon session) the network logon that made it may start.
const serviceJoin = 2 * time.Minute

// remoteState finds the edges of remote execution: processes started by
// WMI (WmiPrvSE.exe) or WinRM (wsmprovhost.exe) and PsExec services, each
// traced through its logon session to the network logon (4624) that
// brought the account, and so to the source. Sessions are kept by host
// and logon id until the end, since an execution may be read before the
// logon that explains it; executions are rare and kept whole.
type remoteState struct {
	cfg             *Config
	sessions        map[sessKey]*session
	cands           []remoteCand
	droppedSessions int
	droppedCands    int
}

type sessKey struct {
	host string // short, lower case
	id   uint64
}

// session is one logon of a person's account.
type session struct {
	src, user string
	network   bool // logon type 3
	ev        finding.Evidence
}

// remoteCand is one remote execution seen on its destination.
type remoteCand struct {
	host    string // as the event writes it
	hkey    string // short, lower case
	logonID uint64 // 0: the event names none
	method  string
	user    string // from the execution event
	what    string // the process or service
	ev      finding.Evidence
}

func (s *remoteState) init(cfg *Config) {
	s.cfg = cfg
	s.sessions = make(map[sessKey]*session)
}

// logon keeps a logon session of a person's account (4624).
func (s *remoteState) logon(ev *event.Event, l *logonInfo) {
	lid, src, user, typ := l.logonID, l.src, l.user, l.typ
	id, ok := parseLogonID(lid)
	if !ok {
		return
	}
	k := sessKey{shortHost(ev.Computer), id}
	e := finding.EvidenceOf(ev)
	e.Fields = nil
	if have := s.sessions[k]; have != nil {
		if evidenceLess(&e, &have.ev) {
			have.ev = e
		}
		return
	}
	if len(s.sessions) >= s.cfg.Caps.Sessions {
		s.droppedSessions++
		return
	}
	k.host = strings.Clone(k.host)
	s.sessions[k] = &session{src: strings.Clone(src), user: strings.Clone(user), network: typ == "3", ev: e}
}

// parseLogonID reads a logon id ("0x3e7"); the sessions of the system's
// own accounts (SYSTEM, LOCAL and NETWORK SERVICE) are not ones a remote
// caller brings.
func parseLogonID(v string) (uint64, bool) {
	v = strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X")
	id, err := strconv.ParseUint(v, 16, 64)
	if err != nil || id == 0 || id == 0x3e7 || id == 0x3e4 || id == 0x3e5 {
		return 0, false
	}
	return id, true
}

// base returns the file name of a Windows path.
func base(p string) string {
	if i := strings.LastIndexAny(p, `\/`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// process notes a process started by WMI or WinRM (Sysmon 1, 4688).
func (s *remoteState) process(ev *event.Event, p *processInfo) {
	image, parent, lid, user := p.image, p.parent, p.logonID, p.user
	var method string
	switch {
	case strings.EqualFold(base(parent), "wmiprvse.exe"):
		method = methodWMI
	case strings.EqualFold(base(image), "wsmprovhost.exe"), strings.EqualFold(base(parent), "wsmprovhost.exe"):
		method = methodWinRM
	default:
		return
	}
	id, ok := parseLogonID(lid)
	if !ok {
		return // a system session: WMI or WinRM used by the host itself
	}
	s.add(ev, method, id, user, image)
}

// service notes a PsExec service installed (7045, 4697).
func (s *remoteState) service(ev *event.Event) {
	var name, image, slid string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "ServiceName":
			name = f.Value
		case "ImagePath", "ServiceFileName":
			image = f.Value
		case "SubjectLogonId":
			slid = f.Value
		}
	}
	if !strings.EqualFold(name, "PSEXESVC") && !strings.EqualFold(base(strings.Trim(image, `" `)), "psexesvc.exe") {
		return
	}
	id, _ := parseLogonID(slid)
	s.add(ev, methodPsExec, id, subjectOf(ev.Fields), name+" ("+image+")")
}

func (s *remoteState) add(ev *event.Event, method string, id uint64, user, what string) {
	if len(s.cands) >= s.cfg.Caps.Items {
		s.droppedCands++
		return
	}
	s.cands = append(s.cands, remoteCand{host: strings.Clone(ev.Computer), hkey: shortHost(ev.Computer), logonID: id,
		method: method, user: strings.Clone(user), what: strings.Clone(what),
		ev: someEvidence(ev, "Image", "NewProcessName", "CommandLine", "ParentImage", "ParentProcessName", "User", "LogonId",
			"TargetLogonId", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "ServiceName", "ImagePath", "ServiceFileName")})
}

func (s *remoteState) merge(o *remoteState) {
	s.droppedSessions += o.droppedSessions
	s.droppedCands += o.droppedCands
	for k, ov := range o.sessions {
		if have := s.sessions[k]; have != nil {
			if evidenceLess(&ov.ev, &have.ev) {
				have.ev = ov.ev
			}
			continue
		}
		if len(s.sessions) >= s.cfg.Caps.Sessions {
			s.droppedSessions++
			continue
		}
		s.sessions[k] = ov
	}
	for _, c := range o.cands {
		if len(s.cands) >= s.cfg.Caps.Items {
			s.droppedCands++
			continue
		}
		s.cands = append(s.cands, c)
	}
}

// resolve traces each remote execution to its source and hands the edges
// to the first-seen analytics. WMI without a network logon to explain it
// is left out: wmic run by a person at the console starts processes the
// same way.
func (s *remoteState) resolve(seen *seenState) {
	if len(s.cands) == 0 {
		return
	}
	sort.Slice(s.cands, func(i, j int) bool { return evidenceLess(&s.cands[i].ev, &s.cands[j].ev) })
	var byHost map[string][]*session // network sessions by host, by time
	for i := range s.cands {
		c := &s.cands[i]
		var src, user string
		var logon *finding.Evidence
		exact := false
		if sess := s.sessions[sessKey{c.hkey, c.logonID}]; c.logonID != 0 && sess != nil {
			if !sess.network {
				continue // a local session
			}
			src, user, logon, exact = sess.src, sess.user, &sess.ev, true
		} else {
			// The logon that explains it is not in the input (or the
			// event names no session): take the network logon that
			// came just before, of the same account for WMI and WinRM,
			// whose events name it; 7045 names none.
			if byHost == nil {
				byHost = s.networkSessions()
			}
			same := c.user
			if c.method == methodPsExec {
				same = ""
			}
			if sess := latestBefore(byHost[c.hkey], c.ev.Time, same); sess != nil {
				src, user, logon = sess.src, sess.user, &sess.ev
			} else if c.method == methodWMI {
				continue
			} else {
				user = c.user
			}
		}
		ev := []finding.Evidence{c.ev}
		if logon != nil {
			ev = append(ev, *logon)
			sortEvidence(ev)
		}
		v := &seenVal{host: c.host, user: user, what: src, method: c.method, detail: c.what, ev: c.ev, more: ev, exact: exact}
		seen.buf = seenKey(seen.buf[:0], seenRemote, shortHost(orUnknown(src)), user, c.hkey, c.method)
		seen.put(v)
	}
}

// networkSessions lists the network logons of each host, by time.
func (s *remoteState) networkSessions() map[string][]*session {
	out := make(map[string][]*session)
	for k, v := range s.sessions {
		if v.network && v.src != "" {
			out[k.host] = append(out[k.host], v)
		}
	}
	for _, l := range out {
		slices.SortFunc(l, func(a, b *session) int {
			switch {
			case evidenceLess(&a.ev, &b.ev):
				return -1
			case evidenceLess(&b.ev, &a.ev):
				return 1
			}
			return 0
		})
	}
	return out
}

// latestBefore returns the last session, of account user unless user is
// empty, that started at most serviceJoin before t.
func latestBefore(l []*session, t time.Time, user string) *session {
	i := sort.Search(len(l), func(i int) bool { return l[i].ev.Time.After(t) })
	for i--; i >= 0; i-- {
		s := l[i]
		if s.ev.Time.Before(t.Add(-serviceJoin)) {
			return nil
		}
		if user == "" || strings.EqualFold(s.user, user) {
			return s
		}
	}
	return nil
}

func orUnknown(src string) string {
	if src == "" {
		return "?"
	}
	return src
}
