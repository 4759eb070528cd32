package analytics

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// knownFunc returns what tells whether a step is normal: its account ran
// the same form on the same host in the reference — the baseline, or,
// without one, the host's first days in the input (steps within those days
// are the reference itself, and never normal).
func knownFunc(b *Baseline, st *state) func(*step) bool {
	if b != nil {
		return func(s *step) bool { return s.template != "" && b.knowsTool(s.hkey, s.user, s.template) }
	}
	spans := hostSpans(st)
	ref := int64(st.cfg.FirstSeen.Reference)
	var buf []byte
	return func(s *step) bool {
		sp, ok := spans[s.hkey]
		if !ok || s.template == "" || sp[1]-sp[0] <= ref || s.t < sp[0]+ref {
			return false
		}
		buf = seenKey(buf[:0], seenTool, s.hkey, s.user, s.template)
		v := st.seen.m[string(buf)]
		return v != nil && unixNano(v.ev.Time) < sp[0]+ref
	}
}

// knownSteps reports whether every step is normal.
func knownSteps(known func(*step) bool, steps []*step) bool {
	if known == nil || len(steps) == 0 {
		return false
	}
	for _, st := range steps {
		if !known(st) {
			return false
		}
	}
	return true
}

// suppressedNote says how many sequences the reference explained.
func suppressedNote(r *reporter, n int, what string) {
	if n == 0 {
		return
	}
	ref := "each host's first days in the input"
	if r.d.base != nil {
		ref = "the baseline " + r.d.base.Source
	}
	r.note("analytics: %s not reported: in %s the same accounts ran the same commands on the same hosts", plural(n, what), ref)
}

// reportBursts finds, per logon session, windows holding enough distinct
// recon commands.
func (s *procState) reportBursts(r *reporter, known func(*step) bool) {
	bySession := make(map[string][]*step)
	var order []string
	for i := range s.steps {
		st := &s.steps[i]
		if st.si.kinds&stepRecon == 0 {
			continue
		}
		k := st.hkey + "\x00" + st.session
		if _, ok := bySession[k]; !ok {
			order = append(order, k)
		}
		bySession[k] = append(bySession[k], st)
	}
	sort.Strings(order)
	win := int64(s.cfg.Burst.Window)
	suppressed := 0
	for _, k := range order {
		steps := bySession[k]
		for i := 0; i < len(steps); {
			// The longest stretch from i in which each command follows
			// the previous qualifying window.
			j := i
			labels := make(map[string]bool)
			for j < len(steps) && steps[j].t-steps[i].t <= win {
				for _, l := range steps[j].si.recon {
					labels[l] = true
				}
				j++
			}
			if len(labels) < s.cfg.Burst.MinCommands {
				i++
				continue
			}
			// Extend while commands keep coming within the window.
			for j < len(steps) && steps[j].t-steps[j-1].t <= win {
				for _, l := range steps[j].si.recon {
					labels[l] = true
				}
				j++
			}
			burst := steps[i:j]
			if knownSteps(known, burst) {
				suppressed++
			} else {
				s.burstFinding(r, burst, labels)
			}
			i = j
		}
	}
	suppressedNote(r, suppressed, "discovery burst")
}

func (s *procState) burstFinding(r *reporter, burst []*step, labels map[string]bool) {
	first, last := burst[0], burst[len(burst)-1]
	ls := sortedKeys(labels)
	f := r.finding(DiscoveryBurst, evKey(first.hkey, &first.ev))
	f.Time, f.Host, f.User = first.ev.Time, first.host, first.user
	f.Evidence = stepEvidence(burst, 30)
	f.EvidenceTotal = len(burst)
	span := time.Duration(last.t - first.t)
	f.Summary = "discovery burst on " + first.host + " by " + orDash(first.user) + ": " + strconv.Itoa(len(ls)) +
		" recon commands in " + fmtSpan(span) + " (" + strings.Join(ls, ", ") + ")"
	f.Explain.Text = strconv.Itoa(len(ls)) + " distinct recon commands >= " + strconv.Itoa(s.cfg.Burst.MinCommands) +
		" within " + fmtSpan(s.cfg.Burst.Window) + " in one logon session (" + plural(len(burst), "process") + ")"
	f.Explain.Values = []event.Field{field("commands", strings.Join(ls, ", ")), field("processes", strconv.Itoa(len(burst))),
		field("first", fmtTime(first.ev.Time)), field("last", fmtTime(last.ev.Time)), field("session", first.session)}
	r.emit(f)
}

// stepEvidence is the evidence of steps, at most n.
func stepEvidence(steps []*step, n int) []finding.Evidence {
	out := make([]finding.Evidence, 0, min(n, len(steps)))
	for i, st := range steps {
		if i == n {
			break
		}
		out = append(out, st.ev)
	}
	return out
}

// reportChains finds a credential copy followed by an archive or a copy
// off the host within the window.
func (s *procState) reportChains(r *reporter, known func(*step) bool) {
	win := int64(s.cfg.Chain.Window)
	used := make(map[*step]bool)
	suppressed := 0
	for i := range s.steps {
		src := &s.steps[i]
		if src.si.kinds&stepCredSrc == 0 || used[src] {
			continue
		}
		var archive, off *step
		chain := []*step{src}
		material := append([]string(nil), src.si.paths...)
		for j := i + 1; j < len(s.steps) && s.steps[j].t-src.t <= win; j++ {
			st := &s.steps[j]
			sameHost := st.hkey == src.hkey
			switch {
			case sameHost && st.si.kinds&stepCredSrc != 0 && archive == nil && off == nil:
				chain = append(chain, st) // more of the same copy
				material = append(material, st.si.paths...)
			case sameHost && st.si.kinds&stepArchive != 0 && archive == nil:
				archive = st
				chain = append(chain, st)
				material = append(material, st.si.paths...)
			case st.si.kinds&stepOffHost != 0 && off == nil &&
				// Out of this host, or fetched from it by another; a
				// copy into this host (a tool brought in) is not theft.
				(sameHost && st.si.push || !sameHost && !st.si.push && st.si.remote == src.hkey) &&
				related(st.si.offPath, material):
				off = st
				chain = append(chain, st)
			}
		}
		if archive == nil && off == nil {
			continue
		}
		for _, st := range chain {
			used[st] = true
		}
		if knownSteps(known, chain) {
			suppressed++
			continue
		}
		f := r.finding(CredentialTheftChain, evKey(src.hkey, &src.ev))
		f.Time, f.Host, f.User = src.ev.Time, src.host, src.user
		parts := []string{src.si.cred}
		if archive != nil {
			parts = append(parts, "archived")
		}
		if off != nil {
			where := "sent off the host"
			if off.hkey != src.hkey {
				where = "fetched by " + off.host
			} else if off.si.remote != "" {
				where = "copied to \\\\" + off.si.remote
			}
			parts = append(parts, where)
		}
		if archive != nil && off != nil {
			f.Level = finding.Critical
		}
		f.Evidence = stepEvidence(chain, 30)
		f.EvidenceTotal = len(chain)
		last := chain[len(chain)-1]
		f.Summary = "credential theft chain on " + src.host + ": " + strings.Join(parts, ", then ") +
			" within " + fmtSpan(time.Duration(last.t-src.t))
		f.Explain.Text = "a credential store was copied (" + src.si.cred + "), then " + strings.Join(parts[1:], " and ") +
			" within " + fmtSpan(s.cfg.Chain.Window) + " (D12, D32, D31)"
		f.Explain.Values = []event.Field{field("copy", src.si.cred), field("archived", strconv.FormatBool(archive != nil)),
			field("off_host", strconv.FormatBool(off != nil)), field("first", fmtTime(src.ev.Time)), field("last", fmtTime(last.ev.Time))}
		r.emit(f)
	}
	suppressedNote(r, suppressed, "credential theft chain")
}

// reportCleanup finds deletions of what was staged on the same host within
// the window.
func (s *procState) reportCleanup(r *reporter, known func(*step) bool) {
	win := int64(s.cfg.Cleanup.Window)
	for i := range s.steps {
		c := &s.steps[i]
		if c.si.kinds&stepCleanup == 0 || len(c.si.clean) == 0 {
			continue
		}
		var staged []*step
		var what []string
		for j := i - 1; j >= 0 && c.t-s.steps[j].t <= win; j-- {
			st := &s.steps[j]
			if st.hkey != c.hkey || st.si.kinds&stepStage == 0 {
				continue
			}
			if p, ok := cleans(c.si.clean, st.si.staged); ok {
				staged = append(staged, st)
				what = append(what, p)
			}
		}
		if len(staged) == 0 {
			continue
		}
		// staged runs newest first; the report reads oldest first.
		for a, b := 0, len(staged)-1; a < b; a, b = a+1, b-1 {
			staged[a], staged[b] = staged[b], staged[a]
			what[a], what[b] = what[b], what[a]
		}
		all := append(staged[:len(staged):len(staged)], c)
		if knownSteps(known, all) {
			continue
		}
		first := staged[0]
		f := r.finding(StagingCleanup, evKey(c.hkey, &c.ev))
		f.Time, f.Host, f.User = first.ev.Time, c.host, c.user
		f.Evidence = stepEvidence(all, 30)
		f.EvidenceTotal = len(all)
		paths := dedupe(what)
		shown := strings.Join(paths, ", ")
		if len(paths) > 3 {
			shown = strings.Join(paths[:3], ", ") + " and " + strconv.Itoa(len(paths)-3) + " more"
		}
		f.Summary = "staging then cleanup on " + c.host + ": " + shown + " written then deleted " +
			fmtSpan(time.Duration(c.t-first.t)) + " later"
		f.Explain.Text = plural(len(staged), "staging step") + " in a world-writable folder, then a deletion of the same paths within " +
			fmtSpan(s.cfg.Cleanup.Window) + " (D34, D41)"
		f.Explain.Values = []event.Field{field("paths", strings.Join(paths, ", ")), field("deleted", strings.Join(c.si.clean, ", ")),
			field("first_staged", fmtTime(first.ev.Time)), field("deleted_at", fmtTime(c.ev.Time))}
		r.emit(f)
	}
}

// cleans reports whether a deletion of any of the paths cleaned removes
// one of the staged paths: the same path, a folder above it, or (for a
// relative deletion whose folder is unknown) the same file name.
func cleans(cleaned, staged []string) (string, bool) {
	for _, c := range cleaned {
		for _, p := range staged {
			switch {
			case c == p,
				strings.HasPrefix(p, c+`\`) && (underStaging(c+`\`) || underStaging(c)):
				return p, true
			case !strings.Contains(c, `\`) && strings.Contains(c, ".") && strings.HasSuffix(p, `\`+c):
				return p, true
			}
		}
	}
	return "", false
}

func dedupe(list []string) []string {
	seen := make(map[string]bool)
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
