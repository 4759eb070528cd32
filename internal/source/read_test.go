package source

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"github.com/breakwater/breakwater/internal/datasets"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/evtx"
	"github.com/breakwater/breakwater/internal/event"
)

// writeEVTX writes n Sysmon process events with record ids from first.
func writeEVTX(t testing.TB, path string, first, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := evtx.NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2024, 2, 7, 10, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		err := w.Write(&evtx.Event{
			Provider: "Microsoft-Windows-Sysmon", EventID: 1, RecordID: uint64(first + i),
			Time: base.Add(time.Duration(first+i) * time.Second), Channel: "Microsoft-Windows-Sysmon/Operational",
			Computer: "WS1", Data: []evtx.Data{
				{Name: "Image", Value: `C:\Windows\System32\cmd.exe`},
				{Name: "CommandLine", Value: fmt.Sprintf("cmd.exe /c echo %d %s", first+i, strings.Repeat("x", i%300))},
			},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// readAll reads inputs and returns "file#recordid" for every event, in the
// order the reader handed them on, and the damage.
func readAll(t testing.TB, r *Reader, inputs []Input) (events []string, damage []Damage) {
	t.Helper()
	seq := map[int]int{}
	err := r.Read(context.Background(), inputs, func(b *Batch) error {
		if b.Seq != seq[b.Index] {
			t.Errorf("input %d: batch %d handed on before batch %d", b.Index, b.Seq, seq[b.Index])
		}
		seq[b.Index]++
		for _, e := range b.Events {
			events = append(events, fmt.Sprintf("%s#%d", filepath.Base(e.Source.File), e.RecordID))
		}
		damage = append(damage, b.Damage...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return events, damage
}

// The order of events does not depend on the number of workers, and a
// large file read by chunks in parallel comes out in record order.
func TestReadOrderIsStable(t *testing.T) {
	dir := t.TempDir()
	writeEVTX(t, filepath.Join(dir, "a.evtx"), 1, 3000)
	writeEVTX(t, filepath.Join(dir, "b.evtx"), 10001, 50)
	writeEVTX(t, filepath.Join(dir, "c.evtx"), 20001, 1200)
	d, err := Discover([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, f := range []struct {
		name     string
		first, n int
	}{{"a.evtx", 1, 3000}, {"b.evtx", 10001, 50}, {"c.evtx", 20001, 1200}} {
		for i := 0; i < f.n; i++ {
			want = append(want, fmt.Sprintf("%s#%d", f.name, f.first+i))
		}
	}
	for _, workers := range []int{1, 2, 7} {
		got, damage := readAll(t, &Reader{Workers: workers, ChunksPerJob: 1}, d.Inputs)
		if len(damage) > 0 {
			t.Errorf("workers=%d: damage %v", workers, damage)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("workers=%d: %d events, order differs from the files' record order", workers, len(got))
		}
	}
}

// Compressed, archived and plain copies of one log give the same events.
func TestCompressedAndArchived(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.evtx")
	writeEVTX(t, plain, 1, 700)
	raw, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	if err := os.WriteFile(filepath.Join(dir, "copy.evtx.gz"), gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var zb bytes.Buffer
	arc := zip.NewWriter(&zb)
	for _, m := range []struct {
		name string
		data []byte
	}{{"logs/Sysmon.evtx", raw}, {"logs/Sysmon.evtx.gz", gz.Bytes()}, {"README.txt", []byte("exported from WS1\n")}} {
		w, _ := arc.Create(m.name)
		w.Write(m.data)
	}
	arc.Close()
	if err := os.WriteFile(filepath.Join(dir, "export.zip"), zb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Discover([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, in := range d.Inputs {
		names = append(names, in.Name)
	}
	wantNames := []string{
		filepath.Join(dir, "copy.evtx.gz"),
		filepath.Join(dir, "export.zip") + "!logs/Sysmon.evtx",
		filepath.Join(dir, "export.zip") + "!logs/Sysmon.evtx.gz",
		plain,
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("inputs %q, want %q", names, wantNames)
	}
	if len(d.Skipped) != 1 || !strings.HasSuffix(d.Skipped[0].Name, "!README.txt") {
		t.Errorf("skipped %v, want the README inside the archive", d.Skipped)
	}
	got, damage := readAll(t, &Reader{Workers: 2}, d.Inputs)
	if len(damage) > 0 {
		t.Fatal(damage)
	}
	counts := map[string]int{}
	for _, e := range got {
		counts[e[:strings.Index(e, "#")]]++
	}
	for name, n := range counts {
		if n != 700 {
			t.Errorf("%s: %d events, want 700", name, n)
		}
	}
	if len(counts) != 4 {
		t.Errorf("events from %d inputs, want 4: %v", len(counts), counts)
	}
}

func TestStdin(t *testing.T) {
	dir := t.TempDir()
	writeEVTX(t, filepath.Join(dir, "a.evtx"), 1, 300)
	raw, _ := os.ReadFile(filepath.Join(dir, "a.evtx"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	for name, data := range map[string][]byte{"plain": raw, "gzip": gz.Bytes()} {
		d, err := Discover([]string{"-"}, Options{Stdin: bytes.NewReader(data)})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, damage := readAll(t, &Reader{}, d.Inputs)
		if len(got) != 300 || len(damage) != 0 {
			t.Errorf("%s: %d events, damage %v", name, len(got), damage)
		}
	}
	d, err := Discover([]string{"-"}, Options{Stdin: strings.NewReader("hello\n")})
	if err != nil || len(d.Inputs) != 0 || len(d.Skipped) != 1 {
		t.Errorf("text on stdin: %+v, %v; want it skipped", d, err)
	}
}

func TestDiscoverErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a log"), 0o644)
	os.WriteFile(filepath.Join(dir, "empty.evtx"), nil, 0o644)
	if _, err := Discover([]string{filepath.Join(dir, "missing.evtx")}, Options{}); err == nil {
		t.Error("a path that does not exist was accepted")
	}
	if _, err := Discover([]string{filepath.Join(dir, "*.json")}, Options{}); err == nil {
		t.Error("a glob that matches nothing was accepted")
	}
	d, err := Discover([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var reasons []string
	for _, s := range d.Skipped {
		reasons = append(reasons, filepath.Base(s.Name)+": "+s.Reason)
	}
	sort.Strings(reasons)
	want := []string{"empty.evtx: empty file", "notes.txt: not a log format Breakwater reads (text that is neither an event export nor a Zeek log)"}
	if !reflect.DeepEqual(reasons, want) || len(d.Inputs) != 0 {
		t.Errorf("skipped %q, inputs %v; want %q", reasons, d.Inputs, want)
	}
}

// A file cut short and a file with a broken chunk are read around the
// damage, which is reported with its place.
func TestDamageReported(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.evtx")
	writeEVTX(t, path, 1, 2000)
	raw, _ := os.ReadFile(path)
	broken := bytes.Clone(raw)
	copy(broken[evtx.ChunkOffset(1):], "XXXXXXXX")
	os.WriteFile(filepath.Join(dir, "broken.evtx"), broken, 0o644)
	os.WriteFile(filepath.Join(dir, "cut.evtx"), raw[:len(raw)-30000], 0o644)
	os.Remove(path)
	d, err := Discover([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, damage := readAll(t, &Reader{}, d.Inputs)
	if len(got) < 3000 || len(got) >= 4000 {
		t.Errorf("%d events from the two damaged copies", len(got))
	}
	var msgs []string
	for _, dm := range damage {
		msgs = append(msgs, dm.String())
	}
	joined := strings.Join(msgs, "\n")
	if !strings.Contains(joined, "broken.evtx: offset 69632: chunk: no ElfChnk signature") || !strings.Contains(joined, "cut.evtx") {
		t.Errorf("damage reported:\n%s", joined)
	}
}

// Every record of the 202 SigmaHQ regression files reads the same from the
// EVTX file and from its evtx_dump JSON copy: same field names, same order,
// same values. The JSON copies are the reference the public rules were
// tested against.
func TestEVTXMatchesJSONCopies(t *testing.T) {
	root := datasets.Path(t, "sigma/regression_data")
	var evtxFiles []string
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".evtx") {
			evtxFiles = append(evtxFiles, path)
		}
		return err
	})
	if len(evtxFiles) != 202 {
		t.Fatalf("%d regression files, want 202", len(evtxFiles))
	}
	// Differences that are in the data itself, not in the readers.
	known := map[string]string{
		"ParentCommandLine=C:\\Windows\\Explorer.EXE": "C:\\Windows\\Explorer.exe",
	}
	total := 0
	for _, path := range evtxFiles {
		jsonPath := strings.TrimSuffix(path, ".evtx") + ".json"
		d, err := Discover([]string{path, jsonPath}, Options{})
		if err != nil || len(d.Inputs) != 2 {
			t.Fatalf("%s: %v %+v", path, err, d)
		}
		var evs [2][]event.Event
		err = (&Reader{Workers: 1}).Read(context.Background(), d.Inputs, func(b *Batch) error {
			evs[b.Index] = append(evs[b.Index], b.Events...)
			if len(b.Damage) > 0 {
				t.Errorf("%s: %v", b.Input.Name, b.Damage)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs[0]) != len(evs[1]) {
			t.Errorf("%s: %d events from EVTX, %d from JSON", path, len(evs[0]), len(evs[1]))
			continue
		}
		total += len(evs[0])
		for i := range evs[0] {
			a, b := evs[0][i].Fields, evs[1][i].Fields
			if len(a) != len(b) {
				t.Errorf("%s record %d: %d fields from EVTX, %d from JSON\nEVTX: %v\nJSON: %v", path, i, len(a), len(b), a, b)
				continue
			}
			for k := range a {
				if a[k] == b[k] || known[a[k].Name+"="+a[k].Value] == b[k].Value && a[k].Name == b[k].Name {
					continue
				}
				// The JSON copies keep TimeCreated to the microsecond only.
				if a[k].Name == event.FieldTimeCreated && b[k].Name == a[k].Name && len(a[k].Value) == 28 &&
					a[k].Value[:26] == b[k].Value[:26] && b[k].Value[26:] == "0Z" {
					continue
				}
				t.Errorf("%s record %d field %d: EVTX %s=%q, JSON %s=%q", path, i, k, a[k].Name, a[k].Value, b[k].Name, b[k].Value)
			}
			if !evs[0][i].Time.Truncate(time.Microsecond).Equal(evs[1][i].Time.Truncate(time.Microsecond)) || evs[0][i].EventID != evs[1][i].EventID || evs[0][i].Channel != evs[1][i].Channel {
				t.Errorf("%s record %d: header differs", path, i)
			}
		}
	}
	if total != 238 {
		t.Errorf("%d events, want 238", total)
	}
}

// All the shared datasets' Windows logs are read without damage, except
// the files the parser's counts list as damaged.
func TestDatasetsRead(t *testing.T) {
	root := datasets.Path(t, "")
	var paths []string
	for _, sub := range []string{"evtx-attack", "deepbluecli", "otrf", "evtx-parser/samples"} {
		paths = append(paths, filepath.Join(root, sub))
	}
	d, err := Discover(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	damagedOK := map[string]bool{
		"2-vss_0-Microsoft-Windows-RemoteDesktopServices-RdpCoreTS%4Operational.evtx":          true,
		"2-vss_0-Microsoft-Windows-TerminalServices-RemoteConnectionManager%4Operational.evtx": true,
		"sample_with_a_bad_chunk_magic.evtx":                                                   true,
		"sample-with-zero-data-size-event.evtx":                                                true,
	}
	events := 0
	err = (&Reader{}).Read(context.Background(), d.Inputs, func(b *Batch) error {
		events += len(b.Events)
		for _, dm := range b.Damage {
			if !damagedOK[filepath.Base(dm.Input)] {
				t.Errorf("unexpected damage: %s", dm)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range d.Skipped {
		if !strings.HasSuffix(s.Name, "LICENSE") && !strings.HasSuffix(s.Name, "LICENSE-MIT") && !strings.HasSuffix(s.Name, "LICENSE-APACHE") {
			t.Errorf("skipped %s: %s", s.Name, s.Reason)
		}
	}
	t.Logf("%d inputs, %d events", len(d.Inputs), events)
}

// TestTransientSameEvents: a Transient reader, whose events share storage
// per chunk, gives exactly the events of an ordinary one, damaged files
// included.
func TestTransientSameEvents(t *testing.T) {
	paths := []string{filepath.Join("..", "..", "testdata", "volt-typhoon"), datasets.Path(t, "evtx-parser")}
	found, err := Discover(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	read := func(transient bool) []byte {
		var out []byte
		r := Reader{Workers: 2, Transient: transient, Process: func(_ int, b *Batch) {
			var buf []byte
			for i := range b.Events {
				buf = b.Events[i].AppendJSON(buf)
				buf = append(buf, '\n')
			}
			for _, d := range b.Damage {
				buf = append(buf, d.String()...)
				buf = append(buf, '\n')
			}
			b.Value = buf
		}}
		err := r.Read(context.Background(), found.Inputs, func(b *Batch) error {
			out = append(out, b.Value.([]byte)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	plain, shared := read(false), read(true)
	if len(plain) < 1<<20 {
		t.Fatalf("only %d bytes of events", len(plain))
	}
	if !bytes.Equal(plain, shared) {
		t.Error("a Transient reader gives other events than an ordinary one")
	}
}
