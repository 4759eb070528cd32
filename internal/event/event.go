// Package event defines Event, the one in-memory shape of a log record that every
// detector sees, whatever format the record was read from, together with the
// canonical names and renderings of its fields.
//
// Readers of every format (EVTX, evtx_dump JSON, Winlogbeat/ECS, NXLog, XML
// exports, Zeek) produce the same Event for the same record: the same field
// names, in the same order where the format keeps one, with the same values.
// The rules for that are in this package so that readers cannot drift apart.
package event

import (
	"strconv"
	"time"
)

// Canonical names of the fields taken from a Windows event's System element.
// Attributes of a System element are named Element_Attribute, except that the
// SystemTime attribute of TimeCreated is the value of TimeCreated itself.
const (
	FieldProvider      = "Provider_Name"
	FieldProviderGUID  = "Provider_Guid"
	FieldEventSource   = "Provider_EventSourceName"
	FieldEventID       = "EventID"
	FieldQualifiers    = "EventID_Qualifiers"
	FieldVersion       = "Version"
	FieldLevel         = "Level"
	FieldTask          = "Task"
	FieldOpcode        = "Opcode"
	FieldKeywords      = "Keywords"
	FieldTimeCreated   = "TimeCreated"
	FieldRecordID      = "EventRecordID"
	FieldActivityID    = "Correlation_ActivityID"
	FieldRelActivityID = "Correlation_RelatedActivityID"
	FieldProcessID     = "Execution_ProcessID"
	FieldThreadID      = "Execution_ThreadID"
	FieldChannel       = "Channel"
	FieldComputer      = "Computer"
	FieldUserID        = "Security_UserID"
)

// Field is one named value of an event. Names may repeat within an event: the
// unnamed <Data> elements of classic event logs all become fields named "Data".
type Field struct {
	Name  string
	Value string
}

// Source says where an event came from, so that a finding can point a person
// at the exact record.
type Source struct {
	// File is the path of the input as the user gave it; a member of an
	// archive is named "archive.zip!member".
	File string
	// Format is the reader that produced the event (see the Format constants).
	Format Format
	// Offset is the byte offset of the record within the (decompressed) file.
	Offset int64
	// Line is the 1-based line on which the record starts in a text format
	// (JSON, XML), 0 for binary formats.
	Line int
}

// Format names a log format Breakwater reads.
type Format string

// The formats readers produce.
const (
	FormatEVTX     Format = "evtx"
	FormatEVTXJSON Format = "evtx-json" // evtx_dump style: Event.System..., Event.EventData...
	FormatECS      Format = "ecs"       // Winlogbeat / Elastic Common Schema
	FormatNXLog    Format = "nxlog"     // NXLog flat JSON
	FormatXML      Format = "xml"       // wevtutil / Get-WinEvent XML
	FormatZeekTSV  Format = "zeek-tsv"
	FormatZeekJSON Format = "zeek-json"
)

// Event is one log record.
//
// Fields hold everything the record says, in canonical names and renderings.
// The header fields (Time, Channel, ...) repeat the most used of them in typed
// form, because every event is routed on them; Normalize derives them from
// Fields, so a reader only has to fill Fields and Source.
type Event struct {
	Time     time.Time // TimeCreated; zero when the record has none
	Channel  string
	Provider string
	Computer string
	EventID  int    // -1 when the record has none
	RecordID uint64 // EventRecordID; 0 when the record has none

	Fields []Field
	Source Source
}

// Get returns the value of the first field with the given name.
func (e *Event) Get(name string) (string, bool) {
	for i := range e.Fields {
		if e.Fields[i].Name == name {
			return e.Fields[i].Value, true
		}
	}
	return "", false
}

// Normalize sets the header fields from Fields. Readers call it once, after
// the last field is appended. The first field of each name counts: readers
// put the System fields first, and a payload may repeat a System name (the
// Eventlog's "log cleared" event 104 names the cleared log in a Channel
// field of its UserData).
func (e *Event) Normalize() {
	e.Time, e.Channel, e.Provider, e.Computer = time.Time{}, "", "", ""
	e.EventID, e.RecordID = -1, 0
	var seen uint8
	const (
		sawTime = 1 << iota
		sawChannel
		sawProvider
		sawComputer
		sawEventID
		sawRecordID
	)
	for _, f := range e.Fields {
		switch f.Name {
		case FieldTimeCreated:
			if seen&sawTime == 0 {
				seen |= sawTime
				if t, ok := parseCanonicalTime(f.Value); ok {
					e.Time = t
				} else if t, ok := ParseTime(f.Value); ok {
					e.Time = t
				}
			}
		case FieldChannel:
			if seen&sawChannel == 0 {
				seen |= sawChannel
				e.Channel = f.Value
			}
		case FieldProvider:
			if seen&sawProvider == 0 {
				seen |= sawProvider
				e.Provider = f.Value
			}
		case FieldComputer:
			if seen&sawComputer == 0 {
				seen |= sawComputer
				e.Computer = f.Value
			}
		case FieldEventID:
			if seen&sawEventID == 0 {
				seen |= sawEventID
				if n, err := strconv.ParseUint(f.Value, 10, 32); err == nil {
					e.EventID = int(n)
				}
			}
		case FieldRecordID:
			if seen&sawRecordID == 0 {
				seen |= sawRecordID
				if n, err := strconv.ParseUint(f.Value, 10, 64); err == nil {
					e.RecordID = n
				}
			}
		}
	}
}
