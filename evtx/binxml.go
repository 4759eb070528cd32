package evtx

import (
	"encoding/binary"
	"unicode/utf16"
	"unicode/utf8"
)

// BinXML tokens. The 0x40 bit of a token is a flag: "has attributes" on an
// open start element, "more follows" on the others; tokenKind strips it.
const (
	tokEOF            = 0x00
	tokOpenStart      = 0x01
	tokCloseStart     = 0x02
	tokCloseEmpty     = 0x03
	tokEndElement     = 0x04
	tokValue          = 0x05
	tokAttribute      = 0x06
	tokCDATA          = 0x07
	tokCharRef        = 0x08
	tokEntityRef      = 0x09
	tokPITarget       = 0x0a
	tokPIData         = 0x0b
	tokTemplate       = 0x0c
	tokNormalSub      = 0x0d
	tokOptionalSub    = 0x0e
	tokFragmentHeader = 0x0f

	tokFlagMore = 0x40
)

func tokenKind(t byte) byte { return t &^ tokFlagMore }

// Limits that keep hostile input from costing more than real logs do.
const (
	maxDepth         = 64   // element and nested-BinXML nesting
	maxSubstitutions = 4096 // per template instance
)

type nodeKind uint8

const (
	nodeElement  nodeKind = iota
	nodeText              // literal text: a Value token or CDATA
	nodeSub               // a substitution: value number sub of the instance
	nodeCharRef           // &#N;
	nodeEntity            // &name;
	nodePI                // <?target data?>
	nodeInstance          // a template instance (records and nested BinXML only)
)

// node is one piece of a parsed BinXML fragment. Templates are parsed into
// node trees once per chunk and rendered once per record with that record's
// substitution values.
type node struct {
	kind     nodeKind
	optional bool   // optional substitution: omitted when its value is null
	char     uint16 // nodeCharRef
	sub      uint16 // nodeSub: index into the instance's values
	name     string // element name, entity name, PI target
	text     string // nodeText, nodePI data
	attrs    []attr
	children []node
	inst     *instance // nodeInstance

	// Precomputed for flattening into fields.
	dataName   string // static value of a Name attribute (EventData's <Data Name="...">)
	nameAttr   int    // index of the Name attribute, -1 if none
	hasElement bool   // some child is an element
	hasSub     bool   // some child is a substitution (it may hold BinXML)
}

type attr struct {
	name  string
	flat  string // field name: Element_Attribute
	parts []node // text, substitutions, character and entity references
}

// template is a parsed template definition.
type template struct {
	guid  [16]byte
	nodes []node
}

// instance is a template applied to substitution values.
type instance struct {
	tmpl   *template
	values []value
}

// value is one substitution value: its type and where its bytes are in the
// chunk.
type value struct {
	typ byte
	off int32
	len int32
}

// parser builds node trees from the BinXML of one chunk.
type parser struct {
	ch    *Chunk
	a     *arena // where the nodes go: the chunk's (templates) or the record's
	depth int
}

// arena hands out the slices of node trees from large blocks that are
// reused from one chunk (or record) to the next, so that parsing does not
// allocate per node.
type arena struct {
	nodes  []node
	attrs  []attr
	insts  []instance
	values []value
}

func (a *arena) reset() {
	a.nodes, a.attrs, a.insts, a.values = a.nodes[:0], a.attrs[:0], a.insts[:0], a.values[:0]
}

func (a *arena) instance() *instance {
	if len(a.insts) == cap(a.insts) {
		a.insts = make([]instance, 0, max(2*cap(a.insts), 64))
	}
	a.insts = a.insts[:len(a.insts)+1]
	inst := &a.insts[len(a.insts)-1]
	*inst = instance{}
	return inst
}

func (a *arena) valueSlice(n int) []value {
	if len(a.values)+n > cap(a.values) {
		a.values = make([]value, 0, max(2*cap(a.values), 1024, n))
	}
	m := len(a.values)
	a.values = a.values[:m+n]
	return a.values[m : m+n : m+n]
}

// keepNodes copies tmp into the arena. When a block is full a new one is
// started; slices of the old one stay valid for as long as they are used.
func (a *arena) keepNodes(tmp []node) []node {
	if len(tmp) == 0 {
		return nil
	}
	if len(a.nodes)+len(tmp) > cap(a.nodes) {
		a.nodes = make([]node, 0, max(2*cap(a.nodes), 1024, len(tmp)))
	}
	n := len(a.nodes)
	a.nodes = append(a.nodes, tmp...)
	return a.nodes[n : n+len(tmp) : n+len(tmp)]
}

func (a *arena) keepAttrs(tmp []attr) []attr {
	if len(tmp) == 0 {
		return nil
	}
	if len(a.attrs)+len(tmp) > cap(a.attrs) {
		a.attrs = make([]attr, 0, max(2*cap(a.attrs), 256, len(tmp)))
	}
	n := len(a.attrs)
	a.attrs = append(a.attrs, tmp...)
	return a.attrs[n : n+len(tmp) : n+len(tmp)]
}

// scratch is where sibling nodes collect before they are copied to an
// arena: one buffer per level of parsing in progress, across nested parsers
// (a record's parse can start a template's).
type scratch struct {
	level int
	nodes [][]node
	attrs [][]attr
	parts [][]node
}

func (s *scratch) enter() int {
	s.level++
	for len(s.nodes) <= s.level {
		s.nodes = append(s.nodes, nil)
		s.attrs = append(s.attrs, nil)
		s.parts = append(s.parts, nil)
	}
	return s.level
}

func (s *scratch) leave() { s.level-- }

// parseFragment parses BinXML tokens in ch.data[start:end] up to an EOF token
// or end. depID tells whether open-element tokens carry the two-byte
// dependency identifier: they do in template definitions, and do not in
// records and in BinXML substitution values.
func (p *parser) parseFragment(start, end int, depID bool) []node {
	c := cursor{b: p.ch.data, pos: start, end: end}
	return p.parseContent(&c, depID, true)
}

// parseContent parses sibling nodes until an end-element token (inside an
// element) or EOF / end of data (at the top of a fragment).
func (p *parser) parseContent(c *cursor, depID, top bool) []node {
	sc := &p.ch.parser.sc
	lv := sc.enter()
	nodes := sc.nodes[lv][:0]
	defer func() {
		sc.nodes[lv] = nodes[:0]
		sc.leave()
	}()
	for c.pos < c.end {
		t := c.u8()
		switch tokenKind(t) {
		case tokEOF:
			if !top {
				fail(c.pos-1, "end of fragment inside an element")
			}
			return p.a.keepNodes(nodes)
		case tokEndElement:
			if top {
				fail(c.pos-1, "end-element token outside an element")
			}
			return p.a.keepNodes(nodes)
		case tokOpenStart:
			nodes = append(nodes, p.parseElement(c, t, depID))
		case tokValue:
			nodes = append(nodes, node{kind: nodeText, text: p.readValueText(c)})
		case tokCDATA:
			nodes = append(nodes, node{kind: nodeText, text: p.readUTF16Counted(c)})
		case tokCharRef:
			nodes = append(nodes, node{kind: nodeCharRef, char: c.u16()})
		case tokEntityRef:
			nodes = append(nodes, node{kind: nodeEntity, name: p.readName(c)})
		case tokPITarget:
			n := node{kind: nodePI, name: p.readName(c)}
			if c.pos < c.end && tokenKind(c.peek()) == tokPIData {
				c.u8()
				n.text = p.readUTF16Counted(c)
			}
			nodes = append(nodes, n)
		case tokNormalSub, tokOptionalSub:
			nodes = append(nodes, p.readSub(c, tokenKind(t) == tokOptionalSub))
		case tokTemplate:
			nodes = append(nodes, node{kind: nodeInstance, inst: p.readInstance(c)})
		case tokFragmentHeader:
			c.skip(3) // major, minor version, flags
		default:
			fail(c.pos-1, "unknown BinXML token 0x%02x", t)
		}
	}
	if !top {
		fail(c.pos, "element not closed before the end of its data")
	}
	return p.a.keepNodes(nodes)
}

func (p *parser) parseElement(c *cursor, t byte, depID bool) node {
	p.depth++
	if p.depth > maxDepth {
		fail(c.pos, "elements nested deeper than %d", maxDepth)
	}
	defer func() { p.depth-- }()
	if depID {
		c.skip(2)
	}
	c.skip(4) // data size: the element's extent, which the tokens also give
	n := node{kind: nodeElement, name: p.readName(c), nameAttr: -1}
	if t&tokFlagMore != 0 {
		c.skip(4) // attribute list size
		sc := &p.ch.parser.sc
		lv := sc.enter()
		defer sc.leave()
		attrs := sc.attrs[lv][:0]
		for c.pos < c.end && tokenKind(c.peek()) == tokAttribute {
			c.u8()
			a := attr{name: p.readName(c)}
			parts := sc.parts[lv][:0]
		value:
			for c.pos < c.end {
				switch tokenKind(c.peek()) {
				case tokValue:
					c.u8()
					parts = append(parts, node{kind: nodeText, text: p.readValueText(c)})
				case tokNormalSub, tokOptionalSub:
					k := tokenKind(c.u8())
					parts = append(parts, p.readSub(c, k == tokOptionalSub))
				case tokCharRef:
					c.u8()
					parts = append(parts, node{kind: nodeCharRef, char: c.u16()})
				case tokEntityRef:
					c.u8()
					parts = append(parts, node{kind: nodeEntity, name: p.readName(c)})
				default:
					break value
				}
			}
			a.parts = p.a.keepNodes(parts)
			sc.parts[lv] = parts[:0]
			attrs = append(attrs, a)
		}
		n.attrs = p.a.keepAttrs(attrs)
		sc.attrs[lv] = attrs[:0]
	}
	switch tokenKind(c.u8()) {
	case tokCloseEmpty:
	case tokCloseStart:
		n.children = p.parseContent(c, depID, false)
	default:
		fail(c.pos-1, "element %q: expected the end of its start tag", n.name)
	}
	p.annotate(&n)
	return n
}

// annotate precomputes what flattening needs to know of an element, so that
// rendering a record does no string building for names.
func (p *parser) annotate(n *node) {
	for i := range n.attrs {
		a := &n.attrs[i]
		if n.name == "TimeCreated" && a.name == "SystemTime" {
			a.flat = "TimeCreated"
		} else {
			a.flat = p.ch.parser.intern2(n.name, a.name)
		}
		if a.name == "Name" {
			n.nameAttr = i
			if len(a.parts) == 1 && a.parts[0].kind == nodeText {
				n.dataName = p.ch.parser.internString(a.parts[0].text)
			}
		}
	}
	for i := range n.children {
		switch n.children[i].kind {
		case nodeElement:
			n.hasElement = true
		case nodeSub, nodeInstance:
			n.hasSub = true
		}
	}
}

func (p *parser) readSub(c *cursor, optional bool) node {
	id := c.u16()
	c.u8() // declared type; the value's own descriptor is what counts
	return node{kind: nodeSub, sub: id, optional: optional}
}

// readInstance reads a template instance: the template reference (with the
// definition inline when this is its first use in the chunk) and the
// substitution values.
func (p *parser) readInstance(c *cursor) *instance {
	c.skip(1) // unknown
	c.skip(4) // template id: the first four bytes of its GUID
	defOff := int(c.u32())
	if defOff == c.pos {
		// The definition follows inline: next-template offset, GUID, size, data.
		c.skip(20)
		size := int(c.u32())
		c.skip(size)
	}
	tmpl := p.ch.template(defOff)
	count := int(c.u32())
	if count > maxSubstitutions || count*4 > c.end-c.pos {
		fail(c.pos-4, "%d substitution values do not fit", count)
	}
	inst := p.a.instance()
	inst.tmpl, inst.values = tmpl, p.a.valueSlice(count)
	p.readValues(c, inst.values)
	return inst
}

// readValues reads substitution descriptors and then slices each value's
// bytes.
func (p *parser) readValues(c *cursor, vals []value) {
	desc := c.bytes(4 * len(vals))
	for i := range vals {
		size := int(binary.LittleEndian.Uint16(desc[4*i:]))
		vals[i].typ = desc[4*i+2]
		vals[i].off = int32(c.pos)
		vals[i].len = int32(size)
		c.skip(size)
	}
}

// readValueText reads the payload of a Value token. Templates carry literal
// text this way, almost always as a UTF-16 string.
func (p *parser) readValueText(c *cursor) string {
	typ := c.u8()
	switch typ {
	case typeString:
		return p.readUTF16Counted(c)
	case typeAnsiString:
		n := int(c.u16())
		pp := p.ch.parser
		pp.scratch = appendANSI(pp.scratch[:0], c.bytes(n))
		return pp.internBytes(pp.scratch)
	default:
		fail(c.pos-1, "literal value of type 0x%02x", typ)
		return ""
	}
}

// readUTF16Counted reads a character count followed by that many UTF-16
// code units.
func (p *parser) readUTF16Counted(c *cursor) string {
	n := int(c.u16())
	pp := p.ch.parser
	pp.scratch = appendUTF16(pp.scratch[:0], c.bytes(2*n))
	// Literal text in templates (Data names, provider GUIDs) repeats in
	// every chunk: intern it like names.
	return pp.internBytes(pp.scratch)
}

// readName reads an element, attribute or entity name reference. A name is
// stored once per chunk; the first reference is followed by the name itself,
// later ones point back to it.
func (p *parser) readName(c *cursor) string {
	off := int(c.u32())
	if off == c.pos {
		// Inline: next-string offset, hash, character count, characters, NUL.
		c.skip(6)
		n := int(c.u16())
		c.skip(2*n + 2)
	}
	return p.ch.name(off)
}

// appendUTF16 appends UTF-16LE text as UTF-8, dropping trailing NULs and
// replacing unpaired surrogates with U+FFFD.
func appendUTF16(dst, b []byte) []byte {
	n := len(b) / 2
	for n > 0 && b[2*n-2] == 0 && b[2*n-1] == 0 {
		n--
	}
	for i := 0; i < n; i++ {
		u := uint16(b[2*i]) | uint16(b[2*i+1])<<8
		switch {
		case u < utf8.RuneSelf:
			dst = append(dst, byte(u))
		case utf16.IsSurrogate(rune(u)):
			r := utf8.RuneError
			if u < 0xdc00 && i+1 < n {
				u2 := uint16(b[2*i+2]) | uint16(b[2*i+3])<<8
				if r2 := utf16.DecodeRune(rune(u), rune(u2)); r2 != utf8.RuneError {
					r = r2
					i++
				}
			}
			dst = utf8.AppendRune(dst, r)
		default:
			dst = utf8.AppendRune(dst, rune(u))
		}
	}
	return dst
}

// cp1252 maps the bytes 0x80-0x9f of Windows-1252, the code page ANSI strings
// in event logs almost always use; other bytes map to the same code point.
var cp1252 = [32]rune{
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
}

// appendANSI appends Windows-1252 text as UTF-8, dropping trailing NULs.
func appendANSI(dst, b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	for _, c := range b {
		switch {
		case c < 0x80:
			dst = append(dst, c)
		case c < 0xa0:
			dst = utf8.AppendRune(dst, cp1252[c-0x80])
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return dst
}
