package analytics

import (
	"sort"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// Kinds of first-seen entries; the byte starts each entry's key.
const (
	seenTool    = 't' // (host, account, template)
	seenLogon   = 'l' // (source, account, destination host)
	seenService = 's' // (host, service name, image)
	seenTask    = 'k' // (host, task name)
	seenRemote  = 'x' // (source, account, destination host, method)
	seenForm    = 'f' // (host, template): baseline index only
)

// seenState keeps, for each entity first-seen analytics follow, its
// earliest sighting.
type seenState struct {
	cfg     *Config
	m       map[string]*seenVal // by seenKey
	dropped int
	buf     []byte
}

// seenVal is the earliest sighting of an entity.
type seenVal struct {
	host string // as the event writes it
	user string
	what string // what is new, for people: a template, a source, a service
	rdp  bool   // a logon of type 10 (remote interactive)
	ev   finding.Evidence
	// remote execution: the method, what ran, and all the evidence (the
	// execution and the logon that brought it)
	method, detail string
	more           []finding.Evidence
	exact          bool // traced by logon id, not by time
}

// seenKey builds the key of an entity in dst: its kind, then its parts,
// lower case, separated by NUL bytes.
func seenKey(dst []byte, kind byte, parts ...string) []byte {
	dst = append(dst, kind)
	for _, p := range parts {
		dst = append(dst, 0)
		dst = appendLower(dst, p)
	}
	return dst
}

func (s *seenState) init(cfg *Config) {
	s.cfg = cfg
	s.m = make(map[string]*seenVal)
}

// see records a sighting of the entity whose key is in s.buf. build builds
// the value for a new entity or an earlier sighting; it runs rarely.
func (s *seenState) see(ev *event.Event, build func() *seenVal) {
	v := s.m[string(s.buf)]
	if v == nil {
		if len(s.m) >= s.cfg.Caps.Edges {
			s.dropped++
			return
		}
		s.m[string(s.buf)] = build()
		return
	}
	e := finding.EvidenceOf(ev)
	if evidenceLess(&e, &v.ev) {
		*v = *build()
	}
}

// put records the entity whose key is in s.buf with its value, keeping the
// earliest.
func (s *seenState) put(v *seenVal) {
	have := s.m[string(s.buf)]
	if have == nil {
		if len(s.m) >= s.cfg.Caps.Edges {
			s.dropped++
			return
		}
		s.m[string(s.buf)] = v
		return
	}
	if evidenceLess(&v.ev, &have.ev) {
		*have = *v
	}
}

// tool records a run of a tool's form by an account on a host.
func (s *seenState) tool(ev *event.Event, hkey, user, tmpl string) {
	s.buf = seenKey(s.buf[:0], seenTool, hkey, user, tmpl)
	s.see(ev, func() *seenVal {
		return &seenVal{host: strings.Clone(ev.Computer), user: strings.Clone(user), what: tmpl, ev: procEvidence(ev)}
	})
}

// logon records a network or remote interactive logon (4624 types 3, 10)
// of a person's account.
func (s *seenState) logon(ev *event.Event, l *logonInfo) {
	if l.typ != "3" && l.typ != "10" {
		return
	}
	src, user, typ := l.src, l.user, l.typ
	if src == "" {
		return
	}
	s.buf = seenKey(s.buf[:0], seenLogon, shortHost(src), user, shortHost(ev.Computer))
	s.see(ev, func() *seenVal {
		return &seenVal{host: strings.Clone(ev.Computer), user: strings.Clone(user), what: strings.Clone(src), rdp: typ == "10",
			ev: someEvidence(ev, "TargetUserName", "TargetDomainName", "LogonType", "IpAddress", "IpPort", "WorkstationName",
				"AuthenticationPackageName", "LogonProcessName", "TargetLogonId")}
	})
}

// serviceAccount reports whether a logon account is one of Windows' own.
func serviceAccount(name string) bool {
	switch strings.ToUpper(name) {
	case "ANONYMOUS LOGON", "SYSTEM", "LOCAL SERVICE", "NETWORK SERVICE":
		return true
	}
	u := strings.ToUpper(name)
	return strings.HasPrefix(u, "DWM-") || strings.HasPrefix(u, "UMFD-")
}

// service records a service installation (System 7045, Security 4697).
func (s *seenState) service(ev *event.Event) {
	var name, image, acct string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "ServiceName":
			name = f.Value
		case "ImagePath", "ServiceFileName":
			image = f.Value
		case "AccountName", "ServiceAccount":
			acct = f.Value
		}
	}
	if emptyValue(name) {
		return
	}
	img := imageForm(image)
	s.buf = seenKey(s.buf[:0], seenService, shortHost(ev.Computer), name, img)
	s.see(ev, func() *seenVal {
		return &seenVal{host: strings.Clone(ev.Computer), user: strings.Clone(acct), what: strings.Clone(name) + " (" + strings.Clone(image) + ")",
			ev: someEvidence(ev, "ServiceName", "ImagePath", "ServiceFileName", "ServiceType", "StartType", "AccountName", "ServiceAccount",
				"SubjectUserName", "SubjectDomainName")}
	})
}

// imageForm abstracts the numbers of a service's image path, which
// change with every update of the software.
func imageForm(p string) string {
	return string(appendLowerDigits(nil, strings.TrimSpace(p)))
}

// task records a scheduled task's creation (4698).
func (s *seenState) task(ev *event.Event) {
	var name, subj, dom string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "TaskName":
			name = f.Value
		case "SubjectUserName":
			subj = f.Value
		case "SubjectDomainName":
			dom = f.Value
		}
	}
	if emptyValue(name) {
		return
	}
	user := subj
	if !emptyValue(dom) && subj != "" {
		user = dom + `\` + subj
	}
	s.buf = seenKey(s.buf[:0], seenTask, shortHost(ev.Computer), name)
	s.see(ev, func() *seenVal {
		return &seenVal{host: strings.Clone(ev.Computer), user: strings.Clone(user), what: strings.Clone(name),
			ev: someEvidence(ev, "TaskName", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "TaskContent")}
	})
}

func (s *seenState) merge(o *seenState) {
	s.dropped += o.dropped
	for k, ov := range o.m {
		v := s.m[k]
		if v == nil {
			if len(s.m) >= s.cfg.Caps.Edges {
				s.dropped++
				continue
			}
			s.m[k] = ov
			continue
		}
		if evidenceLess(&ov.ev, &v.ev) {
			*v = *ov
		}
	}
}

// span returns the time range of the input: the earliest and latest event
// of any channel.
func span(st *state) (from, to time.Time) {
	var lo, hi int64
	for _, cs := range st.tamper.channels {
		if cs.first == 0 && cs.last == 0 {
			continue
		}
		if lo == 0 || cs.first < lo {
			lo = cs.first
		}
		if cs.last > hi {
			hi = cs.last
		}
	}
	if lo == 0 {
		return time.Time{}, time.Time{}
	}
	return time.Unix(0, lo).UTC(), time.Unix(0, hi).UTC()
}

// hostSpans returns each host's time range (by short name), in Unix
// nanoseconds.
func hostSpans(st *state) map[string][2]int64 {
	out := make(map[string][2]int64)
	for k, cs := range st.tamper.channels {
		if cs.first == 0 && cs.last == 0 {
			continue
		}
		h := shortHost(k.host)
		sp, ok := out[h]
		if !ok {
			sp = [2]int64{cs.first, cs.last}
		}
		sp[0], sp[1] = min(sp[0], cs.first), max(sp[1], cs.last)
		out[h] = sp
	}
	return out
}

// finish reports what is new: against the baseline when there is one,
// otherwise against each host's first days in the input.
func (s *seenState) finish(r *reporter, st *state) {
	on := r.d.on
	if !on.seenTool && !on.seenLogon && !on.seenService && !on.seenTask && !on.seenRemote {
		return
	}
	base := r.d.base
	ref := s.cfg.FirstSeen.Reference
	var spans map[string][2]int64
	if base != nil {
		r.note("analytics: first-seen judged against the baseline %s (learned from %s to %s)",
			base.Source, fmtTime(base.From), fmtTime(base.To))
	} else {
		spans = hostSpans(st)
		short := 0
		for _, sp := range spans {
			if sp[1]-sp[0] <= int64(ref) {
				short++
			}
		}
		switch {
		case len(spans) == 0:
			return
		case short == len(spans):
			r.note("analytics: first-seen not judged: no host's logs span more than the reference period of %s; "+
				"build a baseline from trusted logs (breakwater baseline build) and hunt with --baseline", fmtSpan(ref))
			return
		case short > 0:
			r.note("analytics: first-seen judged without a baseline: each host's first %s in the input served as its reference; "+
				"%s with less than that were not judged (give --baseline)", fmtSpan(ref), plural(short, "host"))
		default:
			r.note("analytics: first-seen judged without a baseline: each host's first %s in the input served as its reference",
				fmtSpan(ref))
		}
	}
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := s.m[k]
		parts := strings.Split(k, "\x00")
		var refEnd time.Time
		if base != nil {
			if base.has(k) {
				continue
			}
		} else {
			host := parts[1]
			if k[0] == seenLogon || k[0] == seenRemote {
				host = parts[3]
			}
			sp, ok := spans[host]
			if !ok || sp[1]-sp[0] <= int64(ref) {
				continue
			}
			refEnd = time.Unix(0, sp[0]).UTC().Add(ref)
			if v.ev.Time.Before(refEnd) {
				continue
			}
		}
		var f *finding.Finding
		switch k[0] {
		case seenTool:
			if !on.seenTool {
				continue
			}
			f = r.finding(FirstSeenTool, k)
			f.Summary = "first use of " + toolOf(v.what) + " by " + orDash(v.user) + " on " + v.host + ": " + v.what
			f.Explain.Text = "the form " + v.what + " was not run by " + orDash(v.user) + " on " + v.host + " in the reference"
			f.Explain.Values = []event.Field{field("template", v.what), field("account", v.user)}
		case seenLogon:
			if !on.seenLogon {
				continue
			}
			f = r.finding(FirstSeenLogon, k)
			how := "network logon"
			if v.rdp {
				how = "RDP logon"
				f.Level = finding.Medium
			}
			f.Summary = "new logon path: " + v.user + " from " + v.what + " to " + v.host + " (" + how + ")"
			f.Explain.Text = "no logon of " + v.user + " from " + parts[1] + " to " + parts[3] + " in the reference"
			f.Explain.Values = []event.Field{field("source", v.what), field("account", v.user), field("destination", v.host),
				field("logon", how)}
		case seenRemote:
			if !on.seenRemote {
				continue
			}
			f = r.finding(FirstSeenRemote, k)
			src := v.what
			if src == "" {
				src = "an unknown source"
				f.Level = finding.Low
			}
			f.Summary = "new remote execution: " + src + " → " + v.host + " by " + orDash(v.user) + " via " + v.method
			f.Explain.Text = "no " + v.method + " execution by " + orDash(v.user) + " from " + parts[1] + " to " + parts[3] +
				" in the reference; " + remoteHow(v)
			f.Explain.Values = []event.Field{field("source", orDash(v.what)), field("destination", v.host),
				field("account", v.user), field("method", v.method), field("executed", v.detail)}
		case seenService:
			if !on.seenService {
				continue
			}
			f = r.finding(FirstSeenService, k)
			if base == nil {
				// Hosts install drivers and updates all their lives: a
				// service new within the hunt is a weaker sign than one
				// new against a baseline the user vouched for.
				f.Level = finding.Low
			}
			f.Summary = "new service on " + v.host + ": " + v.what
			f.Explain.Text = "the service " + v.what + " was not installed on " + v.host + " in the reference"
			f.Explain.Values = []event.Field{field("service", v.what), field("account", v.user)}
		case seenTask:
			if !on.seenTask {
				continue
			}
			f = r.finding(FirstSeenTask, k)
			f.Summary = "new scheduled task on " + v.host + ": " + v.what
			f.Explain.Text = "the task " + v.what + " was not created on " + v.host + " in the reference"
			f.Explain.Values = []event.Field{field("task", v.what), field("by", v.user)}
		default:
			continue
		}
		if base != nil {
			f.Explain.Text += " (the baseline " + base.Source + ")"
		} else {
			f.Explain.Text += " (the input until " + fmtTime(refEnd) + ")"
		}
		f.Time, f.Host, f.User = v.ev.Time, v.host, v.user
		f.Evidence = []finding.Evidence{v.ev}
		if len(v.more) > 0 {
			f.Evidence = v.more
		}
		r.emit(f)
	}
}

// baseline turns what was seen into a baseline.
func (s *seenState) baseline(st *state) *Baseline {
	b := &Baseline{}
	b.From, b.To = span(st)
	keys := make([]string, 0, len(s.m))
	for k := range s.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts := strings.Split(k[min(2, len(k)):], "\x00")
		switch k[0] {
		case seenTool:
			if len(parts) == 3 {
				b.Tools = append(b.Tools, [3]string{parts[0], parts[1], parts[2]})
			}
		case seenLogon:
			if len(parts) == 3 {
				b.Logons = append(b.Logons, [3]string{parts[0], parts[1], parts[2]})
			}
		case seenService:
			if len(parts) == 3 {
				b.Services = append(b.Services, [3]string{parts[0], parts[1], parts[2]})
			}
		case seenTask:
			if len(parts) == 2 {
				b.Tasks = append(b.Tasks, [2]string{parts[0], parts[1]})
			}
		case seenRemote:
			if len(parts) == 4 {
				b.Remote = append(b.Remote, [4]string{parts[0], parts[1], parts[2], parts[3]})
			}
		}
	}
	if s.dropped > 0 {
		b.Truncated = s.dropped
	}
	b.index()
	return b
}

// remoteHow says how a remote execution was recognised and traced.
func remoteHow(v *seenVal) string {
	var how string
	switch v.method {
	case methodWMI:
		how = "WmiPrvSE.exe started " + v.detail
	case methodWinRM:
		how = "WinRM's plugin host (wsmprovhost.exe) ran " + v.detail
	default:
		how = "the PsExec service " + v.detail + " was installed"
	}
	switch {
	case v.what == "":
		return how + "; no network logon in the input tells where it came from"
	case !v.exact:
		return how + " just after a network logon (4624 type 3) of " + orDash(v.user) + " from " + v.what +
			" (joined by time: the events name no common logon id)"
	}
	return how + " in the logon session a network logon (4624 type 3) from " + v.what + " opened"
}
