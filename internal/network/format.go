package network

import (
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// field makes one explanation value.
func field(name, value string) event.Field { return event.Field{Name: name, Value: value} }

// f3 renders a score as RITA shows it: three decimals.
func f3(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// f4 renders a ratio with four decimals.
func f4(v float64) string { return strconv.FormatFloat(v, 'f', 4, 64) }

// fmtNum renders a measurement without trailing zeros: 42, 0.5, 270036.63.
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func round2(v float64) float64 { return math.Round(v*100) / 100 }
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }

// fmtSec renders a time in seconds since the epoch.
func fmtSec(sec int64) string { return event.FormatTime(time.Unix(sec, 0).UTC()) }

// fmtMicro renders a time in microseconds since the epoch.
func fmtMicro(us int64) string { return event.FormatTime(time.UnixMicro(us).UTC()) }

// fmtSpan renders a duration for people: "4m16s", "75h0m37s", "0.1s".
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

// fmtCount renders an integer with thousands separators: 1,679,442.
func fmtCount(n int) string { return fmtCount64(int64(n)) }

func fmtCount64(n int64) string {
	if n < 0 {
		return "-" + fmtCount64(-n)
	}
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func joinInts(v []int) string {
	var b strings.Builder
	for i, n := range v {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

func joinAddrs(v []netip.Addr) string {
	s := make([]string, len(v))
	for i, a := range v {
		s[i] = a.String()
	}
	return strings.Join(s, " ")
}

// plural renders a count and a noun: "1 host", "3 hosts".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmtCount(n) + " " + noun + "s"
}

// evidenceCmp is a total order on evidence that does not depend on the
// order inputs were read in.
func evidenceCmp(a, b finding.Evidence) int {
	if !a.Time.Equal(b.Time) {
		return a.Time.Compare(b.Time)
	}
	if a.File != b.File {
		return strings.Compare(a.File, b.File)
	}
	if a.Line != b.Line {
		return a.Line - b.Line
	}
	if a.Offset != b.Offset {
		if a.Offset < b.Offset {
			return -1
		}
		return 1
	}
	return strings.Compare(a.Channel, b.Channel)
}

func sortEvidence(es []finding.Evidence) { slices.SortStableFunc(es, evidenceCmp) }

// itemEv is the evidence of a stored event.
func itemEv(it *item) finding.Evidence {
	e := finding.Evidence{File: it.file, RecordID: it.record, Offset: it.offset, Line: int(it.line), Channel: it.channel,
		EventID: int(it.eventID), Time: time.UnixMicro(it.ts).UTC()}
	if e.Line > 0 {
		e.Offset = -1
	}
	for _, f := range it.fields {
		e.Fields = append(e.Fields, field(f.name, f.value))
	}
	return e
}
