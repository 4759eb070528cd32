package analytics

import (
	"bufio"
	"context"
	"github.com/breakwater/breakwater/internal/datasets"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/hunt"
	"github.com/breakwater/breakwater/internal/source"
)

// sharedDir is the shared folder beside the repository, from this package.
const sharedDir = "../../../shared"

// corpusOnce holds the events of the standard benchmark corpus's sources
// (shared/tools/bench-corpus-sources.txt): real logs of many kinds.
var corpusOnce = sync.OnceValues(func() ([]event.Event, error) {
	list, err := os.Open(filepath.Join(sharedDir, "tools", "bench-corpus-sources.txt"))
	if err != nil {
		return nil, err
	}
	defer list.Close()
	var paths []string
	sc := bufio.NewScanner(list)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" {
			paths = append(paths, filepath.Join(sharedDir, "datasets", l))
		}
	}
	found, err := source.Discover(paths, source.Options{})
	if err != nil {
		return nil, err
	}
	var evs []event.Event
	r := source.Reader{Workers: 1}
	err = r.Read(context.Background(), found.Inputs, func(b *source.Batch) error {
		for _, ev := range b.Events {
			ev.Fields = slices.Clone(ev.Fields)
			evs = append(evs, ev)
		}
		return nil
	})
	return evs, err
})

func corpus(b *testing.B) []event.Event {
	datasets.Path(b) // skips, or fails under CI, without the shared data
	evs, err := corpusOnce()
	if err != nil || len(evs) == 0 {
		if os.Getenv("CI") != "" {
			b.Fatalf("benchmark corpus: %v", err)
		}
		b.Skipf("benchmark corpus: %v", err)
	}
	return evs
}

// observeAll shows the corpus to one worker b.N times and reports the
// cost per event.
func observeAll(b *testing.B, w detect.Worker, evs []event.Event) {
	emit := func(*finding.Finding) {}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		for j := range evs {
			w.Observe(&evs[j], emit)
		}
	}
	el := time.Since(start)
	b.ReportMetric(float64(el.Nanoseconds())/float64(b.N*len(evs)), "ns/event")
	b.ReportMetric(float64(len(evs)), "events")
}

// BenchmarkAnalytics is every analytic's cost per event on real logs;
// compare with BenchmarkSigmaMatching on the same events.
func BenchmarkAnalytics(b *testing.B) {
	evs := corpus(b)
	observeAll(b, newDetector(b, nil).NewWorker(), evs)
}

// BenchmarkSigmaMatching is the cost per event of SigmaHQ's Windows rules
// on the same events.
func BenchmarkSigmaMatching(b *testing.B) {
	evs := corpus(b)
	rules, err := hunt.LoadRules(hunt.RuleOptions{Paths: []string{datasets.Path(b, "sigma", "rules", "windows")}})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d rules", rules.Set.Len())
	observeAll(b, detect.NewSigma(rules.Set).NewWorker(), evs)
}

// BenchmarkFinish is the end-of-hunt cost of the analytics over the
// corpus.
func BenchmarkFinish(b *testing.B) {
	evs := corpus(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		d := newDetector(b, nil)
		w := d.NewWorker()
		for j := range evs {
			w.Observe(&evs[j], func(*finding.Finding) {})
		}
		w.Close()
		if err := d.Finish(func(*finding.Finding) {}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIgnoredEventsAllocateNothing: the events no analytic reads cost no
// allocation (after the first of each host and channel).
func TestIgnoredEventsAllocateNothing(t *testing.T) {
	b := newLog("alloc")
	evs := []event.Event{
		b.security(day1, dc, 4663, "ObjectName", `\REGISTRY\MACHINE\x`, "ProcessName", `C:\x.exe`),
		b.security(day1, dc, 4624, "LogonType", "5", "TargetUserName", "SYSTEM", "IpAddress", "-"),
		b.proc(day1, dc, `CORP\u`, "0x1", `C:\Windows\explorer.exe`, `C:\Program Files\App\app.exe`, `app.exe --update 42`),
		b.event(day1, dc, channelSysmon, "Microsoft-Windows-Sysmon", 3, "Image", `C:\x.exe`, "DestinationIp", "10.0.0.1"),
		b.event(day1, dc, "System", "Service Control Manager", 7036, "param1", "Print Spooler", "param2", "running"),
		b.security(day1, dc, 4776, "TargetUserName", "alice", "Workstation", "WS07", "Status", "0x0"),
		b.event(day1, dc, channelSysmon, "Microsoft-Windows-Sysmon", 13, "TargetObject", `HKLM\SOFTWARE\App\Setting`, "Details", "1"),
		b.event(day1, dc, channelSysmon, "Microsoft-Windows-Sysmon", 11, "TargetFilename", `C:\Users\a\AppData\Local\Temp\x.tmp`),
	}
	w := newDetector(t, nil).NewWorker()
	emit := func(*finding.Finding) { t.Error("a finding from an ignored event") }
	for i := range evs {
		w.Observe(&evs[i], emit) // the first of each channel makes its entry
	}
	for i := range evs {
		ev := &evs[i]
		if n := testing.AllocsPerRun(100, func() { w.Observe(ev, emit) }); n != 0 {
			t.Errorf("event %d (%s %d): %.0f allocations", i, ev.Channel, ev.EventID, n)
		}
	}
}
