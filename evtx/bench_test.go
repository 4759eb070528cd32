package evtx

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

// loadChunks reads the chunks of a file into memory.
func loadChunks(b *testing.B, path string) [][]byte {
	data, err := os.ReadFile(path)
	if err != nil {
		b.Skip(err)
	}
	var chunks [][]byte
	for off := FileHeaderSize; off+ChunkSize <= len(data); off += ChunkSize {
		chunks = append(chunks, data[off:off+ChunkSize])
	}
	return chunks
}

// benchChunks parses every chunk and flattens every record, as a hunt does.
func benchChunks(b *testing.B, chunks [][]byte, render func(r *Record, out []byte, fields []Field) ([]byte, []Field)) {
	p := NewParser()
	var out []byte
	var fields []Field
	records, bytes := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		data := chunks[i%len(chunks)]
		bytes += len(data)
		c, err := p.Chunk(data, 0)
		if err != nil || c == nil {
			continue
		}
		for {
			r, err := c.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				continue
			}
			out, fields = render(r, out[:0], fields[:0])
			records++
		}
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(bytes)/1e6/b.Elapsed().Seconds(), "MB/s")
}

func security(b *testing.B) [][]byte {
	return loadChunks(b, filepath.Join("..", "..", "shared", "datasets", "evtx-parser", "samples", "security.evtx"))
}

func BenchmarkChunkFields(b *testing.B) {
	benchChunks(b, security(b), func(r *Record, out []byte, fields []Field) ([]byte, []Field) {
		out, fields, _ = r.AppendFields(out, fields)
		return out, fields
	})
}

func BenchmarkChunkXML(b *testing.B) {
	benchChunks(b, security(b), func(r *Record, out []byte, fields []Field) ([]byte, []Field) {
		out, _ = r.AppendXML(out)
		return out, fields
	})
}

// BenchmarkChunkWalk is the floor: the record chain without rendering.
func BenchmarkChunkWalk(b *testing.B) {
	benchChunks(b, security(b), func(r *Record, out []byte, fields []Field) ([]byte, []Field) {
		return out, fields
	})
}
