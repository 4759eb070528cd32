package evtx

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Field is one named value of a flattened record. Its value is the bytes
// buf[Start:End] of the buffer AppendFields returned, so that a caller can
// turn the whole buffer into one string and slice it.
type Field struct {
	Name       string
	Start, End int
}

// Value returns the field's value from the buffer AppendFields returned.
func (f Field) Value(buf []byte) []byte { return buf[f.Start:f.End] }

type flatCtx uint8

const (
	ctxTop    flatCtx = iota // the root element
	ctxEvent                 // children of <Event>
	ctxSystem                // children of <System>
	ctxData                  // inside <EventData>, <UserData> and the other payload sections
	ctxSkip                  // <RenderingInfo>: text a renderer added, not the event's own data
)

// renderer walks a record's nodes with its substitution values.
type renderer struct {
	rec    *Record
	buf    []byte
	fields []Field
	depth  int
	steps  int // nodes visited: a hostile record can reuse one BinXML value many times over
	start  int // len(buf) when rendering began
}

// Budgets for one record. Real records visit a few hundred nodes and render
// a few KiB; a template that substitutes one BinXML value in many places,
// nested many levels deep, would otherwise expand exponentially.
const (
	maxSteps  = 1 << 18
	maxOutput = 16 << 20
)

// step counts a visited node and enforces the budgets.
func (w *renderer) step() {
	w.steps++
	if w.steps > maxSteps || len(w.buf)-w.start > maxOutput {
		fail(0, "record expands beyond %d nodes or %d bytes", maxSteps, maxOutput)
	}
}

// AppendFields flattens the record into named values, appending the values'
// bytes to buf and one Field per value to fields.
//
// The names follow the convention of evtx_dump's JSON and of the public
// detection rules. Under <System>, an element's text is named by the element
// (EventID, Channel, Computer, ...) and is omitted when empty; its attributes
// are named Element_Attribute (Provider_Name, Execution_ProcessID,
// Security_UserID, ...), except TimeCreated's SystemTime, which is named
// TimeCreated. Under <EventData>, <UserData> and the other payload sections,
// a <Data Name="X"> element is the field X and an unnamed <Data> the field
// Data (repeated as often as it occurs); any other element without child
// elements is the field named by the element, omitted when it has no text
// but has attributes; attributes are Element_Attribute fields; xmlns
// attributes are not fields. An array value gives one field per element. A
// field's text comes first, its attributes after it. Values are rendered as
// Windows renders them, with trailing white space removed.
func (r *Record) AppendFields(buf []byte, fields []Field) (_ []byte, _ []Field, err error) {
	w := renderer{rec: r, buf: buf, fields: fields, start: len(buf)}
	defer r.catch(&err)
	if r.isOne {
		w.flatNodes(r.inst.tmpl.nodes, r.inst.values, ctxTop)
	} else {
		w.flatNodes(r.root, nil, ctxTop)
	}
	return w.buf, w.fields, nil
}

// catch is deferred by the renderers: it turns a bailout into an *Error
// about the record. (recover works only when called by the deferred
// function itself, so this cannot share code with the package's catch.)
func (r *Record) catch(err *error) {
	if v := recover(); v != nil {
		b, ok := v.(bailout)
		if !ok {
			panic(v)
		}
		b.err.Reason = fmt.Sprintf("BinXML at chunk offset %d: %s", b.err.Offset, b.err.Reason)
		b.err.Offset, b.err.What = r.Offset, fmt.Sprintf("record %d", r.ID)
		*err = b.err
	}
}

// value returns substitution i's value, and whether it exists and is not
// null.
func (w *renderer) value(vals []value, i uint16) (value, bool) {
	if int(i) >= len(vals) {
		return value{}, false
	}
	v := vals[i]
	return v, v.typ != typeNull && v.len > 0
}

func (w *renderer) bytesOf(v value) []byte {
	return w.rec.chunk.data[v.off : v.off+v.len]
}

// nested parses a BinXML substitution value into nodes.
func (w *renderer) nested(v value) []node {
	w.depth++
	if w.depth > maxDepth {
		fail(int(v.off), "BinXML values nested deeper than %d", maxDepth)
	}
	p := parser{ch: w.rec.chunk, a: &w.rec.chunk.parser.nested}
	return p.parseFragment(int(v.off), int(v.off+v.len), false)
}

func (w *renderer) flatNodes(nodes []node, vals []value, ctx flatCtx) {
	for i := range nodes {
		w.step()
		n := &nodes[i]
		switch n.kind {
		case nodeElement:
			w.flatElement(n, vals, ctx)
		case nodeInstance:
			w.flatNodes(n.inst.tmpl.nodes, n.inst.values, ctx)
		case nodeSub:
			if v, ok := w.value(vals, n.sub); ok && v.typ == typeBinXML {
				w.flatNodes(w.nested(v), nil, ctx)
				w.depth--
			}
		}
	}
}

func (w *renderer) flatElement(n *node, vals []value, ctx flatCtx) {
	switch ctx {
	case ctxSkip:
		return
	case ctxTop:
		w.flatNodes(n.children, vals, ctxEvent)
		return
	case ctxEvent:
		switch n.name {
		case "System":
			w.flatNodes(n.children, vals, ctxSystem)
		case "RenderingInfo":
		default: // EventData, UserData, ProcessingErrorData, DebugData, BinaryEventData
			w.flatNodes(n.children, vals, ctxData)
		}
		return
	}
	if !w.isLeaf(n, vals) {
		w.flatAttrs(n, vals, -1)
		w.flatNodes(n.children, vals, ctx)
		return
	}
	name, skipAttr := n.name, -1
	isData := ctx == ctxData && n.name == "Data"
	if isData && n.nameAttr >= 0 {
		skipAttr = n.nameAttr
		name = n.dataName
		if name == "" {
			start := len(w.buf)
			w.appendParts(n.attrs[n.nameAttr].parts, vals)
			if len(w.buf) > start {
				name = w.rec.chunk.parser.internBytes(w.buf[start:])
			} else {
				name = "Data"
			}
			w.buf = w.buf[:start]
		}
	}
	// A lone array substitution is one field per element.
	if len(n.children) == 1 && n.children[0].kind == nodeSub {
		if v, ok := w.value(vals, n.children[0].sub); ok && v.typ&typeArray != 0 {
			w.flatArray(name, v)
			w.flatAttrs(n, vals, skipAttr)
			return
		}
	}
	start := len(w.buf)
	w.appendParts(n.children, vals)
	end := trimEnd(w.buf, start)
	w.buf = w.buf[:end]
	keep := end > start || isData || ctx == ctxData && !w.hasAttrs(n, vals, skipAttr)
	if keep {
		w.fields = append(w.fields, Field{Name: name, Start: start, End: end})
	}
	w.flatAttrs(n, vals, skipAttr)
}

// isLeaf reports whether an element holds only text: no child elements and
// no substitution that brings BinXML.
func (w *renderer) isLeaf(n *node, vals []value) bool {
	if n.hasElement {
		return false
	}
	if !n.hasSub {
		return true
	}
	for i := range n.children {
		c := &n.children[i]
		switch c.kind {
		case nodeInstance:
			return false
		case nodeSub:
			if v, ok := w.value(vals, c.sub); ok && v.typ == typeBinXML {
				return false
			}
		}
	}
	return true
}

func (w *renderer) hasAttrs(n *node, vals []value, skip int) bool {
	for i := range n.attrs {
		if i != skip && !isXMLNS(n.attrs[i].name) && w.attrPresent(&n.attrs[i], vals) {
			return true
		}
	}
	return false
}

func (w *renderer) flatAttrs(n *node, vals []value, skip int) {
	for i := range n.attrs {
		a := &n.attrs[i]
		if i == skip || isXMLNS(a.name) || !w.attrPresent(a, vals) {
			continue
		}
		start := len(w.buf)
		w.appendParts(a.parts, vals)
		end := trimEnd(w.buf, start)
		w.buf = w.buf[:end]
		w.fields = append(w.fields, Field{Name: a.flat, Start: start, End: end})
	}
}

func (w *renderer) flatArray(name string, v value) {
	w.eachElement(v, func(t byte, b []byte) {
		start := len(w.buf)
		w.buf = appendScalar(w.buf, t, b)
		end := trimEnd(w.buf, start)
		w.buf = w.buf[:end]
		w.fields = append(w.fields, Field{Name: name, Start: start, End: end})
	})
}

// eachElement calls fn for each element of an array value.
func (w *renderer) eachElement(v value, fn func(t byte, b []byte)) {
	t := v.typ &^ typeArray
	b := w.bytesOf(v)
	switch t {
	case typeString:
		// NUL-terminated UTF-16 strings, one after another.
		for len(b) >= 2 {
			i := 0
			for i+1 < len(b) && (b[i] != 0 || b[i+1] != 0) {
				i += 2
			}
			fn(t, b[:i])
			if i+2 > len(b) {
				break
			}
			b = b[i+2:]
		}
	case typeAnsiString:
		for len(b) > 0 {
			i := 0
			for i < len(b) && b[i] != 0 {
				i++
			}
			fn(t, b[:i])
			if i+1 > len(b) {
				break
			}
			b = b[i+1:]
		}
	case typeSID:
		for len(b) >= 8 {
			n := 8 + 4*int(b[1])
			if n > len(b) {
				n = len(b)
			}
			fn(t, b[:n])
			b = b[n:]
		}
	default:
		size := fixedSize(t)
		if t == typeSizeT || t == typeEvtHandle {
			size = 8
			if len(b)%8 != 0 {
				size = 4
			}
		}
		if size == 0 {
			fn(t, b)
			return
		}
		for ; len(b) >= size; b = b[size:] {
			fn(t, b[:size])
		}
	}
}

// attrPresent reports whether an attribute renders: one made only of
// substitutions whose values are all null is left out, as Windows does.
func (w *renderer) attrPresent(a *attr, vals []value) bool {
	for i := range a.parts {
		p := &a.parts[i]
		if p.kind != nodeSub {
			return true
		}
		if _, ok := w.value(vals, p.sub); ok {
			return true
		}
	}
	return len(a.parts) == 0
}

// appendParts appends the text of nodes: literal text, substitution values,
// character and entity references. Elements and nested BinXML in the
// middle of text add no text.
func (w *renderer) appendParts(parts []node, vals []value) {
	for i := range parts {
		w.step()
		p := &parts[i]
		switch p.kind {
		case nodeText:
			w.buf = append(w.buf, p.text...)
		case nodeSub:
			v, ok := w.value(vals, p.sub)
			if !ok || v.typ == typeBinXML {
				continue
			}
			w.appendValue(v)
		case nodeCharRef:
			w.buf = utf8.AppendRune(w.buf, rune(p.char))
		case nodeEntity:
			w.buf = appendEntity(w.buf, p.name)
		}
	}
}

// appendValue renders a scalar or array value; array elements are joined
// with commas when they are part of a larger text.
func (w *renderer) appendValue(v value) {
	if v.typ&typeArray == 0 {
		w.buf = appendScalar(w.buf, v.typ, w.bytesOf(v))
		return
	}
	first := true
	w.eachElement(v, func(t byte, b []byte) {
		if !first {
			w.buf = append(w.buf, ',')
		}
		first = false
		w.buf = appendScalar(w.buf, t, b)
	})
}

func appendEntity(dst []byte, name string) []byte {
	switch name {
	case "lt":
		return append(dst, '<')
	case "gt":
		return append(dst, '>')
	case "amp":
		return append(dst, '&')
	case "quot":
		return append(dst, '"')
	case "apos":
		return append(dst, '\'')
	}
	dst = append(dst, '&')
	dst = append(dst, name...)
	return append(dst, ';')
}

func isXMLNS(name string) bool {
	return name == "xmlns" || strings.HasPrefix(name, "xmlns:")
}

// trimEnd returns the end of b[start:] without trailing white space.
func trimEnd(b []byte, start int) int {
	end := len(b)
	for end > start {
		switch b[end-1] {
		case ' ', '\t', '\r', '\n':
			end--
			continue
		}
		break
	}
	return end
}
