package finding

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
)

var update = flag.Bool("update", false, "rewrite golden files")

func sample() *Finding {
	at := time.Date(2024, 2, 7, 10, 11, 12, 123456700, time.UTC)
	return &Finding{
		ID: NewID(KindSigma, "rule-1", "k1"), Kind: KindSigma, RuleID: "rule-1", Rule: "Ntdsutil <IFM>",
		Level: High, Time: at, Host: "DC01", User: `CORP\admin`,
		Techniques: []string{"T1003.003"}, Tactics: []string{"credential-access"},
		Summary: "ntdsutil \"ac i ntds\" ifm\x1b[31m\u202e",
		Evidence: []Evidence{{File: `logs\Security.evtx`, RecordID: 4711, Offset: 4096, Channel: "Security",
			EventID: 4688, Time: at, Fields: []event.Field{{Name: "CommandLine", Value: "a"}, {Name: "Data", Value: "1"}, {Name: "Data", Value: "2"}}}},
		Explain: Explanation{Condition: "selection", Matches: []Match{{Selection: "selection", Field: "CommandLine",
			Modifiers: "contains", Pattern: "*ifm*", Value: "ifm"}}},
	}
}

// TestJSONContract holds the JSONL layout of DESIGN.md in a golden file,
// and checks it is valid JSON with no raw control or bidi characters.
func TestJSONContract(t *testing.T) {
	got := sample().AppendJSON(nil)
	var v map[string]any
	if err := json.Unmarshal(got, &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	for _, c := range string(got) {
		if c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == '\u202e' {
			t.Fatalf("raw control character %U in %s", c, got)
		}
	}
	golden := filepath.Join("testdata", "finding.json")
	if *update {
		os.WriteFile(golden, append(got, '\n'), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestOrderAndIDs(t *testing.T) {
	a, b := sample(), sample()
	if a.ID != b.ID || a.ID == NewID(KindSigma, "rule-2", "k1") || a.ID == NewID(KindCorrelation, "rule-1", "k1") {
		t.Error("ids are not a function of kind, rule and keys")
	}
	b.Time = b.Time.Add(-time.Second)
	c := sample()
	c.Host = "A"
	fs := []*Finding{a, b, c}
	Sort(fs)
	if fs[0] != b || fs[1] != c || fs[2] != a {
		t.Errorf("order %s %s %s: want by time, then host", fs[0].Host, fs[1].Host, fs[2].Host)
	}
}

func TestMerge(t *testing.T) {
	a, b := sample(), sample()
	b.Evidence[0].File = `copy\Security.evtx`
	a.Merge(b)
	a.Merge(b) // the same copy twice adds nothing
	if len(a.Evidence) != 2 || a.Evidence[0].File != `copy\Security.evtx` {
		t.Errorf("evidence %+v", a.Evidence)
	}
}

func TestParseLevel(t *testing.T) {
	for i, n := range []string{"informational", "LOW", "Medium", "high", "critical"} {
		if l, err := ParseLevel(n); err != nil || l != Level(i) {
			t.Errorf("ParseLevel(%q) = %v, %v", n, l, err)
		}
	}
	if _, err := ParseLevel("severe"); err == nil {
		t.Error("no error for an unknown level")
	}
}

// TestMergeCopies: many copies of one event merge into at most MaxCopies
// entries with the total counted, the fields kept once, and the same result
// whatever the order the copies arrive in.
func TestMergeCopies(t *testing.T) {
	copyOf := func(i int) *Finding {
		f := sample()
		f.Evidence[0].File = fmt.Sprintf("copy%02d/Security.evtx", i)
		return f
	}
	merged := func(order []int) *Finding {
		f := copyOf(order[0])
		for _, i := range order[1:] {
			f.Merge(copyOf(i))
		}
		return f
	}
	var up, down []int
	for i := 0; i < 20; i++ {
		up = append(up, i)
		down = append(down, 19-i)
	}
	a, b := merged(up), merged(down)
	if string(a.AppendJSON(nil)) != string(b.AppendJSON(nil)) {
		t.Error("the merge order changes the finding")
	}
	if len(a.Evidence) != MaxCopies || a.EvidenceTotal != 20 {
		t.Errorf("%d entries, total %d; want %d and 20", len(a.Evidence), a.EvidenceTotal, MaxCopies)
	}
	if a.Evidence[0].File != "copy00/Security.evtx" || len(a.Evidence[0].Fields) != 3 {
		t.Errorf("first entry %s with %d fields", a.Evidence[0].File, len(a.Evidence[0].Fields))
	}
	for _, e := range a.Evidence[1:] {
		if e.Fields != nil {
			t.Fatalf("%s repeats the fields of its copy", e.File)
		}
	}
	// An unexplained copy takes the explanation of an explained one.
	bare := copyOf(30)
	bare.Explain, bare.Summary = Explanation{}, ""
	bare.Merge(copyOf(31))
	if bare.Explain.Condition != "selection" || bare.Summary == "" {
		t.Error("the explanation of the explained copy was not taken")
	}
}
