package analytics

import (
	"sort"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// accountState keeps account creations (4720) and additions to
// administrators groups (4728, 4732, 4756), to link the two.
type accountState struct {
	cfg     *Config
	created []acctEvent
	added   []acctEvent
	dropped int
}

// acctEvent is one creation or group addition.
type acctEvent struct {
	host     string
	sid      string // the account's
	name     string // the account's, for a creation; the group's, for an addition
	subject  string // who did it
	time     time.Time
	evidence finding.Evidence
}

func (s *accountState) init(cfg *Config) { s.cfg = cfg }

func (s *accountState) observe(ev *event.Event) {
	var sid, member, name, groupSid, subj, subjDom string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "TargetSid":
			sid = f.Value
		case "MemberSid":
			member = f.Value
		case "TargetUserName":
			name = f.Value
		case "SubjectUserName":
			subj = f.Value
		case "SubjectDomainName":
			subjDom = f.Value
		}
	}
	if !emptyValue(subjDom) && subj != "" {
		subj = subjDom + `\` + subj
	}
	a := acctEvent{host: ev.Computer, name: name, subject: subj, time: ev.Time}
	if ev.EventID == 4720 {
		a.sid = sid
	} else {
		groupSid = sid
		if !adminGroup(groupSid, name) {
			return
		}
		a.sid = member
	}
	if emptyValue(a.sid) {
		return
	}
	if len(s.created)+len(s.added) >= s.cfg.Caps.Items {
		s.dropped++
		return
	}
	a.host, a.sid, a.name, a.subject = strings.Clone(a.host), strings.Clone(a.sid), strings.Clone(a.name), strings.Clone(a.subject)
	a.evidence = fullEvidence(ev)
	if ev.EventID == 4720 {
		s.created = append(s.created, a)
	} else {
		s.added = append(s.added, a)
	}
}

// adminGroup reports whether a group is one whose members administer the
// host or the domain.
func adminGroup(sid, name string) bool {
	switch {
	case sid == "S-1-5-32-544", // BUILTIN\Administrators
		strings.HasPrefix(sid, "S-1-5-21-") && (strings.HasSuffix(sid, "-512") || // Domain Admins
			strings.HasSuffix(sid, "-518") || strings.HasSuffix(sid, "-519")): // Schema, Enterprise Admins
		return true
	}
	return strings.Contains(strings.ToLower(name), "admin")
}

func (s *accountState) merge(o *accountState) {
	s.dropped += o.dropped
	for _, a := range o.created {
		if len(s.created)+len(s.added) >= s.cfg.Caps.Items {
			s.dropped++
			continue
		}
		s.created = append(s.created, a)
	}
	for _, a := range o.added {
		if len(s.created)+len(s.added) >= s.cfg.Caps.Items {
			s.dropped++
			continue
		}
		s.added = append(s.added, a)
	}
}

// finish reports each created account that joined an administrators group
// within the window after its creation.
func (s *accountState) finish(r *reporter) {
	if !r.d.on.admin {
		return
	}
	byTime := func(es []acctEvent) {
		sort.Slice(es, func(i, j int) bool { return evidenceLess(&es[i].evidence, &es[j].evidence) })
	}
	byTime(s.created)
	byTime(s.added)
	seen := make(map[string]bool) // one finding per creation, whatever copies of the log were read
	for _, c := range s.created {
		k := evKey(c.host, &c.evidence)
		if seen[k] {
			continue
		}
		seen[k] = true
		var groups []string
		ev := []finding.Evidence{c.evidence}
		dup := make(map[string]bool)
		for _, a := range s.added {
			if a.sid != c.sid || shortHost(a.host) != shortHost(c.host) {
				continue
			}
			// Windows writes the addition in the same second as the
			// creation, sometimes before it in record order.
			d := a.time.Sub(c.time)
			if d < -time.Second || d > s.cfg.Admin.Window {
				continue
			}
			ak := evKey(a.host, &a.evidence)
			if dup[ak] {
				continue
			}
			dup[ak] = true
			groups = append(groups, a.name)
			ev = append(ev, a.evidence)
		}
		if len(groups) == 0 {
			continue
		}
		f := r.finding(AdminAccountCreated, k)
		f.Time, f.Host, f.User = c.time, c.host, c.subject
		sortEvidence(ev)
		f.Evidence = ev
		f.Summary = "account " + c.name + " created on " + c.host + " by " + c.subject + " and added to " + strings.Join(groups, ", ")
		f.Explain.Text = "4720 created " + c.name + " (" + c.sid + "), then a group addition (4728, 4732, 4756) put the same SID into " +
			strings.Join(groups, ", ") + " within " + fmtSpan(s.cfg.Admin.Window)
		f.Explain.Values = []event.Field{field("account", c.name), field("sid", c.sid), field("groups", strings.Join(groups, ", ")),
			field("by", c.subject)}
		r.emit(f)
	}
}
