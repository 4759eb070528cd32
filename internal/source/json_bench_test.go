package source

import (
	"bytes"
	"encoding/json"
	"github.com/breakwater/breakwater/internal/datasets"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/breakwater/breakwater/internal/event"
)

// benchDecode reads events from data (many records) one per iteration,
// starting over at its end, and reports events/s; ns/op and allocs/op are
// per event.
func benchDecode(b *testing.B, data []byte, records int, newDec func(io.Reader, string) Decoder) {
	b.Helper()
	b.SetBytes(int64(len(data) / records))
	b.ReportAllocs()
	r := bytes.NewReader(data)
	d := newDec(r, "bench")
	var ev event.Event
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := d.Next(&ev)
		if err == io.EOF {
			r.Reset(data)
			d = newDec(r, "bench")
			i--
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// repeatRecord makes an input of n copies of a fixture, one per line.
func repeatRecord(b *testing.B, file string, compact bool, n int) []byte {
	b.Helper()
	rec, err := os.ReadFile(filepath.Join("testdata/cross", file))
	if err != nil {
		b.Fatal(err)
	}
	if compact {
		var buf bytes.Buffer
		if err := json.Compact(&buf, rec); err != nil {
			b.Fatal(err)
		}
		rec = buf.Bytes()
	}
	rec = append(bytes.TrimRight(rec, "\n"), '\n')
	return bytes.Repeat(rec, n)
}

const benchRecords = 4000

func BenchmarkJSONDecoder(b *testing.B) {
	b.Run("evtx-json-lines", func(b *testing.B) {
		benchDecode(b, repeatRecord(b, "4688.evtx.json", true, benchRecords), benchRecords, NewJSONDecoder)
	})
	b.Run("evtx-json-pretty", func(b *testing.B) {
		benchDecode(b, repeatRecord(b, "4688.evtx.json", false, benchRecords), benchRecords, NewJSONDecoder)
	})
	b.Run("ecs", func(b *testing.B) {
		benchDecode(b, repeatRecord(b, "4688.ecs.json", true, benchRecords), benchRecords, NewJSONDecoder)
	})
	b.Run("nxlog", func(b *testing.B) {
		benchDecode(b, repeatRecord(b, "4688.nxlog.json", true, benchRecords), benchRecords, NewJSONDecoder)
	})
	b.Run("nxlog-otrf", func(b *testing.B) {
		dir := datasets.Path(b, "otrf")
		data, err := os.ReadFile(filepath.Join(dir, "covenant_copy_smb_CreateRequest_2020-09-22145302.json"))
		if err != nil {
			b.Fatal(err)
		}
		benchDecode(b, data, bytes.Count(data, []byte("\n")), NewJSONDecoder)
	})
	b.Run("evtx-json-regression", func(b *testing.B) {
		dir := datasets.Path(b, "sigma", "regression_data")
		var all []byte
		n := 0
		filepath.WalkDir(dir, func(p string, de os.DirEntry, err error) error {
			if err == nil && filepath.Ext(p) == ".json" {
				data, _ := os.ReadFile(p)
				all = append(append(all, data...), '\n')
				n++
			}
			return nil
		})
		benchDecode(b, all, 238, NewJSONDecoder)
	})
}

func BenchmarkXMLDecoder(b *testing.B) {
	benchDecode(b, repeatRecord(b, "4688.xml", false, benchRecords), benchRecords, NewXMLDecoder)
}

// BenchmarkJSONStdlibBaseline decodes the NXLog fixture with encoding/json
// into a map, the approach the decoder replaces: its figure calibrates the
// others on the machine at hand (DESIGN quotes ~10 µs an event for it).
func BenchmarkJSONStdlibBaseline(b *testing.B) {
	rec, err := os.ReadFile("testdata/cross/4688.nxlog.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var m map[string]any
		if err := json.Unmarshal(rec, &m); err != nil {
			b.Fatal(err)
		}
	}
}
