package analytics

import (
	"github.com/breakwater/breakwater/internal/datasets"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// dataset returns the path of a shared dataset file, skipping the test
// when it is missing, or failing it in CI.
func dataset(t testing.TB, rel string) string {
	t.Helper()
	return datasets.Path(t, rel)
}

// logBuilder makes synthetic events with consecutive record ids per
// (host, channel), as a live log has them.
type logBuilder struct {
	recs map[string]uint64
	file string
}

func newLog(file string) *logBuilder { return &logBuilder{recs: make(map[string]uint64), file: file} }

// event makes one event; kv are payload name/value pairs.
func (b *logBuilder) event(t time.Time, host, channel, provider string, id int, kv ...string) event.Event {
	k := host + "\x00" + channel
	b.recs[k]++
	rec := b.recs[k]
	fs := []event.Field{
		{Name: event.FieldProvider, Value: provider},
		{Name: event.FieldEventID, Value: strconv.Itoa(id)},
		{Name: event.FieldTimeCreated, Value: event.FormatTime(t)},
		{Name: event.FieldRecordID, Value: strconv.FormatUint(rec, 10)},
		{Name: event.FieldChannel, Value: channel},
		{Name: event.FieldComputer, Value: host},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		fs = append(fs, event.Field{Name: kv[i], Value: kv[i+1]})
	}
	ev := event.Event{Fields: fs, Source: event.Source{File: b.file + "/" + host + "-" + strings.ReplaceAll(channel, "/", "-") + ".evtx",
		Format: event.FormatEVTX, Offset: int64(rec) * 1024}}
	ev.Normalize()
	return ev
}

// proc makes a Sysmon process creation.
func (b *logBuilder) proc(t time.Time, host, user, logonID, parent, image, cmd string) event.Event {
	return b.event(t, host, channelSysmon, "Microsoft-Windows-Sysmon", 1,
		"Image", image, "CommandLine", cmd, "ParentImage", parent, "User", user, "LogonId", logonID,
		"CurrentDirectory", `C:\Windows\system32\`)
}

// security makes a Security event.
func (b *logBuilder) security(t time.Time, host string, id int, kv ...string) event.Event {
	return b.event(t, host, "Security", "Microsoft-Windows-Security-Auditing", id, kv...)
}

// run shows events to a detector through an engine of n workers, in the
// order given, a batch of 7 events at a time round the workers, and
// returns the findings as a hunt keeps them: one per id, sorted.
func run(t testing.TB, d detect.Detector, evs []event.Event, n int) []*finding.Finding {
	t.Helper()
	eng := detect.NewEngine([]detect.Detector{d}, n, detect.Filter{})
	byID := make(map[string]*finding.Finding)
	emit := func(f *finding.Finding) {
		if have, ok := byID[f.ID]; ok {
			have.Merge(f)
			return
		}
		byID[f.ID] = f
	}
	for i := range evs {
		ev := evs[i] // the engine may reuse it: give each call its own copy
		eng.Observe((i/7)%n, &ev, emit)
	}
	if err := eng.Finish(emit); err != nil {
		t.Fatal(err)
	}
	out := make([]*finding.Finding, 0, len(byID))
	for _, f := range byID {
		out = append(out, f)
	}
	finding.Sort(out)
	return out
}

// shuffled returns a copy of evs in a random order (fixed seed).
func shuffled(evs []event.Event, seed uint64) []event.Event {
	out := append([]event.Event(nil), evs...)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// jsonLines renders findings as the JSONL contract does.
func jsonLines(fs []*finding.Finding) string {
	var b []byte
	for _, f := range fs {
		b = f.AppendJSON(b)
		b = append(b, '\n')
	}
	return string(b)
}

// newDetector makes a detector with the default settings and, when names
// are given, only those analytics on.
func newDetector(t testing.TB, base *Baseline, names ...string) *Detector {
	t.Helper()
	cfg := DefaultConfig()
	if len(names) > 0 {
		if err := cfg.Select(strings.Join(names, ",")); err != nil {
			t.Fatal(err)
		}
	}
	d, err := New(cfg, base)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// byRule returns the findings of one analytic.
func byRule(fs []*finding.Finding, rule string) []*finding.Finding {
	var out []*finding.Finding
	for _, f := range fs {
		if f.RuleID == rule {
			out = append(out, f)
		}
	}
	return out
}

// value returns a named explanation value of a finding.
func value(f *finding.Finding, name string) string {
	for _, v := range f.Explain.Values {
		if v.Name == name {
			return v.Value
		}
	}
	return ""
}
