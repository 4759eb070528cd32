package analytics

import (
	"sort"
	"strings"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// procFields are the fields process evidence keeps (Sysmon 1 and 4688).
func procFields() [12]string {
	return [...]string{
		"Image", "NewProcessName", "CommandLine", "ParentImage", "ParentProcessName", "User",
		"SubjectUserName", "SubjectDomainName", "LogonId", "SubjectLogonId", "CurrentDirectory", "OriginalFileName",
	}
}

// procEvidence is the evidence a process step keeps.
func procEvidence(ev *event.Event) finding.Evidence {
	names := procFields()
	return someEvidence(ev, names[:]...)
}

// procState stacks the forms in which tools run and keeps the steps
// sequences are made of.
type procState struct {
	cfg   *Config
	hosts map[string]struct{} // short names of the hosts with process events
	forms map[formKey]*formStat
	steps []step

	droppedHosts, droppedForms, droppedSteps int
}

// step is a process execution (or a Sysmon file event) that sequences
// read, with what it is.
type step struct {
	security bool   // from 4688, not Sysmon
	host     string // as the event writes it
	hkey     string // short, lower case
	user     string
	session  string // the logon session bursts are counted in
	template string // the command-line template, "" when not stacked
	t        int64
	si       stepInfo
	ev       finding.Evidence
}

func (s *procState) init(cfg *Config) {
	s.cfg = cfg
	s.hosts = make(map[string]struct{})
	s.forms = make(map[formKey]*formStat)
}

// observe reads one process creation. Processes of programs that are not
// tools cost one pass over the fields.
func (s *procState) observe(ev *event.Event, p *processInfo, st *state) {
	image, parent, cmd, user, logonID, cwd, orig := p.image, p.parent, p.cmd, p.user, p.logonID, p.cwd, p.orig
	sysmon := ev.EventID == 1
	tool := toolName(image)
	if tool == "" && orig != "" {
		tool = toolName(orig)
	}
	if tool == "" {
		return
	}
	if cmd == "" {
		cmd = image
	}
	hkey := shortHost(ev.Computer)
	if _, ok := s.hosts[hkey]; !ok {
		if len(s.hosts) >= s.cfg.Caps.Hosts {
			s.droppedHosts++
			return
		}
		hkey = strings.Clone(hkey)
		s.hosts[hkey] = struct{}{}
	}
	lower := strings.ToLower(cmd)
	on := st.on
	tmpl := ""
	if stacked(tool, lower) {
		tmpl = Template(tool, cmd)
		if on.rare {
			s.stack(ev, hkey, user, parent, tmpl)
		}
		if on.seenTool || on.burst || on.chain || on.cleanup {
			// Sequences read the same record to tell the usual from the
			// new (knownFunc).
			st.seen.tool(ev, hkey, user, tmpl)
		}
	}
	if !on.burst && !on.chain && !on.cleanup {
		return
	}
	si := classify(tool, lower, cwd)
	if si.kinds == 0 {
		return
	}
	if len(s.steps) >= s.cfg.Caps.Steps {
		s.droppedSteps++
		return
	}
	session := strings.ToLower(user) + "|" + logonID
	switch logonID {
	case "0x3e7", "0x3e4", "0x3e5", "":
		// Services share the system's sessions: their parent tells one
		// piece of software from another.
		session += "|" + toolOrBase(parent)
	}
	s.steps = append(s.steps, step{
		security: !sysmon, host: strings.Clone(ev.Computer), hkey: hkey, user: strings.Clone(user), session: session,
		template: tmpl, t: unixNano(ev.Time), si: si, ev: procEvidence(ev),
	})
}

// toolOrBase names a program by its file name, lower case.
func toolOrBase(path string) string {
	if i := strings.LastIndexAny(path, `\/`); i >= 0 {
		path = path[i+1:]
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(path, ".exe"), ".EXE"))
}

// fileEvent reads Sysmon file creations (11) and deletions (23, 26) in
// staging folders, for staging-cleanup.
func (s *procState) fileEvent(ev *event.Event) {
	var target, image, user string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "TargetFilename":
			target = f.Value
		case "Image":
			image = f.Value
		case "User":
			user = f.Value
		}
	}
	if len(target) < 4 || !stagedName(target) {
		return
	}
	p := strings.ToLower(target)
	if !underStaging(p) {
		return
	}
	if len(s.steps) >= s.cfg.Caps.Steps {
		s.droppedSteps++
		return
	}
	var si stepInfo
	if ev.EventID == 11 {
		si.kinds, si.staged = stepStage, []string{p}
	} else {
		si.kinds, si.clean = stepCleanup, []string{p}
	}
	s.steps = append(s.steps, step{
		host: strings.Clone(ev.Computer), hkey: strings.Clone(shortHost(ev.Computer)), user: strings.Clone(user),
		session: strings.ToLower(user) + "|" + toolOrBase(image), t: unixNano(ev.Time), si: si,
		ev: someEvidence(ev, "TargetFilename", "Image", "User", "ProcessId"),
	})
}

// stagedName reports whether a file name is of the kind the actor stages:
// archives, databases, hive copies, .dat output.
func stagedName(p string) bool {
	base := p
	if i := strings.LastIndexByte(p, '\\'); i >= 0 {
		base = p[i+1:]
	}
	switch strings.ToLower(base) {
	case "ntds.dit", "system", "sam", "security":
		return true
	}
	dot := strings.LastIndexByte(base, '.')
	if dot < 0 {
		return false
	}
	switch strings.ToLower(base[dot+1:]) {
	case "dit", "dat", "zip", "rar", "7z", "cab", "hiv", "sav":
		return true
	}
	return false
}

func (s *procState) merge(o *procState) {
	s.droppedHosts += o.droppedHosts
	s.droppedForms += o.droppedForms
	s.droppedSteps += o.droppedSteps
	for h := range o.hosts {
		if _, ok := s.hosts[h]; !ok {
			if len(s.hosts) >= s.cfg.Caps.Hosts {
				s.droppedHosts++
				continue
			}
			s.hosts[h] = struct{}{}
		}
	}
	for k, of := range o.forms {
		fs := s.forms[k]
		if fs == nil {
			if len(s.forms) >= s.cfg.Caps.Forms {
				s.droppedForms += of.n
				continue
			}
			s.forms[k] = of
			continue
		}
		fs.n += of.n
		if fs.common || of.common || fs.n > 2*s.cfg.Rare.MaxCount {
			fs.makeCommon()
			continue
		}
		for _, x := range of.ex {
			found := false
			for i := range fs.ex {
				if y := &fs.ex[i]; y.host == x.host {
					found = true
					ns, nsec := y.nSysmon+x.nSysmon, y.nSecurity+x.nSecurity
					if evidenceLess(&x.ev, &y.ev) {
						*y = x
					}
					y.nSysmon, y.nSecurity = ns, nsec
				}
			}
			if !found {
				fs.hosts = insertSorted(fs.hosts, x.host)
				fs.ex = append(fs.ex, x)
			}
		}
		if len(fs.hosts) > s.cfg.Rare.MaxHosts {
			fs.makeCommon()
		}
	}
	for _, st := range o.steps {
		if len(s.steps) >= s.cfg.Caps.Steps {
			s.droppedSteps++
			continue
		}
		s.steps = append(s.steps, st)
	}
}

// finish reports rare forms and the sequences.
func (s *procState) finish(r *reporter, st *state) {
	known := knownFunc(r.d.base, st)
	on := r.d.on
	sysmonHosts := sysmonSpans(st)
	if on.rare {
		s.reportRare(r, sysmonHosts)
	}
	// A host with Sysmon writes each process twice: keep Sysmon's record
	// (it has more fields) where Sysmon was running.
	kept := s.steps[:0]
	for _, stp := range s.steps {
		if sp, ok := sysmonHosts[stp.hkey]; ok && stp.security && stp.t >= sp[0] && stp.t <= sp[1] {
			continue
		}
		kept = append(kept, stp)
	}
	s.steps = kept
	sort.Slice(s.steps, func(i, j int) bool {
		a, b := &s.steps[i], &s.steps[j]
		if a.t != b.t {
			return a.t < b.t
		}
		return evidenceLess(&a.ev, &b.ev)
	})
	// Copies of one log give the same step twice.
	out := s.steps[:0]
	for i := range s.steps {
		if n := len(out); n > 0 && out[n-1].hkey == s.steps[i].hkey && out[n-1].t == s.steps[i].t &&
			out[n-1].ev.RecordID == s.steps[i].ev.RecordID && out[n-1].ev.Channel == s.steps[i].ev.Channel {
			continue
		}
		out = append(out, s.steps[i])
	}
	s.steps = out
	if on.burst {
		s.reportBursts(r, known)
	}
	if on.chain {
		s.reportChains(r, known)
	}
	if on.cleanup {
		s.reportCleanup(r, known)
	}
}

func toolOf(template string) string {
	if i := strings.IndexByte(template, ' '); i > 0 {
		return template[:i]
	}
	return template
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "s") || strings.HasSuffix(what, "ch") {
		return fmtCount(n) + " " + what + "es"
	}
	return fmtCount(n) + " " + what + "s"
}
