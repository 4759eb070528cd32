package detect

import (
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/sigma"
)

// corrDetector compiles rules and correlations into a Sigma detector.
func corrDetector(t testing.TB, src string, lim sigma.Limits) *Sigma {
	t.Helper()
	coll, err := sigma.Parse("corr.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sigma.Compile(coll.Rules, sigma.Config{Filters: coll.Filters})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := sigma.CompileCorrelations(coll.Correlations, rs)
	if err != nil {
		t.Fatal(err)
	}
	return NewSigma(rs, WithCorrelations(cs, lim))
}

var corrT0 = time.Date(2024, 2, 7, 10, 0, 0, 0, time.UTC)

// logon makes a Security event read from an EVTX file.
func logon(eid int, rec uint64, at time.Duration, user, ip string) *event.Event {
	ev := &event.Event{
		Time: corrT0.Add(at), Channel: "Security", Provider: "Microsoft-Windows-Security-Auditing",
		Computer: "DC01.corp.example", EventID: eid, RecordID: rec,
		Source: event.Source{File: "Security.evtx", Format: event.FormatEVTX, Offset: int64(rec) * 1024},
	}
	ev.Fields = []event.Field{
		{Name: "EventID", Value: strconv.Itoa(eid)}, {Name: "Channel", Value: "Security"},
		{Name: "Computer", Value: ev.Computer}, {Name: "TargetUserName", Value: user}, {Name: "IpAddress", Value: ip},
	}
	return ev
}

const sprayRules = `
title: Spray
id: 22222222-0000-4000-8000-000000000001
description: Many accounts from one address.
tags: [attack.credential-access, attack.t1110.003]
correlation:
    type: value_count
    rules: [failed]
    group-by: [IpAddress]
    timespan: 5m
    condition: {field: TargetUserName, gte: 3}
level: critical
---
title: Guessing
id: 22222222-0000-4000-8000-000000000002
correlation:
    type: event_count
    rules: [failed]
    group-by: [IpAddress, TargetUserName]
    timespan: 5m
    condition: {gte: 4}
GENERATE
---
title: Failed logon
id: 22222222-0000-4000-8000-000000000003
name: failed
tags: [attack.t1110]
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    condition: selection
level: low
---
title: Logon
id: 22222222-0000-4000-8000-000000000004
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4624}
    condition: selection
`

// TestCorrelationFindings: what a correlation finding says, from the
// events the test writes: its id, level, evidence, explanation.
func TestCorrelationFindings(t *testing.T) {
	d := corrDetector(t, strings.Replace(sprayRules, "GENERATE", "", 1), sigma.Limits{MaxEvidence: 2})
	evs := []*event.Event{
		logon(4625, 11, 0, "amy", "10.1.1.1"), logon(4625, 12, time.Minute, "bob", "10.1.1.1"),
		logon(4625, 13, 2*time.Minute, "cat", "10.1.1.1"), logon(4624, 14, 3*time.Minute, "cat", "10.1.1.1"),
	}
	fs := observe(d, evs[3], evs[2], evs[0], evs[1])
	if len(fs) != 2 {
		t.Fatalf("%d findings, want the logon and the spray, not the failed logons", len(fs))
	}
	var spray *finding.Finding
	for _, f := range fs {
		if f.Kind == finding.KindCorrelation {
			spray = f
		} else if f.Rule != "Logon" {
			t.Errorf("finding of %q: base rules of a correlation without generate report nothing", f.Rule)
		}
	}
	if spray == nil {
		t.Fatal("no correlation finding")
	}
	want := finding.Finding{
		ID:   finding.NewID(finding.KindCorrelation, "22222222-0000-4000-8000-000000000001", "IpAddress=10.1.1.1", "2024-02-07T10:00:00Z"),
		Kind: finding.KindCorrelation, RuleID: "22222222-0000-4000-8000-000000000001", Rule: "Spray",
		Level: finding.Critical, Time: corrT0, Host: "DC01.corp.example",
		Summary: "Spray: 3 distinct TargetUserName >= 3 within 5m, grouped by IpAddress=10.1.1.1",
	}
	if spray.ID != want.ID || spray.RuleID != want.RuleID || spray.Rule != want.Rule || spray.Level != want.Level ||
		!spray.Time.Equal(want.Time) || spray.Host != want.Host || spray.Summary != want.Summary {
		t.Errorf("finding %+v\nwant %+v", spray, want)
	}
	if strings.Join(spray.Techniques, ",") != "T1110.003" || strings.Join(spray.Tactics, ",") != "credential-access" {
		t.Errorf("techniques %v, tactics %v", spray.Techniques, spray.Tactics)
	}
	if len(spray.Evidence) != 2 || spray.EvidenceTotal != 3 {
		t.Fatalf("%d evidence of %d, want 2 of 3", len(spray.Evidence), spray.EvidenceTotal)
	}
	e := spray.Evidence[0]
	if e.File != "Security.evtx" || e.RecordID != 11 || e.Offset != 11*1024 || e.Channel != "Security" || e.EventID != 4625 ||
		!e.Time.Equal(corrT0) || fmt.Sprint(e.Fields) != "[{IpAddress 10.1.1.1} {TargetUserName amy}]" {
		t.Errorf("evidence %+v", e)
	}
	x := spray.Explain
	if x.Text != "3 distinct TargetUserName >= 3 within 5m, grouped by IpAddress=10.1.1.1" ||
		x.Condition != "value_count(TargetUserName) >= 3 within 5m by IpAddress" ||
		fmt.Sprint(x.Values) != "[{IpAddress 10.1.1.1} {distinct TargetUserName 3} {events 3} {first 2024-02-07T10:00:00.0000000Z} {last 2024-02-07T10:02:00.0000000Z}]" {
		t.Errorf("explanation %+v", x)
	}
	r, ok := d.Describe(finding.KindCorrelation, spray.RuleID)
	if !ok || r.Title != "Spray" || r.Description != "Many accounts from one address." || r.Path != "corr.yml" || r.Level != finding.Critical {
		t.Errorf("Describe: %+v, %v", r, ok)
	}
}

// TestCorrelationGenerate: with generate: true the base rule's own matches
// are findings too; a correlation without a level takes its rules' highest,
// and their ATT&CK tags when it has none; the user of a group is the
// finding's.
func TestCorrelationGenerate(t *testing.T) {
	d := corrDetector(t, strings.Replace(sprayRules, "GENERATE", "generate: true", 1), sigma.Limits{})
	var evs []*event.Event
	for i := 0; i < 4; i++ {
		evs = append(evs, logon(4625, uint64(20+i), time.Duration(i)*time.Second, "root", "10.9.9.9"))
	}
	fs := observe(d, evs...)
	kinds := map[string]int{}
	for _, f := range fs {
		kinds[f.Rule]++
		if f.Rule == "Guessing" {
			if f.Level != finding.Low || strings.Join(f.Techniques, ",") != "T1110" || f.User != "root" {
				t.Errorf("guessing: level %s, techniques %v, user %q", f.Level, f.Techniques, f.User)
			}
		}
	}
	if kinds["Failed logon"] != 4 || kinds["Guessing"] != 1 || kinds["Spray"] != 0 {
		t.Errorf("findings per rule %v", kinds)
	}
}

// TestCorrelationFilter: a filter applies to a correlation's base rule, so
// the events it excludes are not counted.
func TestCorrelationFilter(t *testing.T) {
	d := corrDetector(t, strings.Replace(sprayRules, "GENERATE", "", 1)+`
---
title: Our vulnerability scanner
logsource: {product: windows, service: security}
filter:
    rules: [failed]
    scanner: {IpAddress: 10.1.1.1}
    condition: scanner
`, sigma.Limits{})
	fs := observe(d, logon(4625, 1, 0, "amy", "10.1.1.1"), logon(4625, 2, time.Second, "bob", "10.1.1.1"), logon(4625, 3, 2*time.Second, "cat", "10.1.1.1"))
	if len(fs) != 0 {
		t.Errorf("%d findings from a filtered address", len(fs))
	}
}

// TestCorrelationObserveAllocs: once a group and its values are known, a
// match that feeds a correlation costs no allocation.
func TestCorrelationObserveAllocs(t *testing.T) {
	d := corrDetector(t, strings.Replace(sprayRules, "GENERATE", "", 1), sigma.Limits{})
	w := d.NewWorker()
	emit := func(*finding.Finding) {}
	evs := []*event.Event{logon(4625, 1, 0, "amy", "10.1.1.1"), logon(4625, 2, 0, "bob", "10.1.1.1"), logon(4625, 3, 0, "amy", "10.2.2.2")}
	for i := 0; i < 100; i++ {
		w.Observe(evs[i%3], emit)
	}
	allocs := testing.AllocsPerRun(3000, func() {
		for _, ev := range evs {
			w.Observe(ev, emit)
		}
	})
	// Record slices grow by doubling: a handful of allocations over
	// thousands of matches.
	if allocs > 0.05 {
		t.Errorf("%v allocations per three matches", allocs)
	}
}

// keyTable holds synthetic group keys without a string header each, so
// that the test's own data weighs little next to what it measures.
type keyTable struct {
	text []byte
	off  []int32
}

func newKeyTable(n int) *keyTable {
	kt := &keyTable{off: make([]int32, n+1)}
	for i := 0; i < n; i++ {
		kt.text = fmt.Appendf(kt.text, "10.%d.%d.%d", i>>16, (i>>8)&255, i&255)
		kt.off[i+1] = int32(len(kt.text))
	}
	return kt
}

func (kt *keyTable) key(i int) string {
	b := kt.text[kt.off[i]:kt.off[i+1]]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// TestCorrelationMemory feeds ten million events with a million distinct
// group keys through two workers and shows that the heap stays within
// what the limits allow, and that the report says what was dropped.
func TestCorrelationMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("ten million events: skipped with -short")
	}
	const (
		events  = 10_000_000
		keys    = 1_000_000
		workers = 2
	)
	lim := sigma.Limits{MaxKeys: 50_000, MaxRecords: 200_000, MaxValues: 64, MaxEvidence: 5}
	d := corrDetector(t, `
title: Burst
correlation: {type: event_count, rules: [failed], group-by: [IpAddress], timespan: 5m, condition: {gte: 3}}
---
title: Failed logon
name: failed
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    condition: selection
`, lim)
	kt := newKeyTable(keys)
	eng := NewEngine([]Detector{d}, workers, Filter{})

	// Two measures of the heap, sampled: HeapInuse (runtime.ReadMemStats),
	// which holds garbage not yet collected too, and the live heap the
	// last collection found (runtime/metrics).
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	baseInuse, baseLive := ms.HeapInuse, live[0].Value.Uint64()
	var peakInuse, peakLive uint64
	sample := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		metrics.Read(live)
		peakInuse = max(peakInuse, ms.HeapInuse)
		peakLive = max(peakLive, live[0].Value.Uint64())
	}
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			ev := logon(4625, 0, 0, "", "")
			emit := func(*finding.Finding) { t.Error("a finding before Finish") }
			for i := w; i < events; i += workers {
				// Key k's ten events are 100 s apart: three or four fall
				// in each five minutes.
				ev.RecordID = uint64(i + 1)
				ev.Time = corrT0.Add(time.Duration(i) * 100 * time.Microsecond)
				ev.Fields[4].Value = kt.key(i % keys)
				eng.Observe(w, ev, emit)
			}
		}(w)
	}
	wg.Wait()
	observed := time.Since(start)
	found := 0
	if err := eng.Finish(func(*finding.Finding) { found++ }); err != nil {
		t.Fatal(err)
	}
	close(stop)
	<-sampled
	sample()

	// What the limits allow per worker (the collectors), with 16 MB for
	// the rest (matchers, scratch space, the findings).
	limit := uint64(workers)*uint64(lim.Bytes(int(unsafe.Sizeof(evRef{})))) + 16<<20
	grewLive := peakLive - min(peakLive, baseLive)
	grewInuse := peakInuse - min(peakInuse, baseInuse)
	t.Logf("%d events in %v (%.0f ns per event and worker), finish %v, %d findings; peak growth: live heap %d MB, HeapInuse %d MB; limits allow %d MB",
		events, observed.Round(time.Millisecond), float64(observed.Nanoseconds())*workers/events,
		(time.Since(start) - observed).Round(time.Millisecond), found, grewLive>>20, grewInuse>>20, limit>>20)
	if grewLive > limit {
		t.Errorf("the live heap grew by %d MB, more than the %d MB the limits allow", grewLive>>20, limit>>20)
	}
	// With the default GOGC, the heap holds up to as much garbage as live
	// data before a collection.
	if grewInuse > 2*limit {
		t.Errorf("HeapInuse grew by %d MB, more than twice the %d MB the limits allow", grewInuse>>20, limit>>20)
	}
	notes := d.Notes()
	if len(notes) != 1 || !strings.Contains(notes[0], `correlation "Burst": about `) || !strings.Contains(notes[0], "group keys beyond the cap") {
		t.Errorf("notes %q", notes)
	}
	t.Logf("note: %s", strings.Join(notes, "; "))
	// The keys kept are whole: each fires at least once.
	if found < lim.MaxRecords/10 {
		t.Errorf("%d findings, want at least one per key kept", found)
	}
}

// BenchmarkCorrelationObserve measures a match that feeds a correlation,
// over 10,000 groups of five values each.
func BenchmarkCorrelationObserve(b *testing.B) {
	d := corrDetector(b, strings.Replace(sprayRules, "GENERATE", "", 1), sigma.Limits{})
	w := d.NewWorker()
	emit := func(*finding.Finding) {}
	kt := newKeyTable(10_000)
	ev := logon(4625, 0, 0, "", "")
	users := []string{"amy", "bob", "cat", "dan", "eve"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ev.RecordID = uint64(i)
		ev.Time = corrT0.Add(time.Duration(i) * time.Millisecond)
		ev.Fields[3].Value = users[i%5]
		ev.Fields[4].Value = kt.key(i % 10_000)
		w.Observe(ev, emit)
	}
}

// BenchmarkCorrelationFinish measures Finish over a million remembered
// matches in 10,000 groups.
func BenchmarkCorrelationFinish(b *testing.B) {
	kt := newKeyTable(10_000)
	users := []string{"amy", "bob", "cat", "dan", "eve"}
	ev := logon(4625, 0, 0, "", "")
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		d := corrDetector(b, strings.Replace(sprayRules, "GENERATE", "", 1), sigma.Limits{})
		w := d.NewWorker()
		for k := 0; k < 1_000_000; k++ {
			ev.RecordID = uint64(k)
			ev.Time = corrT0.Add(time.Duration(k) * time.Millisecond)
			ev.Fields[3].Value = users[k%5]
			ev.Fields[4].Value = kt.key(k % 10_000)
			w.Observe(ev, func(*finding.Finding) {})
		}
		w.Close()
		b.StartTimer()
		if err := d.Finish(func(*finding.Finding) {}); err != nil {
			b.Fatal(err)
		}
	}
}
