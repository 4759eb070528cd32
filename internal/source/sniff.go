package source

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/zeek"
)

// A Decoder reads events one at a time from one decompressed stream.
//
// Next fills ev with the next event, reusing the capacity of ev.Fields; the
// strings it stores never alias the decoder's buffers, so a caller may keep
// them. At the end of the stream Next returns io.EOF. A damaged record (a
// malformed JSON object, a broken XML element) is skipped and reported as a
// *RecordError: the caller logs it and calls Next again. Any other error is
// fatal for the stream.
type Decoder interface {
	Next(ev *event.Event) error
}

// RecordError reports a damaged record that a Decoder skipped.
type RecordError struct {
	File   string
	Offset int64 // byte offset of the record in the decompressed stream
	Line   int   // 1-based line of the record's start in a text format, 0 if unknown
	Reason string
}

// Error renders the error as "FILE:LINE: REASON", or "FILE: offset N: REASON"
// when the line is not known.
func (e *RecordError) Error() string {
	if e.Line > 0 {
		return e.File + ":" + strconv.Itoa(e.Line) + ": " + e.Reason
	}
	return e.File + ": offset " + strconv.FormatInt(e.Offset, 10) + ": " + e.Reason
}

// SniffLen is how many leading bytes Sniff looks at; it ignores any more.
const SniffLen = 64 << 10

var evtxMagic = []byte("ElfFile\x00")

// Sniff tells the format of a stream from its first bytes (up to SniffLen,
// already decompressed), or "" if it is none that Breakwater reads. The file
// name plays no part: exports are renamed, concatenated and compressed too
// often for it to be trusted.
//
// The JSON formats (evtx-json, ecs, nxlog) are told apart by the keys of the
// first object that is a Windows event; NewJSONDecoder reads all three, and
// decides again for every object, so a file that mixes them is read whole.
func Sniff(head []byte) event.Format {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	if bytes.HasPrefix(head, evtxMagic) {
		return event.FormatEVTX
	}
	text := head
	switch enc, bom := detectEncoding(head); enc {
	case encUTF16LE, encUTF16BE:
		text = decodeUTF16(head[bom:], enc == encUTF16BE)
	default:
		text = head[bom:]
	}
	text = bytes.TrimLeft(text, " \t\r\n")
	if len(text) == 0 {
		return ""
	}
	switch text[0] {
	case '<':
		if sniffXML(text) {
			return event.FormatXML
		}
	case 'R':
		// evtx_dump's XML output puts "Record N" before every event.
		if bytes.HasPrefix(text, []byte("Record ")) {
			if i := bytes.IndexByte(text, '\n'); i > 0 {
				rest := bytes.TrimLeft(text[i+1:], " \t\r\n")
				if len(rest) > 0 && rest[0] == '<' && sniffXML(rest) {
					return event.FormatXML
				}
			}
		}
	}
	// JSON, possibly after a few lines that are not (a header, a damaged
	// first record): the decoder reports those and reads on.
	if f := sniffJSON(text); f != "" {
		return f
	}
	return sniffZeek(text)
}

// sniffZeek tells Zeek's TSV logs (by their "#" header) and JSON logs (by
// a first object that reads as a Zeek record) from other text; see
// zeek.Detect. It runs after the Windows formats, which are more specific.
func sniffZeek(text []byte) event.Format {
	switch f, _ := zeek.Detect(text); f {
	case zeek.TSV:
		return event.FormatZeekTSV
	case zeek.JSON:
		return event.FormatZeekJSON
	}
	return ""
}

// sniffXML reports whether the first element of text is an Event or an
// Events root (after an XML declaration, comments or a doctype).
func sniffXML(text []byte) bool {
	for len(text) > 0 {
		text = bytes.TrimLeft(text, " \t\r\n")
		if len(text) < 2 || text[0] != '<' {
			return false
		}
		var end []byte
		switch {
		case text[1] == '?':
			end = []byte("?>")
		case bytes.HasPrefix(text, []byte("<!--")):
			end = []byte("-->")
		case text[1] == '!':
			end = []byte(">")
		default:
			name := text[1:]
			i := 0
			for i < len(name) && !isXMLNameEnd(name[i]) {
				i++
			}
			if i == len(name) {
				return false
			}
			local := localName(name[:i])
			return string(local) == "Event" || string(local) == "Events"
		}
		i := bytes.Index(text, end)
		if i < 0 {
			return false
		}
		text = text[i+len(end):]
	}
	return false
}

// sniffJSON classifies the first objects of a JSON head. The head may cut an
// object short; the keys seen before the cut are enough for evtx_dump (whose
// first key is Event) and NXLog, and Winlogbeat is recognised by its winlog
// key anywhere in the head, since Winlogbeat sorts it last.
func sniffJSON(text []byte) event.Format {
	head := text
	var sc jsonScanner
	for tries := 0; tries < 16 && len(text) > 0; tries++ {
		t := bytes.TrimLeft(text, " \t\r\n[,")
		if len(t) > 0 && t[0] == '{' {
			n, err := sc.scan(t, false)
			if f := classifyJSON(&sc); f != "" {
				return f
			}
			if err == nil {
				text = t[n:]
				continue
			}
			if err.incomplete && hasBeatsEnvelope(&sc) {
				// A Winlogbeat document longer than the head: its
				// winlog key, sorted last, was cut off.
				return event.FormatECS
			}
		}
		// Not a Windows event or broken: try the next line that starts an
		// object, as the decoder would.
		i := bytes.IndexByte(t, '\n')
		if i < 0 {
			break
		}
		text = t[i+1:]
	}
	if bytes.Contains(head, []byte(`"winlog`)) {
		return event.FormatECS
	}
	return ""
}

// hasBeatsEnvelope reports whether a scanned object has the top-level keys
// that every Beats document has.
func hasBeatsEnvelope(sc *jsonScanner) bool {
	var agent, ecs bool
	for i := range sc.nodes {
		if n := &sc.nodes[i]; n.parent == -1 {
			switch string(n.key) {
			case "agent":
				agent = true
			case "ecs":
				ecs = true
			}
		}
	}
	return agent && ecs
}

// excerpt quotes the first bytes of b for an error message; they come from
// the input and may be anything, so they are escaped.
func excerpt(b []byte) string {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		b = b[:i]
	}
	if len(b) > excerptLen {
		return fmt.Sprintf("%q...", b[:excerptLen])
	}
	return fmt.Sprintf("%q", b)
}

const excerptLen = 24
