package evtx

import (
	"errors"
	"fmt"
	"io"
)

// File reads an EVTX file through an io.ReaderAt, so that its chunks can be
// read in any order and by several goroutines at once.
type File struct {
	Header FileHeader
	ra     io.ReaderAt
	size   int64
}

// Open reads the file header. size is the length of the file in bytes.
func Open(ra io.ReaderAt, size int64) (*File, error) {
	if size < FileHeaderSize {
		var b [128]byte
		n, _ := ra.ReadAt(b[:], 0)
		if _, err := ParseFileHeader(b[:n]); err != nil {
			return nil, err
		}
		return nil, &Error{What: "file header", Reason: fmt.Sprintf("file of %d bytes is shorter than its header", size), Err: ErrTruncated}
	}
	var b [128]byte
	if _, err := ra.ReadAt(b[:], 0); err != nil {
		return nil, fmt.Errorf("read file header: %w", err)
	}
	h, err := ParseFileHeader(b[:])
	if err != nil {
		return nil, err
	}
	return &File{Header: h, ra: ra, size: size}, nil
}

// NumChunks is the number of chunks the file holds, a final partial chunk
// included. It is judged by the file's size, not by the header's count, which
// a dirty file leaves stale; chunks past the header's count are read too,
// because records survive there.
func (f *File) NumChunks() int {
	return int((f.size - FileHeaderSize + ChunkSize - 1) / ChunkSize)
}

// Missing is the number of bytes missing from the last chunk: a copy of the
// file that was cut short. Its records up to the cut are still read.
func (f *File) Missing() int64 {
	if r := (f.size - FileHeaderSize) % ChunkSize; r != 0 {
		return ChunkSize - r
	}
	return 0
}

// ChunkOffset is the file offset of chunk i.
func ChunkOffset(i int) int64 { return FileHeaderSize + int64(i)*ChunkSize }

// ReadChunk reads chunk i into buf, which must hold ChunkSize bytes, and
// returns it: buf[:ChunkSize], or less for a partial last chunk.
func (f *File) ReadChunk(i int, buf []byte) ([]byte, error) {
	if i < 0 || i >= f.NumChunks() {
		return nil, fmt.Errorf("chunk %d: out of range", i)
	}
	buf = buf[:ChunkSize]
	n, err := f.ra.ReadAt(buf, ChunkOffset(i))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("chunk %d: %w", i, err)
	}
	return buf[:n], nil
}

// Stream reads an EVTX file sequentially from an io.Reader (a decompressor,
// standard input), one chunk at a time.
type Stream struct {
	Header FileHeader
	r      io.Reader
	next   int
}

// NewStream reads the file header from r.
func NewStream(r io.Reader) (*Stream, error) {
	var b [FileHeaderSize]byte
	n, err := io.ReadFull(r, b[:])
	if err != nil {
		if _, herr := ParseFileHeader(b[:n]); herr != nil {
			return nil, herr
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, &Error{What: "file header", Reason: fmt.Sprintf("stream of %d bytes is shorter than its header", n), Err: ErrTruncated}
		}
		return nil, fmt.Errorf("read file header: %w", err)
	}
	h, err := ParseFileHeader(b[:])
	if err != nil {
		return nil, err
	}
	return &Stream{Header: h, r: r}, nil
}

// Next reads the next chunk into buf (which must hold ChunkSize bytes) and
// returns it with its index. At the end of the stream it returns io.EOF. A
// final partial chunk is returned as far as it goes, together with an *Error
// wrapping ErrTruncated: its records up to the cut are still readable.
func (s *Stream) Next(buf []byte) ([]byte, int, error) {
	buf = buf[:ChunkSize]
	i := s.next
	n, err := io.ReadFull(s.r, buf)
	switch {
	case err == nil:
		s.next++
		return buf, i, nil
	case errors.Is(err, io.EOF):
		return nil, i, io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		s.next++
		return buf[:n], i, &Error{Offset: ChunkOffset(i), What: fmt.Sprintf("chunk %d", i),
			Reason: fmt.Sprintf("only %d of %d bytes present", n, ChunkSize), Err: ErrTruncated}
	default:
		return nil, i, fmt.Errorf("chunk %d: %w", i, err)
	}
}
