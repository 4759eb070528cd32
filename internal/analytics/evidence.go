package analytics

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// fullEvidence is the evidence of an event with all its fields, for the
// few events a finding is made of at once.
func fullEvidence(ev *event.Event) finding.Evidence {
	e := finding.EvidenceOf(ev)
	e.Fields = slices.Clone(ev.Fields)
	return e
}

// someEvidence is the evidence of an event with only the named fields,
// copied: analytics keep it for many events until the end of the hunt, and
// holding a few strings costs less than holding the whole record.
func someEvidence(ev *event.Event, names ...string) finding.Evidence {
	e := finding.EvidenceOf(ev)
	e.Fields = nil
	for _, n := range names {
		if v, ok := ev.Get(n); ok {
			e.Fields = append(e.Fields, event.Field{Name: n, Value: strings.Clone(v)})
		}
	}
	return e
}

// evidenceLess is a total order on evidence that does not depend on the
// order events were read in: by time, then file, position and record.
func evidenceLess(a, b *finding.Evidence) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Offset != b.Offset {
		return a.Offset < b.Offset
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	if a.RecordID != b.RecordID {
		return a.RecordID < b.RecordID
	}
	return a.EventID < b.EventID
}

// sortEvidence sorts evidence in the total order.
func sortEvidence(es []finding.Evidence) {
	slices.SortFunc(es, func(a, b finding.Evidence) int {
		switch {
		case evidenceLess(&a, &b):
			return -1
		case evidenceLess(&b, &a):
			return 1
		}
		return 0
	})
}

// evKey identifies an evidence event for finding ids: host, channel,
// record and time, as finding.EventKey does for events.
func evKey(host string, e *finding.Evidence) string {
	return host + "\x00" + e.Channel + "\x00" + strconv.Itoa(e.EventID) + "\x00" +
		strconv.FormatUint(e.RecordID, 10) + "\x00" + e.Time.UTC().Format(time.RFC3339Nano)
}

// fmtTime renders a time for explanations.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return event.FormatTime(t)
}

// fmtSpan renders a duration for people: "2m43s", "48h", "10m".
func fmtSpan(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	s := d.Round(time.Second).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// fmtCount renders an integer with thousands separators: 3,561.
func fmtCount(n int) string {
	s := strconv.Itoa(n)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	var b strings.Builder
	b.WriteString(sign)
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// field makes one explanation value.
func field(name, value string) event.Field { return event.Field{Name: name, Value: value} }

// isLoopback reports whether an address is the local host.
func isLoopback(a string) bool {
	a = strings.TrimPrefix(a, "::ffff:")
	return a == "::1" || strings.HasPrefix(a, "127.") || strings.EqualFold(a, "localhost")
}

// emptyValue reports whether a field value says "nothing": Windows writes
// "-" for absent names and addresses.
func emptyValue(v string) bool { return v == "" || v == "-" }

// unixNano is t in Unix nanoseconds, 0 for the zero time (whose UnixNano
// is undefined).
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
