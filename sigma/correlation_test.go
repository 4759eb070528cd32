package sigma

import (
	"cmp"
	"fmt"
	"math"
	"math/rand"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The tests of this file follow the correlation specification: one case
// per correlation type and per option. Every case is run over its events in
// the order written, reversed, shuffled, and spread over two Collectors,
// and must give the same matches and notes each time.

var corrBase = time.Date(2024, 2, 7, 10, 0, 0, 0, time.UTC)

// tev is an event written by a test: a time (offset from corrBase), an
// EventID and fields. Events of the Security channel.
type tev struct {
	at     time.Duration
	id     int // identity; 0 means the event's position (distinct events)
	fields []string
}

func (e *tev) Channel() string  { return "Security" }
func (e *tev) Provider() string { return "Microsoft-Windows-Security-Auditing" }
func (e *tev) EventID() int {
	for i := 0; i+1 < len(e.fields); i += 2 {
		if e.fields[i] == "EventID" {
			n, _ := strconv.Atoi(e.fields[i+1])
			return n
		}
	}
	return -1
}
func (e *tev) NumFields() int               { return len(e.fields) / 2 }
func (e *tev) Field(i int) (string, string) { return e.fields[2*i], e.fields[2*i+1] }

// tv makes an event at an offset such as "1m30s" with an event id and
// field/value pairs.
func tv(at string, eid int, kv ...string) tev {
	d, err := time.ParseDuration(at)
	if err != nil {
		panic(err)
	}
	return tev{at: d, fields: append([]string{"EventID", strconv.Itoa(eid)}, kv...)}
}

// baseRules are the single-event rules the correlations of the tests name.
const baseRules = `
title: Failed logon
id: 00000000-0000-4000-8000-000000004625
name: failed_logon
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4625}
    condition: selection
---
title: Successful logon
id: 00000000-0000-4000-8000-000000004624
name: successful_logon
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4624}
    condition: selection
---
title: Process created
name: process
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 4688}
    condition: selection
---
title: Share accessed
name: share
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 5140}
    condition: selection
---
title: File copied
name: transfer
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 5145}
    condition: selection
---
title: Internal error
name: internal_error
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 9001}
    condition: selection
---
title: New network connection
name: new_network_connection
logsource: {product: windows, service: security}
detection:
    selection: {EventID: 9002}
    condition: selection
`

// corrSet compiles the base rules and the correlations of src.
func corrSet(t *testing.T, src string) *CorrelationSet {
	t.Helper()
	coll, err := Parse("test.yml", []byte(baseRules+"\n---\n"+src))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	rs, err := Compile(coll.Rules, Config{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	cs, err := CompileCorrelations(coll.Correlations, rs)
	if err != nil {
		t.Fatalf("correlations: %v", err)
	}
	return cs
}

// offset renders a time as its offset from corrBase.
func offset(t time.Time) string { return t.Sub(corrBase).String() }

// renderMatch renders a match as one line: title, explanation, window and
// the positions of the evidence events.
func renderMatch(m *CorrelationMatch[int]) string {
	var refs []string
	for _, e := range m.Evidence {
		refs = append(refs, strconv.Itoa(e.Ref))
	}
	return fmt.Sprintf("%s: %s [%s..%s] ev=%s", m.Correlation.Title, m.Text(), offset(m.Start), offset(m.End), strings.Join(refs, ","))
}

// correlate runs the events through the set in one arrangement: the order
// of events and the number of Collectors they are spread over.
func correlate(cs *CorrelationSet, events []tev, order []int, ncol int, lim Limits) ([]string, []string) {
	cr := NewCorrelator[int](cs, lim, cmp.Compare[int])
	cols := make([]*Collector[int], ncol)
	ms := make([]*Matcher, ncol)
	for i := range cols {
		cols[i] = cr.NewCollector()
		ms[i] = cs.RuleSet().NewMatcher()
	}
	var hits []int
	for k, i := range order {
		c := k % ncol
		e := &events[i]
		id := uint64(i + 1)
		if e.id != 0 {
			id = uint64(e.id)
		}
		hits = ms[c].Match(e, hits[:0])
		for _, h := range hits {
			cols[c].Add(h, corrBase.Add(e.at), id, e, i)
		}
	}
	var out []string
	if err := cr.Finish(func(m *CorrelationMatch[int]) { out = append(out, renderMatch(m)) }); err != nil {
		panic(err)
	}
	return out, cr.Notes()
}

// runCorr runs the events in four arrangements, fails unless they agree,
// and returns the matches and notes.
func runCorr(t *testing.T, cs *CorrelationSet, events []tev, lim Limits) ([]string, []string) {
	t.Helper()
	n := len(events)
	inOrder := make([]int, n)
	for i := range inOrder {
		inOrder[i] = i
	}
	reversed := slices.Clone(inOrder)
	slices.Reverse(reversed)
	shuffled := slices.Clone(inOrder)
	rand.New(rand.NewSource(7)).Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	want, wantNotes := correlate(cs, events, inOrder, 1, lim)
	for _, a := range []struct {
		name  string
		order []int
		ncol  int
	}{{"reversed", reversed, 1}, {"shuffled", shuffled, 1}, {"two collectors", shuffled, 2}, {"three collectors reversed", reversed, 3}} {
		got, notes := correlate(cs, events, a.order, a.ncol, lim)
		if !slices.Equal(got, want) || !slices.Equal(notes, wantNotes) {
			t.Errorf("%s: input order changed the result:\n%s\n%s\nwant\n%s\n%s", a.name,
				strings.Join(got, "\n"), strings.Join(notes, "\n"), strings.Join(want, "\n"), strings.Join(wantNotes, "\n"))
		}
	}
	return want, wantNotes
}

func failed(at, user, ip string) tev {
	return tv(at, 4625, "TargetUserName", user, "IpAddress", ip)
}

type corrCase struct {
	name   string
	corr   string
	events []tev
	want   []string
	notes  []string // substrings, one per note
}

func checkCases(t *testing.T, cases []corrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cs := corrSet(t, tc.corr)
			got, notes := runCorr(t, cs, tc.events, Limits{})
			if !slices.Equal(got, tc.want) {
				t.Errorf("matches:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			if len(notes) != len(tc.notes) {
				t.Errorf("notes %q, want %d matching %q", notes, len(tc.notes), tc.notes)
				return
			}
			for i, n := range tc.notes {
				if !strings.Contains(notes[i], n) {
					t.Errorf("note %q does not say %q", notes[i], n)
				}
			}
		})
	}
}

// TestEventCount: "counts events occurring in the given time frame ... for
// each group specified by group-by separately"; the window is anchored on
// each event and includes events at exactly the timespan.
func TestEventCount(t *testing.T) {
	corr := func(cond string) string {
		return `
title: Many failed logons
correlation:
    type: event_count
    rules: [failed_logon]
    group-by: [TargetUserName]
    timespan: 5m
    condition: {` + cond + `}
`
	}
	burst := []tev{
		failed("0s", "bob", "10.0.0.1"), failed("1m", "bob", "10.0.0.1"), failed("2m", "alice", "10.0.0.1"),
		failed("5m", "bob", "10.0.0.1"), failed("6m", "alice", "10.0.0.1"), failed("20m", "alice", "10.0.0.1"),
	}
	sparse := []tev{failed("0s", "bob", "1"), failed("1m", "bob", "1"), failed("2m", "bob", "1"), failed("30m", "bob", "1")}
	checkCases(t, []corrCase{
		{name: "gte", corr: corr("gte: 3"), events: burst, want: []string{
			"Many failed logons: 3 events >= 3 within 5m, grouped by TargetUserName=bob [0s..5m0s] ev=0,1,3",
		}},
		{name: "just outside the timespan", corr: corr("gte: 3"), events: []tev{
			failed("0s", "bob", "1"), failed("1m", "bob", "1"), failed("300.000000001s", "bob", "1"),
		}},
		{name: "gt", corr: corr("gt: 2"), events: sparse, want: []string{
			"Many failed logons: 3 events > 2 within 5m, grouped by TargetUserName=bob [0s..2m0s] ev=0,1,2",
		}},
		{name: "lte: sliding windows find the tail of a burst", corr: corr("lte: 1"), events: sparse, want: []string{
			"Many failed logons: 1 events <= 1 within 5m, grouped by TargetUserName=bob [2m0s..2m0s] ev=2",
			"Many failed logons: 1 events <= 1 within 5m, grouped by TargetUserName=bob [30m0s..30m0s] ev=3",
		}},
		{name: "lt", corr: corr("lt: 2"), events: sparse[:3], want: []string{
			"Many failed logons: 1 events < 2 within 5m, grouped by TargetUserName=bob [2m0s..2m0s] ev=2",
		}},
		{name: "eq", corr: corr("eq: 2"), events: sparse, want: []string{
			"Many failed logons: 2 events = 2 within 5m, grouped by TargetUserName=bob [1m0s..2m0s] ev=1,2",
		}},
		{name: "neq", corr: corr("neq: 3"), events: sparse, want: []string{
			"Many failed logons: 2 events != 3 within 5m, grouped by TargetUserName=bob [1m0s..2m0s] ev=1,2",
			"Many failed logons: 1 events != 3 within 5m, grouped by TargetUserName=bob [30m0s..30m0s] ev=3",
		}},
		{name: "range by two", corr: corr("gt: 1, lte: 2"), events: sparse, want: []string{
			"Many failed logons: 2 events > 1 and <= 2 within 5m, grouped by TargetUserName=bob [1m0s..2m0s] ev=1,2",
		}},
		{name: "one match per timespan of a long activity", corr: corr("gte: 3"), events: func() []tev {
			var evs []tev
			for m := 0; m <= 12; m++ {
				evs = append(evs, failed(fmt.Sprintf("%dm", m), "bob", "1"))
			}
			return evs
		}(), want: []string{
			"Many failed logons: 6 events >= 3 within 5m, grouped by TargetUserName=bob [0s..5m0s] ev=0,1,2,3,4,5",
			"Many failed logons: 6 events >= 3 within 5m, grouped by TargetUserName=bob [6m0s..11m0s] ev=6,7,8,9,10,11",
		}},
		{name: "copies of one event count once", corr: corr("gte: 3"), events: []tev{
			failed("0s", "bob", "1"), {at: time.Minute, id: 99, fields: failed("0s", "bob", "1").fields},
			{at: time.Minute, id: 99, fields: failed("0s", "bob", "1").fields},
		}},
		{name: "a match without the group-by field is not counted", corr: corr("gte: 2"), events: []tev{
			failed("0s", "bob", "1"), tv("1m", 4625, "IpAddress", "1"), failed("2m", "bob", "1"),
		}, want: []string{
			"Many failed logons: 2 events >= 2 within 5m, grouped by TargetUserName=bob [0s..2m0s] ev=0,2",
		}, notes: []string{"1 matches of its rules lacked a group-by field (TargetUserName)"}},
	})
}

// TestGroupBy: several group-by fields are linked by AND; without group-by
// all events form one group; names that differ in case are found.
func TestGroupBy(t *testing.T) {
	checkCases(t, []corrCase{
		{name: "two fields", corr: `
title: Pair
correlation: {type: event_count, rules: [failed_logon], group-by: [TargetUserName, IpAddress], timespan: 5m, condition: {gte: 2}}
`, events: []tev{failed("0s", "bob", "10.0.0.1"), failed("1m", "bob", "10.0.0.2"), failed("2m", "bob", "10.0.0.1")},
			want: []string{"Pair: 2 events >= 2 within 5m, grouped by TargetUserName=bob, IpAddress=10.0.0.1 [0s..2m0s] ev=0,2"}},
		{name: "none", corr: `
title: All
correlation: {type: event_count, rules: [failed_logon], timespan: 5m, condition: {gte: 3}}
`, events: []tev{failed("0s", "bob", "10.0.0.1"), failed("1m", "eve", "10.0.0.2"), failed("2m", "amy", "10.0.0.1")},
			want: []string{"All: 3 events >= 3 within 5m [0s..2m0s] ev=0,1,2"}},
		{name: "case and spaces", corr: `
title: Folded
correlation: {type: event_count, rules: [failed_logon], group-by: [targetusername], timespan: 5m, condition: {gte: 2}}
`, events: []tev{tv("0s", 4625, "Target User Name", "bob"), failed("1m", "bob", "1")},
			want: []string{"Folded: 2 events >= 2 within 5m, grouped by targetusername=bob [0s..1m0s] ev=0,1"}},
	})
}

// TestValueCount: "counts values in a field defined by field ... separately
// for each group"; evidence shows one event per distinct value first.
func TestValueCount(t *testing.T) {
	corr := `
title: Password spray
correlation:
    type: value_count
    rules: [failed_logon]
    group-by: [IpAddress]
    timespan: 5m
    condition:
        field: TargetUserName
        gte: 3
`
	checkCases(t, []corrCase{
		{name: "distinct", corr: corr, events: []tev{
			failed("0s", "a", "10.0.0.1"), failed("10s", "a", "10.0.0.1"), failed("20s", "b", "10.0.0.1"), failed("30s", "c", "10.0.0.1"),
			failed("0s", "a", "10.0.0.2"), failed("10s", "a", "10.0.0.2"), failed("20s", "a", "10.0.0.2"), failed("30s", "a", "10.0.0.2"),
		}, want: []string{
			"Password spray: 3 distinct TargetUserName >= 3 within 5m, grouped by IpAddress=10.0.0.1 [0s..30s] ev=0,1,2,3",
		}},
		{name: "missing value", corr: corr, events: []tev{
			failed("0s", "a", "10.0.0.1"), tv("10s", 4625, "IpAddress", "10.0.0.1"), failed("20s", "b", "10.0.0.1"),
		}, notes: []string{"1 matches of its rules had no TargetUserName"}},
	})
}

// TestTemporal: "all events defined by the rules ... must occur in the time
// frame", in any order, with the same group-by values.
func TestTemporal(t *testing.T) {
	corr := `
title: Recon
correlation:
    type: temporal
    rules: [process, share, failed_logon]
    group-by: [SubjectUserName]
    timespan: 5m
`
	user := func(at string, eid int, u string) tev { return tv(at, eid, "SubjectUserName", u) }
	checkCases(t, []corrCase{
		{name: "all three", corr: corr, events: []tev{
			user("0s", 4688, "x"), user("2m", 5140, "x"), user("4m", 4625, "x"),
			user("0s", 4688, "y"), user("10m", 5140, "y"), user("12m", 4625, "y"),
			user("0s", 4625, "z"), user("1m", 5140, "z"), user("1m", 4688, "z"),
		}, want: []string{
			"Recon: all 3 rules of process, share, failed_logon within 5m, grouped by SubjectUserName=x [0s..4m0s] ev=0,1,2",
			"Recon: all 3 rules of process, share, failed_logon within 5m, grouped by SubjectUserName=z [0s..1m0s] ev=6,7,8",
		}},
		{name: "condition counts rules", corr: strings.Replace(corr, "timespan: 5m", "timespan: 5m\n    condition: {gte: 2}", 1), events: []tev{
			user("0s", 4688, "y"), user("10m", 5140, "y"), user("12m", 4625, "y"),
		}, want: []string{
			"Recon: 2 rules >= 2 of process, share, failed_logon within 5m, grouped by SubjectUserName=y [10m0s..12m0s] ev=1,2",
		}},
	})
}

// TestTemporalOrdered: like temporal, and "the events appear in the order
// provided in the rule attribute".
func TestTemporalOrdered(t *testing.T) {
	corr := `
title: Process then share
correlation:
    type: temporal_ordered
    rules: [process, share]
    group-by: [SubjectUserName]
    timespan: 5m
`
	user := func(at string, eid int, u string) tev { return tv(at, eid, "SubjectUserName", u) }
	checkCases(t, []corrCase{
		{name: "order", corr: corr, events: []tev{
			user("0s", 4688, "x"), user("1m", 5140, "x"),
			user("0s", 5140, "y"), user("1m", 4688, "y"),
			user("3m", 5140, "w"), user("3m", 4688, "w"),
			user("0s", 4688, "v"), user("6m", 5140, "v"),
		}, want: []string{
			"Process then share: all 2 rules in order of process, share within 5m, grouped by SubjectUserName=x [0s..1m0s] ev=0,1",
			"Process then share: all 2 rules in order of process, share within 5m, grouped by SubjectUserName=w [3m0s..3m0s] ev=4,5",
		}},
	})
}

// TestMetrics: value_sum, value_avg and value_percentile (Sigma 2.1)
// measure the numeric values of the field.
func TestMetrics(t *testing.T) {
	xfer := func(at, user, size string) tev { return tv(at, 5145, "SubjectUserName", user, "Size", size) }
	corr := func(typ, cond string) string {
		return `
title: Volume
correlation:
    type: ` + typ + `
    rules: [transfer]
    group-by: [SubjectUserName]
    timespan: 1h
    condition: {field: Size, ` + cond + `}
`
	}
	checkCases(t, []corrCase{
		{name: "sum", corr: corr("value_sum", "gt: 1000"), events: []tev{
			xfer("0s", "x", "400"), xfer("10m", "x", "500"), xfer("20m", "x", "0xC8"), xfer("30m", "x", "big"),
			xfer("0s", "y", "400"), xfer("2h", "y", "900"),
		}, want: []string{
			"Volume: sum of Size 1100 > 1000 within 1h, grouped by SubjectUserName=x [0s..20m0s] ev=0,1,2",
		}, notes: []string{"1 matches of its rules had no numeric Size"}},
		{name: "avg", corr: corr("value_avg", "gte: 300"), events: []tev{
			xfer("0s", "x", "100"), xfer("1m", "x", "500"), xfer("0s", "y", "400"), xfer("1m", "y", "100"),
		}, want: []string{
			"Volume: average of Size 300 >= 300 within 1h, grouped by SubjectUserName=x [0s..1m0s] ev=0,1",
		}},
		{name: "percentile", corr: corr("value_percentile", "percentile: 90, gte: 1000"), events: func() []tev {
			var evs []tev
			for i, v := range []string{"10", "20", "30", "40", "50", "60", "70", "80", "1500", "2000"} {
				evs = append(evs, xfer(fmt.Sprintf("%dm", i), "x", v))
			}
			for i, v := range []string{"2000", "10", "20", "30", "40", "50", "60", "70", "80", "90"} {
				evs = append(evs, xfer(fmt.Sprintf("%dm", i), "y", v))
			}
			return evs
		}(), want: []string{
			"Volume: 90th percentile of Size 1500 >= 1000 within 1h, grouped by SubjectUserName=x [0s..9m0s] ev=0,1,2,3,4,5,6,7,8,9",
		}},
		{name: "median by default", corr: corr("value_percentile", "gte: 40"), events: []tev{
			xfer("0s", "x", "10"), xfer("1m", "x", "50"), xfer("2m", "x", "40"),
		}, want: []string{
			"Volume: 50th percentile of Size 40 >= 40 within 1h, grouped by SubjectUserName=x [0s..2m0s] ev=0,1,2",
		}},
	})
}

// TestAliases follows the specification's example: an alias names, per
// rule, the field that holds the group's value in that rule's events.
func TestAliases(t *testing.T) {
	corr := `
title: Error after connection
correlation:
    type: temporal
    rules: [internal_error, new_network_connection]
    group-by: [internal_ip, remote_ip]
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
`
	checkCases(t, []corrCase{{name: "spec example", corr: corr, events: []tev{
		tv("0s", 9001, "destination.ip", "10.0.0.5", "source.ip", "8.8.8.8"),
		tv("5s", 9002, "source.ip", "10.0.0.5", "destination.ip", "8.8.8.8"),
		tv("0s", 9001, "destination.ip", "10.0.0.6", "source.ip", "8.8.8.8"),
		tv("5s", 9002, "source.ip", "8.8.8.8", "destination.ip", "10.0.0.6"),
	}, want: []string{
		"Error after connection: all 2 rules of internal_error, new_network_connection within 10s, grouped by internal_ip=10.0.0.5, remote_ip=8.8.8.8 [0s..5s] ev=0,1",
	}}})
}

// chainRules is the specification's example "Failed Logins Followed by
// Successful Login", with a threshold of 3.
const chainRules = `
title: Multiple failed logons followed by a successful logon
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_logon
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - 00000000-0000-4000-8000-000000004625
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 3
`

// TestChain: correlations name correlations; a named correlation's match
// occurs when its condition first held, and is not reported itself unless
// the correlation naming it generates.
func TestChain(t *testing.T) {
	user := func(at string, eid int, u string) tev { return tv(at, eid, "User", u) }
	events := []tev{
		user("0s", 4625, "bob"), user("1m", 4625, "bob"), user("2m", 4625, "bob"), user("3m", 4625, "bob"), user("4m", 4624, "bob"),
		user("0s", 4624, "amy"), user("1m", 4625, "amy"), user("2m", 4625, "amy"), user("3m", 4625, "amy"),
		user("0s", 4625, "cat"), user("1m", 4625, "cat"), user("2m", 4625, "cat"), user("3m", 4624, "cat"), user("4m", 4625, "cat"),
	}
	checkCases(t, []corrCase{
		{name: "spec example", corr: chainRules, events: events, want: []string{
			"Multiple failed logons followed by a successful logon: all 2 rules in order of multiple_failed_login, successful_logon within 10m, grouped by User=bob [2m0s..4m0s] ev=3,4",
			"Multiple failed logons followed by a successful logon: all 2 rules in order of multiple_failed_login, successful_logon within 10m, grouped by User=cat [2m0s..3m0s] ev=13,12",
		}},
		{name: "generate", corr: strings.Replace(chainRules, "level: high", "level: high\ngenerate: true", 1), events: events[:5], want: []string{
			"Multiple failed logons: 4 events >= 3 within 10m, grouped by User=bob [0s..3m0s] ev=0,1,2,3",
			"Multiple failed logons followed by a successful logon: all 2 rules in order of multiple_failed_login, successful_logon within 10m, grouped by User=bob [2m0s..4m0s] ev=3,4",
		}},
	})
	cs := corrSet(t, chainRules)
	for i := 0; i < cs.RuleSet().Len(); i++ {
		r := cs.RuleSet().Rule(i)
		feeds := r.Name == "failed_logon" || r.Name == "successful_logon"
		if cs.Feeds(i) != feeds || cs.Reported(i) == feeds {
			t.Errorf("rule %s: feeds %v, reported %v", r.Name, cs.Feeds(i), cs.Reported(i))
		}
	}
}

// TestChainCarries: a spray (distinct users from one address) followed by
// a successful logon of one of the sprayed users; the chain groups by a
// field the spray counts rather than groups by, which its matches carry.
func TestChainCarries(t *testing.T) {
	corr := `
title: Spray then success
correlation:
    type: temporal_ordered
    rules: [spray, successful_logon]
    group-by: [TargetUserName]
    timespan: 10m
---
title: Spray
name: spray
correlation:
    type: value_count
    rules: [failed_logon]
    group-by: [ip]
    timespan: 5m
    condition: {field: TargetUserName, gte: 3}
    aliases:
        ip:
            failed_logon: IpAddress
`
	checkCases(t, []corrCase{{name: "carried", corr: corr, events: []tev{
		failed("0s", "a", "10.0.0.1"), failed("1m", "b", "10.0.0.1"), failed("2m", "c", "10.0.0.1"),
		tv("3m", 4624, "TargetUserName", "b", "IpAddress", "10.0.0.1"),
		tv("3m", 4624, "TargetUserName", "z", "IpAddress", "10.0.0.1"),
	}, want: []string{
		"Spray then success: all 2 rules in order of spray, successful_logon within 10m, grouped by TargetUserName=b [2m0s..3m0s] ev=2,3",
	}}})
}

// TestCorrelationProblems: correlations that cannot run are reported, and
// the others still run.
func TestCorrelationProblems(t *testing.T) {
	src := `
title: Unknown
correlation: {type: event_count, rules: [nothing_here], timespan: 5m, condition: {gte: 1}}
---
title: Loop A
name: loop_a
correlation: {type: temporal, rules: [loop_b, process], timespan: 5m}
---
title: Loop B
name: loop_b
correlation: {type: temporal, rules: [loop_a, process], timespan: 5m}
---
title: On a broken one
correlation: {type: temporal, rules: [loop_a, share], timespan: 5m}
---
title: Fine
correlation: {type: event_count, rules: [process], timespan: 5m, condition: {gte: 1}}
`
	coll, err := Parse("test.yml", []byte(baseRules+"\n---\n"+src))
	if err != nil {
		t.Fatal(err)
	}
	rs, _ := Compile(coll.Rules, Config{})
	cs, err := CompileCorrelations(coll.Correlations, rs)
	if err == nil {
		t.Error("no error")
	}
	got := map[string]string{}
	for _, p := range cs.Problems() {
		got[p.Correlation.Title] = p.Err.Error()
	}
	for title, want := range map[string]string{
		"Unknown":         `rule "nothing_here" names no loaded rule or correlation`,
		"Loop A":          "cycle",
		"Loop B":          "cycle",
		"On a broken one": `correlation that cannot run`,
		"Fine":            "",
	} {
		if !strings.Contains(got[title], want) || (want == "") != (got[title] == "") {
			t.Errorf("%s: problem %q, want %q", title, got[title], want)
		}
	}
	if cs.Len() != 1 || cs.Correlation(0).Title != "Fine" {
		t.Errorf("%d usable correlations", cs.Len())
	}
}

// TestCaps: over its caps a correlation keeps the keys of smallest hash and
// the earliest matches of each key, the same whatever the order of input,
// and says what it dropped.
func TestCaps(t *testing.T) {
	cs := corrSet(t, `
title: Any
correlation: {type: event_count, rules: [failed_logon], group-by: [TargetUserName], timespan: 1h, condition: {gte: 1}}
`)
	var events []tev
	for u := 0; u < 10; u++ {
		for k := 0; k < 5; k++ {
			events = append(events, failed(fmt.Sprintf("%dm", k), fmt.Sprintf("user%d", u), "1"))
		}
	}
	got, notes := runCorr(t, cs, events, Limits{MaxKeys: 4, MaxValues: 3})
	if len(got) != 4 {
		t.Errorf("%d matches, want 4 (one per key kept):\n%s", len(got), strings.Join(got, "\n"))
	}
	for _, m := range got {
		if !strings.HasPrefix(m, "Any: 3 events >= 1") {
			t.Errorf("match %q: want the 3 earliest events of a key", m)
		}
	}
	want := []string{
		`correlation "Any": 6 group keys beyond the cap (4 keys, 1000000 matches) were dropped with their 30 matches`,
		`correlation "Any": 4 group keys had more than 3 matches; their 8 latest matches were not counted`,
	}
	if len(notes) != len(want) {
		t.Fatalf("notes %q", notes)
	}
	for i := range want {
		if !strings.HasPrefix(notes[i], want[i]) {
			t.Errorf("note %q, want %q", notes[i], want[i])
		}
	}
	// A cap on matches over all keys drops keys too.
	got, notes = runCorr(t, cs, events, Limits{MaxRecords: 12})
	if len(got) != 2 || len(notes) != 1 || !strings.Contains(notes[0], "8 group keys beyond the cap") {
		t.Errorf("MaxRecords: %d matches, notes %q", len(got), notes)
	}
}

func TestFormatTimespan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		5 * time.Minute: "5m", 90 * time.Minute: "90m", time.Hour: "1h", 48 * time.Hour: "2d",
		14 * 24 * time.Hour: "2w", 45 * time.Second: "45s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := FormatTimespan(d); got != want {
			t.Errorf("FormatTimespan(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSplitLP(t *testing.T) {
	long := strings.Repeat("x", 300)
	vals := []string{"", "a\x00b", long, "\x7f\x80"}
	var b []byte
	for _, v := range vals {
		b = appendLP(b, v)
	}
	if got := splitLP(string(b)); !slices.Equal(got, vals) {
		t.Errorf("splitLP = %q", got)
	}
	// Damaged input never panics.
	splitLP("\xff\xff")
	splitLP("\x05ab")
}

// fuzzCorrelations use every type, a chain, aliases and carried values,
// with thresholds small enough for random events to reach.
const fuzzCorrelations = `
title: Count
correlation: {type: event_count, rules: [failed_logon, successful_logon], group-by: [K], timespan: 30s, condition: {gte: 2, lt: 6}}
---
title: Distinct
name: distinct
correlation: {type: value_count, rules: [failed_logon], group-by: [K], timespan: 1m, condition: {field: V, gte: 2}}
---
title: Chain
correlation: {type: temporal_ordered, rules: [distinct, successful_logon], group-by: [V], timespan: 1m, generate: true}
---
title: Together
correlation:
    type: temporal
    rules: [process, share]
    group-by: [k]
    timespan: 20s
    aliases: {k: {process: K, share: V}}
---
title: Sum
correlation: {type: value_sum, rules: [transfer], group-by: [K], timespan: 1m, condition: {field: V, gt: 10}}
---
title: Avg
correlation: {type: value_avg, rules: [transfer], timespan: 1m, condition: {field: V, gte: 4}}
---
title: Pct
correlation: {type: value_percentile, rules: [transfer], group-by: [K], timespan: 1m, condition: {field: V, percentile: 75, neq: 3}}
`

// FuzzCorrelate: whatever the events, correlating never fails, and the
// matches and notes do not depend on the order of input or the number of
// Collectors, within caps or beyond them.
func FuzzCorrelate(f *testing.F) {
	f.Add([]byte{0, 0, 1, 2, 0, 1, 1, 3, 1, 2, 1, 3, 2, 3, 0, 0, 3, 4, 0, 1, 4, 5, 2, 9, 4, 6, 2, 7})
	f.Add([]byte("some random bytes that make a few events, and copies of them"))
	cs := corrSetF(f, fuzzCorrelations)
	eids := []int{4625, 4624, 4688, 5140, 5145}
	f.Fuzz(func(t *testing.T, data []byte) {
		var events []tev
		for i := 0; i+3 < len(data) && len(events) < 200; i += 4 {
			e := tv("0s", eids[int(data[i])%len(eids)], "K", strconv.Itoa(int(data[i+2]%4)), "V", strconv.Itoa(int(data[i+3]%8)))
			e.at = time.Duration(data[i+1]) * time.Second
			if data[i]&0x80 != 0 && len(events) > 0 { // a copy of the previous event
				e = events[len(events)-1]
				e.id = len(events)
				events[len(events)-1].id = len(events)
			}
			events = append(events, e)
		}
		for _, lim := range []Limits{{}, {MaxKeys: 2, MaxValues: 3, MaxRecords: 7, MaxEvidence: 2}} {
			order := make([]int, len(events))
			for i := range order {
				order[i] = i
			}
			want, wantNotes := correlate(cs, events, order, 1, lim)
			slices.Reverse(order)
			got, notes := correlate(cs, events, order, 2, lim)
			if !slices.Equal(got, want) || !slices.Equal(notes, wantNotes) {
				t.Fatalf("order changed the result:\n%s\n%s\nwant\n%s\n%s", strings.Join(got, "\n"), strings.Join(notes, "\n"),
					strings.Join(want, "\n"), strings.Join(wantNotes, "\n"))
			}
		}
	})
}

// corrSetF is corrSet for a fuzz target.
func corrSetF(f *testing.F, src string) *CorrelationSet {
	coll, err := Parse("test.yml", []byte(baseRules+"\n---\n"+src))
	if err != nil {
		f.Fatalf("parse: %v", err)
	}
	rs, err := Compile(coll.Rules, Config{})
	if err != nil {
		f.Fatalf("compile: %v", err)
	}
	cs, err := CompileCorrelations(coll.Correlations, rs)
	if err != nil || cs.Len() != 7 {
		f.Fatalf("correlations: %v (%d)", err, cs.Len())
	}
	return cs
}

func TestNanos(t *testing.T) {
	for _, tc := range []struct {
		t    time.Time
		want int64
	}{
		{time.Time{}, math.MinInt64},
		{time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC), math.MinInt64 + 1},
		{time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), math.MaxInt64},
		{corrBase, corrBase.UnixNano()},
	} {
		if got := nanos(tc.t); got != tc.want {
			t.Errorf("nanos(%v) = %d, want %d", tc.t, got, tc.want)
		}
	}
	if !timeOf(math.MinInt64).IsZero() || !timeOf(corrBase.UnixNano()).Equal(corrBase) {
		t.Error("timeOf does not invert nanos")
	}
}
