package analytics

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// logonState counts failed logons per host, source, account and minute:
// enough to find sprays and brute force at any volume, in memory bounded by
// the number of such counters rather than by the number of failures.
type logonState struct {
	cfg     *Config
	groups  map[failGroupKey]*failGroup
	keys    int // minute counters held
	dropped int // failures not counted because of the cap
	buf     []byte
}

// failGroupKey is one source of failures as seen by one host. Explicit
// credential use (4648) is kept apart from failures: its address names the
// server the credentials were used against, not a source.
type failGroupKey struct {
	host, source string
	explicit     bool
}

type failGroup struct {
	key      failGroupKey
	srcField string           // the field the source came from
	first    finding.Evidence // the earliest event, with all its fields
	accounts map[string]*failAccount
}

// failAccount is one account tried by a source.
type failAccount struct {
	name    string           // as first written
	first   finding.Evidence // the earliest attempt, with the fields analytics read
	minutes []failMinute
}

// failMinute counts the attempts of one minute, with the exact first and
// last times so that durations are not rounded to minutes.
type failMinute struct {
	m           int64 // minutes since the Unix epoch
	n           int
	first, last int64 // Unix nanoseconds
}

func (s *logonState) init(cfg *Config) {
	s.cfg = cfg
	s.groups = make(map[failGroupKey]*failGroup)
}

// failure counts one failed logon (4625, 4771, 4776 with a failure status)
// or one explicit credential use (4648).
func (s *logonState) failure(ev *event.Event) {
	if ev.Time.IsZero() {
		return // a failure without a time cannot be placed in a window
	}
	var account, ip, ws, status, subject string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "TargetUserName":
			account = f.Value
		case "IpAddress":
			ip = f.Value
		case "WorkstationName", "Workstation":
			ws = f.Value
		case "Status":
			status = f.Value
		case "SubjectUserName":
			subject = f.Value
		}
	}
	if emptyValue(account) {
		return
	}
	ip = strings.TrimPrefix(ip, "::ffff:")
	key := failGroupKey{host: ev.Computer}
	srcField := "IpAddress"
	switch ev.EventID {
	case 4776:
		if status == "0x0" || status == "" {
			return // a successful validation
		}
		key.source, srcField = ws, "Workstation"
	case 4648:
		// Machine accounts use explicit credentials for services and
		// tasks all day; a person's account trying many others does not.
		if emptyValue(ip) || isLoopback(ip) || strings.HasSuffix(subject, "$") {
			return
		}
		key.source, key.explicit = ip, true
	default:
		key.source = ip
		if emptyValue(ip) {
			key.source, srcField = ws, "WorkstationName"
		}
	}
	if emptyValue(key.source) {
		return
	}
	g := s.groups[key]
	if g == nil {
		if s.keys >= s.cfg.Caps.LogonKeys {
			s.dropped++
			return
		}
		s.keys++
		key.host, key.source = strings.Clone(key.host), strings.Clone(key.source)
		g = &failGroup{key: key, srcField: srcField, accounts: make(map[string]*failAccount, 1)}
		s.groups[key] = g
	}
	e := finding.EvidenceOf(ev)
	if g.first.File == "" || evidenceLess(&e, &g.first) {
		g.first = someEvidence(ev, failFields()...)
	}
	s.buf = appendLower(s.buf[:0], account)
	a := g.accounts[string(s.buf)]
	if a == nil {
		if s.keys >= s.cfg.Caps.LogonKeys {
			s.dropped++
			return
		}
		s.keys++
		name := strings.Clone(account)
		a = &failAccount{name: name}
		g.accounts[string(s.buf)] = a
	}
	if a.first.File == "" || evidenceLess(&e, &a.first) {
		a.first = e
		a.first.Fields = []event.Field{{Name: "TargetUserName", Value: a.name}, {Name: g.srcField, Value: g.key.source}}
	}
	t := ev.Time.UnixNano()
	m := minuteOf(t)
	for i := len(a.minutes) - 1; i >= 0; i-- {
		if mm := &a.minutes[i]; mm.m == m {
			mm.n++
			mm.first = min(mm.first, t)
			mm.last = max(mm.last, t)
			return
		}
	}
	if s.keys >= s.cfg.Caps.LogonKeys {
		s.dropped++
		return
	}
	s.keys++
	a.minutes = append(a.minutes, failMinute{m: m, n: 1, first: t, last: t})
}

// failFields are the fields the evidence of failures keeps.
func failFields() []string {
	return []string{"TargetUserName", "TargetDomainName", "IpAddress", "IpPort", "WorkstationName", "Workstation",
		"LogonType", "Status", "SubStatus", "SubjectUserName", "SubjectDomainName", "TargetServerName", "ProcessName"}
}

func minuteOf(t int64) int64 {
	m := t / int64(time.Minute)
	if t < 0 && t%int64(time.Minute) != 0 {
		m--
	}
	return m
}

// appendLower appends s in ASCII lower case: account names compare without
// case, and lowering into a reused buffer allocates nothing.
func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

func (s *logonState) merge(o *logonState) {
	s.dropped += o.dropped
	for k, og := range o.groups {
		g := s.groups[k]
		if g == nil {
			s.groups[k] = og
			s.keys++
			for _, a := range og.accounts {
				s.keys += 1 + len(a.minutes)
			}
			continue
		}
		if evidenceLess(&og.first, &g.first) {
			g.first = og.first
		}
		for name, oa := range og.accounts {
			a := g.accounts[name]
			if a == nil {
				g.accounts[name] = oa
				s.keys += 1 + len(oa.minutes)
				continue
			}
			if evidenceLess(&oa.first, &a.first) {
				a.first = oa.first
			}
			for _, om := range oa.minutes {
				found := false
				for i := range a.minutes {
					if mm := &a.minutes[i]; mm.m == om.m {
						mm.n += om.n
						mm.first = min(mm.first, om.first)
						mm.last = max(mm.last, om.last)
						found = true
						break
					}
				}
				if !found {
					a.minutes = append(a.minutes, om)
					s.keys++
				}
			}
		}
	}
}

// failEntry is one minute of one account in a group, for the time-ordered
// pass of finish.
type failEntry struct {
	failMinute
	acct *failAccount
}

// finish finds sprays and brute force in every group.
func (s *logonState) finish(r *reporter) {
	on := r.d.on
	if !on.spray && !on.brute {
		return
	}
	keys := make([]failGroupKey, 0, len(s.groups))
	for k := range s.groups {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.host != b.host {
			return a.host < b.host
		}
		if a.source != b.source {
			return a.source < b.source
		}
		return !a.explicit && b.explicit
	})
	gap := int64(max(s.cfg.Spray.Window, s.cfg.Brute.Window))
	for _, k := range keys {
		g := s.groups[k]
		var entries []failEntry
		for _, a := range g.accounts {
			for _, m := range a.minutes {
				entries = append(entries, failEntry{m, a})
			}
		}
		sort.Slice(entries, func(i, j int) bool {
			a, b := &entries[i], &entries[j]
			if a.first != b.first {
				return a.first < b.first
			}
			return a.acct.name < b.acct.name
		})
		start := 0
		last := int64(0)
		for i := range entries {
			if i > start && entries[i].first-last > gap {
				s.run(r, g, entries[start:i])
				start = i
			}
			if i == start || entries[i].last > last {
				last = entries[i].last
			}
		}
		if len(entries) > 0 {
			s.run(r, g, entries[start:])
		}
	}
}

// run reports one burst of failures of a group: a spray when enough
// distinct accounts fail within the spray window, brute force when one
// account fails often enough.
func (s *logonState) run(r *reporter, g *failGroup, es []failEntry) {
	total := 0
	first, last := es[0].first, es[0].last
	perAcct := make(map[*failAccount]int)
	for _, e := range es {
		total += e.n
		first = min(first, e.first)
		last = max(last, e.last)
		perAcct[e.acct] += e.n
	}
	// The most distinct accounts within any spray window, by minutes.
	win := int64(s.cfg.Spray.Window / time.Minute)
	if win < 1 {
		win = 1
	}
	byM := make([]failEntry, len(es))
	copy(byM, es)
	sort.Slice(byM, func(i, j int) bool {
		if byM[i].m != byM[j].m {
			return byM[i].m < byM[j].m
		}
		return byM[i].acct.name < byM[j].acct.name
	})
	inWin := make(map[*failAccount]int)
	best := 0
	lo := 0
	for hi := range byM {
		inWin[byM[hi].acct]++
		for byM[hi].m-byM[lo].m >= win {
			a := byM[lo].acct
			if inWin[a]--; inWin[a] == 0 {
				delete(inWin, a)
			}
			lo++
		}
		best = max(best, len(inWin))
	}
	accts := make([]*failAccount, 0, len(perAcct))
	for a := range perAcct {
		accts = append(accts, a)
	}
	sort.Slice(accts, func(i, j int) bool {
		if perAcct[accts[i]] != perAcct[accts[j]] {
			return perAcct[accts[i]] > perAcct[accts[j]]
		}
		return accts[i].name < accts[j].name
	})
	tFirst, tLast := time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
	span := tLast.Sub(tFirst)
	on := r.d.on
	if on.spray && best >= s.cfg.Spray.MinAccounts {
		s.spray(r, g, accts, perAcct, total, best, tFirst, tLast)
	}
	if top := accts[0]; on.brute && perAcct[top] >= s.cfg.Brute.MinFailures {
		f := r.finding(BruteForce, g.key.host, g.key.source, strconv.FormatBool(g.key.explicit), top.name, tFirst.Format(time.RFC3339Nano))
		if perAcct[top] >= s.cfg.Brute.HighFailures {
			f.Level = finding.High
		}
		f.Time, f.Host, f.User = tFirst, g.key.host, top.name
		f.Evidence = groupEvidence(g, []*failAccount{top}, tFirst, tLast)
		f.EvidenceTotal = total
		what := "failed logons"
		if g.key.explicit {
			what = "explicit credential uses (4648)"
		}
		f.Summary = "brute force of " + top.name + " from " + g.key.source + " on " + g.key.host + ": " +
			fmtCount(total) + " " + what + " in " + fmtSpan(span)
		if len(accts) > 1 {
			f.Summary += " (" + fmtCount(perAcct[top]) + " against " + top.name + ")"
		}
		f.Explain.Text = fmtCount(perAcct[top]) + " " + what + " for " + top.name + " >= " +
			strconv.Itoa(s.cfg.Brute.MinFailures) + " from " + g.srcField + "=" + g.key.source +
			", no pause longer than " + fmtSpan(s.cfg.Brute.Window) + ", between " + fmtTime(tFirst) + " and " + fmtTime(tLast)
		f.Explain.Values = []event.Field{
			field("host", g.key.host), field(g.srcField, g.key.source), field("account", top.name),
			field("account_failures", strconv.Itoa(perAcct[top])), field("failures", strconv.Itoa(total)),
			field("accounts", strconv.Itoa(len(accts))), field("first", fmtTime(tFirst)),
			field("last", fmtTime(tLast)), field("duration", fmtSpan(span)),
		}
		r.emit(f)
	}
}

func (s *logonState) spray(r *reporter, g *failGroup, accts []*failAccount, perAcct map[*failAccount]int,
	total, best int, tFirst, tLast time.Time) {
	f := r.finding(PasswordSpray, g.key.host, g.key.source, strconv.FormatBool(g.key.explicit), tFirst.Format(time.RFC3339Nano))
	f.Time, f.Host = tFirst, g.key.host
	f.Evidence = groupEvidence(g, accts, tFirst, tLast)
	f.EvidenceTotal = total
	span := fmtSpan(tLast.Sub(tFirst))
	names := make([]string, len(accts))
	for i, a := range accts {
		names[i] = a.name
	}
	sort.Strings(names)
	sample := names
	if len(sample) > 20 {
		sample = sample[:20]
	}
	if g.key.explicit {
		subject := subjectOf(g.first.Fields)
		f.User = subject
		f.Summary = "password spray: explicit credentials of " + strconv.Itoa(len(accts)) + " accounts tried against " +
			g.key.source + " by " + subject + " on " + g.key.host + ": " + fmtCount(total) + " attempts in " + span
		f.Explain.Text = strconv.Itoa(best) + " distinct TargetUserName >= " + strconv.Itoa(s.cfg.Spray.MinAccounts) +
			" within " + fmtSpan(s.cfg.Spray.Window) + " in 4648 events with IpAddress=" + g.key.source +
			" (for 4648 the address of the server the credentials were used against), by " + subject
	} else {
		f.Summary = "password spray from " + g.key.source + " on " + g.key.host + ": " + strconv.Itoa(len(accts)) +
			" accounts failed to log on, " + fmtCount(total) + " failures in " + span
		f.Explain.Text = strconv.Itoa(best) + " distinct TargetUserName >= " + strconv.Itoa(s.cfg.Spray.MinAccounts) +
			" within " + fmtSpan(s.cfg.Spray.Window) + " in failed logons from " + g.srcField + "=" + g.key.source
	}
	f.Explain.Values = []event.Field{
		field("host", g.key.host), field(g.srcField, g.key.source), field("accounts", strconv.Itoa(len(accts))),
		field("accounts_in_window", strconv.Itoa(best)), field("attempts", strconv.Itoa(total)),
		field("first", fmtTime(tFirst)), field("last", fmtTime(tLast)), field("duration", span),
		field("account_names", strings.Join(sample, ", ")),
	}
	r.emit(f)
}

// groupEvidence is the evidence of a burst: the group's first event in
// full when it belongs to the burst, and the first attempt on each of the
// accounts (at most 20).
func groupEvidence(g *failGroup, accts []*failAccount, from, to time.Time) []finding.Evidence {
	in := func(e *finding.Evidence) bool { return !e.Time.Before(from) && !e.Time.After(to) }
	var out []finding.Evidence
	if in(&g.first) {
		out = append(out, g.first)
	}
	for i, a := range accts {
		if i == 20 {
			break
		}
		if in(&a.first) && !sameEvent(&a.first, &g.first) {
			out = append(out, a.first)
		}
	}
	sortEvidence(out)
	return out
}

func sameEvent(a, b *finding.Evidence) bool {
	return a.File == b.File && a.Offset == b.Offset && a.Line == b.Line && a.RecordID == b.RecordID
}

// subjectOf names the subject of an event from its fields: DOMAIN\name.
func subjectOf(fs []event.Field) string {
	var dom, name string
	for _, f := range fs {
		switch f.Name {
		case "SubjectUserName":
			name = f.Value
		case "SubjectDomainName":
			dom = f.Value
		}
	}
	if emptyValue(dom) {
		return name
	}
	return dom + `\` + name
}

// rdpAuth reads an RDP authentication (1149 of the remote connection
// manager), which names the client's address in Param3.
func (w *worker) rdpAuth(ev *event.Event, emit func(*finding.Finding)) {
	var ip, name, dom string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "Param1":
			name = f.Value
		case "Param2":
			dom = f.Value
		case "Param3":
			ip = f.Value
		}
	}
	if !isLoopback(ip) {
		return
	}
	user := name
	if !emptyValue(dom) {
		user = dom + `\` + name
	}
	w.rdpLoopback(ev, ip, "Param3", user, emit)
}

// rdpLoopback reports a remote interactive logon from the loopback
// address: D29, RDP arriving through a local port forward (netsh
// portproxy, FRP, an SSH tunnel). addrField names the event's field that
// holds the address.
func (w *worker) rdpLoopback(ev *event.Event, addr, addrField, user string, emit func(*finding.Finding)) {
	r := &reporter{d: w.d, emit: emit}
	f := r.finding(RDPLoopback, finding.EventKey(ev))
	f.Time, f.Host, f.User = ev.Time, ev.Computer, user
	f.Evidence = []finding.Evidence{fullEvidence(ev)}
	f.Summary = "RDP logon of " + user + " from " + addr + " on " + ev.Computer + ": remote desktop arriving through a local tunnel or port forward"
	if ev.EventID == 4624 {
		f.Explain.Text = "4624 with LogonType=10 (remote interactive) and " + addrField + "=" + addr + " (loopback)"
	} else {
		f.Explain.Text = "1149 (RDP authentication succeeded) with source address " + addrField + "=" + addr + " (loopback)"
	}
	f.Explain.Values = []event.Field{field("account", user), field(addrField, addr)}
	emit(f)
}
