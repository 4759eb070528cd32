package zeek

import (
	"net/netip"
	"strconv"
	"time"
)

// PathSource says where a record's log path came from, and so how far it
// can be trusted.
type PathSource uint8

// Path sources, from the most to the least certain.
const (
	PathUnknown    PathSource = iota // no path could be told
	PathFromHeader                   // the TSV #path header line: certain
	PathFromKey                      // a JSON key written by Zeek or a shipper (_path, @stream, @path, _write_to): certain
	PathFromFields                   // inferred from the set of field names: probable (see Record.Path)
	PathFromName                     // the file name: a guess
)

// String returns a short lower-case name of the source.
func (s PathSource) String() string {
	switch s {
	case PathFromHeader:
		return "header"
	case PathFromKey:
		return "key"
	case PathFromFields:
		return "fields"
	case PathFromName:
		return "name"
	}
	return "unknown"
}

// Field is one field of a record.
type Field struct {
	Name string // Zeek's dotted name: "id.orig_h"
	Type Type
	// Value is the canonical rendering (see the package documentation); for
	// a set or vector, its elements joined with ",".
	Value string
	// Items are the canonical elements of a set or vector (empty for an
	// empty one), nil for a single value.
	Items []string
}

// Record is one log entry. A Record is reused by Reader.Next: the strings it
// holds stay valid, but Fields and the Items slices are overwritten by the
// next call, so copy what must outlive it. The zero Record is ready to use.
type Record struct {
	// Path is the log's name, as Zeek calls it: "conn", "dns", "ssl". When
	// a JSON record carries no path key, it is inferred from its field
	// names (PathSource PathFromFields) by signature fields that only that
	// log has: conn has proto and conn_state; dns query with qtype_name or
	// rcode_name; http method with uri; ssl a cipher or server_name with
	// established or ssl_history; x509 fingerprint with a certificate.*
	// field; files fuid with seen_bytes; notice note with msg; rdp cookie
	// with security_protocol or result; ssh auth_attempts or host_key_alg;
	// smb_files action with a times.* field or prev_name; smb_mapping
	// share_type; dce_rpc endpoint with operation; ntlm
	// server_nb_computer_name, or domainname with hostname and username;
	// kerberos request_type; weird name with addl, notice or peer. Only
	// then does the file name count (PathFromName).
	Path       string
	PathSource PathSource
	Format     Format
	// Time is the record's ts field; the zero Time when it has none.
	Time time.Time
	// Line is the record's line in the stream, counted from 1, and Offset
	// the byte offset where that line starts.
	Line   int
	Offset int64
	// Fields are the fields that have a value, in column order (TSV) or key
	// order (JSON). Unset fields are absent.
	Fields []Field

	// Storage reused from record to record: the canonical values are
	// written into arena, which becomes one string per record (one
	// allocation), and spans locate each field in it.
	arena []byte
	spans []span
	items []string
	isp   []ispan
}

// span locates one field's canonical value in the record's arena.
type span struct {
	name             string
	typ              Type
	start, end       int32
	itemLo, itemHi   int32 // range in Record.isp, for lists
	isList, hasItems bool
}

// ispan locates one element of a list in the arena.
type ispan struct{ start, end int32 }

func (r *Record) reset() {
	r.Path, r.PathSource, r.Format, r.Time, r.Line, r.Offset = "", PathUnknown, FormatUnknown, time.Time{}, 0, 0
	r.Fields = r.Fields[:0]
	r.arena = r.arena[:0]
	r.spans = r.spans[:0]
	r.isp = r.isp[:0]
	r.items = r.items[:0]
}

// finish turns the arena and spans into Fields, with one string allocation
// for all the values.
func (r *Record) finish() {
	s := string(r.arena)
	for i := range r.spans {
		sp := &r.spans[i]
		f := Field{Name: sp.name, Type: sp.typ, Value: s[sp.start:sp.end]}
		if sp.isList {
			lo := len(r.items)
			for _, it := range r.isp[sp.itemLo:sp.itemHi] {
				r.items = append(r.items, s[it.start:it.end])
			}
			f.Items = r.items[lo:len(r.items):len(r.items)]
		}
		r.Fields = append(r.Fields, f)
	}
}

// Get returns the field with the given name, if the record has it.
func (r *Record) Get(name string) (Field, bool) {
	for i := range r.Fields {
		if r.Fields[i].Name == name {
			return r.Fields[i], true
		}
	}
	return Field{}, false
}

// Has reports whether the record has a value for the field.
func (r *Record) Has(name string) bool {
	_, ok := r.Get(name)
	return ok
}

// Value returns the canonical value of the field, or "" when it is absent.
func (r *Record) Value(name string) string {
	f, _ := r.Get(name)
	return f.Value
}

// List returns the elements of a set or vector field; a single value is
// returned as a list of one. The slice is shared with the record.
func (r *Record) List(name string) []string {
	f, ok := r.Get(name)
	switch {
	case !ok:
		return nil
	case f.Type.IsList():
		return f.Items
	}
	return []string{f.Value}
}

// Uint returns a count or port field as a number.
func (r *Record) Uint(name string) (uint64, bool) {
	f, ok := r.Get(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(f.Value, 10, 64)
	return n, err == nil
}

// Int returns an int field as a number.
func (r *Record) Int(name string) (int64, bool) {
	f, ok := r.Get(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(f.Value, 10, 64)
	return n, err == nil
}

// Float returns a double, interval, count or int field as a number.
func (r *Record) Float(name string) (float64, bool) {
	f, ok := r.Get(name)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(f.Value, 64)
	return x, err == nil
}

// Bool returns a bool field.
func (r *Record) Bool(name string) (value, ok bool) {
	f, ok := r.Get(name)
	if !ok {
		return false, false
	}
	switch f.Value {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// Port returns a port field as a number; false when it is absent or out of
// the range of ports.
func (r *Record) Port(name string) (uint16, bool) {
	f, ok := r.Get(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(f.Value, 10, 16)
	return uint16(n), err == nil
}

// Addr returns an addr field as an IP address.
func (r *Record) Addr(name string) (netip.Addr, bool) {
	f, ok := r.Get(name)
	if !ok {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(f.Value)
	return a, err == nil
}

// TimeOf returns a time field.
func (r *Record) TimeOf(name string) (time.Time, bool) {
	f, ok := r.Get(name)
	if !ok {
		return time.Time{}, false
	}
	return parseCanonTime(f.Value)
}

// Duration returns an interval field.
func (r *Record) Duration(name string) (time.Duration, bool) {
	f, ok := r.Get(name)
	if !ok {
		return 0, false
	}
	return parseSeconds(f.Value)
}
