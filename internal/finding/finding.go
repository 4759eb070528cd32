// Package finding defines what detectors report: a Finding, with its
// deterministic id, its evidence (the events that made it) and an
// explanation a person can check; and the order findings are reported in.
package finding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
)

// Kind says which kind of detector made a finding.
type Kind string

// The kinds of detectors.
const (
	KindSigma       Kind = "sigma"
	KindCorrelation Kind = "correlation"
	KindAnalytic    Kind = "analytic"
	KindNetwork     Kind = "network"
)

// Level is how serious a finding is.
type Level int

// Levels, in increasing order; the zero value is "informational".
const (
	Informational Level = iota
	Low
	Medium
	High
	Critical
)

var levelNames = [...]string{"informational", "low", "medium", "high", "critical"}

func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return "level(" + strconv.Itoa(int(l)) + ")"
	}
	return levelNames[l]
}

// ParseLevel reads a level name, case-insensitively.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if strings.EqualFold(s, n) {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("unknown level %q: want one of %s", s, strings.Join(levelNames[:], ", "))
}

// Finding is one thing a detector found.
type Finding struct {
	ID         string
	Kind       Kind
	RuleID     string
	Rule       string // the rule's or analytic's title
	Level      Level
	Time       time.Time // of the first evidence event
	Host       string
	User       string
	Techniques []string // ATT&CK technique ids, "T1003.003"
	Tactics    []string // ATT&CK tactic names, "credential-access"
	Summary    string   // one line a person can read
	Evidence   []Evidence
	// EvidenceTotal counts all the events behind the finding when Evidence
	// lists only some of them (correlations); 0 means Evidence is complete.
	EvidenceTotal int
	Explain       Explanation
}

// Evidence is one event behind a finding, with where to find it.
type Evidence struct {
	File     string
	RecordID uint64
	Offset   int64 // byte offset in File, or -1
	Line     int   // line in File for text formats, 0 otherwise
	Channel  string
	EventID  int
	Time     time.Time
	Fields   []event.Field
}

// EvidenceOf makes the evidence entry for an event.
func EvidenceOf(e *event.Event) Evidence {
	off := e.Source.Offset
	if e.Source.Line > 0 {
		off = -1
	}
	return Evidence{File: e.Source.File, RecordID: e.RecordID, Offset: off, Line: e.Source.Line,
		Channel: e.Channel, EventID: e.EventID, Time: e.Time, Fields: e.Fields}
}

// Explanation says why a finding was made, in terms a person can check
// against the evidence.
type Explanation struct {
	// Condition is the rule's condition, for rules.
	Condition string
	// Matches are the field values that satisfied the rule's selections.
	Matches []Match
	// Text is a sentence, for correlations and analytics ("42 distinct
	// TargetUserName >= 10 within 5m, grouped by IpAddress=172.16.144.128").
	Text string
	// Values are named measurements behind the finding (group keys,
	// scores), in a stable order.
	Values []event.Field
}

// Match is one field value that satisfied part of a rule.
type Match struct {
	Selection string // the selection (search identifier) it belongs to
	Field     string // empty for keyword searches
	Modifiers string // "contains|all", empty for plain equality
	Pattern   string // the rule's value that matched
	Value     string // the event's value
}

// EventKey identifies an event whatever copy of a log it was read from:
// two exports of the same record have the same key.
func EventKey(e *event.Event) string {
	var b strings.Builder
	b.WriteString(e.Computer)
	b.WriteByte(0)
	b.WriteString(e.Channel)
	b.WriteByte(0)
	b.WriteString(strconv.Itoa(e.EventID))
	b.WriteByte(0)
	b.WriteString(strconv.FormatUint(e.RecordID, 10))
	b.WriteByte(0)
	b.WriteString(e.Time.UTC().Format(time.RFC3339Nano))
	if e.RecordID == 0 {
		// Without a record number the content itself tells events apart.
		for _, f := range e.Fields {
			b.WriteByte(0)
			b.WriteString(f.Name)
			b.WriteByte('=')
			b.WriteString(f.Value)
		}
	}
	return b.String()
}

// NewID returns a deterministic finding id from the detector, the rule and
// the keys of the evidence events: the same input gives the same id in
// every run and whatever copy of a log the events came from.
func NewID(kind Kind, ruleID string, keys ...string) string {
	h := sha256.New()
	h.Write([]byte(kind))
	h.Write([]byte{0})
	h.Write([]byte(ruleID))
	for _, k := range keys {
		h.Write([]byte{0})
		h.Write([]byte(k))
	}
	return hex.EncodeToString(h.Sum(nil)[:10])
}

// Sort puts findings in report order: by time, then host, rule and id, so
// that output does not depend on the order inputs were read in.
func Sort(fs []*Finding) {
	sort.Slice(fs, func(i, j int) bool { return Less(fs[i], fs[j]) })
}

// Less is the report order.
func Less(a, b *Finding) bool {
	if !a.Time.Equal(b.Time) {
		return a.Time.Before(b.Time)
	}
	if a.Host != b.Host {
		return a.Host < b.Host
	}
	if a.RuleID != b.RuleID {
		return a.RuleID < b.RuleID
	}
	return a.ID < b.ID
}

// MaxCopies bounds the evidence a finding lists once findings are merged:
// a folder may hold the same log many times over, and memory must not grow
// with that. EvidenceTotal still counts every entry.
const MaxCopies = 16

// Merge adds to f what o, a finding with the same id made from another
// copy of the same events (the same log in two folders, or a case saved
// twice), brings: its evidence entries that f lacks, and its explanation
// when f has none (a detector may explain only one of the copies). The
// result does not depend on the order findings are merged in: evidence is
// kept in report order, capped at MaxCopies with the total counted, and of
// the entries that are copies of one event only the first keeps the
// event's fields.
func (f *Finding) Merge(o *Finding) {
	if f.Explain.Condition == "" && f.Explain.Text == "" && (o.Explain.Condition != "" || o.Explain.Text != "") {
		f.Explain, f.Summary = o.Explain, o.Summary
	}
	total := max(f.EvidenceTotal, len(f.Evidence))
	n := len(f.Evidence)
	for _, e := range o.Evidence {
		dup := false
		for _, have := range f.Evidence {
			if have.File == e.File && have.Offset == e.Offset && have.Line == e.Line {
				dup = true
				break
			}
		}
		if !dup {
			f.Evidence = append(f.Evidence, e)
		}
	}
	added := len(f.Evidence) - n
	if added == 0 {
		return
	}
	total += added
	sort.SliceStable(f.Evidence, func(i, j int) bool {
		a, b := f.Evidence[i], f.Evidence[j]
		if !a.Time.Equal(b.Time) {
			return a.Time.Before(b.Time)
		}
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Offset < b.Offset
	})
	shareFields(f.Evidence)
	if len(f.Evidence) > MaxCopies {
		f.Evidence = f.Evidence[:MaxCopies:MaxCopies]
		shareFields(f.Evidence)
	}
	if total > len(f.Evidence) {
		f.EvidenceTotal = total
	}
}

// shareFields leaves the fields of each event on the first of its copies
// only: copies of one record (same record number, channel, event id and
// time) carry the same fields, and repeating them costs memory and output
// for nothing.
func shareFields(evs []Evidence) {
	type copyKey struct {
		record  uint64
		channel string
		id      int
		time    int64
	}
	key := func(e *Evidence) copyKey { return copyKey{e.RecordID, e.Channel, e.EventID, e.Time.UnixNano()} }
	fields := make(map[copyKey][]event.Field, len(evs))
	for i := range evs {
		if e := &evs[i]; e.RecordID != 0 && len(e.Fields) > 0 {
			if _, ok := fields[key(e)]; !ok {
				fields[key(e)] = e.Fields
			}
		}
	}
	first := make(map[copyKey]bool, len(evs))
	for i := range evs {
		e := &evs[i]
		if e.RecordID == 0 {
			continue // without a record number, copies cannot be told
		}
		k := key(e)
		if first[k] {
			e.Fields = nil
			continue
		}
		first[k] = true
		if len(e.Fields) == 0 {
			e.Fields = fields[k]
		}
	}
}
