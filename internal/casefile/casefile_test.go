package casefile

import (
	"bytes"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

func at(min int) time.Time {
	return time.Date(2024, 2, 7, 10, 0, 0, 0, time.UTC).Add(time.Duration(min)*time.Minute + 1234567*100)
}

func evidence(file string, rec uint64, t time.Time, fields ...string) finding.Evidence {
	e := finding.Evidence{File: file, RecordID: rec, Offset: int64(rec) * 512, Channel: "Security", EventID: 4688, Time: t}
	for i := 0; i+1 < len(fields); i += 2 {
		e.Fields = append(e.Fields, event.Field{Name: fields[i], Value: fields[i+1]})
	}
	return e
}

// ntdsutil is a finding read from one copy of a log.
func ntdsutil(file string) *finding.Finding {
	return &finding.Finding{
		ID: "a1b2c3", Kind: finding.KindSigma, RuleID: "bw-vt-ntdsutil", Rule: "ntdsutil IFM", Level: finding.Critical,
		Time: at(47), Host: "DC01", User: `CORP\admin`, Techniques: []string{"T1003.003"}, Tactics: []string{"credential-access"},
		Summary:  `ntdsutil "ac i ntds" ifm`,
		Evidence: []finding.Evidence{evidence(file, 7788, at(47), "CommandLine", `ntdsutil "ac i ntds" ifm`, "Data", "1", "X", "2", "Data", "3")},
		Explain: finding.Explanation{Condition: "selection", Matches: []finding.Match{
			{Selection: "selection", Field: "CommandLine", Modifiers: "contains", Pattern: "ifm", Value: `ntdsutil "ac i ntds" ifm`}}},
	}
}

func sampleReport() *finding.Report {
	return &finding.Report{
		Started:  time.Date(2024, 3, 1, 9, 0, 0, 123456789, time.UTC),
		Finished: time.Date(2024, 3, 1, 9, 0, 42, 0, time.UTC),
		Settings: []finding.Setting{{Name: "rules", Value: "builtin"}, {Name: "min-level", Value: "low"}},
		Inputs: []finding.Input{
			{Name: "logs/DC01/Security.evtx", Format: "evtx", Size: 1 << 20, Events: 5120, Damaged: 1},
			{Name: "logs/WEB01/export.json", Format: "evtx-json", Size: 52000, Events: 300},
		},
		Skipped:     []finding.Skipped{{Name: "logs/readme.txt", Reason: "not a log"}},
		Damage:      []string{"logs/DC01/Security.evtx: record 4711: bad size"},
		DamageTotal: 3,
		Counts: []finding.Count{
			{Host: "DC01", Channel: "Security", EventID: 4688, Events: 5120, First: at(-60), Last: at(60)},
			{Host: "WEB01", Channel: "Security", EventID: 4625, Events: 300, First: at(0), Last: at(5)},
		},
		Rules: []finding.Rule{{ID: "bw-vt-ntdsutil", Kind: finding.KindSigma, Title: "ntdsutil IFM", Level: finding.Critical,
			Status: "stable", Description: "Copies of ntds.dit", Author: "Breakwater",
			References: []string{"https://example.org/a"}, FalsePositives: []string{"DC promotion"},
			Techniques: []string{"attack.t1003.003"}, Tactics: []string{"attack.credential_access"}, Path: "rules/x.yml"},
			{ID: "bw-spray", Kind: finding.KindCorrelation, Title: "Password spray", Level: finding.High}},
		Findings: []*finding.Finding{
			ntdsutil("logs/DC01/Security.evtx"),
			{ID: "d4e5f6", Kind: finding.KindCorrelation, RuleID: "bw-spray", Rule: "Password spray", Level: finding.High,
				Time: at(20), Host: "DC01", Summary: "42 accounts from 10.0.0.99",
				Evidence: []finding.Evidence{
					{File: "logs/WEB01/export.json", RecordID: 1<<63 + 5, Line: 7, Offset: -1, Channel: "Security", EventID: 4625, Time: at(20)},
				},
				EvidenceTotal: 42,
				Explain:       finding.Explanation{Text: "42 distinct TargetUserName", Values: []event.Field{{Name: "IpAddress", Value: "10.0.0.99"}}}},
			{ID: "0f0f0f", Kind: finding.KindAnalytic, RuleID: "bw-clock", Rule: "Clock far off", Level: finding.Low, Host: "FS01",
				Time:     time.Date(30828, 9, 14, 2, 48, 5, 477580700, time.UTC), // the largest FILETIME
				Evidence: []finding.Evidence{{File: "a.evtx", Offset: 0, EventID: -1, Time: time.Date(30828, 9, 14, 2, 48, 5, 477580700, time.UTC)}},
				Summary:  "<script>\x1b[31m\x00 \"quoted\" \xff", User: "=cmd|' /C calc'!A0"},
		},
		Notes: []string{"No PowerShell log was read."},
	}
}

// jsonl renders findings as the JSONL contract does, in report order.
func jsonl(fs []*finding.Finding) []byte {
	sorted := append([]*finding.Finding(nil), fs...)
	finding.Sort(sorted)
	var b []byte
	for _, f := range sorted {
		b = f.AppendJSON(b)
		b = append(b, '\n')
	}
	return b
}

func casePath(t *testing.T) string {
	return filepath.Join(t.TempDir(), "hunt.case")
}

func TestRoundTrip(t *testing.T) {
	path := casePath(t)
	want := sampleReport()
	if err := Save(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if a, b := jsonl(want.Findings), jsonl(got.Findings); !bytes.Equal(a, b) {
		t.Errorf("JSONL after the round trip differs:\n got %s\nwant %s", b, a)
	}
	// A case of one hunt is the report that was saved, every field of it,
	// except that invalid UTF-8 in JSON-stored text becomes U+FFFD (as it
	// does in the JSONL output) and findings come in report order.
	finding.Sort(want.Findings)
	if !reflect.DeepEqual(got, want) {
		g, w := *got, *want
		g.Findings, w.Findings = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("report differs:\n got %+v\nwant %+v", g, w)
		}
		for i := range want.Findings {
			if i < len(got.Findings) && !reflect.DeepEqual(got.Findings[i], want.Findings[i]) {
				t.Errorf("finding %d differs:\n got %+v\nwant %+v", i, got.Findings[i], want.Findings[i])
			}
		}
	}
}

func TestSaveTwice(t *testing.T) {
	path := casePath(t)
	for i := 0; i < 2; i++ {
		if err := Save(path, sampleReport()); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sampleReport()
	if a, b := jsonl(want.Findings), jsonl(got.Findings); !bytes.Equal(a, b) {
		t.Errorf("saving the same hunt twice changed the findings:\n got %s\nwant %s", b, a)
	}
	// The same logs read again are not counted again.
	if !reflect.DeepEqual(got.Counts, want.Counts) || got.DamageTotal != want.DamageTotal {
		t.Errorf("counts %+v, damage %d; want %+v, %d", got.Counts, got.DamageTotal, want.Counts, want.DamageTotal)
	}
	if !reflect.DeepEqual(got.Inputs, want.Inputs) || !reflect.DeepEqual(got.Rules, want.Rules) ||
		!reflect.DeepEqual(got.Skipped, want.Skipped) || !reflect.DeepEqual(got.Damage, want.Damage) {
		t.Error("inputs, rules, skipped files or damage repeated")
	}
	if len(got.Notes) != 2 || !strings.Contains(got.Notes[1], "This case holds 2 hunts") {
		t.Errorf("notes %q", got.Notes)
	}
	if !got.Started.Equal(want.Started) || !got.Finished.Equal(want.Finished) {
		t.Errorf("span %v – %v", got.Started, got.Finished)
	}
}

// TestSaveOverlapping saves two hunts that share a finding, read from two
// copies of a log, and logs of another host: the case holds each finding
// once, with the evidence of both copies, as one hunt over everything would.
func TestSaveOverlapping(t *testing.T) {
	first := sampleReport()
	second := &finding.Report{
		Started:  first.Finished.Add(time.Hour),
		Finished: first.Finished.Add(2 * time.Hour),
		Settings: []finding.Setting{{Name: "rules", Value: "sigma/rules"}},
		Inputs:   []finding.Input{{Name: "copy/Security.evtx", Format: "evtx", Size: 1 << 20, Events: 5120}},
		Counts: []finding.Count{
			{Host: "DC01", Channel: "Security", EventID: 4688, Events: 10, First: at(-120), Last: at(30)},
			{Host: "DC02", Channel: "Security", EventID: 4688, Events: 7, First: at(1), Last: at(2)},
		},
		DamageTotal: 2,
		Rules: []finding.Rule{{ID: "bw-vt-ntdsutil", Kind: finding.KindSigma, Title: "ntdsutil IFM", Level: finding.Critical, Description: "Copies of ntds.dit, v2"},
			{ID: "bw-new", Kind: finding.KindSigma, Title: "New rule"}},
		Findings: []*finding.Finding{
			ntdsutil("copy/Security.evtx"),
			{ID: "777777", Kind: finding.KindSigma, RuleID: "bw-new", Rule: "New rule", Time: at(3), Host: "DC02"},
		},
		Notes: []string{"No PowerShell log was read.", "A second note."},
	}
	path := casePath(t)
	for _, r := range []*finding.Report{first, second} {
		if err := Save(path, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}

	// What one hunt over both copies would have found.
	merged := sampleReport()
	merged.Findings[0].Merge(ntdsutil("copy/Security.evtx"))
	merged.Findings = append(merged.Findings, second.Findings[1])
	if a, b := jsonl(merged.Findings), jsonl(got.Findings); !bytes.Equal(a, b) {
		t.Errorf("merged findings:\n got %s\nwant %s", b, a)
	}
	for _, f := range got.Findings {
		if f.ID == "a1b2c3" && len(f.Evidence) != 2 {
			t.Errorf("the shared finding has %d evidence events, want the 2 copies", len(f.Evidence))
		}
	}
	wantCounts := []finding.Count{
		{Host: "DC01", Channel: "Security", EventID: 4688, Events: 5130, First: at(-120), Last: at(60)},
		{Host: "WEB01", Channel: "Security", EventID: 4625, Events: 300, First: at(0), Last: at(5)},
		{Host: "DC02", Channel: "Security", EventID: 4688, Events: 7, First: at(1), Last: at(2)},
	}
	if !reflect.DeepEqual(got.Counts, wantCounts) {
		t.Errorf("counts\n got %+v\nwant %+v", got.Counts, wantCounts)
	}
	if got.DamageTotal != 5 || len(got.Inputs) != 3 || !reflect.DeepEqual(got.Settings, second.Settings) {
		t.Errorf("damage %d, %d inputs, settings %v", got.DamageTotal, len(got.Inputs), got.Settings)
	}
	if len(got.Rules) != 3 || got.Rules[0].Description != "Copies of ntds.dit, v2" || got.Rules[2].ID != "bw-new" {
		t.Errorf("rules %+v", got.Rules)
	}
	if len(got.Notes) != 3 || got.Notes[1] != "A second note." {
		t.Errorf("notes %q", got.Notes)
	}
}

func TestNotACase(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	other := filepath.Join(dir, "other.db")
	db, err := sql.Open("sqlite", other)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE t (x)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	text := write("notes.txt", []byte("this is not a database\n"))

	tests := []struct {
		name, path string
		is         error
		says       string
	}{
		{"text", text, ErrNotCase, "not an SQLite database"},
		{"other database", other, ErrNotCase, "another application"},
		{"empty", write("empty.case", nil), ErrNotCase, "empty database"},
		{"truncated", write("short.case", []byte("SQLite")), ErrNotCase, "not an SQLite database"},
		{"missing", filepath.Join(dir, "nope.case"), fs.ErrNotExist, "no case file at"},
		{"folder", dir, nil, "is a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			if err == nil || (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Load: %v; want %v saying %q", err, tt.is, tt.says)
			}
		})
	}
	// Saving into what is not a case refuses, and leaves the file alone.
	if err := Save(text, sampleReport()); !errors.Is(err, ErrNotCase) {
		t.Errorf("Save into a text file: %v", err)
	}
	if b, _ := os.ReadFile(text); string(b) != "this is not a database\n" {
		t.Error("Save changed a file that is not a case")
	}
	if err := Save(other, sampleReport()); !errors.Is(err, ErrNotCase) {
		t.Errorf("Save into another application's database: %v", err)
	}
	// Loading a missing case does not create one.
	if _, err := os.Stat(filepath.Join(dir, "nope.case")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Load created a case file")
	}
}

func TestNewerSchema(t *testing.T) {
	path := casePath(t)
	if err := Save(path, sampleReport()); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = " + strconv.Itoa(SchemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "newer Breakwater") {
		t.Errorf("Load of a newer case: %v", err)
	}
}

// TestAwkwardPaths saves cases whose names a URI would misread.
func TestAwkwardPaths(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"with space.case", "what?.case", "hash#1.case", "100%.case", "ünï.case"} {
		path := filepath.Join(dir, name)
		if err := Save(path, sampleReport()); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the case is not where it was asked to be: %v", name, err)
		}
		if r, err := Load(path); err != nil || len(r.Findings) != 3 {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestTimes checks the stored form of times at the edges.
func TestTimes(t *testing.T) {
	for _, tm := range []time.Time{
		{},
		time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 7, 10, 11, 12, 123456789, time.FixedZone("CET", 3600)),
		time.Date(30828, 9, 14, 2, 48, 5, 477580700, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 1, time.UTC),
	} {
		s := encodeTime(tm)
		got, err := decodeTime(s)
		if err != nil || !got.Equal(tm) {
			t.Errorf("%v → %q → %v, %v", tm, s, got, err)
		}
	}
	if a, b := encodeTime(at(1)), encodeTime(at(2)); len(a) != len(b) || a >= b {
		t.Errorf("stored times do not sort as text: %q, %q", a, b)
	}
	for _, bad := range []string{"yesterday", "@1.x", "@1.1000000000"} {
		if _, err := decodeTime(bad); err == nil {
			t.Errorf("decodeTime(%q) accepted it", bad)
		}
	}
}

// TestDamagedCase loads cases whose rows were tampered with: an error,
// never a panic.
func TestDamagedCase(t *testing.T) {
	for _, stmt := range []string{
		`UPDATE findings SET explain = '{'`,
		`UPDATE findings SET time = 'soon'`,
		`UPDATE evidence SET fields = '[["a"'`,
		`UPDATE rules SET refs = '42'`,
		`UPDATE evidence SET finding = 'nobody' WHERE rowid = (SELECT min(rowid) FROM evidence)`,
		`UPDATE counts SET first = 'x'`,
	} {
		path := casePath(t)
		if err := Save(path, sampleReport()); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec("PRAGMA foreign_keys = OFF; " + stmt); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if _, err := Load(path); err == nil {
			t.Errorf("%s: Load accepted the damaged case", stmt)
		}
	}
}

// many returns a report of n findings with two evidence events each.
func many(n int) *finding.Report {
	r := sampleReport()
	base := r.Findings[0]
	r.Findings = nil
	for i := 0; i < n; i++ {
		f := *base
		f.ID = strconv.Itoa(i)
		f.Time = base.Time.Add(time.Duration(i) * time.Second)
		f.Evidence = []finding.Evidence{evidence("a.evtx", uint64(2*i), f.Time, "CommandLine", "x"), evidence("a.evtx", uint64(2*i+1), f.Time, "CommandLine", "y")}
		r.Findings = append(r.Findings, &f)
	}
	return r
}

func BenchmarkSave(b *testing.B) {
	r := many(10000)
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if err := Save(filepath.Join(dir, strconv.Itoa(i)+".case"), r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(r.Findings)), "findings/op")
}

func BenchmarkLoad(b *testing.B) {
	path := filepath.Join(b.TempDir(), "x.case")
	if err := Save(path, many(10000)); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Load(path); err != nil {
			b.Fatal(err)
		}
	}
}
