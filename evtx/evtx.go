// Package evtx reads (and, for tests and simulations, writes) Windows XML
// Event Log files, the .evtx format of Windows Vista and later.
//
// An EVTX file is a 4 KiB file header followed by independent 64 KiB chunks.
// Each chunk holds a string table, a template table and a chain of records;
// each record's event is Binary XML (BinXML) that usually instantiates a
// template defined earlier in the same chunk with the record's own
// substitution values. Chunks share nothing, so they can be parsed in
// parallel: a Parser parses one chunk at a time and keeps the caches of that
// chunk (templates, names) until it is given the next one.
//
// The reader treats its input as hostile. Every offset and length is checked
// against the bytes that exist before it is used; a damaged record or chunk
// is reported as an *Error and skipped while every good record around it is
// still returned; nesting and sizes are capped, so no input can make it
// panic, loop or allocate without bound.
//
// A record can be rendered as XML (AppendXML), as Windows renders it, or as a
// flat list of named values (AppendFields) in the naming convention the
// public tooling uses (Provider_Name, EventID, the Name of each EventData
// Data element, ...), which is what detection rules are written against.
package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Sizes fixed by the format.
const (
	FileHeaderSize  = 4096
	ChunkSize       = 65536
	chunkHeaderSize = 512
	recordHeaderLen = 24 // magic, size, record id, time
)

var (
	fileMagic   = []byte("ElfFile\x00")
	chunkMagic  = []byte("ElfChnk\x00")
	recordMagic = []byte{0x2a, 0x2a, 0x00, 0x00}
)

// Sentinel errors, wrapped by *Error so that callers can tell kinds apart
// with errors.Is.
var (
	// ErrFormat means bytes that do not follow the EVTX format.
	ErrFormat = errors.New("malformed")
	// ErrChecksum means a CRC32 stored in the file does not match its bytes.
	ErrChecksum = errors.New("checksum mismatch")
	// ErrTruncated means the data ends before a structure it announces.
	ErrTruncated = errors.New("truncated")
)

// Error describes damage at one place of a file: the file offset of the
// structure, what it is, and why it was rejected.
type Error struct {
	Offset int64  // offset in the file of the damaged structure
	What   string // "file header", "chunk 3", "record 4711", ...
	Reason string
	Err    error // ErrFormat, ErrChecksum or ErrTruncated
}

func (e *Error) Error() string {
	return fmt.Sprintf("offset %d: %s: %s", e.Offset, e.What, e.Reason)
}

// Unwrap returns the sentinel kind of the damage.
func (e *Error) Unwrap() error { return e.Err }

// File header flags.
const (
	FlagDirty = 0x1 // the file was not closed cleanly
	FlagFull  = 0x2 // the file reached its maximum size
)

// FileHeader is the first 4 KiB of an EVTX file.
type FileHeader struct {
	FirstChunk   uint64
	LastChunk    uint64
	NextRecordID uint64
	MinorVersion uint16
	MajorVersion uint16
	ChunkCount   uint16
	Flags        uint32
	// ChecksumOK reports whether the stored CRC32 of the first 120 bytes
	// matches. Windows leaves it stale in some files; the chunks are still
	// readable, so a mismatch is a warning, not a failure.
	ChecksumOK bool
}

// ParseFileHeader decodes a file header from the first bytes of a file.
func ParseFileHeader(b []byte) (FileHeader, error) {
	var h FileHeader
	if len(b) < 128 {
		return h, &Error{What: "file header", Reason: "shorter than 128 bytes", Err: ErrTruncated}
	}
	if string(b[:8]) != string(fileMagic) {
		return h, &Error{What: "file header", Reason: "no ElfFile signature", Err: ErrFormat}
	}
	le := binary.LittleEndian
	h.FirstChunk = le.Uint64(b[8:])
	h.LastChunk = le.Uint64(b[16:])
	h.NextRecordID = le.Uint64(b[24:])
	h.MinorVersion = le.Uint16(b[36:])
	h.MajorVersion = le.Uint16(b[38:])
	h.ChunkCount = le.Uint16(b[42:])
	h.Flags = le.Uint32(b[120:])
	h.ChecksumOK = crc32.ChecksumIEEE(b[:120]) == le.Uint32(b[124:])
	return h, nil
}

// Accounts reports whether the header accounts for chunk i. Windows grows a
// file before it fills it, and a dirty header lags behind the chunks really
// written; so chunks past the header's count are still read, but one there
// without a chunk signature is space never used, not damage.
func (h FileHeader) Accounts(i int) bool {
	return i < int(h.ChunkCount) || uint64(i) <= h.LastChunk
}

// ChunkHeader is the 512-byte header of a chunk.
type ChunkHeader struct {
	FirstRecordNumber uint64
	LastRecordNumber  uint64
	FirstRecordID     uint64
	LastRecordID      uint64
	LastRecordOffset  uint32
	FreeSpaceOffset   uint32
	// HeaderOK and DataOK report whether the CRC32 of the header and of the
	// records area (from the end of the header to FreeSpaceOffset) match.
	HeaderOK bool
	DataOK   bool
}

func parseChunkHeader(b []byte) (ChunkHeader, bool) {
	var h ChunkHeader
	if len(b) < ChunkSize || string(b[:8]) != string(chunkMagic) {
		return h, false
	}
	le := binary.LittleEndian
	h.FirstRecordNumber = le.Uint64(b[8:])
	h.LastRecordNumber = le.Uint64(b[16:])
	h.FirstRecordID = le.Uint64(b[24:])
	h.LastRecordID = le.Uint64(b[32:])
	h.LastRecordOffset = le.Uint32(b[44:])
	h.FreeSpaceOffset = le.Uint32(b[48:])
	crc := crc32.NewIEEE()
	crc.Write(b[:120])
	crc.Write(b[128:chunkHeaderSize])
	h.HeaderOK = crc.Sum32() == le.Uint32(b[124:])
	if free := h.FreeSpaceOffset; free >= chunkHeaderSize && free <= ChunkSize {
		h.DataOK = crc32.ChecksumIEEE(b[chunkHeaderSize:free]) == le.Uint32(b[52:])
	}
	return h, true
}

// isZero reports whether b holds only zero bytes: an unused chunk that a
// preallocated or wiped file leaves behind, which is not damage.
func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
