package report

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/attack"
	"github.com/breakwater/breakwater/internal/finding"
)

// keyFields are the evidence fields that tell a person fastest what
// happened, most telling first: what ran, then what was installed or
// changed, then who and from where.
var keyFields = [...]string{
	"CommandLine", "ScriptBlockText", "Payload", "ImagePath", "ServiceFileName", "ServiceName",
	"TargetObject", "TargetFilename", "ObjectName", "RelativeTargetName", "ShareName", "PipeName",
	"QueryName", "DestinationHostname", "TaskName", "TargetUserName", "IpAddress", "Image",
}

// keyField returns the field of a finding a person should see first, and
// its value: the explanation's sentence for correlations and analytics
// (which say what pattern was seen), else the most telling field of the
// first evidence event, else the first value a rule matched, else the
// summary.
func keyField(f *finding.Finding) (name, value string) {
	if f.Kind != finding.KindSigma && f.Explain.Text != "" {
		return "explain", f.Explain.Text
	}
	if len(f.Evidence) > 0 {
		fields := f.Evidence[0].Fields
		for _, k := range keyFields {
			for _, fl := range fields {
				if fl.Name == k && strings.TrimSpace(fl.Value) != "" {
					return fl.Name, fl.Value
				}
			}
		}
	}
	for _, m := range f.Explain.Matches {
		if m.Value != "" {
			name := m.Field
			if name == "" {
				name = "keyword"
			}
			return name, m.Value
		}
	}
	if f.Explain.Text != "" {
		return "explain", f.Explain.Text
	}
	return "summary", f.Summary
}

// overview is what the summaries of a report (terminal and HTML) are made
// of, computed once.
type overview struct {
	cat      *attack.Catalog
	findings []*finding.Finding // report order
	serious  []*finding.Finding // most serious first, then report order
	levels   [finding.Critical + 1]int
	hosts    []hostSummary // most serious first
	tactics  []tacticCount // kill-chain order
	first    time.Time     // of the first and last finding
	last     time.Time
	seen     []attack.Observed
	groups   []attack.GroupScore // best first
	rules    map[string]*finding.Rule
	dcs      map[string]bool // hosts known to be domain controllers from their logs
}

// hostSummary is what was found on one host.
type hostSummary struct {
	name     string
	levels   [finding.Critical + 1]int
	max      finding.Level
	findings int
	tactics  map[string]int // short name → findings
}

// tacticCount is a tactic and the number of findings that carry it.
type tacticCount struct {
	name     string // v18.1 short name, or the tag as found when unknown
	display  string // "Credential Access"
	findings int
}

func newOverview(r *finding.Report, cat *attack.Catalog) *overview {
	o := &overview{cat: cat, rules: make(map[string]*finding.Rule, len(r.Rules)), dcs: dcHosts(r)}
	for i := range r.Rules {
		o.rules[ruleKey(r.Rules[i].Kind, r.Rules[i].ID)] = &r.Rules[i]
	}
	o.findings = sortedFindings(r.Findings)
	o.serious = append([]*finding.Finding(nil), o.findings...)
	// Stable: findings of a level stay in report (time) order.
	sort.SliceStable(o.serious, func(i, j int) bool { return o.serious[i].Level > o.serious[j].Level })

	hosts := make(map[string]*hostSummary)
	tactics := make(map[string]int)
	for _, f := range o.findings {
		lv := clampLevel(f.Level)
		o.levels[lv]++
		if !f.Time.IsZero() {
			if o.first.IsZero() || f.Time.Before(o.first) {
				o.first = f.Time
			}
			if f.Time.After(o.last) {
				o.last = f.Time
			}
		}
		h := hosts[f.Host]
		if h == nil {
			h = &hostSummary{name: f.Host, tactics: make(map[string]int)}
			hosts[f.Host] = h
		}
		h.levels[lv]++
		h.findings++
		if lv > h.max {
			h.max = lv
		}
		for _, t := range o.tacticsOf(f) {
			tactics[t]++
			h.tactics[t]++
		}
	}
	for _, h := range hosts {
		o.hosts = append(o.hosts, *h)
	}
	sort.Slice(o.hosts, func(i, j int) bool { return moreSerious(&o.hosts[i], &o.hosts[j]) })
	for t, n := range tactics {
		o.tactics = append(o.tactics, tacticCount{name: t, display: o.tacticName(t), findings: n})
	}
	sort.Slice(o.tactics, func(i, j int) bool {
		a, b := o.tactics[i], o.tactics[j]
		if oa, ob := cat.TacticOrder(a.name), cat.TacticOrder(b.name); oa != ob {
			return oa < ob
		}
		return a.name < b.name
	})
	o.seen = cat.Observe(o.findings)
	o.groups = cat.Attribute(attack.IDs(o.seen))
	return o
}

// resemblance says in words how much of what was seen a group is known
// for: "documented for 4 of the 5 techniques seen, and in part for 1 more
// (score 0.94)".
func (o *overview) resemblance(g attack.GroupScore) string {
	exact := 0
	for _, s := range g.Shared {
		if s.Exact {
			exact++
		}
	}
	txt := fmt.Sprintf("documented for %d of the %d techniques seen", exact, len(o.seen))
	if part := len(g.Shared) - exact; part > 0 {
		txt += fmt.Sprintf(", and in part (a related technique) for %d more", part)
	}
	return txt + fmt.Sprintf(" (score %.2f of 1)", g.Score)
}

// moreSerious orders hosts: by their counts of critical findings, then of
// high ones, and so on down, then by name.
func moreSerious(a, b *hostSummary) bool {
	for lv := finding.Critical; lv >= finding.Informational; lv-- {
		if a.levels[lv] != b.levels[lv] {
			return a.levels[lv] > b.levels[lv]
		}
	}
	return a.name < b.name
}

// tacticsOf returns the v18.1 tactics of a finding, without duplicates: its
// own, or when it has none, those of its techniques.
func (o *overview) tacticsOf(f *finding.Finding) []string {
	var out []string
	add := func(t string) {
		if rt, ok := o.cat.ResolveTactic(t); ok {
			t = rt
		} else {
			t = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(t)), "attack.")
		}
		if t == "" {
			return
		}
		for _, have := range out {
			if have == t {
				return
			}
		}
		out = append(out, t)
	}
	for _, t := range f.Tactics {
		add(t)
	}
	if len(f.Tactics) == 0 {
		for _, id := range f.Techniques {
			if tech, ok := o.cat.Technique(id); ok {
				for _, t := range tech.Tactics {
					add(t)
				}
			}
		}
	}
	return out
}

func (o *overview) tacticName(short string) string {
	if t, ok := o.cat.Tactic(short); ok {
		return t.Name
	}
	return short
}

// hostCount is the number of distinct hosts with findings.
func (o *overview) hostCount() int { return len(o.hosts) }

func ruleKey(k finding.Kind, id string) string { return string(k) + "\x00" + id }

// rule returns the description of the rule behind a finding, or nil.
func (o *overview) rule(f *finding.Finding) *finding.Rule {
	if r, ok := o.rules[ruleKey(f.Kind, f.RuleID)]; ok {
		return r
	}
	// Reports made by hand or by older versions may leave Kind out.
	for _, r := range o.rules {
		if r.ID == f.RuleID {
			return r
		}
	}
	return nil
}

func clampLevel(l finding.Level) finding.Level {
	if l < finding.Informational {
		return finding.Informational
	}
	if l > finding.Critical {
		return finding.Critical
	}
	return l
}

// sortedFindings returns the findings in report order (finding.Sort)
// without changing the report, so that every output is the same whatever
// order the findings were collected in.
func sortedFindings(fs []*finding.Finding) []*finding.Finding {
	out := make([]*finding.Finding, 0, len(fs))
	for _, f := range fs {
		if f != nil {
			out = append(out, f)
		}
	}
	finding.Sort(out)
	return out
}

// dcName matches host names that name a domain controller: DC01,
// CORP-DC-2, dc1.corp.example, PDC.
var dcName = regexp.MustCompile(`(?i)(^|[-_.])p?dc[0-9]*([-_.]|$)`)

// dcHosts returns the hosts whose logs include a Directory Service log,
// which only domain controllers have.
func dcHosts(r *finding.Report) map[string]bool {
	dcs := make(map[string]bool)
	for _, c := range r.Counts {
		if strings.EqualFold(c.Channel, "Directory Service") {
			dcs[c.Host] = true
		}
	}
	return dcs
}

// isDC guesses whether a host is a domain controller, from its name or from
// the logs read on it (dcHosts).
func (o *overview) isDC(host string) bool {
	return o.dcs[host] || dcName.MatchString(host)
}

// mentions reports whether any evidence field or matched value of f
// contains needle, ignoring ASCII case (needle in lower case). It does not
// allocate: advice asks it of every finding.
func mentions(f *finding.Finding, needle string) bool {
	for _, m := range f.Explain.Matches {
		if containsFold(m.Value, needle) {
			return true
		}
	}
	for _, e := range f.Evidence {
		for _, fl := range e.Fields {
			if containsFold(fl.Value, needle) {
				return true
			}
		}
	}
	return false
}

// containsFold reports whether s contains needle (ASCII, lower case),
// ignoring the ASCII case of s.
func containsFold(s, needle string) bool {
	n := len(needle)
	if n == 0 {
		return true
	}
	for i := 0; i+n <= len(s); i++ {
		j := 0
		for ; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != needle[j] {
				break
			}
		}
		if j == n {
			return true
		}
	}
	return false
}

// hasTechnique reports whether f carries the technique id or one of its
// sub-techniques (after resolving to v18.1).
func hasTechnique(cat *attack.Catalog, f *finding.Finding, id string) bool {
	for _, t := range f.Techniques {
		rid, ok := cat.Resolve(t)
		if !ok {
			continue
		}
		if rid == id || strings.HasPrefix(rid, id+".") {
			return true
		}
	}
	return false
}
