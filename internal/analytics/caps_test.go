package analytics

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// letters writes n in base 26 with letters only, so that templates keep
// it (digits would be abstracted).
func letters(n int) string {
	var b [8]byte
	i := len(b)
	for {
		i--
		b[i] = byte('a' + n%26)
		n /= 26
		if n == 0 {
			return string(b[i:])
		}
	}
}

// TestCaps runs a million process executions of distinct command-line
// forms on a hundred thousand hosts, and as many distinct failed logons:
// memory stays bounded by the caps, and the notes say which were reached.
func TestCaps(t *testing.T) {
	if testing.Short() {
		t.Skip("a million events")
	}
	const events, hosts = 1_000_000, 100_000
	d := newDetector(t, nil)
	eng := detect.NewEngine([]detect.Detector{d}, 1, detect.Filter{})
	emitted := 0
	emit := func(*finding.Finding) { emitted++ }
	b := newLog("caps")
	proc := b.proc(day1, "H", `CORP\u`, "0x1", `C:\Windows\explorer.exe`, `C:\Windows\System32\certutil.exe`, "certutil")
	fail := failures(day1, "H", "10.0.0.1", 1, 1)[0]
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	set := func(ev *event.Event, name, v string) {
		for i := range ev.Fields {
			if ev.Fields[i].Name == name {
				ev.Fields[i].Value = v
				return
			}
		}
		t.Fatalf("no field %s", name)
	}
	for i := 0; i < events; i++ {
		host := fmt.Sprintf("H%06d", i%hosts)
		at := day1.Add(time.Duration(i) * time.Millisecond)
		// The engine's events are reused: analytics must copy what they keep.
		set(&proc, event.FieldComputer, host)
		set(&proc, "CommandLine", "certutil -decode "+letters(i))
		set(&proc, event.FieldRecordID, fmt.Sprint(i+1))
		proc.Computer, proc.RecordID, proc.Time = host, uint64(i+1), at
		eng.Observe(0, &proc, emit)
		set(&fail, event.FieldComputer, host)
		set(&fail, "TargetUserName", letters(i))
		set(&fail, "IpAddress", fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		fail.Computer, fail.Time = host, at
		eng.Observe(0, &fail, emit)
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("heap grew %d MB for %d events on %d hosts", grown>>20, 2*events, hosts)
	if grown > 400<<20 {
		t.Errorf("heap grew %d MB: caps do not bound memory", grown>>20)
	}
	start := time.Now()
	if err := eng.Finish(emit); err != nil {
		t.Fatal(err)
	}
	t.Logf("finish: %s, %d findings", time.Since(start), emitted)
	notes := strings.Join(d.Notes(), "\n")
	for _, want := range []string{
		"process executions of hosts beyond the host cap: the cap of 50000 was reached",
		"process executions of forms beyond the form cap: the cap of 50000 was reached",
		"(host, channel) pairs tracked for record sequences: the cap of 100000 was reached",
		"first-seen entries (tools, logon paths, services, tasks): the cap of 100000 was reached",
		"logon failure counters: the cap of 200000 was reached",
	} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}
