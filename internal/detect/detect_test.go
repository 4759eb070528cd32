package detect

import (
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/sigma"
)

func sysmon1(host string, t time.Time, pairs ...string) *event.Event {
	ev := &event.Event{
		Time: t, Channel: "Microsoft-Windows-Sysmon/Operational", Provider: "Microsoft-Windows-Sysmon",
		Computer: host, EventID: 1, RecordID: 7,
		Source: event.Source{File: "Sysmon.evtx", Format: event.FormatEVTX, Offset: 4096},
	}
	ev.Fields = append(ev.Fields,
		event.Field{Name: "Channel", Value: ev.Channel}, event.Field{Name: "EventID", Value: "1"},
		event.Field{Name: "Computer", Value: host})
	for i := 0; i+1 < len(pairs); i += 2 {
		ev.Fields = append(ev.Fields, event.Field{Name: pairs[i], Value: pairs[i+1]})
	}
	return ev
}

const ntdsRule = `
title: Ntdsutil IFM
id: 11111111-2222-3333-4444-555555555555
status: test
description: ntdsutil creates a copy of the AD database.
references: [https://example.org/advisory]
falsepositives: [Backups by administrators]
tags: [attack.credential-access, attack.t1003.003]
level: high
logsource: {category: process_creation, product: windows}
detection:
  selection:
    Image|endswith: '\ntdsutil.exe'
    CommandLine|contains|all: [ifm, create]
  condition: selection
`

func compile(t *testing.T, src string) *sigma.RuleSet {
	t.Helper()
	coll, err := sigma.Parse("rule.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sigma.Compile(coll.Rules, sigma.Config{})
	if err != nil || rs.Len() != 1 {
		t.Fatalf("compile: %v (%d rules)", err, rs.Len())
	}
	return rs
}

func observe(d Detector, evs ...*event.Event) []*finding.Finding {
	var out []*finding.Finding
	emit := func(f *finding.Finding) { out = append(out, f) }
	e := NewEngine([]Detector{d}, 1, Filter{})
	for _, ev := range evs {
		e.Observe(0, ev, emit)
	}
	if err := e.Finish(emit); err != nil {
		panic(err)
	}
	return out
}

func TestSigmaFinding(t *testing.T) {
	d := NewSigma(compile(t, ntdsRule))
	at := time.Date(2024, 2, 7, 8, 36, 0, 0, time.UTC)
	ev := sysmon1("DC01.corp.example", at,
		"Image", `C:\Windows\System32\ntdsutil.exe`,
		"CommandLine", `ntdsutil "ac i ntds" ifm "create full C:\Temp\x" q q`,
		"User", `CORP\admin`)
	miss := sysmon1("DC01.corp.example", at, "Image", `C:\Windows\System32\ntdsutil.exe`, "CommandLine", "ntdsutil help")
	fs := observe(d, ev, miss)
	if len(fs) != 1 {
		t.Fatalf("%d findings, want 1", len(fs))
	}
	f := fs[0]
	checks := []struct{ name, got, want string }{
		{"rule id", f.RuleID, "11111111-2222-3333-4444-555555555555"},
		{"kind", string(f.Kind), "sigma"},
		{"level", f.Level.String(), "high"},
		{"host", f.Host, "DC01.corp.example"},
		{"user", f.User, `CORP\admin`},
		{"techniques", strings.Join(f.Techniques, ","), "T1003.003"},
		{"tactics", strings.Join(f.Tactics, ","), "credential-access"},
		{"summary", f.Summary, `Ntdsutil IFM: ntdsutil "ac i ntds" ifm "create full C:\Temp\x" q q`},
		{"condition", f.Explain.Condition, "selection"},
		{"evidence file", f.Evidence[0].File, "Sysmon.evtx"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	var fields []string
	for _, m := range f.Explain.Matches {
		fields = append(fields, m.Selection+"/"+m.Field+"|"+m.Modifiers)
	}
	if got := strings.Join(fields, " "); got != "selection/Image|endswith selection/CommandLine|contains|all" {
		t.Errorf("explained matches %s", got)
	}
	// The same event read again (another copy of the log) has the same id.
	again := observe(d, ev)
	if again[0].ID != f.ID {
		t.Errorf("ids differ between runs: %s, %s", f.ID, again[0].ID)
	}
	// Evidence does not alias the reader's event, which is reused.
	ev.Fields[3].Value = "overwritten"
	if f.Evidence[0].Fields[3].Value == "overwritten" {
		t.Error("evidence shares the event's fields")
	}
	r, ok := d.Describe(finding.KindSigma, f.RuleID)
	if !ok || r.Description == "" || len(r.References) != 1 || len(r.FalsePositives) != 1 {
		t.Errorf("Describe = %+v, %v", r, ok)
	}
}

func TestUserOf(t *testing.T) {
	tests := []struct {
		fields []string
		want   string
	}{
		{[]string{"User", `CORP\bob`}, `CORP\bob`},
		{[]string{"TargetUserName", "alice", "TargetDomainName", "CORP"}, `CORP\alice`},
		{[]string{"TargetUserName", "-", "SubjectUserName", "svc", "SubjectDomainName", "-"}, "svc"},
		{[]string{"CommandLine", "x"}, ""},
	}
	for _, tt := range tests {
		ev := sysmon1("h", time.Time{}, tt.fields...)
		if got := UserOf(ev); got != tt.want {
			t.Errorf("UserOf(%v) = %q, want %q", tt.fields, got, tt.want)
		}
	}
}

func TestFilter(t *testing.T) {
	day := time.Date(2024, 2, 7, 0, 0, 0, 0, time.UTC)
	f := Filter{Since: day, Until: day.Add(24 * time.Hour), Hosts: []string{"dc01"}}
	tests := []struct {
		host string
		at   time.Time
		want bool
	}{
		{"DC01.corp.example", day.Add(time.Hour), true},
		{"DC01", day, true},
		{"dc01.corp.example", day.Add(-time.Second), false},
		{"DC01.corp.example", day.Add(25 * time.Hour), false},
		{"WS01.corp.example", day.Add(time.Hour), false},
		{"DC011.corp.example", day.Add(time.Hour), false},
	}
	for _, tt := range tests {
		if got := f.Pass(sysmon1(tt.host, tt.at)); got != tt.want {
			t.Errorf("Pass(%s, %s) = %v, want %v", tt.host, tt.at, got, tt.want)
		}
	}
}

func TestSummaryShortens(t *testing.T) {
	long := strings.Repeat("é", 300)
	got := shorten(long, 201)
	if len(got) > 201+len("…") || !strings.HasSuffix(got, "…") {
		t.Errorf("shorten gave %d bytes", len(got))
	}
	if strings.ContainsRune(strings.TrimSuffix(got, "…"), '\uFFFD') {
		t.Error("shorten cut a rune")
	}
}

// BenchmarkSigmaObserve measures the detector's cost for an event that
// matches no rule: the common case, which must not allocate.
func BenchmarkSigmaObserve(b *testing.B) {
	d := NewSigma(compileB(b, ntdsRule))
	w := d.NewWorker()
	ev := sysmon1("WS01", time.Now(), "Image", `C:\Windows\System32\svchost.exe`, "CommandLine", `svchost.exe -k netsvcs -p`)
	emit := func(*finding.Finding) {}
	b.ReportAllocs()
	for b.Loop() {
		w.Observe(ev, emit)
	}
}

func compileB(b *testing.B, src string) *sigma.RuleSet {
	coll, err := sigma.Parse("rule.yml", []byte(src))
	if err != nil {
		b.Fatal(err)
	}
	rs, _ := sigma.Compile(coll.Rules, sigma.Config{})
	return rs
}
