package sigma

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// windowsRules returns the SigmaHQ rules for Windows logs (product windows,
// or the generic antivirus category Breakwater maps to Defender).
func windowsRules(tb testing.TB) []*Rule {
	coll, _ := loadSigmaHQ(tb, "rules", "rules-threat-hunting", "rules-emerging-threats")
	var out []*Rule
	for _, r := range coll.Rules {
		if strings.EqualFold(r.LogSource.Product, "windows") || strings.EqualFold(r.LogSource.Category, "antivirus") {
			out = append(out, r)
		}
	}
	return out
}

// regressionEvents returns the 238 events of the regression JSON files.
func regressionEvents(tb testing.TB) []*testEvent {
	var out []*testEvent
	for _, row := range readManifest(tb) {
		evs, err := readEvtxJSON(row.json)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, evs...)
	}
	return out
}

func BenchmarkLoadSigmaHQ(b *testing.B) {
	root := filepath.Join(datasetDir(b), "sigma")
	n := 0
	for b.Loop() {
		n = 0
		for _, d := range sigmaHQRuleDirs {
			c, _ := LoadDir(filepath.Join(root, d))
			n += c.Len()
		}
	}
	b.ReportMetric(float64(n), "rules")
}

func BenchmarkCompileWindows(b *testing.B) {
	rules := windowsRules(b)
	for b.Loop() {
		Compile(rules, Config{})
	}
	b.ReportMetric(float64(len(rules)), "rules")
}

func BenchmarkMatchWindows(b *testing.B) {
	rules := windowsRules(b)
	rs, _ := Compile(rules, Config{})
	events := regressionEvents(b)
	m := rs.NewMatcher()
	var dst []int
	matches := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = m.Match(events[i%len(events)], dst[:0])
		matches += len(dst)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(rs.Len()), "rules")
}

// BenchmarkMultiIndex measures the multi-pattern matcher alone: the
// CommandLine needles of the SigmaHQ Windows rules over the command lines
// of the regression events.
func BenchmarkMultiIndex(b *testing.B) {
	rules := windowsRules(b)
	rs, _ := Compile(rules, Config{})
	var needles []string
	cl := rs.fieldIDs["CommandLine"]
	for _, n := range rs.needles {
		if n.field == cl {
			needles = append(needles, n.text)
		}
	}
	x := newMultiIndex(needles)
	var texts []string
	size := 0
	for _, e := range regressionEvents(b) {
		if v, ok := e.get("CommandLine"); ok {
			texts = append(texts, fold(v))
			size += len(v)
		}
	}
	var hits []hit
	found := 0
	b.SetBytes(int64(size / len(texts)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hits = x.scan(texts[i%len(texts)], hits[:0])
		found += len(hits)
	}
	b.ReportMetric(float64(len(needles)), "needles")
	b.ReportMetric(float64(found)/float64(b.N), "hits/op")
}

// otrfEvents reads the OTRF datasets (NXLog flat JSON lines of real Windows
// logs: Sysmon and Security events of ordinary activity around an attack)
// into test events, keeping the event fields and leaving out NXLog's own
// (Message, the rendered text, included).
func otrfEvents(tb testing.TB) []*testEvent {
	dir := filepath.Join(datasetDir(tb), "otrf")
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	skip := map[string]bool{"Message": true, "EventReceivedTime": true, "SourceModuleName": true, "SourceModuleType": true,
		"@timestamp": true, "@version": true, "tags": true, "port": true, "host": true, "EventTypeOrignal": true,
		"SeverityValue": true, "Severity": true, "OpcodeValue": true, "RecordNumber": true}
	var out []*testEvent
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			var rec map[string]any
			if json.Unmarshal([]byte(line), &rec) != nil {
				continue
			}
			e := &testEvent{eventID: -1}
			for _, k := range sortedAnyKeys(rec) {
				if skip[k] {
					continue
				}
				name := k
				switch k {
				case "SourceName":
					name = "Provider_Name"
				case "Hostname":
					name = "Computer"
				}
				e.add(name, render(rec[k]))
			}
			e.channel, _ = e.get("Channel")
			e.provider, _ = e.get("Provider_Name")
			if v, ok := e.get("EventID"); ok {
				e.eventID, _ = strconv.Atoi(v)
			}
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		tb.Skip("no OTRF events")
	}
	return out
}

// BenchmarkMatchWindowsOTRF matches all SigmaHQ Windows rules over the real
// events of the OTRF datasets, a more ordinary mix than the regression
// events (which are mostly process creations that rules were written for).
func BenchmarkMatchWindowsOTRF(b *testing.B) {
	rules := windowsRules(b)
	rs, _ := Compile(rules, Config{})
	events := otrfEvents(b)
	m := rs.NewMatcher()
	var dst []int
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = m.Match(events[i%len(events)], dst[:0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(len(events)), "events")
}
