package evtx

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Parser parses chunks one at a time. It keeps what can be reused from one
// chunk to the next (buffers, interned names), so a goroutine that parses
// many chunks should keep one Parser. A Parser is not safe for concurrent
// use; give each goroutine its own.
type Parser struct {
	chunk   Chunk
	rec     Record
	names   map[string]string // interned names and field names
	scratch []byte
	pad     []byte  // a partial chunk, zero-filled to full size
	sc      scratch // sibling lists being parsed
	tmpls   arena   // the templates of the current chunk
	nested  arena   // the nested BinXML of the current record
}

// NewParser returns a Parser ready to parse chunks.
func NewParser() *Parser {
	p := &Parser{names: make(map[string]string, 256)}
	p.chunk.parser = p
	p.chunk.nameCache = make(map[int]string, 64)
	p.chunk.tmplCache = make(map[int]*template, 16)
	p.rec.chunk = &p.chunk
	return p
}

// The intern table is bounded, or a hostile file with endless distinct
// names would grow it forever.
const (
	maxInterned   = 1 << 16
	maxInternSize = 256
)

// internString returns s from the intern table, adding it when absent, so
// that names repeated in every chunk are allocated once per Parser.
func (p *Parser) internString(s string) string {
	if v, ok := p.names[s]; ok {
		return v
	}
	if len(p.names) < maxInterned && len(s) <= maxInternSize {
		p.names[s] = s
	}
	return s
}

// internBytes is internString for bytes, without allocating when present.
func (p *Parser) internBytes(b []byte) string {
	if len(b) > maxInternSize {
		return string(b)
	}
	if v, ok := p.names[string(b)]; ok {
		return v
	}
	s := string(b)
	if len(p.names) < maxInterned {
		p.names[s] = s
	}
	return s
}

// intern2 interns a+"_"+b.
func (p *Parser) intern2(a, b string) string {
	p.scratch = append(append(append(p.scratch[:0], a...), '_'), b...)
	return p.internBytes(p.scratch)
}

// Chunk is one 64 KiB chunk being parsed. It is valid until its Parser is
// given the next chunk.
type Chunk struct {
	Header ChunkHeader
	Offset int64 // file offset of the chunk, for error reports

	parser    *Parser
	data      []byte
	pos       int // offset of the next record
	limit     int // bytes present: less than ChunkSize when the file was cut short
	done      bool
	nameCache map[int]string
	tmplCache map[int]*template
}

// Chunk starts parsing a chunk held in data (ChunkSize bytes, which must not
// change until the next call). offset is the chunk's offset in its file,
// used in error reports. A chunk of zeros returns (nil, nil): unused space is
// not damage. A chunk whose signature is wrong returns an *Error.
//
// data may be shorter than a chunk when a file was cut short: its records up
// to the cut are read, and the record the cut goes through is reported as
// truncated.
func (p *Parser) Chunk(data []byte, offset int64) (*Chunk, error) {
	limit := ChunkSize
	if len(data) < ChunkSize {
		if len(data) < chunkHeaderSize {
			return nil, &Error{Offset: offset, What: "chunk", Reason: fmt.Sprintf("only %d bytes, less than its header", len(data)), Err: ErrTruncated}
		}
		limit = len(data)
		if p.pad == nil {
			p.pad = make([]byte, ChunkSize)
		}
		clear(p.pad[copy(p.pad, data):])
		data = p.pad
	}
	data = data[:ChunkSize]
	h, ok := parseChunkHeader(data)
	if !ok {
		if isZero(data) {
			return nil, nil
		}
		return nil, &Error{Offset: offset, What: "chunk", Reason: "no ElfChnk signature", Err: ErrFormat}
	}
	c := &p.chunk
	c.Header, c.Offset, c.data = h, offset, data
	c.pos, c.done, c.limit = chunkHeaderSize, false, limit
	clear(c.nameCache)
	clear(c.tmplCache)
	p.tmpls.reset()
	return c, nil
}

// end is the offset where the chunk's records end: the free-space offset,
// when it is sane. Bytes past it are slack: stale fragments of records
// overwritten long ago, which are not events.
func (c *Chunk) end() int {
	free := int(c.Header.FreeSpaceOffset)
	if free < chunkHeaderSize || free > ChunkSize {
		return ChunkSize
	}
	return free
}

// Record is one event record. It is valid until the next call to Next on its
// chunk.
type Record struct {
	ID      uint64
	Written time.Time // the time in the record header: when the record was written
	Offset  int64     // file offset of the record

	chunk *Chunk
	start int // chunk offset of the BinXML
	end   int
	root  []node    // the record's fragment, when it is not a lone template instance
	inst  instance  // the record's template instance in the common case
	vals  []value   // backing store for inst.values, reused between records
	isOne bool      // the record is a lone template instance (inst)
	bufs  [][]value // reused value slices of nested instances
}

// Next returns the next record of the chunk. At the end it returns io.EOF. A
// record that cannot be parsed is returned as an *Error, and the next call
// goes on with the record after it when its length can be trusted.
func (c *Chunk) Next() (rec *Record, err error) {
	if c.done {
		return nil, io.EOF
	}
	end := c.end()
	if c.pos+recordHeaderLen+4 > end {
		c.done = true
		return nil, io.EOF
	}
	start := c.pos
	b := c.data
	fileOff := c.Offset + int64(start)
	if isZero(b[start : start+8]) {
		// Zeros where a record should start: the rest of the chunk was
		// wiped or never written (the header's free-space offset is stale).
		// Records after such a gap lost the templates they refer to.
		c.done = true
		return nil, io.EOF
	}
	if string(b[start:start+4]) != string(recordMagic) {
		// Without a valid header the record chain cannot be followed.
		c.done = true
		return nil, &Error{Offset: fileOff, What: "record", Reason: "no record signature where the chain says one starts", Err: ErrFormat}
	}
	size := int(binary.LittleEndian.Uint32(b[start+4:]))
	id := binary.LittleEndian.Uint64(b[start+8:])
	what := func() string { return fmt.Sprintf("record %d", id) }
	if size < recordHeaderLen+4 || start+size > end {
		c.done = true
		return nil, &Error{Offset: fileOff, What: what(), Reason: fmt.Sprintf("size %d does not fit the chunk", size), Err: ErrFormat}
	}
	if start+size > c.limit {
		c.done = true
		return nil, &Error{Offset: fileOff, What: what(), Reason: fmt.Sprintf("cut short by the end of the file after %d of %d bytes", c.limit-start, size), Err: ErrTruncated}
	}
	// The copy of the size at the record's end is not checked: Windows
	// leaves it stale in records that are otherwise whole (seen in VSS
	// copies), and the next record's signature catches a wrong size anyway.
	c.pos = start + size
	if id == c.Header.LastRecordID {
		c.done = true
	}
	r := &c.parser.rec
	c.parser.nested.reset()
	c.parser.sc.level = 0 // a bailout may have left it raised
	r.ID = id
	r.Written = fileTime(binary.LittleEndian.Uint64(b[start+16:]))
	r.Offset = fileOff
	r.start, r.end = start+recordHeaderLen, start+size-4
	if err := r.parse(); err != nil {
		var e *Error
		if pe, ok := err.(*Error); ok {
			e = pe
		} else {
			e = &Error{Reason: err.Error(), Err: ErrFormat}
		}
		e.Reason = fmt.Sprintf("BinXML at chunk offset %d: %s", e.Offset, e.Reason)
		e.Offset, e.What = fileOff, what()
		return nil, e
	}
	return r, nil
}

// parse reads the record's BinXML: templates are parsed (or found in the
// chunk's cache), substitution values are located, nothing is rendered.
func (r *Record) parse() (err error) {
	defer catch(&err)
	r.root, r.isOne = nil, false
	r.bufs = r.bufs[:0]
	ch := r.chunk
	b := ch.data
	p := parser{ch: ch, a: &ch.parser.nested}
	// The common shape: fragment header, template instance, end of stream.
	if r.end-r.start >= 4+10 && b[r.start] == tokFragmentHeader && b[r.start+4] == tokTemplate {
		c := cursor{b: b, pos: r.start + 5, end: r.end}
		c.skip(5)
		defOff := int(c.u32())
		if defOff == c.pos {
			c.skip(20)
			c.skip(int(c.u32()))
		}
		tmpl := ch.template(defOff)
		count := int(c.u32())
		if count > maxSubstitutions || count*4 > c.end-c.pos {
			fail(c.pos-4, "%d substitution values do not fit", count)
		}
		if cap(r.vals) < count {
			r.vals = make([]value, count)
		}
		r.inst = instance{tmpl: tmpl, values: r.vals[:count]}
		p.readValues(&c, r.inst.values)
		if c.pos == c.end || b[c.pos] == tokEOF {
			r.isOne = true
			return nil
		}
	}
	r.root = p.parseFragment(r.start, r.end, false)
	return nil
}

// template returns the parsed template defined at chunk offset off.
func (c *Chunk) template(off int) *template {
	if t, ok := c.tmplCache[off]; ok {
		if t == nil {
			fail(off, "template definition refers to itself")
		}
		return t
	}
	if off < chunkHeaderSize || off+24 > len(c.data) {
		fail(off, "template definition offset %d outside the chunk", off)
	}
	size := int(binary.LittleEndian.Uint32(c.data[off+20:]))
	start := off + 24
	if size < 0 || start+size > len(c.data) {
		fail(off, "template definition of %d bytes does not fit the chunk", size)
	}
	c.tmplCache[off] = nil // guards against a definition that instantiates itself
	ok := false
	defer func() {
		if !ok {
			delete(c.tmplCache, off) // a broken definition fails each record that uses it
		}
	}()
	t := &template{}
	copy(t.guid[:], c.data[off+4:off+20])
	p := parser{ch: c, a: &c.parser.tmpls}
	t.nodes = p.parseFragment(start, start+size, true)
	c.tmplCache[off] = t
	ok = true
	return t
}

// name returns the name stored at chunk offset off.
func (c *Chunk) name(off int) string {
	if s, ok := c.nameCache[off]; ok {
		return s
	}
	if off < 0 || off+8 > len(c.data) {
		fail(off, "name offset %d outside the chunk", off)
	}
	n := int(binary.LittleEndian.Uint16(c.data[off+6:]))
	if off+8+2*n > len(c.data) {
		fail(off, "name of %d characters does not fit the chunk", n)
	}
	p := c.parser
	p.scratch = appendUTF16(p.scratch[:0], c.data[off+8:off+8+2*n])
	s := p.internBytes(p.scratch)
	c.nameCache[off] = s
	return s
}

// fileTime converts a FILETIME (100 ns ticks since 1601) to a time.Time.
func fileTime(ft uint64) time.Time {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in ticks
	t := int64(ft - epochDiff)
	if ft < epochDiff {
		t = -int64(epochDiff - ft)
	}
	return time.Unix(t/1e7, (t%1e7)*100).UTC()
}
