package source

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/breakwater/breakwater/internal/event"
)

// xmlDecoder reads Windows' XML renderings of events: the output of
// `wevtutil qe LOG /f:xml` (<Event> elements one after another, with no root,
// possibly with <RenderingInfo>), of `Get-WinEvent | % { $_.ToXml() }`, an
// Event Viewer export with an <Events> root, and evtx_dump's XML output (a
// "Record N" line before each event). Anything between events — an XML
// declaration, a root element's tags, comments, text — is skipped; only
// <Event> elements are records.
//
// It is a small scanner of our own, not encoding/xml: it reads one <Event>
// at a time straight out of a window over the stream (so a file is never
// loaded whole), allocates one string per event, and a broken element costs
// one RecordError: reading goes on at the next <Event.
type xmlDecoder struct {
	s    *textStream
	file string
	p    xmlParser
	b    fieldBuilder
}

// NewXMLDecoder returns a Decoder for the XML exports read from r. file
// names the input in events' Source and in errors.
func NewXMLDecoder(r io.Reader, file string) Decoder {
	d := &xmlDecoder{s: newTextStream(r), file: file}
	d.p.b = &d.b
	return d
}

var _ Decoder = (*xmlDecoder)(nil)

// Next implements Decoder.
func (d *xmlDecoder) Next(ev *event.Event) error {
	for {
		w := d.s.window()
		i := bytes.IndexByte(w, '<')
		if i < 0 {
			d.s.advance(len(w))
			if !d.s.more() {
				return d.end()
			}
			continue
		}
		d.s.advance(i)
		w = d.s.window()
		isEvent, n, ok := topMarkup(w, d.s.eof)
		if !ok {
			if d.s.more() {
				continue
			}
			if d.s.err != nil {
				return d.end()
			}
			if !d.s.eof { // a declaration or comment larger than the window: step over its '<'
				d.s.advance(1)
			}
			continue
		}
		if isEvent {
			return d.record(ev)
		}
		d.s.advance(n)
	}
}

func (d *xmlDecoder) end() error {
	if d.s.err != nil {
		return fmt.Errorf("%s: reading: %w", d.file, d.s.err)
	}
	return io.EOF
}

func (d *xmlDecoder) errorHere(reason string) *RecordError {
	return &RecordError{File: d.file, Offset: d.s.offset(), Line: d.s.line, Reason: reason}
}

// record reads the <Event> element at the start of the window.
func (d *xmlDecoder) record(ev *event.Event) error {
	for {
		n, err := d.p.parseEvent(d.s.window(), d.s.eof)
		if err == nil {
			src := event.Source{File: d.file, Format: event.FormatXML, Offset: d.s.offset(), Line: d.s.line}
			d.s.advance(n)
			d.b.finish(ev)
			ev.Normalize()
			ev.Source = src
			return nil
		}
		if err.incomplete && !d.s.eof {
			if d.s.more() {
				continue
			}
			switch {
			case d.s.err != nil:
				return d.end()
			case d.s.eof:
				continue
			default:
				rerr := d.errorHere(fmt.Sprintf("<Event> element larger than %d MiB", maxRecord>>20))
				d.s.advance(1)
				return rerr
			}
		}
		reason := err.msg
		if !err.incomplete {
			line, col := lineCol(d.s.window()[:err.pos])
			reason = fmt.Sprintf("invalid XML (line %d, column %d of the event): %s", line, col, err.msg)
		}
		rerr := d.errorHere(reason)
		if err.incomplete {
			d.s.advance(len(d.s.window()))
		} else {
			d.s.advance(1) // look for the next <Event after this one's start
		}
		return rerr
	}
}

// topMarkup looks at the markup at w[0] (a '<') between events. It reports
// whether it starts an <Event> element, or else how many bytes to skip; ok is
// false when w ends before the markup does.
func topMarkup(w []byte, atEOF bool) (isEvent bool, n int, ok bool) {
	var end string
	switch {
	case len(w) < 2:
		return false, len(w), atEOF
	case w[1] == '?':
		end = "?>"
	case bytes.HasPrefix(w, []byte("<!--")):
		end = "-->"
	case w[1] == '!' || w[1] == '/':
		end = ">"
	default:
		i := 1
		for i < len(w) && !isXMLNameEnd(w[i]) {
			i++
		}
		if i == len(w) {
			return false, len(w), atEOF
		}
		if string(localName(w[1:i])) == "Event" {
			return true, 0, true
		}
		// Another element (an <Events> root, say): step over its tag and
		// look inside.
		end = ">"
	}
	i := bytes.Index(w[1:], []byte(end))
	if i < 0 {
		return false, len(w), atEOF
	}
	return false, 1 + i + len(end), true
}

func isXMLNameEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '/', '>', '=', '<':
		return true
	}
	return false
}

// localName strips a namespace prefix.
func localName(name []byte) []byte {
	if i := bytes.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

// Bounds on one event element beyond its size.
const (
	maxXMLDepth  = 64
	maxXMLAttrs  = 256
	maxXMLFields = 1 << 15
)

// xmlParser parses one <Event> element into a fieldBuilder, with the naming
// rules of the EVTX reader:
//   - System: each child element's text under its own name, each attribute
//     as Element_Attribute (TimeCreated's SystemTime is TimeCreated); empty
//     ones are absent; values rendered by event.AppendSystemValue.
//   - EventData, UserData (and any other section but RenderingInfo, which is
//     the rendering of the record, not the record): every leaf element by its
//     own name, <Data Name="X"> by X; attributes as Element_Attribute (xmlns
//     declarations left out; the section element's own attributes are not
//     fields). An empty leaf is a field with value "", unless it has
//     attributes, which then stand for it (<Object type="x"/>); an empty
//     <Data> is always a field.
//   - Order: document order, except that a leaf's text comes before its
//     attributes (EventID, then EventID_Qualifiers), as in the EVTX reader.
type xmlParser struct {
	data  []byte
	pos   int
	b     *fieldBuilder
	text  []byte    // decoded text of the leaves being read
	abuf  []byte    // decoded attribute values
	attrs []xmlAttr // attributes of the last start tag
	saved []xmlAttr // attributes of open elements, to be added later

	// The last token.
	tokName      []byte
	tokSelfClose bool
	tokRaw       []byte
}

type xmlAttr struct{ name, val []byte }

type xmlToken int

const (
	tokText xmlToken = iota + 1
	tokCDATA
	tokStart
	tokEnd
)

func (p *xmlParser) fail(msg string) { panic(&scanError{pos: p.pos, msg: msg}) }

func (p *xmlParser) incomplete() {
	panic(&scanError{incomplete: true, pos: p.pos, msg: "truncated <Event> element at the end of the input"})
}

// parseEvent parses the <Event> element at data[0] into p.b and returns the
// number of bytes it spans.
func (p *xmlParser) parseEvent(data []byte, atEOF bool) (n int, err *scanError) {
	p.data, p.pos = data, 0
	p.text, p.abuf, p.saved = p.text[:0], p.abuf[:0], p.saved[:0]
	p.b.reset()
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*scanError)
			if !ok {
				panic(r)
			}
			err = e
		}
	}()
	if p.next() != tokStart {
		p.fail("expected <Event>")
	}
	root := p.tokName
	if p.tokSelfClose {
		p.fail("empty <Event/> element")
	}
	for {
		switch p.next() {
		case tokEnd:
			if !bytes.Equal(p.tokName, root) {
				p.fail("</" + string(p.tokName) + "> closes <" + string(root) + ">")
			}
			return p.pos, nil
		case tokStart:
			name, sc := p.tokName, p.tokSelfClose
			switch string(localName(name)) {
			case "System":
				p.system(name, sc)
			case "RenderingInfo":
				p.skip(name, sc, 1)
			default:
				p.section(name, sc, true, 1)
			}
		}
	}
}

func (p *xmlParser) system(name []byte, selfClose bool) {
	if selfClose {
		return
	}
	b := p.b
	for {
		switch p.next() {
		case tokEnd:
			p.checkEnd(name)
			return
		case tokStart:
			if len(b.data) >= maxXMLFields {
				p.fail("more than " + strconv.Itoa(maxXMLFields) + " fields in one event")
			}
			child, sc := p.tokName, p.tokSelfClose
			elem := localName(child)
			// The attributes are added after the text, as the EVTX reader
			// does; reading the text overwrites p.attrs.
			mark := len(p.saved)
			p.saved = append(p.saved, p.attrs...)
			if !sc {
				start := len(p.text)
				p.leafText(child, 2)
				if v := p.text[start:]; len(trimSpace(v)) > 0 {
					b.addSystem(b.name(elem), v)
				}
				p.text = p.text[:start]
			}
			for _, a := range p.saved[mark:] {
				if isXMLNS(a.name) || len(trimSpace(a.val)) == 0 {
					continue
				}
				an := localName(a.name)
				if string(elem) == "TimeCreated" && string(an) == "SystemTime" {
					b.addSystem(event.FieldTimeCreated, a.val)
				} else {
					b.addSystem(b.name2(elem, an), a.val)
				}
			}
			p.saved = p.saved[:mark]
		}
	}
}

// leafText reads the content of an element whose start tag was just read,
// appending its text to p.text; child elements are skipped.
func (p *xmlParser) leafText(name []byte, depth int) {
	for {
		switch p.next() {
		case tokText:
			p.text = appendXMLText(p.text, p.tokRaw)
		case tokCDATA:
			p.text = append(p.text, p.tokRaw...)
		case tokStart:
			p.skip(p.tokName, p.tokSelfClose, depth+1)
		case tokEnd:
			p.checkEnd(name)
			return
		}
	}
}

// section reads an element of EventData, UserData or another section, whose
// start tag was just read. isSection marks the section element itself, which
// is never a field of its own, and whose attributes are not fields either
// (as in the EVTX reader). A leaf's text comes before its attributes; an
// element with children has its attributes before theirs.
func (p *xmlParser) section(name []byte, selfClose, isSection bool, depth int) {
	if depth > maxXMLDepth {
		p.fail("elements nested more than " + strconv.Itoa(maxXMLDepth) + " deep")
	}
	b := p.b
	if len(b.data) >= maxXMLFields {
		p.fail("more than " + strconv.Itoa(maxXMLFields) + " fields in one event")
	}
	elem := localName(name)
	isData := string(elem) == "Data"
	fname := ""
	mark := len(p.saved)
	hasAttrs := false
	if !isSection {
		for _, a := range p.attrs {
			if isXMLNS(a.name) || len(a.val) == 0 {
				continue
			}
			if isData && string(localName(a.name)) == "Name" {
				// <Data Name="X"> is the field X.
				fname = b.name(a.val)
				continue
			}
			p.saved = append(p.saved, a)
			hasAttrs = true
		}
		if fname == "" {
			fname = b.name(elem)
		}
	}
	if selfClose {
		if !isSection && (isData || !hasAttrs) {
			b.addData(fname, nil, false)
		}
		p.addAttrs(elem, mark)
		return
	}
	leaf := true
	start := len(p.text)
	for {
		switch p.next() {
		case tokText:
			if leaf {
				p.text = appendXMLText(p.text, p.tokRaw)
			}
		case tokCDATA:
			if leaf {
				p.text = append(p.text, p.tokRaw...)
			}
		case tokStart:
			if leaf {
				leaf = false
				p.text = p.text[:start]
				p.addAttrs(elem, mark)
			}
			p.section(p.tokName, p.tokSelfClose, false, depth+1)
		case tokEnd:
			p.checkEnd(name)
			if leaf && !isSection {
				v := p.text[start:]
				if isData || !hasAttrs || len(trimRight(v)) > 0 {
					b.addData(fname, v, false)
				}
				p.addAttrs(elem, mark)
			}
			p.text = p.text[:start]
			return
		}
	}
}

// addAttrs adds the attributes saved from p.saved[mark:] as Element_Attribute
// fields, once: they are cleared.
func (p *xmlParser) addAttrs(elem []byte, mark int) {
	for _, a := range p.saved[mark:] {
		p.b.addData(p.b.name2(elem, localName(a.name)), a.val, false)
	}
	p.saved = p.saved[:mark]
}

// skip reads past the end of an element whose start tag was just read.
func (p *xmlParser) skip(name []byte, selfClose bool, depth int) {
	if selfClose {
		return
	}
	if depth > maxXMLDepth {
		p.fail("elements nested more than " + strconv.Itoa(maxXMLDepth) + " deep")
	}
	for {
		switch p.next() {
		case tokStart:
			p.skip(p.tokName, p.tokSelfClose, depth+1)
		case tokEnd:
			p.checkEnd(name)
			return
		}
	}
}

func (p *xmlParser) checkEnd(name []byte) {
	if !bytes.Equal(p.tokName, name) {
		p.fail("</" + string(p.tokName) + "> closes <" + string(name) + ">")
	}
}

// next reads the next token: text, CDATA, a start tag (name and attributes
// in p.attrs) or an end tag. Comments and processing instructions are
// skipped.
func (p *xmlParser) next() xmlToken {
	d := p.data
	for {
		if p.pos >= len(d) {
			p.incomplete()
		}
		if d[p.pos] != '<' {
			i := bytes.IndexByte(d[p.pos:], '<')
			if i < 0 {
				p.pos = len(d)
				p.incomplete()
			}
			p.tokRaw = d[p.pos : p.pos+i]
			p.pos += i
			return tokText
		}
		rest := d[p.pos:]
		if len(rest) < 2 {
			p.incomplete()
		}
		switch rest[1] {
		case '/':
			p.pos += 2
			p.tokName = p.name()
			p.space()
			p.expect('>')
			return tokEnd
		case '?':
			p.skipPast("?>")
			continue
		case '!':
			switch {
			case bytes.HasPrefix(rest, []byte("<!--")):
				p.skipPast("-->")
				continue
			case bytes.HasPrefix(rest, []byte("<![CDATA[")):
				p.pos += len("<![CDATA[")
				i := bytes.Index(d[p.pos:], []byte("]]>"))
				if i < 0 {
					p.pos = len(d)
					p.incomplete()
				}
				p.tokRaw = d[p.pos : p.pos+i]
				p.pos += i + 3
				return tokCDATA
			case len(rest) < len("<![CDATA["):
				p.incomplete()
			}
			p.fail("unexpected declaration inside an event")
		}
		p.pos++
		p.tokName = p.name()
		p.startTagRest()
		return tokStart
	}
}

func (p *xmlParser) skipPast(end string) {
	i := bytes.Index(p.data[p.pos:], []byte(end))
	if i < 0 {
		p.pos = len(p.data)
		p.incomplete()
	}
	p.pos += i + len(end)
}

func (p *xmlParser) name() []byte {
	d := p.data
	start := p.pos
	for p.pos < len(d) && !isXMLNameEnd(d[p.pos]) {
		p.pos++
	}
	if p.pos == len(d) {
		p.incomplete()
	}
	if p.pos == start {
		p.fail("expected a name")
	}
	return d[start:p.pos]
}

func (p *xmlParser) space() {
	d := p.data
	for p.pos < len(d) && (d[p.pos] == ' ' || d[p.pos] == '\t' || d[p.pos] == '\r' || d[p.pos] == '\n') {
		p.pos++
	}
}

func (p *xmlParser) expect(c byte) {
	if p.pos >= len(p.data) {
		p.incomplete()
	}
	if p.data[p.pos] != c {
		p.fail("expected " + strconv.QuoteRune(rune(c)))
	}
	p.pos++
}

// startTagRest reads the attributes and the end of a start tag.
func (p *xmlParser) startTagRest() {
	d := p.data
	p.attrs = p.attrs[:0]
	for {
		p.space()
		if p.pos >= len(d) {
			p.incomplete()
		}
		switch d[p.pos] {
		case '>':
			p.pos++
			p.tokSelfClose = false
			return
		case '/':
			p.pos++
			p.expect('>')
			p.tokSelfClose = true
			return
		}
		if len(p.attrs) >= maxXMLAttrs {
			p.fail("more than " + strconv.Itoa(maxXMLAttrs) + " attributes")
		}
		an := p.name()
		p.space()
		p.expect('=')
		p.space()
		if p.pos >= len(d) {
			p.incomplete()
		}
		q := d[p.pos]
		if q != '"' && q != '\'' {
			p.fail("expected a quoted attribute value")
		}
		p.pos++
		i := bytes.IndexByte(d[p.pos:], q)
		if i < 0 {
			p.pos = len(d)
			p.incomplete()
		}
		v := d[p.pos : p.pos+i]
		p.pos += i + 1
		if bytes.IndexByte(v, '&') >= 0 {
			s := len(p.abuf)
			p.abuf = appendXMLText(p.abuf, v)
			v = p.abuf[s:]
		}
		p.attrs = append(p.attrs, xmlAttr{name: an, val: v})
	}
}

// appendXMLText appends raw text with its entity and character references
// resolved. An unknown entity or a stray '&' is kept as it is: Windows
// defines no others, and dropping text would lose evidence.
func appendXMLText(dst, raw []byte) []byte {
	for {
		i := bytes.IndexByte(raw, '&')
		if i < 0 {
			return append(dst, raw...)
		}
		dst = append(dst, raw[:i]...)
		raw = raw[i:]
		j := bytes.IndexByte(raw[:min(len(raw), 12)], ';')
		if j < 0 {
			dst = append(dst, '&')
			raw = raw[1:]
			continue
		}
		ent := raw[1:j]
		switch string(ent) {
		case "lt":
			dst = append(dst, '<')
		case "gt":
			dst = append(dst, '>')
		case "amp":
			dst = append(dst, '&')
		case "quot":
			dst = append(dst, '"')
		case "apos":
			dst = append(dst, '\'')
		default:
			r, ok := charRef(ent)
			if !ok {
				dst = append(dst, raw[:j+1]...)
				break
			}
			dst = utf8.AppendRune(dst, r)
		}
		raw = raw[j+1:]
	}
}

// charRef decodes "#123" or "#x7B"; a reference to a character that cannot
// be (NUL, a surrogate, beyond U+10FFFF) becomes U+FFFD.
func charRef(ent []byte) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	base := 10
	digits := ent[1:]
	if digits[0] == 'x' || digits[0] == 'X' {
		base, digits = 16, digits[1:]
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil {
		return 0, false
	}
	r := rune(n)
	if n == 0 || n > utf8.MaxRune || !utf8.ValidRune(r) {
		return utf8.RuneError, true
	}
	return r, true
}
