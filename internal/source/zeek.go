package source

import (
	"errors"
	"io"
	"strconv"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/zeek"
)

// Names and values that Zeek events carry.
const (
	// ZeekProvider is the Provider of every event read from a Zeek log.
	ZeekProvider = "zeek"
	// ZeekChannelPrefix starts the Channel of a Zeek event, which goes on
	// with the log's path: "zeek.conn", "zeek.dns". Sigma's logsource
	// mappings route product zeek, service X to channel "zeek.X".
	ZeekChannelPrefix = "zeek."
	// ZeekPathField is the first field of every Zeek event: the log's path,
	// as Zeek's JSON writer names it, whether the log said it in a #path
	// header, a _path or @stream key, or only in its file name. The TSV
	// and JSON copies of a log then give the same fields.
	ZeekPathField = "_path"
)

// zeekDecoder reads Zeek logs, TSV or JSON, into events. Each field keeps
// its Zeek name (id.orig_h, query, uid) and its value in the zeek package's
// canonical rendering, which is the same for both formats; a set or vector
// becomes one field per element, under the same name, and an empty one a
// field with no text; an unset field is absent. The log's path comes first
// as _path, and the JSON writer's _write_ts is left out, so that the TSV
// and JSON copies of a log give the same events.
type zeekDecoder struct {
	zr     *zeek.Reader
	file   string
	rec    zeek.Record
	warned int  // the reader's warnings already returned
	eof    bool // the reader reached the end; warnings left are returned first
}

// NewZeekDecoder returns a Decoder for the Zeek log read from r (plain text:
// decompressed already). file names the input in events' Source and in
// errors, and gives the log's path when its content does not.
//
// What the reader notices beyond damaged lines - a log without #close
// (truncated), a #types line that does not fit #fields, data after #close
// - is returned as *RecordError too, so that it reaches the user with the
// damage. A stream that is not a Zeek log gives a fatal error.
func NewZeekDecoder(r io.Reader, file string) Decoder {
	return &zeekDecoder{zr: zeek.NewReader(r, file), file: file}
}

var _ Decoder = (*zeekDecoder)(nil)

// Next implements Decoder.
func (d *zeekDecoder) Next(ev *event.Event) error {
	if err := d.warning(); err != nil {
		return err
	}
	if d.eof {
		return io.EOF
	}
	err := d.zr.Next(&d.rec)
	if err == io.EOF {
		d.eof = true
		if err := d.warning(); err != nil {
			return err
		}
		return io.EOF
	}
	var le *zeek.LineError
	if errors.As(err, &le) {
		return d.recordError(le)
	}
	if err != nil {
		return err // the zeek package names the file
	}
	zeekEvent(ev, &d.rec, d.file)
	return nil
}

// warning returns the reader's next warning not yet returned, nil when
// there is none. The count of warnings beyond the reader's cap waits for
// the end, when it is final.
func (d *zeekDecoder) warning() error {
	ws := d.zr.Warnings()
	if d.warned >= len(ws) {
		return nil
	}
	w := ws[d.warned]
	if w.Line == 0 && !d.eof {
		return nil
	}
	d.warned++
	return d.recordError(&w)
}

func (d *zeekDecoder) recordError(le *zeek.LineError) *RecordError {
	reason := le.Reason
	if le.Lines > 1 {
		reason += " (" + strconv.Itoa(le.Lines) + " lines)"
	}
	return &RecordError{File: d.file, Offset: le.Offset, Line: le.Line, Reason: reason}
}

// zeekEvent fills ev from a Zeek record: a new Fields slice (the caller
// keeps events), whose values share the record's one string of values.
func zeekEvent(ev *event.Event, rec *zeek.Record, file string) {
	n := len(rec.Fields) + 1
	for i := range rec.Fields {
		if k := len(rec.Fields[i].Items); k > 1 {
			n += k - 1
		}
	}
	fields := make([]event.Field, 0, n)
	computer := ""
	if rec.Path != "" {
		fields = append(fields, event.Field{Name: ZeekPathField, Value: rec.Path})
	}
	for i := range rec.Fields {
		f := &rec.Fields[i]
		switch f.Name {
		case ZeekPathField, "@stream", "@path":
			continue // the path, first
		case "_write_ts":
			// When the JSON writer wrote the line, not when the traffic
			// was seen: the TSV copy has no such field, and copies of a
			// log must give the same events (finding.EventKey).
			continue
		case "_node_name", "_system_name":
			// The sensor that wrote the record: the "computer" that
			// logged it, as a Windows event names its host.
			if computer == "" {
				computer = f.Value
			}
		}
		if len(f.Items) > 0 {
			// One field per element: a rule matches a set or vector when
			// any element does (the Sigma semantics of a repeated name),
			// and an element may itself hold the "," that Value joins with.
			for _, it := range f.Items {
				fields = append(fields, event.Field{Name: f.Name, Value: it})
			}
			continue
		}
		// A single value, or an empty set: present, with no text.
		fields = append(fields, event.Field{Name: f.Name, Value: f.Value})
	}
	channel := "zeek"
	if rec.Path != "" {
		channel = ZeekChannelPrefix + rec.Path
	}
	format := event.FormatZeekTSV
	if rec.Format == zeek.JSON {
		format = event.FormatZeekJSON
	}
	*ev = event.Event{
		Time:     rec.Time,
		Channel:  channel,
		Provider: ZeekProvider,
		Computer: computer,
		EventID:  -1,
		Fields:   fields,
		Source:   event.Source{File: file, Format: format, Offset: rec.Offset, Line: rec.Line},
	}
}
