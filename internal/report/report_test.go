package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// at is a time of the sample intrusion, minutes after 2024-02-07 10:00 UTC.
func at(min int, sec int) time.Time {
	return time.Date(2024, 2, 7, 10, 0, 0, 0, time.UTC).Add(time.Duration(min)*time.Minute + time.Duration(sec)*time.Second + 1234567*100)
}

// sampleReport is a hunt of a small intrusion in the manner of Volt
// Typhoon: discovery and a port proxy on a web server, credentials taken
// from a domain controller, a password spray, a cleared log.
func sampleReport() *finding.Report {
	ev := func(file string, rec uint64, ch string, id int, t time.Time, fields ...string) finding.Evidence {
		e := finding.Evidence{File: file, RecordID: rec, Offset: int64(rec) * 1024, Channel: ch, EventID: id, Time: t}
		for i := 0; i+1 < len(fields); i += 2 {
			e.Fields = append(e.Fields, event.Field{Name: fields[i], Value: fields[i+1]})
		}
		return e
	}
	vtRule := finding.Rule{
		ID: "bw-vt-ntdsutil-ifm", Kind: finding.KindSigma, Title: "Active Directory database copied with ntdsutil",
		Level: finding.Critical, Status: "stable", Author: "Breakwater",
		Description:    "Detects ntdsutil creating an install-from-media copy of ntds.dit, which holds every domain password hash.",
		References:     []string{"https://www.cisa.gov/news-events/cybersecurity-advisories/aa24-038a", "internal wiki page 12"},
		FalsePositives: []string{"Domain controller promotion from media, planned by the administrators"},
		Techniques:     []string{"attack.t1003.003"}, Tactics: []string{"attack.credential_access"},
		Path: "rules/volt-typhoon/ntdsutil_ifm.yml",
	}
	proxyRule := finding.Rule{
		ID: "bw-vt-portproxy", Kind: finding.KindSigma, Title: "Port proxy added with netsh",
		Level: finding.High, Status: "test", Description: "Detects netsh interface portproxy add, used to relay traffic through a compromised host.",
		References: []string{"https://attack.mitre.org/techniques/T1090/001/"}, FalsePositives: []string{"Administrators forwarding ports on purpose"},
		Techniques: []string{"attack.t1090.001"}, Tactics: []string{"attack.command_and_control"},
	}
	report := &finding.Report{
		Started:  time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC),
		Finished: time.Date(2024, 3, 1, 9, 0, 42, 0, time.UTC),
		Settings: []finding.Setting{{Name: "rules", Value: "builtin"}, {Name: "min-level", Value: "informational"}},
		Inputs: []finding.Input{
			{Name: "logs/DC01/Security.evtx", Format: "evtx", Size: 1 << 20, Events: 5120, Damaged: 1},
			{Name: "logs/WEB01/Sysmon.evtx", Format: "evtx", Size: 3 << 20, Events: 20480},
			{Name: "logs/FS01/export.json", Format: "evtx-json", Size: 52000, Events: 300},
		},
		Skipped:     []finding.Skipped{{Name: "logs/readme.txt", Reason: "not a log: plain text"}},
		Damage:      []string{"logs/DC01/Security.evtx: chunk 3 record 4711: bad record size"},
		DamageTotal: 1,
		Counts: []finding.Count{
			{Host: "DC01.corp.example", Channel: "Security", EventID: 4688, Events: 2000, First: at(-60, 0), Last: at(60, 0)},
			{Host: "DC01.corp.example", Channel: "Security", EventID: 4625, Events: 3120, First: at(-60, 0), Last: at(60, 0)},
			{Host: "DC01.corp.example", Channel: "Directory Service", EventID: 1644, Events: 0, First: at(-60, 0), Last: at(-60, 0)},
			{Host: "WEB01.corp.example", Channel: "Microsoft-Windows-Sysmon/Operational", EventID: 1, Events: 20480, First: at(-120, 0), Last: at(90, 0)},
			{Host: "FS01.corp.example", Channel: "System", EventID: 104, Events: 300, First: at(0, 0), Last: at(80, 0)},
		},
		Rules: []finding.Rule{vtRule, proxyRule,
			{ID: "bw-spray", Kind: finding.KindCorrelation, Title: "Password spray", Level: finding.High,
				Description: "Many accounts fail to log on from one address within minutes.", Techniques: []string{"T1110.003"},
				Tactics: []string{"credential-access"}},
		},
		Notes: []string{"No PowerShell log was read: script blocks (event 4104) could not be checked."},
	}
	report.Findings = []*finding.Finding{
		{ID: "f0a1", Kind: finding.KindSigma, RuleID: "bw-vt-ipconfig", Rule: "Network configuration discovery", Level: finding.Low,
			Time: at(1, 5), Host: "WEB01.corp.example", User: `CORP\svc-web`, Techniques: []string{"T1016"}, Tactics: []string{"discovery"},
			Summary: "ipconfig /all run by a service account",
			Evidence: []finding.Evidence{ev("logs/WEB01/Sysmon.evtx", 101, "Microsoft-Windows-Sysmon/Operational", 1, at(1, 5),
				"Image", `C:\Windows\System32\ipconfig.exe`, "CommandLine", "ipconfig /all", "User", `CORP\svc-web`)},
			Explain: finding.Explanation{Condition: "selection", Matches: []finding.Match{{Selection: "selection", Field: "CommandLine", Modifiers: "contains", Pattern: "ipconfig /all", Value: "ipconfig /all"}}}},
		{ID: "f0a2", Kind: finding.KindSigma, RuleID: "bw-vt-portproxy", Rule: "Port proxy added with netsh", Level: finding.High,
			Time: at(3, 0), Host: "WEB01.corp.example", User: `CORP\svc-web`, Techniques: []string{"T1090.001"}, Tactics: []string{"command-and-control"},
			Summary: "netsh portproxy forwards 9999 to 10.0.0.5:3389",
			Evidence: []finding.Evidence{ev("logs/WEB01/Sysmon.evtx", 140, "Microsoft-Windows-Sysmon/Operational", 1, at(3, 0),
				"Image", `C:\Windows\System32\netsh.exe`, "CommandLine", "netsh interface portproxy add v4tov4 listenport=9999 connectaddress=10.0.0.5 connectport=3389", "ParentImage", `C:\Windows\System32\cmd.exe`)},
			Explain: finding.Explanation{Condition: "selection", Matches: []finding.Match{{Selection: "selection", Field: "CommandLine", Modifiers: "contains|all", Pattern: "portproxy", Value: "netsh interface portproxy add v4tov4 listenport=9999 connectaddress=10.0.0.5 connectport=3389"}}}},
		{ID: "f0a3", Kind: finding.KindCorrelation, RuleID: "bw-spray", Rule: "Password spray", Level: finding.High,
			Time: at(20, 0), Host: "DC01.corp.example", Techniques: []string{"T1110.003"}, Tactics: []string{"credential-access"},
			Summary:       "42 accounts failed to log on from 10.0.0.99",
			Evidence:      []finding.Evidence{ev("logs/DC01/Security.evtx", 9001, "Security", 4625, at(20, 0), "TargetUserName", "alice", "IpAddress", "10.0.0.99"), ev("logs/DC01/Security.evtx", 9002, "Security", 4625, at(20, 1), "TargetUserName", "bob", "IpAddress", "10.0.0.99")},
			EvidenceTotal: 42,
			Explain:       finding.Explanation{Text: "42 distinct TargetUserName >= 10 within 5m, grouped by IpAddress=10.0.0.99", Values: []event.Field{{Name: "IpAddress", Value: "10.0.0.99"}, {Name: "count", Value: "42"}}}},
		{ID: "f0a4", Kind: finding.KindSigma, RuleID: "bw-vt-ntdsutil-ifm", Rule: "Active Directory database copied with ntdsutil", Level: finding.Critical,
			Time: at(47, 30), Host: "DC01.corp.example", User: `CORP\admin`, Techniques: []string{"attack.t1003.003"}, Tactics: []string{"attack.credential_access"},
			Summary: `ntdsutil "ac i ntds" "ifm" "create full C:\Windows\Temp\pro"`,
			Evidence: []finding.Evidence{ev("logs/DC01/Security.evtx", 7788, "Security", 4688, at(47, 30),
				"SubjectUserName", "admin", "NewProcessName", `C:\Windows\System32\ntdsutil.exe`, "CommandLine", `ntdsutil "ac i ntds" "ifm" "create full C:\Windows\Temp\pro" q q`)},
			Explain: finding.Explanation{Condition: "selection_img and selection_cli", Matches: []finding.Match{
				{Selection: "selection_img", Field: "NewProcessName", Modifiers: "endswith", Pattern: `\ntdsutil.exe`, Value: `C:\Windows\System32\ntdsutil.exe`},
				{Selection: "selection_cli", Field: "CommandLine", Modifiers: "contains", Pattern: "ifm", Value: `ntdsutil "ac i ntds" "ifm" "create full C:\Windows\Temp\pro" q q`}}}},
		{ID: "f0a5", Kind: finding.KindSigma, RuleID: "bw-log-cleared", Rule: "System log cleared", Level: finding.Medium,
			Time: at(75, 0), Host: "FS01.corp.example", User: `CORP\admin`, Techniques: []string{"T1070.001"},
			Summary: "The System log was cleared",
			Evidence: []finding.Evidence{{File: "logs/FS01/export.json", RecordID: 12, Line: 7, Offset: -1, Channel: "System", EventID: 104, Time: at(75, 0),
				Fields: []event.Field{{Name: "SubjectUserName", Value: "admin"}, {Name: "Channel", Value: "System"}}}},
			Explain: finding.Explanation{Condition: "selection"}},
		{ID: "f0a6", Kind: finding.KindAnalytic, RuleID: "bw-rare-parent", Rule: "Rare parent process", Level: finding.Informational,
			Time: at(200, 0), Host: "WEB01.corp.example", Summary: "w3wp.exe started cmd.exe for the first time",
			Explain: finding.Explanation{Text: "w3wp.exe → cmd.exe not seen in the 7-day baseline"}},
	}
	return report
}

// hostileReport carries attacker-controlled text in every string a log
// can set: markup, quotes, ANSI and other control sequences, and values a
// spreadsheet would run as formulas.
func hostileReport() *finding.Report {
	const (
		script  = `<script>alert(1)</script>`
		attr    = `"><img src=x onerror=alert(2)>'`
		ansi    = "\x1b[31mRED\x1b[0m\x1b]0;owned\x07"
		ctrl    = "a\x00b\rc\bd\x7fe\u009bf\u202eg\u2028h\xff"
		formula = "=HYPERLINK(\"http://evil.example/\",\"x\")"
	)
	vals := []string{script, attr, ansi, ctrl, formula, "+1+1", "-2-2", "@SUM(A1)", "\tcmd", "\rcmd", "javascript:alert(3)"}
	var fields []event.Field
	for i, v := range vals {
		fields = append(fields, event.Field{Name: "F" + string(rune('a'+i)) + v, Value: v})
	}
	r := &finding.Report{
		Settings: []finding.Setting{{Name: script, Value: ansi}},
		Inputs:   []finding.Input{{Name: attr + ".evtx", Format: ctrl, Events: 1}},
		Skipped:  []finding.Skipped{{Name: formula, Reason: ansi}},
		Damage:   []string{script + ctrl},
		Counts:   []finding.Count{{Host: script, Channel: ansi, EventID: 1, Events: 1}},
		Rules: []finding.Rule{{ID: "evil", Kind: finding.KindSigma, Title: script, Description: attr + ansi,
			Author: ctrl, References: []string{"javascript:alert(4)", "https://ok.example/" + attr, formula},
			FalsePositives: []string{script}, Techniques: []string{script}, Tactics: []string{attr}, Path: ansi}},
		Notes: []string{ansi + script},
	}
	for i, v := range vals {
		r.Findings = append(r.Findings, &finding.Finding{
			ID: "id" + string(rune('a'+i)), Kind: finding.KindSigma, RuleID: "evil", Rule: v, Level: finding.Level(i % 5),
			Time: at(i, 0), Host: v, User: v, Techniques: []string{v, "T1059.001"}, Tactics: []string{v, "execution"},
			Summary: v,
			Evidence: []finding.Evidence{{File: v, RecordID: 1, Channel: v, EventID: 4688, Time: at(i, 0),
				Fields: append([]event.Field{{Name: "CommandLine", Value: v}}, fields...)}},
			Explain: finding.Explanation{Condition: v, Text: v, Matches: []finding.Match{{Selection: v, Field: v, Modifiers: v, Pattern: v, Value: v}},
				Values: []event.Field{{Name: v, Value: v}}},
		})
	}
	return r
}

func render(t testing.TB, format string, r *finding.Report, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, format, r, o); err != nil {
		t.Fatalf("%s: %v", format, err)
	}
	return b.Bytes()
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; run go test -update and review the diff\n%s", name, firstDiff(got, want))
	}
}

// firstDiff shows the first line where got and want differ.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + itoa(i+1) + ":\n got  " + gl + "\n want " + wl
		}
	}
	return ""
}

func itoa(n int) string { return thousands(int64(n)) }

func TestGolden(t *testing.T) {
	tests := []struct {
		format, file string
		o            Options
	}{
		{"table", "sample.table.txt", Options{}},
		{"table", "sample.color.txt", Options{Color: true, Width: 120}},
		{"jsonl", "sample.jsonl", Options{}},
		{"csv", "sample.csv", Options{}},
		{"html", "sample.html", Options{}},
		{"navigator", "sample.layer.json", Options{}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			golden(t, tt.file, render(t, tt.format, sampleReport(), tt.o))
		})
	}
}

// TestDeterministic renders the same report, its findings given in another
// order, twice: the bytes must be the same, as DESIGN.md promises.
func TestDeterministic(t *testing.T) {
	for _, format := range Formats() {
		a := render(t, format, sampleReport(), Options{})
		r := sampleReport()
		for i, j := 0, len(r.Findings)-1; i < j; i, j = i+1, j-1 {
			r.Findings[i], r.Findings[j] = r.Findings[j], r.Findings[i]
		}
		b := render(t, format, r, Options{})
		if !bytes.Equal(a, b) {
			t.Errorf("%s: output depends on the order of findings\n%s", format, firstDiff(a, b))
		}
		if c := render(t, format, sampleReport(), Options{}); !bytes.Equal(a, c) {
			t.Errorf("%s: two renderings differ", format)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	err := Write(new(bytes.Buffer), "pdf", sampleReport(), Options{})
	if err == nil || !strings.Contains(err.Error(), `unknown report format "pdf"`) {
		t.Errorf("err = %v", err)
	}
}

// controls returns the control characters, C1 controls, bidirectional and
// line-separator characters and invalid bytes in s, other than newline
// (and tab, where allow says).
func controls(s string, allowTab bool) []string {
	var bad []string
	for i, r := range s {
		switch {
		case r == '\n', r == '\t' && allowTab:
		case r < 0x20, r == 0x7f, hidden(r):
			bad = append(bad, strings.ToValidUTF8(s[max(0, i-20):min(len(s), i+20)], "?"))
		case r == 0xfffd && strings.HasPrefix(s[i:], "\xff"):
			bad = append(bad, "invalid UTF-8")
		}
	}
	return bad
}

// TestEscaping feeds attacker-controlled text through every output.
func TestEscaping(t *testing.T) {
	r := hostileReport()

	t.Run("table", func(t *testing.T) {
		for _, color := range []bool{false, true} {
			out := string(render(t, "table", r, Options{Color: color, MaxFindings: 100}))
			if color {
				// Our own colours are the only escape sequences allowed.
				for _, c := range levelColor {
					out = strings.ReplaceAll(out, c, "")
				}
				out = strings.ReplaceAll(out, ansiReset, "")
				out = strings.ReplaceAll(out, "\x1b[1m", "")
			}
			if bad := controls(out, false); len(bad) > 0 {
				t.Errorf("color=%v: raw control characters reach the terminal: %q", color, bad)
			}
			if !strings.Contains(out, `\x1b[31mRED`) {
				t.Errorf("color=%v: an escape sequence from the data is not shown as text", color)
			}
		}
	})

	t.Run("jsonl", func(t *testing.T) {
		out := render(t, "jsonl", r, Options{})
		// JSON lines are for machines and keep the text exactly: the
		// characters a terminal acts on (C0 controls, ESC, DEL) are
		// escaped; the rest is the reader's to render.
		for i, c := range out {
			if (c < 0x20 && c != '\n') || c == 0x7f {
				t.Fatalf("raw control byte %#x in JSON at %d: %q", c, i, out[max(0, i-20):min(len(out), i+20)])
			}
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if len(lines) != len(r.Findings) {
			t.Fatalf("%d lines for %d findings", len(lines), len(r.Findings))
		}
		seen := make(map[string]bool)
		for _, l := range lines {
			var f struct {
				Rule, Host string
			}
			if err := json.Unmarshal([]byte(l), &f); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, l)
			}
			if f.Rule != f.Host {
				t.Errorf("rule %q, host %q", f.Rule, f.Host)
			}
			seen[f.Host] = true
		}
		// JSON is for machines: the text comes back exactly, invalid
		// UTF-8 aside.
		for _, f := range r.Findings {
			if !seen[strings.ToValidUTF8(f.Host, "\ufffd")] {
				t.Errorf("%q does not round-trip", f.Host)
			}
		}
	})

	t.Run("csv", func(t *testing.T) {
		out := render(t, "csv", r, Options{})
		if bad := controls(string(out), false); len(bad) > 0 {
			t.Errorf("raw control characters in CSV: %q", bad)
		}
		rows, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1+len(r.Findings) {
			t.Fatalf("%d rows", len(rows))
		}
		for _, row := range rows[1:] {
			for i, c := range row {
				if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
					t.Errorf("column %s starts a formula: %q", csvHeader[i], c)
				}
			}
		}
		if !strings.Contains(string(out), `'=HYPERLINK(`) {
			t.Error("a formula is not guarded with a quote")
		}
	})

	t.Run("html", func(t *testing.T) {
		out := string(render(t, "html", r, Options{}))
		if bad := controls(out, false); len(bad) > 0 {
			t.Errorf("raw control characters in HTML: %q", bad)
		}
		if n := strings.Count(out, "<script"); n != 1 {
			t.Errorf("%d <script elements, want only the page's own", n)
		}
		for _, bad := range []string{"<img", "alert(1)</script>", `href="javascript:`, `href="=HYPERLINK`} {
			if strings.Contains(out, bad) {
				t.Errorf("unescaped %q in the page", bad)
			}
		}
		for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;&#39;", `\x1b[31mRED`} {
			if !strings.Contains(out, want) {
				t.Errorf("page lacks the escaped text %q", want)
			}
		}
		checkStatic(t, out)
	})

	t.Run("navigator", func(t *testing.T) {
		out := render(t, "navigator", r, Options{})
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatal(err)
		}
		if bad := controls(string(out), false); len(bad) > 0 {
			t.Errorf("raw control characters in the layer: %q", bad)
		}
	})
}

// TestEmptyReport renders a hunt that found nothing: every output still
// says so plainly.
func TestEmptyReport(t *testing.T) {
	r := &finding.Report{Inputs: []finding.Input{{Name: "a.evtx", Format: "evtx", Events: 10}}}
	if out := render(t, "jsonl", r, Options{}); len(out) != 0 {
		t.Errorf("jsonl: %q", out)
	}
	if out := string(render(t, "csv", r, Options{})); strings.Count(out, "\n") != 1 {
		t.Errorf("csv: %q", out)
	}
	if out := string(render(t, "table", r, Options{})); !strings.HasPrefix(out, "No findings\n") {
		t.Errorf("table: %q", out)
	}
	out := string(render(t, "html", r, Options{}))
	if !strings.Contains(out, "None of the rules matched") || strings.Contains(out, "<svg") {
		t.Errorf("html of an empty report lacks its story or draws a chart")
	}
	checkStatic(t, out)
}

// TestTimelineSpan checks that the chart counts every finding whatever the
// span: minutes, days, and a wrong clock centuries away.
func TestTimelineSpan(t *testing.T) {
	base := time.Date(2024, 2, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		times []time.Time
		title string
	}{
		{"minutes", []time.Time{base, base.Add(30 * time.Minute)}, "Findings per minute (UTC), by level"},
		{"hours", []time.Time{base, base.Add(30 * time.Hour)}, "Findings per hour (UTC), by level"},
		{"weeks", []time.Time{base, base.AddDate(0, 6, 0)}, "Findings per week (UTC), by level"},
		{"wrong clock", []time.Time{time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), base}, "Findings per 233 weeks (UTC), by level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fs []*finding.Finding
			for _, tm := range tt.times {
				fs = append(fs, &finding.Finding{Time: tm, Level: finding.High})
			}
			c := newChart(fs)
			if c.Title != tt.title {
				t.Errorf("title %q, want %q", c.Title, tt.title)
			}
			segs := 0
			for _, b := range c.Bars {
				segs += len(b.Segs)
			}
			if segs != len(tt.times) || len(c.Bars) != len(tt.times) {
				t.Errorf("%d bars, want %d", len(c.Bars), len(tt.times))
			}
		})
	}
}

func TestVisible(t *testing.T) {
	tests := []struct{ in, want string }{
		{`C:\Windows\System32\cmd.exe /c "dir"`, `C:\Windows\System32\cmd.exe /c "dir"`},
		{"a\x1b[2Jb", `a\x1b[2Jb`},
		{"line1\r\nline2\ttab", `line1\r\nline2\ttab`},
		{"nul\x00del\x7f", `nul\x00del\x7f`},
		{"c1\u009b31m", `c1\x9b31m`},
		{"bidi\u202eexe.txt", `bidi\u202eexe.txt`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"ünïcödé 東京", "ünïcödé 東京"},
	}
	for _, tt := range tests {
		if got := visible(tt.in); got != tt.want {
			t.Errorf("visible(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=1+1", "'=1+1"}, {"+1", "'+1"}, {"-1", "'-1"}, {"@A1", "'@A1"},
		{"\t=1", `\t=1`}, {"\r=1", `\r=1`}, {"ok", "ok"}, {"", ""}, {"a=1", "a=1"},
	}
	for _, tt := range tests {
		if got := cell(tt.in); got != tt.want {
			t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func BenchmarkHTML(b *testing.B) {
	r := manyFindings(5000)
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := HTML(&buf, r, Options{}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

func BenchmarkTable(b *testing.B) {
	r := manyFindings(5000)
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := Table(&buf, r, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSV(b *testing.B) {
	r := manyFindings(5000)
	b.ReportAllocs()
	for b.Loop() {
		var buf bytes.Buffer
		if err := CSV(&buf, r); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(buf.Len()))
	}
}

// manyFindings is the sample's findings repeated over many hosts and
// hours: the size of a hunt over a real estate.
func manyFindings(n int) *finding.Report {
	r := sampleReport()
	base := r.Findings
	r.Findings = nil
	for i := 0; i < n; i++ {
		f := *base[i%len(base)]
		f.ID = "x" + itoa(i)
		f.Host = "HOST" + itoa(i%200)
		f.Time = f.Time.Add(time.Duration(i) * time.Minute)
		r.Findings = append(r.Findings, &f)
	}
	return r
}

// TestTableGroupsRepeats checks that a brute-force attack's thousands of
// findings take one line of the table, and do not hide the rest.
func TestTableGroupsRepeats(t *testing.T) {
	r := sampleReport()
	spray := r.Findings[2]
	for i := 0; i < 999; i++ {
		f := *spray
		f.ID = "spray" + itoa(i)
		f.Time = f.Time.Add(time.Duration(i) * time.Second)
		r.Findings = append(r.Findings, &f)
	}
	out := string(render(t, "table", r, Options{MaxFindings: 5}))
	if !regexp.MustCompile(`Password spray +×1000  42 distinct`).MatchString(out) {
		t.Errorf("the spray's findings are not one line:\n%s", out)
	}
	if !strings.Contains(out, "  1 finding not shown — see --format html or jsonl") {
		t.Errorf("the line cap does not count what it leaves out:\n%s", out)
	}
	if n := strings.Count(out, "\n"); n > 30 {
		t.Errorf("%d lines", n)
	}
}
