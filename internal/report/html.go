package report

import (
	"bufio"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/attack"
	"github.com/breakwater/breakwater/internal/finding"
)

//go:embed report.html.tmpl
var htmlTemplate string

// printScript opens every collapsed section before the page is printed, so
// that a printed report shows all its evidence. It is the page's only
// script, allowed by its hash in the Content-Security-Policy; the page is
// complete without it.
const printScript = `addEventListener("beforeprint",function(){document.querySelectorAll("details").forEach(function(d){d.open=true})});`

// maxValue caps the characters of one field value on the page; the JSONL
// output and the case file keep them whole.
const maxValue = 4000

// maxEvidence caps the evidence events shown per finding (correlations can
// carry hundreds).
const maxEvidence = 3

// maxHeatHosts caps the rows of the heat map.
const maxHeatHosts = 60

// maxCounts caps the rows of the event-count table.
const maxCounts = 500

// HTML writes the report as one self-contained page: no external resource,
// no web font, styles inline, and a single optional script (to expand the
// collapsed evidence before printing) allowed by its hash. A
// Content-Security-Policy in the page forbids loading anything else, so the
// page opens offline and cannot be made to call out.
//
// Sections: what happened, in plain words, with what to do next; counts by
// level; a timeline of findings by level; hosts × ATT&CK tactics; the
// resemblance to known groups; every rule that matched, with its
// description, references, false positives and techniques, and its
// findings per host (the first Options.PerGroup in full with their
// explanation and evidence, the rest counted); then what was read, skipped
// and damaged, notes and settings.
//
// Everything is rendered through html/template: text from logs is always
// escaped, never trusted as HTML.
func HTML(w io.Writer, r *finding.Report, o Options) error {
	cat, err := o.catalog()
	if err != nil {
		return err
	}
	tmpl, err := template.New("report").Parse(htmlTemplate)
	if err != nil {
		return fmt.Errorf("report template: %w", err)
	}
	v := newPage(r, cat, o)
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := tmpl.Execute(bw, v); err != nil {
		return fmt.Errorf("rendering the HTML report: %w", err)
	}
	return bw.Flush()
}

// page is what the template renders. Every string in it that came from a
// log or a rule has been through visible(); html/template escapes them all.
type page struct {
	Title    string
	CSP      string
	Script   template.JS // printScript, a constant
	Subtitle string
	Story    story
	Levels   []levelCount
	Chart    *chart
	Heat     *heatMap
	Groups   []groupRow
	Rules    []ruleSection
	Inputs   []inputRow
	Skipped  []finding.Skipped
	Damage   []string
	// DamageMore counts damaged records not listed.
	DamageMore int
	Counts     []countRow
	CountsMore int
	Notes      []string
	Settings   []finding.Setting
	Started    string
	Finished   string
	Attack     string // ATT&CK version and notice
	Total      int
}

type levelCount struct {
	Name  string
	Count int
}

type heatMap struct {
	Tactics []string // display names, kill-chain order
	Rows    []heatRow
	More    int // hosts not shown
}

type heatRow struct {
	Host  string
	Level string // the host's most serious level
	Cells []heatCell
}

type heatCell struct {
	Count int
	Class string // h0 (none) .. h5 (the most)
	Title string
}

type groupRow struct {
	ID, Name, Aliases string
	Score             string
	Shared            []string // "T1047 Windows Management Instrumentation"
	Partial           []string
}

type ruleSection struct {
	Anchor         string
	Title          string
	ID             string
	Kind           string
	Level          string
	Status         string
	Author         string
	Path           string
	Description    string
	References     []link
	FalsePositives []string
	Techniques     []string
	Tactics        []string
	Total          int
	HostCount      int
	Hosts          []hostGroup
}

type link struct {
	Text string
	URL  string // http(s) only; empty to show Text as plain text
}

type hostGroup struct {
	Host     string
	Count    int
	Findings []findingView
	More     int
}

type findingView struct {
	ID           string
	Time         string
	Level        string
	User         string
	Summary      string
	Condition    string
	Matches      []matchView
	Text         string
	Values       []kv
	Evidence     []evidenceView
	EvidenceMore int
}

type matchView struct {
	Selection, Field, Modifiers, Pattern, Value string
}

type kv struct {
	Name, Value string
	Key         bool // a key field, shown first and highlighted
}

type evidenceView struct {
	Where  string // file and record
	Event  string // channel and event id
	Time   string
	Fields []kv
}

type inputRow struct {
	Name, Format, Size string
	Events, Damaged    int
}

type countRow struct {
	Host, Channel string
	EventID       int
	Events        int
	First, Last   string
}

func newPage(r *finding.Report, cat *attack.Catalog, o Options) *page {
	ov := newOverview(r, cat)
	per := o.PerGroup
	if per <= 0 {
		per = 5
	}
	hash := sha256.Sum256([]byte(printScript))
	p := &page{
		CSP: "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" +
			base64.StdEncoding.EncodeToString(hash[:]) + "'; base-uri 'none'; form-action 'none'",
		Script: template.JS(printScript),
		Story:  newStory(ov, r),
		Chart:  newChart(ov.findings),
		Total:  len(ov.findings),
		Attack: "MITRE ATT&CK v" + cat.Version() + ". " + attack.Notice,
	}
	p.Title = fmt.Sprintf("Breakwater report: %s on %s", plural(len(ov.findings), "finding"), plural(ov.hostCount(), "host"))
	if !ov.first.IsZero() {
		p.Subtitle = "Findings " + span(ov.first, ov.last)
	}
	if !r.Started.IsZero() {
		p.Started = r.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	if !r.Finished.IsZero() {
		p.Finished = r.Finished.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	for lv := finding.Critical; lv >= finding.Informational; lv-- {
		p.Levels = append(p.Levels, levelCount{Name: lv.String(), Count: ov.levels[lv]})
	}
	p.Heat = newHeatMap(ov)
	for i, g := range ov.groups {
		if i == 5 {
			break
		}
		row := groupRow{ID: g.Group.ID, Name: g.Group.Name, Aliases: strings.Join(g.Group.Aliases, ", "),
			Score: strconv.FormatFloat(g.Score, 'f', 2, 64)}
		for _, s := range g.Shared {
			name := s.Technique + " " + cat.TechniqueName(s.Technique)
			if s.Exact {
				row.Shared = append(row.Shared, strings.TrimSpace(name))
			} else {
				row.Partial = append(row.Partial, strings.TrimSpace(name)+" (documented: "+s.Via+")")
			}
		}
		p.Groups = append(p.Groups, row)
	}
	p.Rules = ruleSections(ov, cat, per)
	for _, in := range r.Inputs {
		p.Inputs = append(p.Inputs, inputRow{Name: visible(in.Name), Format: visible(in.Format), Size: size(in.Size),
			Events: in.Events, Damaged: in.Damaged})
	}
	for _, s := range r.Skipped {
		p.Skipped = append(p.Skipped, finding.Skipped{Name: visible(s.Name), Reason: visible(s.Reason)})
	}
	for _, d := range r.Damage {
		p.Damage = append(p.Damage, visible(d))
	}
	if r.DamageTotal > len(r.Damage) {
		p.DamageMore = r.DamageTotal - len(r.Damage)
	}
	counts := append([]finding.Count(nil), r.Counts...)
	sort.SliceStable(counts, func(i, j int) bool {
		a, b := counts[i], counts[j]
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		if a.Channel != b.Channel {
			return a.Channel < b.Channel
		}
		return a.EventID < b.EventID
	})
	for i, c := range counts {
		if i == maxCounts {
			p.CountsMore = len(counts) - maxCounts
			break
		}
		p.Counts = append(p.Counts, countRow{Host: visible(hostName(c.Host)), Channel: visible(c.Channel), EventID: c.EventID,
			Events: c.Events, First: shortTime(c.First), Last: shortTime(c.Last)})
	}
	for _, n := range r.Notes {
		p.Notes = append(p.Notes, visible(n))
	}
	for _, s := range r.Settings {
		p.Settings = append(p.Settings, finding.Setting{Name: visible(s.Name), Value: visible(s.Value)})
	}
	return p
}

func newHeatMap(ov *overview) *heatMap {
	if len(ov.tactics) == 0 || len(ov.hosts) == 0 {
		return nil
	}
	h := &heatMap{}
	for _, t := range ov.tactics {
		h.Tactics = append(h.Tactics, visible(t.display))
	}
	peak := 0
	for _, hs := range ov.hosts {
		for _, n := range hs.tactics {
			peak = maxInt(peak, n)
		}
	}
	for i, hs := range ov.hosts {
		if i == maxHeatHosts {
			h.More = len(ov.hosts) - maxHeatHosts
			break
		}
		row := heatRow{Host: visible(hostName(hs.name)), Level: hs.max.String()}
		for _, t := range ov.tactics {
			n := hs.tactics[t.name]
			cls := "h0"
			if n > 0 {
				// Five shades; the square root keeps one noisy host from
				// washing out all the others.
				k := 1 + int(4*sqrtRatio(n, peak))
				if k > 5 {
					k = 5
				}
				cls = "h" + strconv.Itoa(k)
			}
			row.Cells = append(row.Cells, heatCell{Count: n, Class: cls,
				Title: fmt.Sprintf("%s: %s, %d", visible(hostName(hs.name)), visible(t.display), n)})
		}
		h.Rows = append(h.Rows, row)
	}
	return h
}

func sqrtRatio(n, peak int) float64 {
	if peak <= 1 {
		return 1
	}
	// sqrt((n-1)/(peak-1)) in [0, 1]; exactly 1 at the peak.
	x := float64(n-1) / float64(peak-1)
	if x <= 0 {
		return 0
	}
	return math.Sqrt(x)
}

// ruleSections groups the findings by rule, most serious rule first, and
// within a rule by host, most serious host first.
func ruleSections(ov *overview, cat *attack.Catalog, per int) []ruleSection {
	type group struct {
		key   string
		first *finding.Finding
		max   finding.Level
		total int
		hosts map[string][]*finding.Finding
	}
	var order []*group
	groups := make(map[string]*group)
	for _, f := range ov.findings {
		k := ruleKey(f.Kind, f.RuleID) + "\x00" + f.Rule
		g := groups[k]
		if g == nil {
			g = &group{key: k, first: f, max: clampLevel(f.Level), hosts: make(map[string][]*finding.Finding)}
			groups[k] = g
			order = append(order, g)
		}
		g.total++
		if clampLevel(f.Level) > g.max {
			g.max = clampLevel(f.Level)
		}
		g.hosts[f.Host] = append(g.hosts[f.Host], f)
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.max != b.max {
			return a.max > b.max
		}
		if a.total != b.total {
			return a.total > b.total
		}
		return a.key < b.key
	})
	hostRank := make(map[string]int, len(ov.hosts))
	for i, h := range ov.hosts {
		hostRank[h.name] = i
	}
	var out []ruleSection
	for i, g := range order {
		f := g.first
		sec := ruleSection{
			Anchor: "rule-" + strconv.Itoa(i+1),
			Title:  visible(f.Rule),
			ID:     visible(f.RuleID),
			Kind:   visible(string(f.Kind)),
			Level:  g.max.String(),
			Total:  g.total,
		}
		techniques, tactics := f.Techniques, f.Tactics
		if rule := ov.rule(f); rule != nil {
			sec.Status = visible(rule.Status)
			sec.Author = visible(rule.Author)
			sec.Path = visible(rule.Path)
			sec.Description = visible(rule.Description)
			for _, ref := range rule.References {
				sec.References = append(sec.References, newLink(ref))
			}
			for _, fp := range rule.FalsePositives {
				sec.FalsePositives = append(sec.FalsePositives, visible(fp))
			}
			if len(rule.Techniques) > 0 {
				techniques = rule.Techniques
			}
			if len(rule.Tactics) > 0 {
				tactics = rule.Tactics
			}
		}
		for _, t := range techniques {
			sec.Techniques = append(sec.Techniques, techniqueLabel(cat, t))
		}
		if len(tactics) == 0 {
			// As the heat map does: the tactics of its techniques.
			tactics = ov.tacticsOf(f)
		}
		for _, t := range tactics {
			if tc, ok := cat.Tactic(t); ok {
				sec.Tactics = append(sec.Tactics, tc.Name+" ("+tc.ID+")")
			} else {
				sec.Tactics = append(sec.Tactics, visible(t))
			}
		}
		hosts := make([]string, 0, len(g.hosts))
		for h := range g.hosts {
			hosts = append(hosts, h)
		}
		sort.Slice(hosts, func(i, j int) bool { return hostRank[hosts[i]] < hostRank[hosts[j]] })
		sec.HostCount = len(hosts)
		for _, h := range hosts {
			fs := g.hosts[h]
			hg := hostGroup{Host: visible(hostName(h)), Count: len(fs)}
			for j, f := range fs {
				if j == per {
					hg.More = len(fs) - per
					break
				}
				hg.Findings = append(hg.Findings, newFindingView(f))
			}
			sec.Hosts = append(sec.Hosts, hg)
		}
		out = append(out, sec)
	}
	return out
}

func techniqueLabel(cat *attack.Catalog, id string) string {
	rid, ok := cat.Resolve(id)
	if !ok {
		return visible(id) + " (not in ATT&CK v" + cat.Version() + ")"
	}
	label := rid + " " + cat.TechniqueName(rid)
	if norm := strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(id), "attack.")); norm != rid {
		label = visible(norm) + " → " + label
	}
	return label
}

// newLink shows a reference as a link only when it is a plain web address;
// anything else (javascript:, data:, a bare word) stays text.
func newLink(ref string) link {
	l := link{Text: visible(ref)}
	u, err := url.Parse(strings.TrimSpace(ref))
	if err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" && l.Text == ref {
		l.URL = u.String()
	}
	return l
}

func newFindingView(f *finding.Finding) findingView {
	v := findingView{
		ID:        visible(f.ID),
		Time:      fullTime(f.Time),
		Level:     clampLevel(f.Level).String(),
		User:      visible(f.User),
		Summary:   visible(f.Summary),
		Condition: visible(f.Explain.Condition),
		Text:      visible(f.Explain.Text),
	}
	matched := make(map[string]bool)
	for _, m := range f.Explain.Matches {
		v.Matches = append(v.Matches, matchView{Selection: visible(m.Selection), Field: visible(m.Field),
			Modifiers: visible(m.Modifiers), Pattern: capValue(m.Pattern), Value: capValue(m.Value)})
		if m.Field != "" {
			matched[m.Field] = true
		}
	}
	for _, x := range f.Explain.Values {
		v.Values = append(v.Values, kv{Name: visible(x.Name), Value: capValue(x.Value)})
	}
	for i := range f.Evidence {
		if i == maxEvidence {
			break
		}
		v.Evidence = append(v.Evidence, newEvidenceView(&f.Evidence[i], matched))
	}
	total := len(f.Evidence)
	if f.EvidenceTotal > total {
		total = f.EvidenceTotal
	}
	v.EvidenceMore = total - len(v.Evidence)
	return v
}

// newEvidenceView lists an event's fields with the key ones first: those a
// rule matched, then the most telling (keyFields), then the rest in the
// event's order.
func newEvidenceView(e *finding.Evidence, matched map[string]bool) evidenceView {
	where := visible(e.File)
	switch {
	case e.Line > 0:
		where += ", line " + strconv.Itoa(e.Line)
	case e.RecordID > 0:
		where += ", record " + strconv.FormatUint(e.RecordID, 10)
	case e.Offset >= 0:
		where += ", offset " + strconv.FormatInt(e.Offset, 10)
	}
	if e.Line > 0 && e.RecordID > 0 {
		where += ", record " + strconv.FormatUint(e.RecordID, 10)
	}
	ev := evidenceView{Where: where, Event: visible(e.Channel) + " " + strconv.Itoa(e.EventID), Time: fullTime(e.Time)}
	rank := func(name string) int {
		if matched[name] {
			return 0
		}
		for i, k := range keyFields {
			if k == name {
				return 1 + i
			}
		}
		return 1 + len(keyFields)
	}
	idx := make([]int, len(e.Fields))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return rank(e.Fields[idx[a]].Name) < rank(e.Fields[idx[b]].Name) })
	for _, i := range idx {
		fl := e.Fields[i]
		ev.Fields = append(ev.Fields, kv{Name: visible(fl.Name), Value: capValue(fl.Value), Key: rank(fl.Name) <= len(keyFields)})
	}
	return ev
}

// capValue is visible text cut to maxValue characters.
func capValue(s string) string {
	s = visible(s)
	if len(s) <= maxValue {
		return s
	}
	cut := truncate(s, maxValue)
	return cut + " [" + strconv.Itoa(len([]rune(s))-maxValue) + " more characters in the JSONL output]"
}

func fullTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000 UTC")
}

func shortTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05")
}

// countSpan is the time range of the events read, from the counts.
func countSpan(r *finding.Report) (first, last time.Time) {
	for _, c := range r.Counts {
		if !c.First.IsZero() && (first.IsZero() || c.First.Before(first)) {
			first = c.First
		}
		if c.Last.After(last) {
			last = c.Last
		}
	}
	return first, last
}

// size renders a byte count for people: 1.5 MB.
func size(n int64) string {
	switch {
	case n < 0:
		return ""
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000*1000*1000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.1f GB", float64(n)/1e9)
}
