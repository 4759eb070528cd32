package zeek

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// seedLines adds the first lines of dataset logs to a fuzz corpus, when the
// datasets are present (fuzzing needs no data to run).
func seedLines(f *testing.F, pattern string, lines int) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "datasets", "zeek", pattern))
	for _, p := range files {
		fh, err := os.Open(p)
		if err != nil {
			continue
		}
		var r io.Reader = fh
		if strings.HasSuffix(p, ".gz") {
			zr, err := gzip.NewReader(fh)
			if err != nil {
				fh.Close()
				continue
			}
			r = zr
		}
		var b bytes.Buffer
		sc := bufio.NewScanner(r)
		sc.Buffer(nil, 1<<20)
		for n := 0; n < lines && sc.Scan(); n++ {
			b.Write(sc.Bytes())
			b.WriteByte('\n')
		}
		fh.Close()
		f.Add(b.Bytes())
	}
}

func FuzzTSV(f *testing.F) {
	for _, tc := range readerCases {
		if strings.HasPrefix(tc.name, "tsv") {
			f.Add([]byte(tc.input))
		}
	}
	seedLines(f, "zed-sample-data/zeek-default/[a-s]*.log.gz", 12)
	seedLines(f, "rita/*/*.log", 12)
	f.Fuzz(func(t *testing.T, data []byte) { checkReader(t, data) })
}

func FuzzJSON(f *testing.F) {
	for _, tc := range readerCases {
		if strings.HasPrefix(tc.name, "json") {
			f.Add([]byte(tc.input))
		}
	}
	seedLines(f, "zed-sample-data/zeek-json/[a-s]*.json.gz", 4)
	seedLines(f, "rita/json_with_all_fields/*.log", 4)
	f.Fuzz(func(t *testing.T, data []byte) { checkReader(t, data) })
}

// checkReader reads any input to its end and checks what must hold for
// every input: no panic, an end, no more results than lines, list values
// that agree with their items, and no raw control byte in any value.
func checkReader(t *testing.T, data []byte) {
	zr := NewReader(bytes.NewReader(data), "fuzz.log")
	zr.MaxLine = 4096
	zr.MaxFields = 64
	lines := bytes.Count(data, []byte{'\n'}) + 1
	var rec Record
	prev := 0
	for calls := 0; ; calls++ {
		if calls > lines+1 {
			t.Fatalf("%d results from %d lines: the reader does not stop", calls, lines)
		}
		err := zr.Next(&rec)
		if err == io.EOF {
			break
		}
		var le *LineError
		if errors.As(err, &le) {
			if le.Line <= prev-1 || le.Line > lines || le.Offset < 0 || le.Offset > int64(len(data)) {
				t.Fatalf("damage at line %d offset %d after line %d of %d", le.Line, le.Offset, prev, lines)
			}
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrNotZeek) && !errors.Is(err, ErrCompressed) {
				t.Fatalf("unexpected error: %v", err)
			}
			if zr.Next(&rec) != err {
				t.Fatal("a fatal error is not sticky")
			}
			return
		}
		if rec.Line <= prev || rec.Line > lines || rec.Offset > int64(len(data)) {
			t.Fatalf("record at line %d offset %d after line %d of %d", rec.Line, rec.Offset, prev, lines)
		}
		prev = rec.Line
		if len(rec.Fields) > zr.MaxFields {
			t.Fatalf("%d fields, more than MaxFields", len(rec.Fields))
		}
		for _, f := range rec.Fields {
			if f.Type.IsList() && strings.Join(f.Items, ",") != f.Value {
				t.Fatalf("%s: value %q, items %q", f.Name, f.Value, f.Items)
			}
			for _, c := range []byte(f.Value) {
				if c < 0x20 && !keptControl(c) || c == 0x7f {
					t.Fatalf("%s: raw control byte %#x in %q", f.Name, c, f.Value)
				}
			}
		}
		_ = rec.Conn() // the views read any record
		_ = rec.X509()
	}
}
