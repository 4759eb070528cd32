package source

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/breakwater/breakwater/internal/datasets"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// renderEvents reads d to the end and renders every event and every damaged
// record, one block per record, for golden files and comparisons.
func renderEvents(t testing.TB, d Decoder, inputLen int) string {
	t.Helper()
	var sb strings.Builder
	var ev event.Event
	// Every call to Next consumes input or ends it: more calls than bytes
	// would be a decoder that hangs.
	for calls := 0; ; calls++ {
		if calls > inputLen+10 {
			t.Fatalf("decoder did not finish after %d calls on %d bytes", calls, inputLen)
		}
		err := d.Next(&ev)
		if err == io.EOF {
			return sb.String()
		}
		var re *RecordError
		if errors.As(err, &re) {
			fmt.Fprintf(&sb, "damaged: %s\n", re)
			continue
		}
		if err != nil {
			t.Fatalf("fatal error: %v", err)
		}
		sb.WriteString(renderEvent(&ev))
	}
}

func renderEvent(ev *event.Event) string {
	var sb strings.Builder
	tm := ""
	if !ev.Time.IsZero() {
		tm = event.FormatTime(ev.Time)
	}
	fmt.Fprintf(&sb, "event line=%d offset=%d format=%s time=%s channel=%q provider=%q computer=%q id=%d record=%d\n",
		ev.Source.Line, ev.Source.Offset, ev.Source.Format, tm, ev.Channel, ev.Provider, ev.Computer, ev.EventID, ev.RecordID)
	for _, f := range ev.Fields {
		fmt.Fprintf(&sb, "  %s = %q\n", f.Name, f.Value)
	}
	return sb.String()
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (go test -update rewrites it; review the diff):\n%s", path, firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return fmt.Sprintf("line %d:\n  want %s\n  got  %s", i+1, w, g)
		}
	}
	return ""
}

func TestJSONGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/json/*.json*")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".golden") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := fmt.Sprintf("sniff: %s\n", Sniff(data)) +
				renderEvents(t, NewJSONDecoder(bytes.NewReader(data), filepath.Base(f)), len(data))
			checkGolden(t, f+".golden", got)
		})
	}
}

// TestJSONDamaged holds the recovery rules: each damaged record is one
// RecordError with the line where it starts, and the next record is read.
func TestJSONDamaged(t *testing.T) {
	data, err := os.ReadFile("testdata/json/damaged.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	d := NewJSONDecoder(bytes.NewReader(data), "damaged.jsonl")
	type step struct {
		eventID int // an event, or
		errLine int // a damaged record starting on this line
		reason  string
	}
	want := []step{
		{eventID: 1},
		{errLine: 2, reason: "not a JSON object"},
		{eventID: 2},
		{errLine: 4, reason: "expected"},
		{eventID: 4},
		{errLine: 6, reason: "line break inside a string"},
		{eventID: 6},
		{errLine: 9, reason: "invalid escape"},
		{errLine: 10, reason: "not a Windows event"},
		{errLine: 11, reason: "nested more than"},
		{eventID: 8},
		{errLine: 13, reason: "truncated"},
	}
	var ev event.Event
	for i, w := range want {
		err := d.Next(&ev)
		var re *RecordError
		switch {
		case w.errLine > 0:
			if !errors.As(err, &re) {
				t.Fatalf("step %d: got %v, want a RecordError on line %d", i, err, w.errLine)
			}
			if re.Line != w.errLine || re.File != "damaged.jsonl" || !strings.Contains(re.Reason, w.reason) {
				t.Errorf("step %d: got %q, want line %d and %q", i, re, w.errLine, w.reason)
			}
			if !strings.HasPrefix(re.Error(), fmt.Sprintf("damaged.jsonl:%d: ", w.errLine)) {
				t.Errorf("step %d: error text %q", i, re.Error())
			}
		default:
			if err != nil {
				t.Fatalf("step %d: got %v, want event %d", i, err, w.eventID)
			}
			if ev.EventID != w.eventID {
				t.Errorf("step %d: got event %d, want %d", i, ev.EventID, w.eventID)
			}
		}
	}
	if err := d.Next(&ev); err != io.EOF {
		t.Errorf("after the last record: got %v, want io.EOF", err)
	}
	if err := d.Next(&ev); err != io.EOF {
		t.Errorf("after io.EOF: got %v, want io.EOF again", err)
	}
}

// TestJSONLongLines reads a record far larger than the initial buffer, then
// one beyond the size limit (damaged, skipped without holding it), then a
// good one.
func TestJSONLongLines(t *testing.T) {
	long := strings.Repeat("A", 3<<20)
	huge := strings.Repeat("B", maxRecord+1)
	input := `{"EventID":1,"SourceName":"P","CommandLine":"` + long + `"}` + "\n" +
		`{"EventID":2,"SourceName":"P","CommandLine":"` + huge + `"}` + "\n" +
		`{"EventID":3,"SourceName":"P"}` + "\n"
	d := NewJSONDecoder(strings.NewReader(input), "long.jsonl")
	var ev event.Event
	if err := d.Next(&ev); err != nil {
		t.Fatal(err)
	}
	if v, _ := ev.Get("CommandLine"); v != long {
		t.Errorf("long value: got %d bytes, want %d", len(v), len(long))
	}
	err := d.Next(&ev)
	var re *RecordError
	if !errors.As(err, &re) || re.Line != 2 || !strings.Contains(re.Reason, "larger than") {
		t.Fatalf("oversized record: got %v", err)
	}
	if err := d.Next(&ev); err != nil || ev.EventID != 3 || ev.Source.Line != 3 {
		t.Fatalf("record after the oversized one: got %v, event %d line %d", err, ev.EventID, ev.Source.Line)
	}
	if err := d.Next(&ev); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
}

// TestJSONMixed: one stream may mix the exports, and what is learnt from
// one format's records must not change how another's are read.
func TestJSONMixed(t *testing.T) {
	dump := `{"Event":{"System":{"EventID":1,"Channel":"Security","Computer":"A"}}}`
	nx := `{"EventID":2,"Channel":"security","Hostname":"B","SourceName":"P"}`
	ecs := `{"winlog.channel":"system","winlog.event_id":3,"winlog.computer_name":"C"}`
	var in strings.Builder
	for range 3 {
		in.WriteString(dump + "\n" + nx + "\n" + ecs + "\n")
	}
	d := NewJSONDecoder(strings.NewReader(in.String()), "mixed.jsonl")
	want := []string{"evtx-json 1 Security A", "nxlog 2 Security B", "ecs 3 System C"}
	var ev event.Event
	for i := range 9 {
		if err := d.Next(&ev); err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprintf("%s %d %s %s", ev.Source.Format, ev.EventID, ev.Channel, ev.Computer); got != want[i%3] {
			t.Errorf("record %d: got %q, want %q", i+1, got, want[i%3])
		}
	}
}

// TestJSONBounds: objects within the size limit but with absurdly many
// values or keys are damaged records, not a reason to allocate gigabytes.
func TestJSONBounds(t *testing.T) {
	chain := strings.Repeat("[", 90) + "1" + strings.Repeat("]", 90)
	tests := map[string]string{
		"values": `{"EventID":1,"SourceName":"P","x":[` + strings.Repeat("1,", maxJSONLeaves) + `1]}`,
		"nodes":  `{"EventID":1,"SourceName":"P","x":[` + strings.Repeat(chain+",", maxJSONNodes/90) + `1]}`,
	}
	for name, input := range tests {
		d := NewJSONDecoder(strings.NewReader(input+"\n"+`{"EventID":2,"SourceName":"P"}`+"\n"), "bounds.jsonl")
		var ev event.Event
		err := d.Next(&ev)
		var re *RecordError
		if !errors.As(err, &re) || !strings.Contains(re.Reason, "more than") {
			t.Errorf("%s: got %v", name, err)
		}
		if err := d.Next(&ev); err != nil || ev.EventID != 2 {
			t.Errorf("%s: next record: %v, %d", name, err, ev.EventID)
		}
	}
}

// TestJSONSmallReads feeds the decoder one byte at a time: records split at
// every possible point must read as from one buffer.
func TestJSONSmallReads(t *testing.T) {
	for _, f := range []string{"testdata/json/evtx_dump_pretty.json", "testdata/json/ecs.jsonl", "testdata/json/damaged.jsonl"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		whole := renderEvents(t, NewJSONDecoder(bytes.NewReader(data), "f"), len(data))
		bytewise := renderEvents(t, NewJSONDecoder(&oneByteReader{data: data}, "f"), len(data))
		if whole != bytewise {
			t.Errorf("%s: one-byte reads differ:\n%s", f, firstDiff(whole, bytewise))
		}
	}
}

type oneByteReader struct{ data []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.data[0]
	r.data = r.data[1:]
	return 1, nil
}

// TestJSONEventReuse checks that a caller may reuse one Event and keep the
// strings of earlier events: they must not alias the decoder's buffers.
func TestJSONEventReuse(t *testing.T) {
	data, err := os.ReadFile("testdata/json/nxlog.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	d := NewJSONDecoder(bytes.NewReader(data), "f")
	var ev event.Event
	var kept [][]event.Field
	var copies [][]event.Field
	for {
		err := d.Next(&ev)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, append([]event.Field(nil), ev.Fields...))
		var c []event.Field
		for _, f := range ev.Fields {
			c = append(c, event.Field{Name: strings.Clone(f.Name), Value: strings.Clone(f.Value)})
		}
		copies = append(copies, c)
	}
	for i := range kept {
		for j := range kept[i] {
			if kept[i][j] != copies[i][j] {
				t.Fatalf("event %d field %d changed after later reads: %q, was %q", i, j, kept[i][j], copies[i][j])
			}
		}
	}
}

// TestJSONReadError: a read error other than EOF is fatal, not a RecordError.
func TestJSONReadError(t *testing.T) {
	boom := errors.New("disk on fire")
	d := NewJSONDecoder(io.MultiReader(strings.NewReader(`{"EventID":1,"SourceName":"P"}`+"\n{\"Ev"), errReader{boom}), "f")
	var ev event.Event
	if err := d.Next(&ev); err != nil {
		t.Fatal(err)
	}
	err := d.Next(&ev)
	var re *RecordError
	if !errors.Is(err, boom) || errors.As(err, &re) {
		t.Fatalf("got %v, want the read error", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// TestRegressionJSON reads SigmaHQ's 202 regression .json files (evtx_dump
// layout): 238 events, none damaged.
func TestRegressionJSON(t *testing.T) {
	dir := datasets.Path(t, "sigma/regression_data")
	var files []string
	err := filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
		if err == nil && !de.IsDir() && strings.HasSuffix(p, ".json") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 202 {
		t.Fatalf("found %d regression .json files, want 202", len(files))
	}
	total := 0
	var ev event.Event
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(data); got != event.FormatEVTXJSON {
			t.Errorf("%s: sniffed %q", f, got)
		}
		d := NewJSONDecoder(bytes.NewReader(data), f)
		for {
			err := d.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%v", err)
			}
			total++
			if ev.Source.Format != event.FormatEVTXJSON || ev.Channel == "" || ev.Provider == "" ||
				ev.Computer == "" || ev.EventID < 0 || ev.RecordID == 0 || ev.Time.IsZero() {
				t.Errorf("%s: incomplete header: %s", f, renderEvent(&ev))
			}
			for _, fl := range ev.Fields {
				if fl.Name == "" || strings.HasPrefix(fl.Name, "#") || strings.HasSuffix(fl.Name, "_attributes") {
					t.Errorf("%s: field name %q", f, fl.Name)
				}
				if fl.Value != event.TrimValue(fl.Value) {
					t.Errorf("%s: %s has trailing white space", f, fl.Name)
				}
			}
		}
	}
	if total != 238 {
		t.Errorf("got %d events from the regression files, want 238", total)
	}
}

// TestOTRF reads the NXLog exports of OTRF: one event per line, none
// damaged, Computer from Hostname, channels in Windows' spelling, canonical
// UTC times; where Logstash's @timestamp gives the collector's offset, Sysmon
// events' TimeCreated must agree with their own UtcTime.
func TestOTRF(t *testing.T) {
	dir := datasets.Path(t, "otrf")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != 3 {
		t.Fatalf("found %d OTRF files (%v), want 3", len(files), err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(raw); got != event.FormatNXLog {
			t.Errorf("%s: sniffed %q", f, got)
		}
		var lines []map[string]any
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, m)
		}
		d := NewJSONDecoder(bytes.NewReader(raw), f)
		var ev event.Event
		n := 0
		for ; ; n++ {
			err := d.Next(&ev)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n >= len(lines) {
				t.Fatalf("%s: more events than lines", f)
			}
			m := lines[n]
			if ev.Source.Line != n+1 || ev.Source.Format != event.FormatNXLog {
				t.Errorf("%s: event %d has source %+v", f, n, ev.Source)
			}
			if ev.Computer != m["Hostname"] {
				t.Errorf("%s:%d: Computer %q, Hostname %q", f, n+1, ev.Computer, m["Hostname"])
			}
			if want := event.CanonicalChannel(m["Channel"].(string)); ev.Channel != want || !strings.EqualFold(ev.Channel, m["Channel"].(string)) {
				t.Errorf("%s:%d: Channel %q from %q", f, n+1, ev.Channel, m["Channel"])
			}
			if ev.Channel == "security" {
				t.Errorf("%s:%d: channel not canonical", f, n+1)
			}
			tc, _ := ev.Get(event.FieldTimeCreated)
			if ev.Time.IsZero() || tc != event.FormatTime(ev.Time) {
				t.Errorf("%s:%d: TimeCreated %q", f, n+1, tc)
			}
			for _, meta := range []string{"Message", "EventReceivedTime", "SourceModuleName", "Severity", "@timestamp", "tags", "Category"} {
				if _, ok := ev.Get(meta); ok {
					t.Errorf("%s:%d: metadata %s kept as a field", f, n+1, meta)
				}
			}
			if _, ok := m["@timestamp"]; ok {
				if utc, ok := ev.Get("UtcTime"); ok {
					u, _, _ := event.ParseTimeBytes([]byte(utc))
					// Sysmon stamps UtcTime a little before the event is
					// logged, and NXLog keeps whole seconds.
					if d := ev.Time.Sub(u); d < -time.Minute || d > time.Minute {
						t.Errorf("%s:%d: TimeCreated %s is %v from the event's UtcTime %s", f, n+1, tc, d, utc)
					}
				}
			}
		}
		if n != len(lines) {
			t.Errorf("%s: %d events from %d lines", f, n, len(lines))
		}
	}
}

// TestCrossFormat holds the readers to the contract: one record exported as
// XML, evtx_dump JSON, Winlogbeat and NXLog gives the same fields wherever
// the format carries them.
func TestCrossFormat(t *testing.T) {
	read := func(name string, dec func(io.Reader, string) Decoder) *event.Event {
		t.Helper()
		data, err := os.ReadFile(filepath.Join("testdata/cross", name))
		if err != nil {
			t.Fatal(err)
		}
		var ev event.Event
		if err := dec(bytes.NewReader(data), name).Next(&ev); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return &ev
	}
	xml := read("4688.xml", NewXMLDecoder)
	dump := read("4688.evtx.json", NewJSONDecoder)
	ecs := read("4688.ecs.json", NewJSONDecoder)
	nx := read("4688.nxlog.json", NewJSONDecoder)

	// XML and evtx_dump carry everything, in the same order.
	if got, want := renderFields(dump.Fields), renderFields(xml.Fields); got != want {
		t.Errorf("evtx_dump JSON differs from XML:\n%s", firstDiff(want, got))
	}
	if cmd, _ := xml.Get("CommandLine"); cmd != `ntdsutil "ac i ntds" ifm "create full c:\temp\ntds" q q & echo é😀` {
		t.Errorf("CommandLine %q", cmd)
	}
	// Winlogbeat lacks the names it renders as text (Level, Task, Opcode,
	// Keywords) and sorts event data; NXLog has the time to the second only.
	subset := func(name string, ev *event.Event, notCarried ...string) {
		drop := map[string]bool{}
		for _, n := range notCarried {
			drop[n] = true
		}
		keep := func(fs []event.Field) []event.Field {
			var out []event.Field
			for _, f := range fs {
				if !drop[f.Name] {
					out = append(out, f)
				}
			}
			return out
		}
		if got, want := renderSorted(keep(ev.Fields)), renderSorted(keep(xml.Fields)); got != want {
			t.Errorf("%s differs from XML:\n%s", name, firstDiff(want, got))
		}
		if ev.EventID != xml.EventID || ev.RecordID != xml.RecordID || ev.Channel != xml.Channel || ev.Computer != xml.Computer {
			t.Errorf("%s header %s", name, renderEvent(ev))
		}
	}
	subset("ECS", ecs, "Level", "Task", "Opcode", "Keywords")
	subset("NXLog", nx, "Level", "TimeCreated")
	if tc, _ := nx.Get("TimeCreated"); tc != "2024-02-07T10:11:12.0000000Z" {
		t.Errorf("NXLog TimeCreated %q, want the local time moved to UTC", tc)
	}
}

func renderFields(fs []event.Field) string {
	var sb strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&sb, "%s = %q\n", f.Name, f.Value)
	}
	return sb.String()
}

func renderSorted(fs []event.Field) string {
	lines := strings.Split(strings.TrimSuffix(renderFields(fs), "\n"), "\n")
	sortStrings(lines)
	return strings.Join(lines, "\n") + "\n"
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestSnapshots reads evtx's expected renderings (JSON and XML renderings of
// the same records) and holds each JSON rendering to its XML twin.
func TestSnapshots(t *testing.T) {
	dir := datasets.Path(t, "evtx-parser/expected-renderings")
	read := func(name string) []*event.Event {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		// A snapshot is a YAML header between "---" lines, then the rendering.
		parts := bytes.SplitN(data, []byte("\n---\n"), 2)
		if len(parts) != 2 {
			t.Fatalf("%s: no snapshot header", name)
		}
		body := parts[1]
		var d Decoder
		switch f := Sniff(body); f {
		case event.FormatXML:
			d = NewXMLDecoder(bytes.NewReader(body), name)
		case event.FormatEVTXJSON:
			d = NewJSONDecoder(bytes.NewReader(body), name)
		default:
			t.Fatalf("%s: sniffed %q", name, f)
		}
		var out []*event.Event
		for {
			ev := new(event.Event)
			err := d.Next(ev)
			if err == io.EOF {
				return out
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			out = append(out, ev)
		}
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.snap"))
	if err != nil || len(files) != 18 {
		t.Fatalf("found %d snapshots (%v), want 18", len(files), err)
	}
	var all strings.Builder
	for _, f := range files {
		evs := read(filepath.Base(f))
		if len(evs) != 1 {
			t.Errorf("%s: %d events, want 1", f, len(evs))
			continue
		}
		fmt.Fprintf(&all, "== %s\n%s", filepath.Base(f), renderEvent(evs[0]))
	}
	checkGolden(t, "testdata/snapshots.golden", all.String())

	const p = "test_record_samples__"
	twins := [][]string{
		{"event_json_sample", "event_xml_sample", "event_json_missing_string_cache_entry"},
		{"event_json_sample_with_event_data", "event_xml_sample_with_event_data"},
		{"event_json_sample_with_event_data_with_attributes_and_text", "event_xml_sample_with_event_data_with_attributes_and_text"},
		{"event_json_with_multiple_nodes_same_name", "event_xml_sample_with_entity_ref", "event_json_with_multiple_nodes_same_name_separate"},
		{"event_json_with_multiple_data_elements", "event_json_with_multiple_data_elements-2", "event_json_multiple_empty_data_nodes_not_ignored"},
	}
	for _, tw := range twins {
		want := renderFields(read(p + tw[0] + ".snap")[0].Fields)
		for _, other := range tw[1:] {
			if got := renderFields(read(p + other + ".snap")[0].Fields); got != want {
				t.Errorf("%s differs from %s:\n%s", other, tw[0], firstDiff(want, got))
			}
		}
	}
}

func FuzzJSONDecoder(f *testing.F) {
	for _, pat := range []string{"testdata/json/*.json*", "testdata/cross/*.json"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if strings.HasSuffix(p, ".golden") {
				continue
			}
			data, err := os.ReadFile(p)
			if err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte(`[{"winlog":{"event_data":{"a":"\ud800"}}},]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := NewJSONDecoder(bytes.NewReader(data), "fuzz")
		var ev event.Event
		for calls := 0; ; calls++ {
			if calls > len(data)+10 {
				t.Fatalf("no progress after %d calls", calls)
			}
			err := d.Next(&ev)
			if err == io.EOF {
				return
			}
			var re *RecordError
			if errors.As(err, &re) {
				_ = re.Error()
				continue
			}
			if err != nil {
				t.Fatalf("fatal error on an in-memory reader: %v", err)
			}
			for _, fl := range ev.Fields {
				if fl.Name == "" {
					t.Fatalf("empty field name in %s", renderEvent(&ev))
				}
			}
		}
	})
}

// TestJSONHostileKeys: keys that look like evtx_dump's repeat suffixes cost
// linear time.
func TestJSONHostileKeys(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"Event":{"EventData":{`)
	for i := range maxJSONLeaves - 10 {
		fmt.Fprintf(&sb, `"k%d_1":1,`, i)
	}
	sb.WriteString(`"x":1}}}`)
	start := time.Now()
	d := NewJSONDecoder(strings.NewReader(sb.String()), "hostile.json")
	var ev event.Event
	if err := d.Next(&ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Fields) != maxJSONLeaves-9 {
		t.Errorf("%d fields", len(ev.Fields))
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("took %v", el)
	}
}
