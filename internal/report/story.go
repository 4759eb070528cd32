package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/breakwater/breakwater/internal/finding"
)

// story is "what happened" in plain words, for a reader who is not a
// security specialist: the facts first, then what to do. Every sentence is
// derived from the findings and says how sure it is; advice is given only
// when a finding calls for it.
type story struct {
	Facts   []string // paragraphs
	Serious []string // the most serious things found, one per item
	Groups  string   // the resemblance to known groups
	Caution string
	Advice  []string
}

// maxSerious is how many distinct rule hits "what happened" names.
const maxSerious = 5

func newStory(ov *overview, r *finding.Report) story {
	var s story
	var events int64
	for _, in := range r.Inputs {
		events += int64(in.Events)
	}
	hostsRead := make(map[string]bool)
	for _, c := range r.Counts {
		hostsRead[c.Host] = true
	}
	read := fmt.Sprintf("Breakwater read %s events from %s", thousands(events), plural(len(r.Inputs), "log file"))
	if len(hostsRead) > 0 {
		read += fmt.Sprintf(" of %s", plural(len(hostsRead), "computer"))
	}
	if first, last := countSpan(r); !first.IsZero() {
		read += ", covering " + span(first, last)
	}
	s.Facts = append(s.Facts, read+".")

	n := len(ov.findings)
	if n == 0 {
		s.Facts = append(s.Facts, "None of the rules matched. That does not prove that nothing happened: "+
			"an intruder who lives off the land leaves traces only in logs that record command lines, "+
			"PowerShell script blocks and logons, and only for as long as the logs are kept. "+
			"Check the notes at the end of this report for logs that were missing or damaged.")
		s.Advice = append(s.Advice, "Make sure the computers log process creation with command lines (event 4688 with command-line auditing, or Sysmon) and PowerShell script blocks (event 4104), and keep those logs centrally for at least a year.")
		return s
	}

	var lv []string
	for l := finding.Critical; l >= finding.Informational; l-- {
		if ov.levels[l] > 0 {
			lv = append(lv, fmt.Sprintf("%d %s", ov.levels[l], l))
		}
	}
	what := "1 suspicious event or pattern"
	if n != 1 {
		what = thousands(int64(n)) + " suspicious events or patterns"
	}
	found := fmt.Sprintf("It found %s (%s) on %s", what, strings.Join(lv, ", "),
		plural(ov.hostCount(), "computer"))
	if !ov.first.IsZero() {
		found += ", between " + span(ov.first, ov.last)
	}
	s.Facts = append(s.Facts, found+".")

	if len(ov.tactics) > 0 {
		var names []string
		for _, t := range ov.tactics {
			names = append(names, visible(t.display))
		}
		s.Facts = append(s.Facts, "In the terms of MITRE ATT&CK, the catalogue of what intruders do, the findings touch "+
			plural(len(names), "stage")+" of an intrusion: "+strings.Join(names, ", ")+
			". Several stages on the same computers, in that order, are more worrying than any single finding.")
	}

	s.Serious = seriousHits(ov)

	if len(ov.groups) > 0 {
		g := ov.groups[0]
		txt := fmt.Sprintf("The techniques seen resemble those documented for %s (%s): it is %s.",
			g.Group.Name, g.Group.ID, ov.resemblance(g))
		if len(ov.groups) > 1 {
			o := ov.groups[1]
			txt += fmt.Sprintf(" The next closest is %s (%.2f).", o.Group.Name, o.Score)
		}
		s.Groups = txt
		s.Caution = "Resemblance is not attribution. Many groups, and many administrators, use the same built-in tools; " +
			"ATT&CK lists only what was publicly reported. Treat this as a hint about what to look for next, not as a statement of who is behind it."
	}

	s.Advice = advice(ov)
	return s
}

// seriousHits names the most serious rules that matched: one item per
// rule, with its level, hosts and count.
func seriousHits(ov *overview) []string {
	type hit struct {
		f     *finding.Finding
		n     int
		hosts []string
	}
	var order []string
	hits := make(map[string]*hit)
	for _, f := range ov.serious {
		k := ruleKey(f.Kind, f.RuleID) + "\x00" + f.Rule
		h := hits[k]
		if h == nil {
			if len(order) == maxSerious {
				continue
			}
			h = &hit{f: f}
			hits[k] = h
			order = append(order, k)
		}
		h.n++
		if !contains(h.hosts, f.Host) {
			h.hosts = append(h.hosts, f.Host)
		}
	}
	var out []string
	for _, k := range order {
		h := hits[k]
		where := hostList(h.hosts, 3)
		times := ""
		if h.n > 1 {
			times = fmt.Sprintf(", %d times", h.n)
		}
		txt := fmt.Sprintf("%s: %s on %s%s", h.f.Level, oneLine(h.f.Rule, 120), where, times)
		// Summaries often repeat the rule's title before what matched
		// ("Rule: value"); the title was just said.
		if sum := strings.TrimPrefix(h.f.Summary, h.f.Rule+": "); sum != "" && sum != h.f.Rule {
			txt += " — " + oneLine(sum, 160)
		}
		out = append(out, txt)
	}
	return out
}

// advice derives what to do next from what was found. Each piece is
// conditional on a finding that calls for it, and worded as "if confirmed":
// a finding is a lead, and the same commands are everyday administration.
func advice(ov *overview) []string {
	cat := ov.cat
	var dcCreds, otherCreds, cleared, proxy, lateral, persist, recon []string
	add := func(list *[]string, host string) {
		if !contains(*list, host) {
			*list = append(*list, host)
		}
	}
	for _, f := range ov.findings {
		tactics := ov.tacticsOf(f)
		has := func(t string) bool { return contains(tactics, t) }
		if has("credential-access") || hasTechnique(cat, f, "T1003") {
			if ov.isDC(f.Host) || mentions(f, "ntds.dit") || hasTechnique(cat, f, "T1003.003") {
				add(&dcCreds, f.Host)
			} else {
				add(&otherCreds, f.Host)
			}
		}
		if hasTechnique(cat, f, "T1070.001") || hasTechnique(cat, f, "T1562.002") {
			add(&cleared, f.Host)
		}
		if hasTechnique(cat, f, "T1090") || mentions(f, "portproxy") {
			add(&proxy, f.Host)
		}
		if has("lateral-movement") {
			add(&lateral, f.Host)
		}
		if has("persistence") {
			add(&persist, f.Host)
		}
		if has("discovery") || has("execution") {
			add(&recon, f.Host)
		}
	}
	var out []string
	if ov.levels[finding.Critical]+ov.levels[finding.High] > 0 {
		out = append(out, "Start with the critical and high findings below. For each, find out who ran it and why: ask the person responsible for the computer and the account. A finding that nobody can explain is a sign of intrusion.")
	} else {
		out = append(out, "No finding is rated high or critical. Review the findings below with the people who administer these computers: what they can explain is ordinary administration.")
	}
	if len(dcCreds) > 0 {
		out = append(out, "Credential theft from the domain controller ("+hostList(dcCreds, 5)+"): the Active Directory database (ntds.dit) holds every domain password. If this is confirmed, treat all domain passwords as compromised: after the intruder's access is removed, reset every account's password, service accounts included, and reset the krbtgt account's password twice.")
	}
	if len(otherCreds) > 0 {
		out = append(out, "Possible theft of passwords or credentials on "+hostList(otherCreds, 5)+": if confirmed, reset the passwords of every account that has logged on to those computers, administrators first.")
	}
	if len(cleared) > 0 {
		out = append(out, "Event logs were cleared or logging was turned off on "+hostList(cleared, 5)+": what happened before is missing from these logs. Look for copies elsewhere (a central log server, backups, the SIEM) and find out who cleared them.")
	}
	if len(proxy) > 0 {
		out = append(out, "Traffic may be relayed through "+hostList(proxy, 5)+" (a port proxy or tunnel, a way to reach inside the network from outside): on each, run \"netsh interface portproxy show all\" and remove what your administrators did not set up; look for the addresses involved in firewall logs.")
	}
	if len(lateral) > 0 {
		out = append(out, "Remote logons or remote commands reached "+hostList(lateral, 5)+": check with the owners of the accounts involved that these connections were theirs, and from where they came.")
	}
	if len(persist) > 0 {
		out = append(out, "Something was set up to run again (a service, scheduled task or autorun) on "+hostList(persist, 5)+": check that it is known, and remove it if not.")
	}
	if len(recon) > 0 && len(dcCreds)+len(otherCreds)+len(lateral) == 0 {
		out = append(out, "Commands that survey computers and the network were run on "+hostList(recon, 5)+". They are everyday administration too: ask who ran them.")
	}
	if len(ov.groups) > 0 && ov.groups[0].Group.ID == "G1017" && ov.groups[0].Score >= 0.5 {
		out = append(out, "Volt Typhoon, which this pattern resembles, targets critical infrastructure and stays hidden for years. The joint advisory AA24-038A (CISA, NSA, FBI and partners) lists what to check and how to remove such an intruder.")
	}
	out = append(out, "Keep these logs, this report and the case file. If an intrusion is confirmed, report it to your national CERT (in the United States, CISA) before cleaning up: an intruder who notices may go quiet or destroy evidence.")
	return out
}

// hostList names up to max hosts, then counts the rest.
func hostList(hosts []string, max int) string {
	hs := append([]string(nil), hosts...)
	sort.Strings(hs)
	var names []string
	for i, h := range hs {
		if i == max {
			names = append(names, fmt.Sprintf("%d more", len(hs)-max))
			break
		}
		names = append(names, oneLine(hostName(h), 60))
	}
	return strings.Join(names, ", ")
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
