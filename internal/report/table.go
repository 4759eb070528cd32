package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/finding"
)

// ANSI colours of the levels, used only when Options.Color says the output
// is a terminal.
var levelColor = [...]string{
	finding.Informational: "\x1b[2m",    // dim
	finding.Low:           "\x1b[36m",   // cyan
	finding.Medium:        "\x1b[33m",   // yellow
	finding.High:          "\x1b[31m",   // red
	finding.Critical:      "\x1b[1;31m", // bold red
}

const ansiReset = "\x1b[0m"

// tableTime is how the table shows times: to the second, in UTC, which the
// heading says once.
const tableTime = "2006-01-02 15:04:05"

// Table writes the summary a person reads in ten seconds: counts by level,
// the hosts with the most serious findings, the ATT&CK tactics seen, which
// known group the techniques resemble, then the findings from critical
// down, one line each (capped: the rest are counted, and the HTML and JSONL
// outputs have them all).
//
// Text from the logs never reaches the terminal raw: control characters
// and escape sequences become visible escapes (\x1b). Colour is used only
// when o.Color is set.
func Table(w io.Writer, r *finding.Report, o Options) error {
	cat, err := o.catalog()
	if err != nil {
		return err
	}
	width := o.Width
	if width <= 0 {
		width = 100
	}
	if width < 40 {
		width = 40
	}
	maxLines := o.MaxFindings
	if maxLines <= 0 {
		maxLines = 50
	}
	ov := newOverview(r, cat)
	bw := bufio.NewWriter(w)
	t := &tableWriter{w: bw, color: o.Color, width: width}

	// Heading: how much, where, when.
	n := len(ov.findings)
	head := fmt.Sprintf("%s on %s", plural(n, "finding"), plural(ov.hostCount(), "host"))
	if n == 0 {
		head = "No findings"
	}
	if !ov.first.IsZero() {
		head += ", " + span(ov.first, ov.last)
	}
	t.line(t.bold(head))
	if n > 0 {
		var parts []string
		for lv := finding.Critical; lv >= finding.Informational; lv-- {
			if ov.levels[lv] > 0 {
				parts = append(parts, t.level(lv, fmt.Sprintf("%d %s", ov.levels[lv], lv)))
			}
		}
		t.line("  " + strings.Join(parts, "   "))
	}
	t.line(readLine(r))

	if n > 0 {
		t.line("")
		t.line(t.bold("Hosts, most serious first"))
		const maxHosts = 10
		nameW := 4
		for i, h := range ov.hosts {
			if i == maxHosts {
				break
			}
			if l := len([]rune(oneLine(hostName(h.name), 40))); l > nameW {
				nameW = l
			}
		}
		for i, h := range ov.hosts {
			if i == maxHosts {
				t.line(fmt.Sprintf("  and %d more", len(ov.hosts)-maxHosts))
				break
			}
			var parts []string
			for lv := finding.Critical; lv >= finding.Informational; lv-- {
				if h.levels[lv] > 0 {
					parts = append(parts, t.level(lv, fmt.Sprintf("%d %s", h.levels[lv], lv)))
				}
			}
			t.line("  " + padRight(oneLine(hostName(h.name), 40), nameW) + "  " + strings.Join(parts, ", "))
		}

		if len(ov.tactics) > 0 {
			t.line("")
			t.line(t.bold("ATT&CK tactics seen, in kill-chain order"))
			var parts []string
			for _, tc := range ov.tactics {
				parts = append(parts, fmt.Sprintf("%s (%d)", oneLine(tc.display, 40), tc.findings))
			}
			t.wrap("  ", strings.Join(parts, " → "))
		}

		if len(ov.groups) > 0 {
			t.line("")
			t.line(t.bold("Resembles"))
			g := ov.groups[0]
			t.wrap("  ", fmt.Sprintf("%s (%s): %s.", g.Group.Name, g.Group.ID, ov.resemblance(g)))
			var next []string
			for _, other := range ov.groups[1:min(len(ov.groups), 4)] {
				next = append(next, fmt.Sprintf("%s %.2f", other.Group.Name, other.Score))
			}
			if len(next) > 0 {
				t.wrap("  ", "Next: "+strings.Join(next, ", ")+".")
			}
			t.wrap("  ", "Resemblance is not attribution: many groups use the same tools, and ATT&CK lists only what was reported.")
		}

		t.line("")
		lines := groupRepeats(ov.serious)
		t.findings("Findings", lines, maxLines)
		if len(lines) > maxLines {
			rest := 0
			for _, l := range lines[maxLines:] {
				rest += l.n
			}
			t.line(fmt.Sprintf("  %s not shown — see --format html or jsonl", plural(rest, "finding")))
		}
	}
	if r.DamageTotal > 0 || len(r.Skipped) > 0 || len(r.Notes) > 0 {
		t.line("")
		if len(r.Skipped) > 0 {
			t.line(fmt.Sprintf("%s skipped (not logs, or unreadable).", plural(len(r.Skipped), "file")))
		}
		if r.DamageTotal > 0 {
			t.line(fmt.Sprintf("%s damaged: skipped, the rest of each file read.", plural(r.DamageTotal, "record")))
		}
		for _, note := range r.Notes {
			t.wrap("Note: ", oneLine(note, 1000))
		}
	}
	return bw.Flush()
}

// tableWriter writes the table's lines.
type tableWriter struct {
	w     *bufio.Writer
	color bool
	width int
}

func (t *tableWriter) line(s string) {
	t.w.WriteString(s)
	t.w.WriteByte('\n')
}

// wrap writes text (already made visible) in lines of the table's width,
// the first after prefix and the rest indented as deep.
func (t *tableWriter) wrap(prefix, text string) {
	indent := strings.Repeat(" ", len([]rune(prefix)))
	line := prefix
	empty := true
	for _, word := range strings.Fields(text) {
		if !empty && len([]rune(line))+1+len([]rune(word)) > t.width {
			t.line(line)
			line, empty = indent, true
		}
		if !empty {
			line += " "
		}
		line += word
		empty = false
	}
	t.line(line)
}

func (t *tableWriter) bold(s string) string {
	if !t.color {
		return s
	}
	return "\x1b[1m" + s + ansiReset
}

func (t *tableWriter) level(lv finding.Level, s string) string {
	if !t.color {
		return s
	}
	return levelColor[clampLevel(lv)] + s + ansiReset
}

// shortLevel names levels in the table's level column, which
// "informational" would make wider than every other word.
var shortLevel = [...]string{
	finding.Informational: "info",
	finding.Low:           "low",
	finding.Medium:        "medium",
	finding.High:          "high",
	finding.Critical:      "critical",
}

// findingLine is one line of the table's findings: a finding, or the first
// of n findings of one rule on one host at one level, which a brute-force
// attack or a noisy rule makes by the thousand and which would otherwise
// push everything else off the screen.
type findingLine struct {
	f *finding.Finding
	n int
}

// groupRepeats folds the findings of one rule, host and level into one
// line, placed where the first of them stands.
func groupRepeats(fs []*finding.Finding) []findingLine {
	type key struct {
		kind        finding.Kind
		id, rule, h string
		lv          finding.Level
	}
	idx := make(map[key]int)
	var out []findingLine
	for _, f := range fs {
		k := key{f.Kind, f.RuleID, f.Rule, f.Host, clampLevel(f.Level)}
		if i, ok := idx[k]; ok {
			out[i].n++
			continue
		}
		idx[k] = len(out)
		out = append(out, findingLine{f: f, n: 1})
	}
	return out
}

// findings writes one line per finding, or per group of repeats: time,
// host, level, rule, and the key field, which takes whatever width is
// left. When all the findings shown fall on one day, the date is said once
// in the heading and the lines show the time of day only.
func (t *tableWriter) findings(heading string, lines []findingLine, max int) {
	if len(lines) > max {
		lines = lines[:max]
	}
	layout := tableTime
	day := ""
	for _, l := range lines {
		if l.f.Time.IsZero() {
			continue
		}
		d := l.f.Time.UTC().Format("2006-01-02")
		if day == "" {
			day = d
		} else if d != day {
			day = "-"
			break
		}
	}
	if day != "" && day != "-" {
		layout = "15:04:05"
		heading = "Findings of " + day
	}
	t.line(t.bold(heading + ", most serious first (times UTC)"))

	const hostMax, ruleMax, keyMin = 20, 48, 24
	hostW, ruleW, keyW := 4, 4, 0
	texts := make([]string, len(lines))
	for i, l := range lines {
		f := l.f
		hostW = maxInt(hostW, len([]rune(oneLine(hostName(f.Host), hostMax))))
		ruleW = maxInt(ruleW, len([]rune(oneLine(f.Rule, ruleMax))))
		key, val := keyField(f)
		if key == "summary" && val == f.Rule {
			val = ""
		}
		texts[i] = oneLine(val, 1000)
		if l.n > 1 {
			texts[i] = strings.TrimSpace(fmt.Sprintf("×%d  %s", l.n, texts[i]))
		}
		keyW = maxInt(keyW, len([]rune(texts[i])))
	}
	const levelW = len("critical")
	fixed := 2 + len(layout) + 2 + hostW + 2 + levelW + 2
	// The rule gets what is left after the key field (up to keyMin), but
	// never so little that titles become unreadable.
	ruleW = min(ruleW, maxInt(24, t.width-fixed-2-min(keyW, keyMin)))
	for i, l := range lines {
		f := l.f
		when := "-"
		if !f.Time.IsZero() {
			when = f.Time.UTC().Format(layout)
		}
		lv := clampLevel(f.Level)
		prefix := "  " + padRight(when, len(layout)) + "  " + padRight(oneLine(hostName(f.Host), hostW), hostW) + "  "
		rule := padRight(oneLine(f.Rule, ruleW), ruleW) + "  "
		text := truncate(texts[i], maxInt(t.width-fixed-len([]rune(rule)), 16))
		t.line(strings.TrimRight(prefix+t.level(lv, padRight(shortLevel[lv], levelW))+"  "+rule+text, " "))
	}
}

func hostName(h string) string {
	if h == "" {
		return "(no host)"
	}
	return h
}

// readLine says what the hunt read.
func readLine(r *finding.Report) string {
	var events int64
	for _, in := range r.Inputs {
		events += int64(in.Events)
	}
	s := fmt.Sprintf("Read %s, %s events", plural(len(r.Inputs), "log"), thousands(events))
	if len(r.Skipped) > 0 {
		s += fmt.Sprintf("; %d skipped", len(r.Skipped))
	}
	if r.DamageTotal > 0 {
		s += fmt.Sprintf("; %s damaged", plural(r.DamageTotal, "record"))
	}
	return s + "."
}

// span renders a time range for a heading: "2024-02-07 10:11 – 12:40 UTC",
// or with both dates when they differ.
func span(first, last time.Time) string {
	first, last = first.UTC(), last.UTC()
	const day, minute = "2006-01-02", "2006-01-02 15:04"
	if first.Format(day) == last.Format(day) {
		if first.Format(minute) == last.Format(minute) {
			return first.Format(minute) + " UTC"
		}
		return first.Format(minute) + " – " + last.Format("15:04") + " UTC"
	}
	return first.Format(minute) + " – " + last.Format(minute) + " UTC"
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return thousands(int64(n)) + " " + word + "s"
}

// thousands renders n with thousands separators: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
