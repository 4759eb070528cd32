// Package zeek reads the logs of the Zeek network security monitor, in both
// of the formats Zeek writes: its default tab-separated ASCII format (TSV)
// and JSON lines.
//
// # Reading
//
// A Reader takes a stream and reads records one at a time into a Record
// that the caller reuses, so a whole file is never held in memory:
//
//	zr := zeek.NewReader(f, "conn.log")
//	var rec zeek.Record
//	for {
//		err := zr.Next(&rec)
//		if err == io.EOF {
//			break
//		}
//		var le *zeek.LineError
//		if errors.As(err, &le) {
//			log.Print(le) // damage: report and go on
//			continue
//		}
//		if err != nil {
//			return err // not a Zeek log, or the stream failed
//		}
//		if rec.Path == "conn" {
//			c := rec.Conn()
//			...
//		}
//	}
//	if zr.Truncated() { ... }
//
// The format is told from the content (Detect), never from the file name.
// A TSV log is read by its header: the separators, the unset and empty
// markers, the field names and their types all come from the "#" lines,
// and a new header in the middle of a stream (rotated logs concatenated, or
// a Zeek restart) takes effect from where it appears. JSON lines carry no
// header; their key spellings are normalised (see NewReader) and the types of
// well-known fields come from a built-in table.
//
// Compressed logs are the caller's business: the Reader reads plain text.
// Decompress wraps a stream that starts with the gzip magic, and returns any
// other stream unchanged, for callers that do not decompress themselves.
//
// # Hostile input
//
// Logs come from sensors that watch attackers, and their values are
// attacker-controlled (user agents, URIs, server names). The reader never
// panics, loops or allocates without bound on any input: lines longer than
// Reader.MaxLine and headers or objects with more than Reader.MaxFields
// fields are reported as damage and skipped, JSON nesting is capped, and
// every damaged line is a *LineError after which reading goes on.
//
// # Canonical values
//
// Every field carries its value rendered to a canonical string, so that the
// same record read from TSV and from JSON compares equal:
//   - time: RFC 3339 in UTC with seven fraction digits, as the rest of
//     Breakwater renders times (2018-03-24T17:15:20.8657160Z), whether the
//     source wrote epoch seconds or an ISO 8601 string;
//   - interval and double: decimal with six fraction digits (60.000000), the
//     precision of Zeek's own ASCII writer: Zeek keeps times to the
//     microsecond, and the longer fractions of its JSON writer are binary
//     rounding noise of the same value;
//   - bool: true or false; count, int, port: the decimal number;
//   - string and enum: the text, unescaped;
//   - set and vector: the elements, each canonical, joined with "," in Value
//     and one by one in Items; an empty set is present with Value "";
//   - an unset value ("-" in TSV, null or a missing key in JSON) is absent.
package zeek

import (
	"errors"
	"fmt"
	"strings"
)

// Format is one of the two formats Zeek writes logs in.
type Format uint8

// Formats.
const (
	FormatUnknown Format = iota
	TSV                  // Zeek's ASCII writer: "#" header lines, then tab-separated values
	JSON                 // one JSON object per line
)

// String returns "tsv", "json" or "unknown".
func (f Format) String() string {
	switch f {
	case TSV:
		return "tsv"
	case JSON:
		return "json"
	}
	return "unknown"
}

// Errors returned by Detect and, for the whole stream, by Reader.Next; they
// are wrapped with the reason, so test them with errors.Is.
var (
	// ErrNotZeek means the stream is not a Zeek log.
	ErrNotZeek = errors.New("not a Zeek log")
	// ErrCompressed means the stream is gzip-compressed: see Decompress.
	ErrCompressed = errors.New("gzip-compressed (decompress it first)")
)

// LineError reports damage in one line of a log, or in a run of lines, that
// the Reader skipped. Reading can go on after it: call Next again.
type LineError struct {
	Name   string // the stream's name, as given to NewReader
	Line   int    // the first damaged line, counted from 1
	Lines  int    // how many consecutive lines were skipped (1 but for runs of data without a header)
	Offset int64  // byte offset of the first line in the (plain text) stream
	Reason string // what is wrong
}

// Error renders the error as "NAME:LINE: REASON", or "NAME:FIRST-LAST:
// REASON" for a run of lines.
func (e *LineError) Error() string {
	if e.Lines > 1 {
		return fmt.Sprintf("%s:%d-%d: %s", e.Name, e.Line, e.Line+e.Lines-1, e.Reason)
	}
	return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Reason)
}

// Kind is the type of a value, or of each element of a set or vector, as
// Zeek names them in the #types header line.
type Kind uint8

// Kinds. A type name this package does not know (a custom type, or a name
// from a future Zeek version) is KindUnknown, and its values are read as
// strings.
const (
	KindUnknown Kind = iota
	KindString
	KindEnum
	KindBool
	KindCount
	KindInt
	KindDouble
	KindTime
	KindInterval
	KindPort
	KindAddr
	KindSubnet
	KindPattern
)

// String returns Zeek's name for the kind.
func (k Kind) String() string {
	switch k {
	case KindString:
		return "string"
	case KindEnum:
		return "enum"
	case KindBool:
		return "bool"
	case KindCount:
		return "count"
	case KindInt:
		return "int"
	case KindDouble:
		return "double"
	case KindTime:
		return "time"
	case KindInterval:
		return "interval"
	case KindPort:
		return "port"
	case KindAddr:
		return "addr"
	case KindSubnet:
		return "subnet"
	case KindPattern:
		return "pattern"
	}
	return "unknown"
}

// Container says whether a value is a single value or a collection.
type Container uint8

// Containers. Zeek logs sets and vectors as lists of elements; older
// versions called a set "table[...]", which is read as a set.
const (
	Scalar Container = iota
	Set
	Vector
)

// Type is the Zeek type of a field: a kind, possibly inside a set or vector.
type Type struct {
	Container Container
	Kind      Kind // of the value, or of each element
}

// String returns the type as Zeek writes it in #types: "count",
// "set[string]", "vector[interval]".
func (t Type) String() string {
	switch t.Container {
	case Set:
		return "set[" + t.Kind.String() + "]"
	case Vector:
		return "vector[" + t.Kind.String() + "]"
	}
	return t.Kind.String()
}

// IsList reports whether values of the type are sets or vectors.
func (t Type) IsList() bool { return t.Container != Scalar }

// ParseType reads a type name from a #types header line. Unknown names give
// KindUnknown rather than an error, because a log with a type from a newer
// Zeek is still worth reading.
func ParseType(s string) Type {
	for _, c := range [...]struct {
		prefix string
		c      Container
	}{{"set[", Set}, {"vector[", Vector}, {"table[", Set}} {
		if strings.HasPrefix(s, c.prefix) && strings.HasSuffix(s, "]") {
			return Type{Container: c.c, Kind: parseKind(s[len(c.prefix) : len(s)-1])}
		}
	}
	return Type{Kind: parseKind(s)}
}

func parseKind(s string) Kind {
	switch s {
	case "string", "file", "func":
		return KindString
	case "enum":
		return KindEnum
	case "bool":
		return KindBool
	case "count", "counter":
		return KindCount
	case "int":
		return KindInt
	case "double":
		return KindDouble
	case "time":
		return KindTime
	case "interval":
		return KindInterval
	case "port":
		return KindPort
	case "addr":
		return KindAddr
	case "subnet":
		return KindSubnet
	case "pattern":
		return KindPattern
	}
	return KindUnknown
}
