package source

import (
	"bytes"
	"time"

	"github.com/breakwater/breakwater/internal/event"
)

// classifyJSON tells which export a scanned object is, from its top-level
// keys:
//   - evtx_dump: a key "Event" (or "Event_attributes", in its "separate JSON
//     attributes" mode);
//   - Winlogbeat/ECS: a key "winlog" or "winlog.*" (nested objects or dotted
//     keys), or the pre-ECS Winlogbeat keys (log_name with event_id or
//     source_name);
//   - NXLog: a key "EventID" together with one of NXLog's System keys
//     (SourceName, Channel, Hostname, EventTime, ProviderGuid, RecordNumber).
//
// It returns "" for anything else.
func classifyJSON(sc *jsonScanner) event.Format {
	var eventID, nxlog, logName, legacy bool
	for i := range sc.nodes {
		n := &sc.nodes[i]
		if n.parent != -1 {
			continue
		}
		switch string(n.key) {
		case "Event", "Event_attributes":
			return event.FormatEVTXJSON
		case "winlog":
			return event.FormatECS
		case "EventID":
			eventID = true
		case "SourceName", "Channel", "Hostname", "EventTime", "ProviderGuid", "RecordNumber":
			nxlog = true
		case "log_name":
			logName = true
		case "event_id", "source_name":
			legacy = true
		}
		if bytes.HasPrefix(n.key, []byte("winlog.")) {
			return event.FormatECS
		}
		if eventID && nxlog {
			return event.FormatNXLog
		}
	}
	switch {
	case eventID && nxlog:
		return event.FormatNXLog
	case logName && legacy:
		return event.FormatECS
	}
	return ""
}

// jsonMapper turns the leaves of a scanned object into canonical fields.
type jsonMapper struct {
	b    fieldBuilder
	path []int32 // node indices from the top level down to a leaf
	keys []byte  // a dotted path being matched
	run  attrRun
	dup  dupBase

	// cache remembers, by the position of a key in its object, what the key
	// was and what to do with it: the records of one export repeat their
	// keys in the same order, so one comparison replaces a switch over the
	// known keys and a map lookup to intern the name.
	// There is one cache per format: the same key means different things
	// in each, and a stream may mix them.
	cache [numCaches][]keyAction
}

const (
	cacheEVTXJSON = iota
	cacheECS
	cacheNXLog
	numCaches
)

// keyAction is what a mapper does with a key: put the value into a System
// slot (if prio > 0), add it as a field named name (if data), or drop it.
type keyAction struct {
	key  string
	attr string // evtx_dump: the attribute of element key, if any
	name string
	slot int8
	prio int8
	data bool
	cond keyCond
}

// keyCond qualifies an action by the value or the rest of the object.
type keyCond int8

const (
	condNone       keyCond = iota
	condUint               // the slot only if the value is an integer, else data
	condUintOrDrop         // the slot only if the value is an integer, else dropped
	condTime               // NXLog's local times
	condEventType          // NXLog's EventType or EventData's
	condAccount            // NXLog's resolution of UserID or EventData
)

// cached returns the slot of a format's cache for the key at position i,
// and whether it holds that key.
func (m *jsonMapper) cached(format, i int, key []byte) (*keyAction, bool) {
	c := &m.cache[format]
	for len(*c) <= i {
		*c = append(*c, keyAction{})
	}
	a := &(*c)[i]
	return a, a.key == string(key) && a.key != ""
}

// attrRun is the run of attribute fields last added for one element. The
// EVTX reader gives an element's text before its attributes (EventID, then
// EventID_Qualifiers) while evtx_dump writes "#attributes" (or
// "Elem_attributes") first, so the text field, when it comes, is moved in
// front of the run. An element is known by its parent node and its key.
type attrRun struct {
	start, end int // b.data[start:end]
	parent     int32
	key        []byte
}

// keyPath fills m.path with the keyed nodes (array elements left out) from
// the top level down to node.
func (m *jsonMapper) keyPath(sc *jsonScanner, node int32) []int32 {
	m.path = m.path[:0]
	for n := node; n >= 0; n = sc.nodes[n].parent {
		if sc.nodes[n].key != nil {
			m.path = append(m.path, n)
		}
	}
	p := m.path
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// ---- evtx_dump ----

// mapEVTXJSON maps the layout of evtx_dump (omerbenamram/evtx), which mirrors
// the XML: an element with attributes is {"#attributes": {...}, "#text": v}
// (or, in "separate JSON attributes" mode, a sibling key "Elem_attributes"),
// a named <Data Name="X"> is the key X, unnamed <Data> values are an array
// under "Data"."#text", an empty element is null, and a repeated element name
// gets a suffix _1, _2, ... from the second occurrence on.
//
// The rules for names and order are the XML reader's (see xmlParser), which
// are the EVTX reader's: System children by element name, attributes as
// Element_Attribute (TimeCreated_SystemTime is TimeCreated), EventData and
// UserData leaves by their own element name, a leaf's text before its
// attributes. An empty System element is absent; an empty data element is a
// field with value "". GUID values without braces in upper case are how
// evtx_dump renders values of GUID type, and get their braces back.
func (m *jsonMapper) mapEVTXJSON(sc *jsonScanner) {
	b := &m.b
	for li := range sc.leaves {
		lf := &sc.leaves[li]
		// The keyed nodes at the bottom of the leaf's path: k0 its own key
		// (the last), k1 and k2 above it; array elements are not keys.
		k0 := sc.keyed(lf.node)
		n0 := &sc.nodes[k0]
		if n0.depth < 2 || string(sc.nodes[n0.top].key) != "Event" {
			continue // Event's own attributes (xmlns), or no event at all
		}
		sectionNode := n0.second
		section := bytes.TrimSuffix(sc.nodes[sectionNode].key, attrSuffix)
		switch string(section) {
		case "#attributes", "RenderingInfo":
			continue
		}
		// The path below Event: rel[0] is the section, rel[L-1] is k0.
		L := int(n0.depth) - 1
		var k1, k2 int32 = -1, -1
		if L >= 2 {
			k1 = sc.keyed(n0.parent)
			if L >= 3 {
				k2 = sc.keyed(sc.nodes[k1].parent)
			}
		}
		last := n0.key
		var elemNode int32
		var attr []byte
		switch {
		case string(last) == "#attributes" || L == 1:
			continue // an empty attribute list, or an empty section
		case L >= 3 && string(sc.nodes[k1].key) == "#attributes":
			elemNode, attr = k2, last
		case bytes.HasSuffix(sc.nodes[k1].key, attrSuffix):
			elemNode, attr = k1, last
		case string(last) == "#text":
			elemNode = k1
		default:
			elemNode = k0
		}
		if elemNode == sectionNode {
			// Attributes of the section element itself (<EventData
			// Name="...">) are not fields, as in the EVTX reader.
			continue
		}
		elem := m.elementName(sc, elemNode)
		// The field's name, from the cache when the record before had the
		// same element and attribute at this position.
		a, ok := m.cached(cacheEVTXJSON, li, elem)
		if !ok || a.attr != string(attr) {
			a.key, a.attr = b.name(elem), b.name(attr)
			switch {
			case attr == nil:
				a.name = a.key
			case string(elem) == "TimeCreated" && string(attr) == "SystemTime":
				a.name = event.FieldTimeCreated
			default:
				a.name = b.name2(elem, attr)
			}
		}
		n := len(b.data)
		switch {
		case string(section) == "System":
			// Empty System values are absent.
			if v := leafText(lf); lf.kind != kindNull && lf.kind != kindEmpty && len(trimSpace(v)) > 0 {
				b.addSystem(a.name, v)
			}
		case attr == nil:
			b.addData(a.name, leafText(lf), true)
		case isXMLNS(attr):
		case len(lf.val) > 0 || lf.kind == kindTrue || lf.kind == kindFalse:
			b.addData(a.name, leafText(lf), true)
		}
		if len(b.data) > n {
			m.ordered(sc, elemNode, attr != nil)
		}
	}
}

// ordered keeps the field just added in the EVTX reader's order: an
// element's text before its attributes.
func (m *jsonMapper) ordered(sc *jsonScanner, elemNode int32, isAttr bool) {
	d := m.b.data
	parent := sc.nodes[elemNode].parent
	key := bytes.TrimSuffix(sc.nodes[elemNode].key, attrSuffix)
	same := m.run.end == len(d)-1 && m.run.end > m.run.start && m.run.parent == parent && bytes.Equal(m.run.key, key)
	if isAttr {
		if !same {
			m.run = attrRun{start: len(d) - 1, parent: parent, key: key}
		}
		m.run.end = len(d)
		return
	}
	if same {
		text := d[len(d)-1]
		copy(d[m.run.start+1:], d[m.run.start:len(d)-1])
		d[m.run.start] = text
	}
	m.run = attrRun{}
}

var attrSuffix = []byte("_attributes")

// elementName returns the element name of an evtx_dump key: without the
// "_attributes" suffix of the separate mode, and without the _N suffix that
// evtx_dump gives a repeated element when an earlier sibling has the bare
// name (a real element named "Header_1" with no "Header" beside it keeps its
// name).
func (m *jsonMapper) elementName(sc *jsonScanner, node int32) []byte {
	k := bytes.TrimSuffix(sc.nodes[node].key, attrSuffix)
	i := len(k) - 1
	for i > 0 && '0' <= k[i] && k[i] <= '9' {
		i--
	}
	if i <= 0 || i == len(k)-1 || k[i] != '_' {
		return k
	}
	base := k[:i]
	parent := sc.nodes[node].parent
	// Repeats come in runs (Header, Header_1, ..., Header_11): after the
	// first, the base is known. The look back is bounded so that a hostile
	// object full of "x_1" keys costs linear time, not quadratic.
	if m.dup.parent == parent && m.dup.node < node && bytes.Equal(m.dup.base, base) {
		return base
	}
	for j := node - 1; j > parent && j >= node-maxDupLookBack; j-- {
		n := &sc.nodes[j]
		if n.parent == parent && bytes.Equal(bytes.TrimSuffix(n.key, attrSuffix), base) {
			m.dup = dupBase{parent: parent, node: node, base: base}
			return base
		}
	}
	return k
}

// maxDupLookBack bounds how many nodes back elementName looks for the first
// of a repeated element.
const maxDupLookBack = 1024

// dupBase is the last repeated element name elementName found.
type dupBase struct {
	parent, node int32
	base         []byte
}

// leafText returns the text of a scalar: a string's contents, a number's
// literal digits, true or false; "" for null and empty containers.
func leafText(lf *jsonLeaf) []byte {
	switch lf.kind {
	case kindString, kindNumber:
		return lf.val
	case kindTrue:
		return []byte("true")
	case kindFalse:
		return []byte("false")
	}
	return nil
}

func isXMLNS(attr []byte) bool {
	return string(attr) == "xmlns" || bytes.HasPrefix(attr, []byte("xmlns:"))
}

// ---- Winlogbeat / ECS ----

// mapECS maps a Winlogbeat document, in ECS (winlog.*, nested or with dotted
// keys) or in the pre-ECS layout of Winlogbeat 6 (log_name, event_data, ...).
//
// Winlogbeat renders some System values by name, not number: winlog.keywords
// is a list of keyword names and winlog.opcode, winlog.task and log.level are
// display names. They cannot be turned back into the mask or the numbers the
// record holds (provider-specific keywords and tasks have no fixed numbers),
// so they are dropped rather than given under canonical names with values of
// another kind; a number found there is kept. Fields that Winlogbeat or an
// ingest pipeline derives (event.*, user.*, process.*, winlog.logon.*,
// winlog.user.name, message, ...) are not record data and are dropped.
// user_data's xml_name (the name of UserData's wrapper element) is dropped.
//
// Winlogbeat writes event_data as a map, so the document order of the
// record's data is lost; fields come in the order of the document.
func (m *jsonMapper) mapECS(sc *jsonScanner) {
	b := &m.b
	for li := range sc.leaves {
		lf := &sc.leaves[li]
		segs := m.keyPath(sc, lf.node)
		m.keys = m.keys[:0]
		for i, n := range segs {
			if i > 0 {
				m.keys = append(m.keys, '.')
			}
			m.keys = append(m.keys, sc.nodes[n].key...)
		}
		a, ok := m.cached(cacheECS, li, m.keys)
		if !ok {
			*a = m.ecsAction(m.keys)
			a.key = b.name(m.keys)
		}
		switch {
		case a.data:
			b.addData(a.name, leafText(lf), false)
		case a.prio > 0 && lf.kind != kindNull && lf.kind != kindEmpty:
			v := leafText(lf)
			if a.cond == condUintOrDrop && !isUint(v) {
				continue
			}
			b.setSlot(int(a.slot), a.prio, v)
		}
	}
}

// ecsAction decides what mapECS does with a dotted key path.
func (m *jsonMapper) ecsAction(path []byte) keyAction {
	b := &m.b
	p := path
	winlog := bytes.HasPrefix(p, []byte("winlog."))
	if winlog {
		p = p[len("winlog."):]
	}
	if rest, ok := cutPrefix(p, "event_data."); ok {
		return keyAction{data: true, name: b.name(lastSegment(rest))}
	}
	if rest, ok := cutPrefix(p, "user_data."); ok {
		if string(rest) == "xml_name" {
			return keyAction{}
		}
		return keyAction{data: true, name: b.name(lastSegment(rest))}
	}
	slot := func(s int, prio int8) keyAction { return keyAction{slot: int8(s), prio: prio} }
	if !winlog {
		// Fallbacks from the ECS envelope, for documents whose winlog
		// object lacks them.
		switch string(p) {
		case "event.code":
			return slot(slotEventID, 1)
		case "event.provider":
			return slot(slotProvider, 1)
		case "host.name":
			return slot(slotComputer, 1)
		case "@timestamp":
			return slot(slotTimeCreated, 1)
		}
	}
	switch string(p) {
	case "channel", "log_name":
		return slot(slotChannel, 2)
	case "provider_name", "source_name":
		return slot(slotProvider, 2)
	case "provider_guid":
		return slot(slotProviderGUID, 2)
	case "event_id":
		return slot(slotEventID, 2)
	case "record_id", "record_number":
		return slot(slotRecordID, 2)
	case "computer_name":
		return slot(slotComputer, 2)
	case "process.pid", "process_id":
		return slot(slotProcessID, 2)
	case "process.thread.id", "thread_id":
		return slot(slotThreadID, 2)
	case "user.identifier":
		return slot(slotUserID, 2)
	case "activity_id":
		return slot(slotActivityID, 2)
	case "related_activity_id":
		return slot(slotRelActivityID, 2)
	case "time_created":
		return slot(slotTimeCreated, 2)
	case "version":
		return keyAction{slot: slotVersion, prio: 2, cond: condUintOrDrop}
	case "task":
		return keyAction{slot: slotTask, prio: 2, cond: condUintOrDrop}
	case "opcode":
		return keyAction{slot: slotOpcode, prio: 2, cond: condUintOrDrop}
	case "level":
		return keyAction{slot: slotLevel, prio: 2, cond: condUintOrDrop}
	}
	return keyAction{}
}

// ecsOriginalXML returns the XML of the record that Winlogbeat keeps in
// event.original (xml in Winlogbeat 6) when configured with include_xml, or
// nil.
func ecsOriginalXML(sc *jsonScanner) []byte {
	for li := range sc.leaves {
		lf := &sc.leaves[li]
		if lf.kind != kindString {
			continue
		}
		n := &sc.nodes[lf.node]
		top := sc.nodes[n.top].key
		switch {
		case n.depth == 1 && (string(top) == "event.original" || string(top) == "xml"),
			n.depth == 2 && string(top) == "event" && string(n.key) == "original":
			v := trimSpace(lf.val)
			if bytes.HasPrefix(v, []byte("<Event")) {
				return v
			}
		}
	}
	return nil
}

func cutPrefix(p []byte, prefix string) ([]byte, bool) {
	if len(p) > len(prefix) && string(p[:len(prefix)]) == prefix {
		return p[len(prefix):], true
	}
	return nil, false
}

// lastSegment returns what follows the last dot: the leaf's own name when
// event or user data was nested.
func lastSegment(p []byte) []byte {
	if i := bytes.LastIndexByte(p, '.'); i >= 0 {
		return p[i+1:]
	}
	return p
}

// ---- NXLog ----

// mapNXLog maps NXLog's flat JSON (im_msvistalog with to_json, often passed
// through Logstash): EventData fields at the top level, mixed with NXLog's
// own fields for the System values and with metadata.
//
// System values: SourceName → Provider_Name, ProviderGuid → Provider_Guid,
// EventID, Version, Level, Task, OpcodeValue → Opcode, Keywords (a signed
// 64-bit integer) → 0x..., EventTime or TimeCreated → TimeCreated,
// RecordNumber → EventRecordID, ActivityID and RelatedActivityID →
// Correlation_*, ExecutionProcessID → Execution_ProcessID, ThreadID →
// Execution_ThreadID, Channel (the well-known names in Windows' spelling),
// Hostname → Computer, UserID → Security_UserID. Version, Task and ThreadID
// are System values only when they are integers: otherwise they are the
// EventData fields of the same name that NXLog put in their place (Sysmon's
// event 4 has a Version "10.42").
//
// Metadata that is not record data, dropped: EventReceivedTime,
// SourceModuleName, SourceModuleType, Severity, SeverityValue, Category (the
// task's display name), Opcode when it is a name, Level when it is a name,
// Message (the rendered message), ERROR_EVT_UNRESOLVED, and the keys that
// Logstash adds (@timestamp, @version, @metadata, host, port, tags, type).
// Two need care because Windows events have EventData of the same name:
//   - EventType is NXLog's when its value is one of NXLog's (AUDIT_SUCCESS,
//     AUDIT_FAILURE, INFO, WARNING, ERROR, CRITICAL, VERBOSE) and no
//     EventTypeOrignal key (sic: the OTRF pipeline's rename of NXLog's
//     EventType when the event has its own) is present; otherwise it is
//     EventData (Sysmon's "SetValue", "CreateKey", ...).
//   - AccountName, AccountType and Domain are NXLog's resolution of UserID
//     when UserID is present, and EventData otherwise.
//
// Time zone: EventTime, EventReceivedTime and TimeCreated carry no zone and
// are in the collector's local time. When the object also has Logstash's
// @timestamp (UTC, the time Logstash received the event), the difference
// between @timestamp and EventReceivedTime, rounded to the nearest quarter
// hour (time zones are whole quarter hours; the transit delay is seconds), is
// the collector's UTC offset, and the times are converted with it. Without
// both, a zone-less time is taken as UTC: the export does not say.
func (m *jsonMapper) mapNXLog(sc *jsonScanner) {
	b := &m.b
	var hasUserID, hasTypeOrig bool
	var received, stamp []byte
	for li := range sc.leaves {
		lf := &sc.leaves[li]
		key := sc.nodes[sc.nodes[lf.node].top].key
		a, ok := m.cached(cacheNXLog, li, key)
		if !ok {
			*a = m.nxlogAction(key)
			a.key = b.name(key)
		}
		switch a.key {
		case "UserID":
			hasUserID = true
		case "EventTypeOrignal", "EventTypeOriginal":
			hasTypeOrig = true
		case "EventReceivedTime":
			received = lf.val
		case "@timestamp":
			stamp = lf.val
		}
	}
	offset := collectorOffset(received, stamp)

	// The first pass left every leaf's action in the cache at its position.
	acts := m.cache[cacheNXLog]
	for li := range sc.leaves {
		lf := &sc.leaves[li]
		a := &acts[li]
		v := leafText(lf)
		slot := -1
		if a.prio > 0 {
			slot = int(a.slot)
		}
		switch a.cond {
		case condUint:
			if !isUint(v) {
				slot = -1
			}
		case condUintOrDrop:
			if !isUint(v) {
				continue
			}
		case condTime:
			m.setNXLogTime(a.prio, v, offset)
			continue
		case condEventType:
			if !hasTypeOrig && isNXLogEventType(v) {
				continue
			}
		case condAccount:
			if hasUserID {
				continue
			}
		}
		switch {
		case slot >= 0:
			if lf.kind != kindNull && lf.kind != kindEmpty {
				b.setSlot(slot, a.prio, v)
			}
		case a.data:
			b.addData(a.name, v, false)
		}
	}
}

// nxlogAction decides what mapNXLog does with a top-level key.
func (m *jsonMapper) nxlogAction(key []byte) keyAction {
	slot := func(s int, prio int8, c keyCond) keyAction {
		return keyAction{slot: int8(s), prio: prio, cond: c, data: c == condUint, name: m.b.name(key)}
	}
	switch string(key) {
	case "EventID":
		return slot(slotEventID, 2, condNone)
	case "SourceName":
		return slot(slotProvider, 2, condNone)
	case "ProviderGuid":
		return slot(slotProviderGUID, 2, condNone)
	case "Channel":
		return slot(slotChannel, 2, condNone)
	case "Hostname":
		return slot(slotComputer, 2, condNone)
	case "RecordNumber":
		return slot(slotRecordID, 2, condNone)
	case "ExecutionProcessID":
		return slot(slotProcessID, 2, condNone)
	case "UserID":
		return slot(slotUserID, 2, condNone)
	case "ActivityID":
		return slot(slotActivityID, 2, condNone)
	case "RelatedActivityID":
		return slot(slotRelActivityID, 2, condNone)
	case "Keywords":
		return slot(slotKeywords, 2, condNone)
	case "OpcodeValue":
		return slot(slotOpcode, 2, condNone)
	case "Opcode":
		return slot(slotOpcode, 1, condUintOrDrop)
	case "Level":
		return slot(slotLevel, 2, condUintOrDrop)
	case "Task":
		return slot(slotTask, 2, condUint)
	case "Version":
		return slot(slotVersion, 2, condUint)
	case "ThreadID":
		return slot(slotThreadID, 2, condUint)
	case "TimeCreated":
		return keyAction{prio: 2, cond: condTime}
	case "EventTime":
		return keyAction{prio: 1, cond: condTime}
	case "EventType":
		return keyAction{data: true, name: m.b.name(key), cond: condEventType}
	case "AccountName", "AccountType", "Domain":
		return keyAction{data: true, name: m.b.name(key), cond: condAccount}
	case "EventReceivedTime", "SourceModuleName", "SourceModuleType", "Severity", "SeverityValue",
		"EventTypeOrignal", "EventTypeOriginal", "Category", "Message", "ERROR_EVT_UNRESOLVED",
		"@timestamp", "@version", "@metadata", "host", "port", "tags", "type":
		return keyAction{}
	}
	return keyAction{data: true, name: m.b.name(key)}
}

func isNXLogEventType(v []byte) bool {
	switch string(v) {
	case "AUDIT_SUCCESS", "AUDIT_FAILURE", "INFO", "WARNING", "ERROR", "CRITICAL", "VERBOSE":
		return true
	}
	return false
}

// collectorOffset returns the collector's UTC offset, as a correction to add
// to its local times (see mapNXLog), or 0 when it cannot be known.
func collectorOffset(received, stamp []byte) time.Duration {
	if received == nil || stamp == nil {
		return 0
	}
	local, zoned, ok1 := event.ParseTimeBytes(received)
	utc, zoned2, ok2 := event.ParseTimeBytes(stamp)
	if !ok1 || !ok2 || zoned || !zoned2 {
		return 0
	}
	d := utc.Sub(local).Round(15 * time.Minute)
	if d < -14*time.Hour || d > 14*time.Hour {
		return 0
	}
	return d
}

func (m *jsonMapper) setNXLogTime(prio int8, v []byte, offset time.Duration) {
	b := &m.b
	t, zoned, ok := event.ParseTimeBytes(trimSpace(v))
	if !ok {
		b.setSlot(slotTimeCreated, prio, v)
		return
	}
	if !zoned {
		t = t.Add(offset)
	}
	start := len(b.out)
	b.out = event.AppendTime(b.out, t)
	b.commitSlot(slotTimeCreated, prio, start)
}
