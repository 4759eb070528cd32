package evtx

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
)

// Event is an event to write: the System values Windows always records and
// the payload, as EventData fields or as one UserData element.
type Event struct {
	Provider     string
	ProviderGUID GUID // zero: no Guid attribute
	EventID      uint16
	Version      uint8
	Level        uint8
	Task         uint16
	Opcode       uint8
	Keywords     uint64
	Time         time.Time
	RecordID     uint64 // zero: the writer numbers records itself
	ActivityID   GUID   // zero: no ActivityID attribute
	ProcessID    uint32
	ThreadID     uint32
	Channel      string
	Computer     string
	UserID       SID // empty: no UserID attribute

	// Data are the EventData fields, written as <Data Name="...">. A Data
	// with an empty Name is written as an unnamed <Data>.
	Data []Data
	// UserData, when set, replaces EventData.
	UserData *UserData
}

// Data is a named value. Value may be a string, any Go integer type, bool,
// float64, time.Time (a FILETIME), GUID, SID, Hex32, Hex64, []byte (binary),
// []string (a string array) or nil (a null substitution).
type Data struct {
	Name  string
	Value any
}

// UserData is a provider-defined payload: <UserData><Name xmlns="NS">
// <field>value</field>...</Name></UserData>.
type UserData struct {
	Name      string
	Namespace string
	Fields    []Data
}

// GUID is a GUID in the byte order Windows stores it.
type GUID [16]byte

// ParseGUID reads "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (braces optional).
func ParseGUID(s string) (GUID, error) {
	var g GUID
	s = strings.TrimSuffix(strings.TrimPrefix(s, "{"), "}")
	parts := strings.Split(s, "-")
	if len(parts) != 5 || len(parts[0]) != 8 || len(parts[1]) != 4 || len(parts[2]) != 4 || len(parts[3]) != 4 || len(parts[4]) != 12 {
		return g, fmt.Errorf("guid %q: want 8-4-4-4-12 hexadecimal digits", s)
	}
	d1, err1 := strconv.ParseUint(parts[0], 16, 32)
	d2, err2 := strconv.ParseUint(parts[1], 16, 16)
	d3, err3 := strconv.ParseUint(parts[2], 16, 16)
	d4, err4 := strconv.ParseUint(parts[3]+parts[4], 16, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		return g, fmt.Errorf("guid %q: %w", s, err)
	}
	binary.LittleEndian.PutUint32(g[0:], uint32(d1))
	binary.LittleEndian.PutUint16(g[4:], uint16(d2))
	binary.LittleEndian.PutUint16(g[6:], uint16(d3))
	binary.BigEndian.PutUint64(g[8:], d4)
	return g, nil
}

// MustGUID is ParseGUID for constants in tests and simulations.
func MustGUID(s string) GUID {
	g, err := ParseGUID(s)
	if err != nil {
		panic(err)
	}
	return g
}

// SID is a security identifier in its string form, "S-1-5-18".
type SID string

// Hex32 and Hex64 are integers Windows renders in hexadecimal (0x3e7).
type (
	Hex32 uint32
	Hex64 uint64
)

func (s SID) encode() ([]byte, error) {
	parts := strings.Split(string(s), "-")
	if len(parts) < 3 || parts[0] != "S" {
		return nil, fmt.Errorf("sid %q: want S-R-A[-S...]", s)
	}
	rev, err := strconv.ParseUint(parts[1], 10, 8)
	if err != nil {
		return nil, fmt.Errorf("sid %q: revision: %w", s, err)
	}
	auth, err := strconv.ParseUint(parts[2], 0, 48)
	if err != nil {
		return nil, fmt.Errorf("sid %q: authority: %w", s, err)
	}
	subs := parts[3:]
	if len(subs) > 15 {
		return nil, fmt.Errorf("sid %q: more than 15 sub-authorities", s)
	}
	b := make([]byte, 8+4*len(subs))
	b[0], b[1] = byte(rev), byte(len(subs))
	for i := 0; i < 6; i++ {
		b[2+i] = byte(auth >> (8 * (5 - i)))
	}
	for i, sub := range subs {
		v, err := strconv.ParseUint(sub, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("sid %q: sub-authority %d: %w", s, i+1, err)
		}
		binary.LittleEndian.PutUint32(b[8+4*i:], uint32(v))
	}
	return b, nil
}

// Writer writes an EVTX file. It fills 64 KiB chunks with records, defining
// each template once per chunk as Windows does, and writes the file header
// with its checksums on Close. It is meant for tests and simulations, not
// for speed.
type Writer struct {
	w       io.WriteSeeker
	chunk   []byte
	pos     int
	nchunks int
	nextID  uint64
	first   uint64 // first record id of the chunk
	last    uint64
	lastOff int
	names   map[string]int
	tmpls   map[string]int
	types   []byte // value types of the template being written
	err     error
}

// NewWriter starts a file at the current position of w (normally 0).
func NewWriter(w io.WriteSeeker) (*Writer, error) {
	if _, err := w.Write(make([]byte, FileHeaderSize)); err != nil {
		return nil, fmt.Errorf("evtx writer: %w", err)
	}
	wr := &Writer{w: w, nextID: 1}
	wr.resetChunk()
	return wr, nil
}

func (w *Writer) resetChunk() {
	w.chunk = make([]byte, ChunkSize)
	w.pos = chunkHeaderSize
	w.first, w.last, w.lastOff = 0, 0, 0
	w.names = map[string]int{}
	w.tmpls = map[string]int{}
}

// Write appends one event. Its record id is e.RecordID, or the next number
// when that is zero.
func (w *Writer) Write(e *Event) error {
	if w.err != nil {
		return w.err
	}
	id := e.RecordID
	if id == 0 {
		id = w.nextID
	}
	saved := w.snapshot()
	if err := w.appendRecord(e, id); err != nil {
		w.restore(saved)
		if !errors.Is(err, errChunkFull) {
			return err
		}
		if w.first == 0 {
			return fmt.Errorf("evtx writer: event of record %d does not fit in an empty chunk", id)
		}
		if err := w.flushChunk(); err != nil {
			return err
		}
		if err := w.appendRecord(e, id); err != nil {
			w.err = err
			return err
		}
	}
	w.nextID = id + 1
	return nil
}

type writerState struct {
	pos   int
	names map[string]int
	tmpls map[string]int
}

func (w *Writer) snapshot() writerState {
	s := writerState{pos: w.pos, names: make(map[string]int, len(w.names)), tmpls: make(map[string]int, len(w.tmpls))}
	for k, v := range w.names {
		s.names[k] = v
	}
	for k, v := range w.tmpls {
		s.tmpls[k] = v
	}
	return s
}

func (w *Writer) restore(s writerState) {
	clear(w.chunk[s.pos:])
	w.pos, w.names, w.tmpls = s.pos, s.names, s.tmpls
}

var errChunkFull = errors.New("chunk full")

// Close writes the last chunk and the file header.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.first != 0 {
		if err := w.flushChunk(); err != nil {
			return err
		}
	}
	h := make([]byte, FileHeaderSize)
	copy(h, fileMagic)
	last := uint64(0)
	if w.nchunks > 0 {
		last = uint64(w.nchunks - 1)
	}
	le := binary.LittleEndian
	le.PutUint64(h[16:], last)
	le.PutUint64(h[24:], w.nextID)
	le.PutUint32(h[32:], 128)
	le.PutUint16(h[36:], 1)
	le.PutUint16(h[38:], 3)
	le.PutUint16(h[40:], FileHeaderSize)
	le.PutUint16(h[42:], uint16(w.nchunks))
	le.PutUint32(h[124:], crc32.ChecksumIEEE(h[:120]))
	if _, err := w.w.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("evtx writer: %w", err)
	}
	if _, err := w.w.Write(h); err != nil {
		return fmt.Errorf("evtx writer: %w", err)
	}
	w.err = errors.New("evtx writer: closed")
	return nil
}

func (w *Writer) flushChunk() error {
	c := w.chunk
	le := binary.LittleEndian
	copy(c, chunkMagic)
	le.PutUint64(c[8:], w.first)
	le.PutUint64(c[16:], w.last)
	le.PutUint64(c[24:], w.first)
	le.PutUint64(c[32:], w.last)
	le.PutUint32(c[40:], 128)
	le.PutUint32(c[44:], uint32(w.lastOff))
	le.PutUint32(c[48:], uint32(w.pos))
	le.PutUint32(c[52:], crc32.ChecksumIEEE(c[chunkHeaderSize:w.pos]))
	crc := crc32.NewIEEE()
	crc.Write(c[:120])
	crc.Write(c[128:chunkHeaderSize])
	le.PutUint32(c[124:], crc.Sum32())
	if _, err := w.w.Write(c); err != nil {
		w.err = fmt.Errorf("evtx writer: %w", err)
		return w.err
	}
	w.nchunks++
	w.resetChunk()
	return nil
}

// put appends bytes to the chunk, failing when it is full.
func (w *Writer) put(b ...byte) {
	if w.pos+len(b) > ChunkSize {
		panic(errChunkFull)
	}
	copy(w.chunk[w.pos:], b)
	w.pos += len(b)
}

func (w *Writer) put16(v uint16) { w.put(byte(v), byte(v>>8)) }
func (w *Writer) put32(v uint32) { w.put(byte(v), byte(v>>8), byte(v>>16), byte(v>>24)) }

func (w *Writer) appendRecord(e *Event, id uint64) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if r == errChunkFull {
				err = errChunkFull
				return
			}
			panic(r)
		}
	}()
	vals, types, err := eventValues(e, id)
	if err != nil {
		return err
	}
	start := w.pos
	w.put(recordMagic...)
	w.put32(0) // size, patched below
	w.put32(uint32(id))
	w.put32(uint32(id >> 32))
	ft := toFileTime(e.Time)
	w.put32(uint32(ft))
	w.put32(uint32(ft >> 32))
	w.put(tokFragmentHeader, 1, 1, 0)
	w.put(tokTemplate, 1)
	key := templateKey(e, types)
	if off, ok := w.tmpls[key]; ok {
		w.put32(binary.LittleEndian.Uint32(w.chunk[off+4:])) // template id: first bytes of its GUID
		w.put32(uint32(off))
	} else {
		guid := crc32.ChecksumIEEE([]byte(key))
		w.put32(guid)
		defOff := w.pos + 4
		w.put32(uint32(defOff))
		w.tmpls[key] = defOff
		w.put32(0) // next template
		w.put32(guid)
		w.put(make([]byte, 12)...)
		sizeAt := w.pos
		w.put32(0)
		w.writeTemplate(e, types)
		binary.LittleEndian.PutUint32(w.chunk[sizeAt:], uint32(w.pos-sizeAt-4))
	}
	w.put32(uint32(len(vals)))
	for i, v := range vals {
		if len(v) > math.MaxUint16 {
			return fmt.Errorf("evtx writer: value %d of record %d is longer than 65535 bytes", i, id)
		}
		w.put16(uint16(len(v)))
		w.put(types[i], 0)
	}
	for _, v := range vals {
		w.put(v...)
	}
	// The fragment ends with an end-of-stream token, and records are padded
	// to eight bytes, as Windows writes them (libevtx insists on both).
	w.put(tokEOF)
	for (w.pos-start+4)%8 != 0 {
		w.put(0)
	}
	size := w.pos - start + 4
	w.put32(uint32(size))
	binary.LittleEndian.PutUint32(w.chunk[start+4:], uint32(size))
	if w.first == 0 {
		w.first = id
	}
	w.last, w.lastOff = id, start
	return nil
}

// templateKey identifies the shape of an event: events of one shape share a
// template within a chunk.
func templateKey(e *Event, types []byte) string {
	var b strings.Builder
	b.Write(types)
	if e.UserData != nil {
		fmt.Fprintf(&b, "|U|%s|%s", e.UserData.Name, e.UserData.Namespace)
		for _, d := range e.UserData.Fields {
			b.WriteString("|" + d.Name)
		}
	} else {
		for _, d := range e.Data {
			b.WriteString("|" + d.Name)
		}
	}
	return b.String()
}

// The substitution numbers of the System values, in template order.
const (
	subProvider = iota
	subProviderGUID
	subEventID
	subVersion
	subLevel
	subTask
	subOpcode
	subKeywords
	subTime
	subRecordID
	subActivityID
	subProcessID
	subThreadID
	subChannel
	subComputer
	subUserID
	numSystem
)

func eventValues(e *Event, id uint64) ([][]byte, []byte, error) {
	vals := make([][]byte, numSystem)
	types := make([]byte, numSystem)
	set := func(i int, v any) error {
		b, t, err := encodeValue(v)
		vals[i], types[i] = b, t
		return err
	}
	var guid, activity any
	if e.ProviderGUID != (GUID{}) {
		guid = e.ProviderGUID
	}
	if e.ActivityID != (GUID{}) {
		activity = e.ActivityID
	}
	var user any
	if e.UserID != "" {
		user = e.UserID
	}
	errs := []error{
		set(subProvider, e.Provider), set(subProviderGUID, guid), set(subEventID, e.EventID),
		set(subVersion, e.Version), set(subLevel, e.Level), set(subTask, e.Task), set(subOpcode, e.Opcode),
		set(subKeywords, Hex64(e.Keywords)), set(subTime, e.Time), set(subRecordID, id),
		set(subActivityID, activity), set(subProcessID, e.ProcessID), set(subThreadID, e.ThreadID),
		set(subChannel, e.Channel), set(subComputer, e.Computer), set(subUserID, user),
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, fmt.Errorf("evtx writer: %w", err)
	}
	fields := e.Data
	if e.UserData != nil {
		fields = e.UserData.Fields
	}
	for _, d := range fields {
		b, t, err := encodeValue(d.Value)
		if err != nil {
			return nil, nil, fmt.Errorf("evtx writer: field %q: %w", d.Name, err)
		}
		vals, types = append(vals, b), append(types, t)
	}
	return vals, types, nil
}

func encodeValue(v any) ([]byte, byte, error) {
	le := binary.LittleEndian
	switch x := v.(type) {
	case nil:
		return nil, typeNull, nil
	case string:
		return utf16le(x), typeString, nil
	case []string:
		var b []byte
		for _, s := range x {
			b = append(b, utf16le(s)...)
			b = append(b, 0, 0)
		}
		return b, typeString | typeArray, nil
	case int8:
		return []byte{byte(x)}, typeInt8, nil
	case uint8:
		return []byte{x}, typeUInt8, nil
	case int16:
		return le.AppendUint16(nil, uint16(x)), typeInt16, nil
	case uint16:
		return le.AppendUint16(nil, x), typeUInt16, nil
	case int32:
		return le.AppendUint32(nil, uint32(x)), typeInt32, nil
	case uint32:
		return le.AppendUint32(nil, x), typeUInt32, nil
	case int:
		return le.AppendUint64(nil, uint64(x)), typeInt64, nil
	case int64:
		return le.AppendUint64(nil, uint64(x)), typeInt64, nil
	case uint64:
		return le.AppendUint64(nil, x), typeUInt64, nil
	case uint:
		return le.AppendUint64(nil, uint64(x)), typeUInt64, nil
	case float64:
		return le.AppendUint64(nil, math.Float64bits(x)), typeReal64, nil
	case bool:
		if x {
			return le.AppendUint32(nil, 1), typeBool, nil
		}
		return le.AppendUint32(nil, 0), typeBool, nil
	case Hex32:
		return le.AppendUint32(nil, uint32(x)), typeHexInt32, nil
	case Hex64:
		return le.AppendUint64(nil, uint64(x)), typeHexInt64, nil
	case time.Time:
		return le.AppendUint64(nil, toFileTime(x)), typeFileTime, nil
	case GUID:
		return x[:], typeGUID, nil
	case SID:
		b, err := x.encode()
		return b, typeSID, err
	case []byte:
		return x, typeBinary, nil
	}
	return nil, 0, fmt.Errorf("unsupported value type %T", v)
}

func utf16le(s string) []byte {
	u := utf16.Encode([]rune(s))
	b := make([]byte, 2*len(u))
	for i, c := range u {
		binary.LittleEndian.PutUint16(b[2*i:], c)
	}
	return b
}

func toFileTime(t time.Time) uint64 {
	if t.IsZero() {
		return 0
	}
	return uint64(t.UnixNano()/100) + 116444736000000000
}

// writeTemplate writes the template of an event: the System element and the
// payload, with a substitution wherever a value goes.
func (w *Writer) writeTemplate(e *Event, types []byte) {
	w.types = types
	w.put(tokFragmentHeader, 1, 1, 0)
	w.element("Event", []wattr{{"xmlns", "http://schemas.microsoft.com/win/2004/08/events/event", -1}}, func() {
		w.element("System", nil, func() {
			w.element("Provider", []wattr{{"Name", "", subProvider}, {"Guid", "", subProviderGUID}}, nil)
			w.leaf("EventID", subEventID, types)
			w.leaf("Version", subVersion, types)
			w.leaf("Level", subLevel, types)
			w.leaf("Task", subTask, types)
			w.leaf("Opcode", subOpcode, types)
			w.leaf("Keywords", subKeywords, types)
			w.element("TimeCreated", []wattr{{"SystemTime", "", subTime}}, nil)
			w.leaf("EventRecordID", subRecordID, types)
			w.element("Correlation", []wattr{{"ActivityID", "", subActivityID}}, nil)
			w.element("Execution", []wattr{{"ProcessID", "", subProcessID}, {"ThreadID", "", subThreadID}}, nil)
			w.leaf("Channel", subChannel, types)
			w.leaf("Computer", subComputer, types)
			w.element("Security", []wattr{{"UserID", "", subUserID}}, nil)
		})
		if u := e.UserData; u != nil {
			w.element("UserData", nil, func() {
				var attrs []wattr
				if u.Namespace != "" {
					attrs = append(attrs, wattr{"xmlns", u.Namespace, -1})
				}
				w.element(u.Name, attrs, func() {
					for i, d := range u.Fields {
						w.leaf(d.Name, numSystem+i, types)
					}
				})
			})
			return
		}
		w.element("EventData", nil, func() {
			for i, d := range e.Data {
				var attrs []wattr
				if d.Name != "" {
					attrs = []wattr{{"Name", d.Name, -1}}
				}
				w.element("Data", attrs, func() { w.sub(numSystem+i, types) })
			}
		})
	})
	w.put(tokEOF)
}

// wattr is an attribute to write: literal text, or substitution sub when
// sub >= 0.
type wattr struct {
	name string
	text string
	sub  int
}

func (w *Writer) leaf(name string, sub int, types []byte) {
	w.element(name, nil, func() { w.sub(sub, types) })
}

func (w *Writer) sub(i int, types []byte) {
	w.put(tokOptionalSub)
	w.put16(uint16(i))
	t := byte(typeString)
	if i < len(types) && types[i] != typeNull {
		t = types[i]
	}
	w.put(t)
}

func (w *Writer) element(name string, attrs []wattr, content func()) {
	tok := byte(tokOpenStart)
	if len(attrs) > 0 {
		tok |= tokFlagMore
	}
	w.put(tok)
	w.put16(0xffff) // dependency identifier: none
	sizeAt := w.pos
	w.put32(0)
	w.name(name)
	if len(attrs) > 0 {
		listAt := w.pos
		w.put32(0)
		for i, a := range attrs {
			t := byte(tokAttribute)
			if i < len(attrs)-1 {
				t |= tokFlagMore
			}
			w.put(t)
			w.name(a.name)
			if a.sub >= 0 {
				w.sub(a.sub, w.types)
			} else {
				w.put(tokValue, typeString)
				u := utf16le(a.text)
				w.put16(uint16(len(u) / 2))
				w.put(u...)
			}
		}
		binary.LittleEndian.PutUint32(w.chunk[listAt:], uint32(w.pos-listAt-4))
	}
	if content == nil {
		w.put(tokCloseEmpty)
	} else {
		w.put(tokCloseStart)
		content()
		w.put(tokEndElement)
	}
	binary.LittleEndian.PutUint32(w.chunk[sizeAt:], uint32(w.pos-sizeAt-4))
}

// name writes a name reference: inline on first use in the chunk, by offset
// afterwards.
func (w *Writer) name(s string) {
	if off, ok := w.names[s]; ok {
		w.put32(uint32(off))
		return
	}
	off := w.pos + 4
	w.names[s] = off
	w.put32(uint32(off))
	u := utf16.Encode([]rune(s))
	var hash uint32
	for _, c := range u {
		hash = hash*65599 + uint32(c)
	}
	w.put32(0)
	w.put16(uint16(hash))
	w.put16(uint16(len(u)))
	for _, c := range u {
		w.put16(c)
	}
	w.put16(0)
}
