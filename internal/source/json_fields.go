package source

import (
	"github.com/breakwater/breakwater/internal/event"
)

// fieldBuilder collects the fields of one event while a reader walks its
// record, and hands them over in one piece. Values are rendered into one
// byte buffer that becomes a single string per event, so an event costs one
// allocation however many fields it has, and its strings never alias a
// reader's input buffer. Field names are interned per reader.
//
// System fields come first, in the canonical order of the <System> element.
// Readers of formats that keep document order (evtx_dump JSON, XML) add them
// as they come, which is that order; readers of formats whose keys come in
// any order (Winlogbeat, NXLog) put them into slots instead.
//
// The XML reader uses it too.
type fieldBuilder struct {
	out   []byte
	data  []pendingField
	sys   [numSlots]sysSpan
	names map[string]string
	tmp   []byte
}

type pendingField struct {
	name       string
	start, end int32
}

// sysSpan is a System value in a slot; prio 0 means unset, and a value from
// a better source (winlog.event_id over event.code) has a higher prio.
type sysSpan struct {
	start, end int32
	prio       int8
}

// Slots of the System fields, in the order of the <System> element.
const (
	slotProvider = iota
	slotProviderGUID
	slotEventSource
	slotQualifiers
	slotEventID
	slotVersion
	slotLevel
	slotTask
	slotOpcode
	slotKeywords
	slotTimeCreated
	slotRecordID
	slotActivityID
	slotRelActivityID
	slotProcessID
	slotThreadID
	slotChannel
	slotComputer
	slotUserID
	numSlots
)

func slotName(slot int) string {
	switch slot {
	case slotProvider:
		return event.FieldProvider
	case slotProviderGUID:
		return event.FieldProviderGUID
	case slotEventSource:
		return event.FieldEventSource
	case slotQualifiers:
		return event.FieldQualifiers
	case slotEventID:
		return event.FieldEventID
	case slotVersion:
		return event.FieldVersion
	case slotLevel:
		return event.FieldLevel
	case slotTask:
		return event.FieldTask
	case slotOpcode:
		return event.FieldOpcode
	case slotKeywords:
		return event.FieldKeywords
	case slotTimeCreated:
		return event.FieldTimeCreated
	case slotRecordID:
		return event.FieldRecordID
	case slotActivityID:
		return event.FieldActivityID
	case slotRelActivityID:
		return event.FieldRelActivityID
	case slotProcessID:
		return event.FieldProcessID
	case slotThreadID:
		return event.FieldThreadID
	case slotChannel:
		return event.FieldChannel
	case slotComputer:
		return event.FieldComputer
	case slotUserID:
		return event.FieldUserID
	}
	return ""
}

// maxNames bounds the intern table: field names come from the input, and a
// hostile file could make every name unique.
const maxNames = 4096

func (b *fieldBuilder) reset() {
	b.out = b.out[:0]
	b.data = b.data[:0]
	b.sys = [numSlots]sysSpan{}
	if b.names == nil {
		b.names = make(map[string]string)
	}
}

// name interns a field name.
func (b *fieldBuilder) name(k []byte) string {
	if s, ok := b.names[string(k)]; ok {
		return s
	}
	s := string(k)
	if len(b.names) < maxNames {
		b.names[s] = s
	}
	return s
}

// name2 interns the name "a_c", the name of attribute c of element a.
func (b *fieldBuilder) name2(a, c []byte) string {
	b.tmp = append(append(append(b.tmp[:0], a...), '_'), c...)
	return b.name(b.tmp)
}

// commit adds a field whose value is b.out[start:].
func (b *fieldBuilder) commit(name string, start int) {
	b.data = append(b.data, pendingField{name: name, start: int32(start), end: int32(len(b.out))})
}

// commitSlot puts b.out[start:] into a System slot unless the slot holds a
// value of equal or higher prio, in which case the new value is dropped.
func (b *fieldBuilder) commitSlot(slot int, prio int8, start int) {
	if prio <= b.sys[slot].prio {
		b.out = b.out[:start]
		return
	}
	b.sys[slot] = sysSpan{start: int32(start), end: int32(len(b.out)), prio: prio}
}

// addData adds an EventData or UserData value: trailing white space trimmed
// (event.TrimValue), and a GUID in braces rendered canonically. bareGUID also
// braces a GUID without braces in upper case, which is how evtx_dump renders
// values of GUID type.
func (b *fieldBuilder) addData(name string, v []byte, bareGUID bool) {
	if name == "" {
		return // an empty key names nothing (XML names cannot be empty)
	}
	start := len(b.out)
	b.out = appendDataValue(b.out, v, bareGUID)
	b.commit(name, start)
}

// addSystem adds a System value in document order.
func (b *fieldBuilder) addSystem(name string, v []byte) {
	if name == "" {
		return
	}
	start := len(b.out)
	b.out = event.AppendSystemValue(b.out, name, v)
	b.commit(name, start)
}

// setSlot renders a System value into its slot.
func (b *fieldBuilder) setSlot(slot int, prio int8, v []byte) {
	start := len(b.out)
	if slot == slotChannel {
		b.out = event.AppendCanonicalChannel(b.out, v)
	} else {
		b.out = event.AppendSystemValue(b.out, slotName(slot), v)
	}
	if len(b.out) == start {
		return // an empty value is an absent one
	}
	b.commitSlot(slot, prio, start)
}

// finish moves the collected fields into ev.Fields, reusing its capacity.
func (b *fieldBuilder) finish(ev *event.Event) {
	s := string(b.out)
	ev.Fields = ev.Fields[:0]
	for i := range b.sys {
		if sp := b.sys[i]; sp.prio > 0 {
			ev.Fields = append(ev.Fields, event.Field{Name: slotName(i), Value: s[sp.start:sp.end]})
		}
	}
	for _, f := range b.data {
		ev.Fields = append(ev.Fields, event.Field{Name: f.name, Value: s[f.start:f.end]})
	}
}

func appendDataValue(dst, v []byte, bareGUID bool) []byte {
	v = trimRight(v)
	switch {
	case len(v) == 38 && v[0] == '{':
		if out, ok := event.AppendGUID(dst, v); ok {
			return out
		}
	case bareGUID && len(v) == 36 && v[8] == '-' && !hasLower(v):
		if out, ok := event.AppendGUID(dst, v); ok {
			return out
		}
	}
	return append(dst, v...)
}

// trimRight is event.TrimValue on bytes.
func trimRight(v []byte) []byte {
	for len(v) > 0 {
		switch v[len(v)-1] {
		case ' ', '\t', '\r', '\n':
			v = v[:len(v)-1]
		default:
			return v
		}
	}
	return v
}

func trimSpace(v []byte) []byte {
	for len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[0] == '\r' || v[0] == '\n') {
		v = v[1:]
	}
	return trimRight(v)
}

func hasLower(v []byte) bool {
	for _, c := range v {
		if 'a' <= c && c <= 'z' {
			return true
		}
	}
	return false
}

// isUint reports whether v is a non-empty run of decimal digits.
func isUint(v []byte) bool {
	if len(v) == 0 {
		return false
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
