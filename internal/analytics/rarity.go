package analytics

import (
	"sort"
	"strconv"
	"strings"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// formKey is one form of a tool's use: the parent and the command-line
// template (which starts with the tool's name).
type formKey struct{ parent, template string }

// formStat counts one form over the hunt.
type formStat struct {
	n      int
	hosts  []string // short host names, sorted; nil once common
	common bool     // seen too often or on too many hosts to be rare
	ex     []formEx // the first run on each host, while not common
}

// formEx is the first run of a form on one host.
type formEx struct {
	host, user string
	name       string // the host as the event writes it
	// Runs counted from Sysmon 1 and from 4688: a host that logs both
	// writes each run twice, so finish counts one source per host.
	nSysmon, nSecurity int
	ev                 finding.Evidence
}

// stack counts one run of a form.
func (s *procState) stack(ev *event.Event, hkey, user, parent, tmpl string) {
	k := formKey{parent: toolOrBase(parent), template: tmpl}
	fs := s.forms[k]
	if fs == nil {
		if len(s.forms) >= s.cfg.Caps.Forms {
			s.droppedForms++
			return
		}
		fs = &formStat{}
		s.forms[k] = fs
	}
	fs.n++
	if fs.common {
		return
	}
	// Each run is written at most twice (Sysmon and 4688): past twice the
	// limit the form cannot be rare.
	if fs.n > 2*s.cfg.Rare.MaxCount {
		fs.makeCommon()
		return
	}
	sysmon := ev.EventID == 1
	e := finding.EvidenceOf(ev)
	for i := range fs.ex {
		if x := &fs.ex[i]; x.host == hkey {
			x.count(sysmon)
			if evidenceLess(&e, &x.ev) {
				x.ev, x.user, x.name = procEvidence(ev), strings.Clone(user), strings.Clone(ev.Computer)
			}
			return
		}
	}
	fs.hosts = insertSorted(fs.hosts, hkey)
	if len(fs.hosts) > s.cfg.Rare.MaxHosts {
		fs.makeCommon()
		return
	}
	x := formEx{host: hkey, user: strings.Clone(user), name: strings.Clone(ev.Computer), ev: procEvidence(ev)}
	x.count(sysmon)
	fs.ex = append(fs.ex, x)
}

func (x *formEx) count(sysmon bool) {
	if sysmon {
		x.nSysmon++
	} else {
		x.nSecurity++
	}
}

// runs is how many times the form ran on the host: the Sysmon count on a
// host that has Sysmon, the 4688 count elsewhere.
func (x *formEx) runs(sysmonHosts map[string][2]int64) int {
	if _, ok := sysmonHosts[x.host]; ok {
		return x.nSysmon
	}
	return x.nSecurity
}

func (fs *formStat) makeCommon() { fs.common, fs.hosts, fs.ex = true, nil, nil }

func insertSorted(list []string, s string) []string {
	i := sort.SearchStrings(list, s)
	if i < len(list) && list[i] == s {
		return list
	}
	list = append(list, "")
	copy(list[i+1:], list[i:])
	list[i] = s
	return list
}

// sysmonSpans returns the hosts (short names) that log process creation
// with Sysmon, and the time range of their Sysmon logs.
func sysmonSpans(st *state) map[string][2]int64 {
	out := make(map[string][2]int64)
	for k, cs := range st.tamper.channels {
		if k.channel != channelSysmon || cs.flags&flagSysmon1 == 0 {
			continue
		}
		h := shortHost(k.host)
		sp, ok := out[h]
		if !ok {
			sp = [2]int64{cs.first, cs.last}
		}
		out[h] = [2]int64{min(sp[0], cs.first), max(sp[1], cs.last)}
	}
	return out
}

// reportRare reports the forms of tools seen on few hosts and few times.
func (s *procState) reportRare(r *reporter, sysmonHosts map[string][2]int64) {
	k := len(s.hosts)
	keys := make([]formKey, 0)
	runs := make(map[formKey]int)
	for key, fs := range s.forms {
		if fs.common {
			continue
		}
		n := 0
		for i := range fs.ex {
			n += fs.ex[i].runs(sysmonHosts)
		}
		if n == 0 || n > s.cfg.Rare.MaxCount {
			continue
		}
		runs[key] = n
		keys = append(keys, key)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].template != keys[j].template {
			return keys[i].template < keys[j].template
		}
		return keys[i].parent < keys[j].parent
	})
	base := r.d.base
	for _, key := range keys {
		fs := s.forms[key]
		onHosts := 0
		for _, x := range fs.ex {
			if x.runs(sysmonHosts) > 0 {
				onHosts++
			}
		}
		for _, x := range fs.ex {
			if x.runs(sysmonHosts) == 0 || base != nil && base.knowsForm(x.host, key.template) {
				continue
			}
			f := r.finding(RareLOTL, x.host, key.parent, key.template)
			if k < 3 {
				f.Level = finding.Informational
			}
			f.Time, f.Host, f.User = x.ev.Time, x.name, x.user
			f.Evidence = []finding.Evidence{x.ev}
			seen := "seen " + plural(runs[key], "time") + " on " + strconv.Itoa(onHosts) + " of " + plural(k, "host")
			f.Summary = "rare form of " + toolOf(key.template) + " on " + f.Host + ", " + seen + ": " + key.template
			f.Explain.Text = seen + " (parent " + orDash(key.parent) + "); a form is rare when it runs on at most " +
				strconv.Itoa(s.cfg.Rare.MaxHosts) + " hosts and at most " + strconv.Itoa(s.cfg.Rare.MaxCount) + " times in the hunt"
			if k < 3 {
				f.Explain.Text += "; with " + plural(k, "host") + " in the hunt there is too little to compare, so this is informational"
			}
			f.Explain.Values = []event.Field{
				field("template", key.template), field("parent", key.parent), field("count", strconv.Itoa(runs[key])),
				field("hosts", strconv.Itoa(onHosts)), field("of_hosts", strconv.Itoa(k)),
			}
			r.emit(f)
		}
	}
}
