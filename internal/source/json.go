package source

import (
	"fmt"
	"io"

	"github.com/breakwater/breakwater/internal/event"
)

// jsonDecoder reads the JSON exports of Windows event logs: evtx_dump,
// Winlogbeat/ECS and NXLog. It takes JSON lines, objects written one after
// another (pretty-printed or not), and a top-level array of objects; each
// object is classified on its own (see classifyJSON), so a stream may mix
// exports.
//
// A damaged object is reported as a *RecordError and skipped: reading goes
// on at the next line that starts with '{' after the line where the damaged
// object began. That is where the next record begins in JSON lines, and in
// pretty-printed output too, where nested objects start after a key and only
// the records themselves start a line with a brace.
type jsonDecoder struct {
	s       *textStream
	file    string
	sc      jsonScanner
	m       jsonMapper
	xp      xmlParser // for Winlogbeat's event.original
	inArray bool
}

// NewJSONDecoder returns a Decoder for the JSON exports read from r. file
// names the input in events' Source and in errors.
func NewJSONDecoder(r io.Reader, file string) Decoder {
	return &jsonDecoder{s: newTextStream(r), file: file}
}

var _ Decoder = (*jsonDecoder)(nil)

// Next implements Decoder.
func (d *jsonDecoder) Next(ev *event.Event) error {
	for {
		c, ok := d.s.skipSpace()
		if !ok {
			if d.s.err != nil {
				return fmt.Errorf("%s: reading: %w", d.file, d.s.err)
			}
			return io.EOF
		}
		switch {
		case c == '{':
			return d.record(ev)
		case c == '[' && !d.inArray:
			d.inArray = true
			d.s.advance(1)
		case c == ',' && d.inArray:
			d.s.advance(1)
		case c == ']' && d.inArray:
			d.inArray = false
			d.s.advance(1)
		default:
			d.s.ensure(excerptLen + 1)
			err := d.errorHere("not a JSON object: " + excerpt(d.s.window()))
			d.resync()
			return err
		}
	}
}

func (d *jsonDecoder) errorHere(reason string) *RecordError {
	return &RecordError{File: d.file, Offset: d.s.offset(), Line: d.s.line, Reason: reason}
}

// record reads the object at the start of the window.
func (d *jsonDecoder) record(ev *event.Event) error {
	for {
		n, err := d.sc.scan(d.s.window(), d.s.eof)
		if err == nil {
			return d.emit(ev, n)
		}
		if err.incomplete && !d.s.eof {
			if d.s.more() {
				continue
			}
			switch {
			case d.s.err != nil:
				return fmt.Errorf("%s: reading: %w", d.file, d.s.err)
			case d.s.eof:
				continue // scan again, now knowing that nothing follows
			default: // the window is full
				rerr := d.errorHere(fmt.Sprintf("object larger than %d MiB", maxRecord>>20))
				d.resync()
				return rerr
			}
		}
		reason := err.msg
		if !err.incomplete {
			line, col := lineCol(d.s.window()[:err.pos])
			reason = fmt.Sprintf("invalid JSON (line %d, column %d of the object): %s", line, col, err.msg)
		}
		rerr := d.errorHere(reason)
		d.resync()
		return rerr
	}
}

// emit maps a scanned object of n bytes into ev and consumes it.
func (d *jsonDecoder) emit(ev *event.Event, n int) error {
	src := event.Source{File: d.file, Offset: d.s.offset(), Line: d.s.line}
	format := classifyJSON(&d.sc)
	m := &d.m
	m.b.reset()
	m.run, m.dup = attrRun{}, dupBase{}
	switch format {
	case event.FormatEVTXJSON:
		m.mapEVTXJSON(&d.sc)
	case event.FormatECS:
		// With include_xml, Winlogbeat keeps Windows' own XML of the
		// record: it has all that winlog.* lost (the Keywords mask, Level,
		// Task and Opcode numbers, the order of the data). Read it when it
		// reads; otherwise map the winlog fields.
		if x := ecsOriginalXML(&d.sc); x != nil {
			d.xp.b = &m.b
			if _, err := d.xp.parseEvent(x, true); err == nil {
				break
			}
			m.b.reset()
		}
		m.mapECS(&d.sc)
	case event.FormatNXLog:
		m.mapNXLog(&d.sc)
	default:
		err := d.errorHere("JSON object is not a Windows event (no Event, winlog or EventID key)")
		d.s.advance(n)
		return err
	}
	d.s.advance(n)
	m.b.finish(ev)
	ev.Normalize()
	src.Format = format
	ev.Source = src
	return nil
}

// resync skips the rest of the current line, then every line that does not
// start with '{' (after blanks), so that reading goes on at the next record.
func (d *jsonDecoder) resync() {
	if !d.s.skipLine() {
		return
	}
	for {
		c, ok := d.s.firstOnLine()
		if !ok || c == '{' {
			return
		}
		if !d.s.skipLine() {
			return
		}
	}
}

// lineCol returns the 1-based line and column of the end of b.
func lineCol(b []byte) (line, col int) {
	line, col = 1, 1
	for _, c := range b {
		if c == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}
