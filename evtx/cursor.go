package evtx

import (
	"encoding/binary"
	"fmt"
)

// bailout carries a parse error up through the recursive BinXML parser.
// It is raised only by cursor and parser methods of this package and always
// recovered (by catch) before an exported function returns.
type bailout struct{ err *Error }

// fail aborts the current parse with a format error at a chunk offset.
func fail(off int, format string, args ...any) {
	panic(bailout{&Error{Offset: int64(off), Reason: fmt.Sprintf(format, args...), Err: ErrFormat}})
}

// catch turns a bailout raised below it into *err. Other panics are not
// ours and keep going.
func catch(err *error) {
	if r := recover(); r != nil {
		b, ok := r.(bailout)
		if !ok {
			panic(r)
		}
		*err = b.err
	}
}

// cursor reads little-endian values from a chunk, refusing to read past end.
// Offsets are chunk-relative, because BinXML refers to names and templates
// by their offset in the chunk.
type cursor struct {
	b   []byte // the whole chunk
	pos int
	end int // exclusive limit for this read
}

func (c *cursor) need(n int) {
	if n < 0 || c.pos+n > c.end {
		fail(c.pos, "need %d bytes, %d left", n, c.end-c.pos)
	}
}

func (c *cursor) u8() byte {
	c.need(1)
	v := c.b[c.pos]
	c.pos++
	return v
}

func (c *cursor) u16() uint16 {
	c.need(2)
	v := binary.LittleEndian.Uint16(c.b[c.pos:])
	c.pos += 2
	return v
}

func (c *cursor) u32() uint32 {
	c.need(4)
	v := binary.LittleEndian.Uint32(c.b[c.pos:])
	c.pos += 4
	return v
}

func (c *cursor) skip(n int) {
	c.need(n)
	c.pos += n
}

func (c *cursor) bytes(n int) []byte {
	c.need(n)
	v := c.b[c.pos : c.pos+n]
	c.pos += n
	return v
}

func (c *cursor) peek() byte {
	c.need(1)
	return c.b[c.pos]
}
