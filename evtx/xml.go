package evtx

// AppendXML renders the record as one line of XML, as Windows renders an
// event (without the RenderingInfo a live system adds from message files),
// and appends it to dst.
func (r *Record) AppendXML(dst []byte) (_ []byte, err error) {
	w := renderer{rec: r, buf: dst, start: len(dst)}
	defer r.catch(&err)
	if r.isOne {
		w.xmlNodes(r.inst.tmpl.nodes, r.inst.values)
	} else {
		w.xmlNodes(r.root, nil)
	}
	return w.buf, nil
}

func (w *renderer) xmlNodes(nodes []node, vals []value) {
	for i := range nodes {
		w.step()
		n := &nodes[i]
		switch n.kind {
		case nodeElement:
			w.xmlElement(n, vals)
		case nodeText:
			w.buf = appendEscaped(w.buf, n.text, false)
		case nodeCharRef:
			w.buf = append(w.buf, "&#"...)
			w.buf = appendDigits(w.buf, uint64(n.char), 1)
			w.buf = append(w.buf, ';')
		case nodeEntity:
			w.buf = append(w.buf, '&')
			w.buf = append(w.buf, n.name...)
			w.buf = append(w.buf, ';')
		case nodePI:
			w.buf = append(w.buf, "<?"...)
			w.buf = append(w.buf, n.name...)
			if n.text != "" {
				w.buf = append(w.buf, ' ')
				w.buf = append(w.buf, n.text...)
			}
			w.buf = append(w.buf, "?>"...)
		case nodeInstance:
			w.xmlNodes(n.inst.tmpl.nodes, n.inst.values)
		case nodeSub:
			v, ok := w.value(vals, n.sub)
			if !ok {
				continue
			}
			if v.typ == typeBinXML {
				w.xmlNodes(w.nested(v), nil)
				w.depth--
				continue
			}
			w.appendEscapedValue(v, false)
		}
	}
}

func (w *renderer) xmlElement(n *node, vals []value) {
	w.buf = append(w.buf, '<')
	w.buf = append(w.buf, n.name...)
	for i := range n.attrs {
		a := &n.attrs[i]
		if !w.attrPresent(a, vals) {
			continue
		}
		w.buf = append(w.buf, ' ')
		w.buf = append(w.buf, a.name...)
		w.buf = append(w.buf, '=', '"')
		for j := range a.parts {
			p := &a.parts[j]
			switch p.kind {
			case nodeText:
				w.buf = appendEscaped(w.buf, p.text, true)
			case nodeSub:
				if v, ok := w.value(vals, p.sub); ok && v.typ != typeBinXML {
					w.appendEscapedValue(v, true)
				}
			case nodeCharRef:
				w.buf = append(w.buf, "&#"...)
				w.buf = appendDigits(w.buf, uint64(p.char), 1)
				w.buf = append(w.buf, ';')
			case nodeEntity:
				w.buf = append(w.buf, '&')
				w.buf = append(w.buf, p.name...)
				w.buf = append(w.buf, ';')
			}
		}
		w.buf = append(w.buf, '"')
	}
	if len(n.children) == 0 {
		w.buf = append(w.buf, '/', '>')
		return
	}
	w.buf = append(w.buf, '>')
	w.xmlNodes(n.children, vals)
	w.buf = append(w.buf, '<', '/')
	w.buf = append(w.buf, n.name...)
	w.buf = append(w.buf, '>')
}

// appendEscapedValue renders a value and escapes it in place.
func (w *renderer) appendEscapedValue(v value, attr bool) {
	start := len(w.buf)
	w.appendValue(v)
	if !needsEscape(w.buf[start:]) {
		return
	}
	raw := w.rec.chunk.parser.scratch[:0]
	raw = append(raw, w.buf[start:]...)
	w.buf = appendEscaped(w.buf[:start], string(raw), attr)
	w.rec.chunk.parser.scratch = raw
}

func needsEscape(b []byte) bool {
	for _, c := range b {
		switch c {
		case '<', '>', '&', '"', '\'':
			return true
		}
		if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	return false
}

// appendEscaped appends s escaped for XML text or attribute values. Control
// characters XML 1.0 cannot carry are written as character references so
// that the output stays well formed.
func appendEscaped(dst []byte, s string, attr bool) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '<':
			dst = append(dst, "&lt;"...)
		case c == '>':
			dst = append(dst, "&gt;"...)
		case c == '&':
			dst = append(dst, "&amp;"...)
		case c == '"' && attr:
			dst = append(dst, "&quot;"...)
		case c == '\'' && attr:
			dst = append(dst, "&apos;"...)
		case c < 0x20 && (attr || c != '\t' && c != '\n' && c != '\r'):
			dst = append(dst, "&#"...)
			dst = appendDigits(dst, uint64(c), 1)
			dst = append(dst, ';')
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
