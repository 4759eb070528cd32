package evtx

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// parseAll drives every code path of the reader over a chunk: records, both
// renderings. Its only job in a fuzz test is to not panic or hang.
func parseAll(p *Parser, data []byte) (records int) {
	c, err := p.Chunk(data, 0)
	if err != nil || c == nil {
		return 0
	}
	var out []byte
	var fields []Field
	for n := 0; n < ChunkSize; n++ { // a chunk cannot hold more records than bytes
		r, err := c.Next()
		if err == io.EOF {
			return records
		}
		if err != nil {
			continue
		}
		out, fields, _ = r.AppendFields(out[:0], fields[:0])
		out, _ = r.AppendXML(out[:0])
		records++
	}
	panic("chunk iteration did not end")
}

// seedChunks adds the first chunk of small real files and of a file the
// writer made.
func seedChunks(f *testing.F) {
	var events []Event
	for i := 0; i < 40; i++ {
		events = append(events, sysmonProcess(i))
	}
	b, err := os.ReadFile(writeFile(f, events))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[FileHeaderSize : FileHeaderSize+ChunkSize])
	dir := filepath.Join("..", "..", "shared", "datasets", "evtx-parser", "samples")
	names, _ := filepath.Glob(filepath.Join(dir, "*.evtx"))
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil || len(b) < FileHeaderSize+ChunkSize {
			continue
		}
		f.Add(b[FileHeaderSize : FileHeaderSize+ChunkSize])
	}
}

func FuzzChunk(f *testing.F) {
	seedChunks(f)
	p := NewParser()
	f.Fuzz(func(t *testing.T, data []byte) {
		parseAll(p, data)
	})
}

// FuzzFile feeds whole files, so that headers and partial chunks are
// exercised too.
func FuzzFile(f *testing.F) {
	seedChunks(f)
	f.Add(append(append([]byte("ElfFile\x00"), make([]byte, FileHeaderSize-8)...), []byte("ElfChnk\x00")...))
	f.Fuzz(func(t *testing.T, data []byte) {
		ef, err := Open(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return
		}
		p := NewParser()
		buf := make([]byte, ChunkSize)
		for i := 0; i < ef.NumChunks() && i < 4; i++ {
			chunk, err := ef.ReadChunk(i, buf)
			if err == nil {
				parseAll(p, chunk)
			}
		}
	})
}
