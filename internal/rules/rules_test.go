package rules_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/breakwater/breakwater/internal/rules"
	"github.com/breakwater/breakwater/sigma"
)

// compilePack loads and compiles the built-in pack, failing on any problem:
// the pack ships in the binary, so a rule that cannot be used is a bug.
func compilePack(t testing.TB) (*sigma.Collection, *sigma.RuleSet) {
	t.Helper()
	c, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sigma.Compile(c.Rules, sigma.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range rs.Unusable() {
		t.Errorf("%s (%s): unusable: %v", u.Rule.Pos, u.Rule.Name, u.Err)
	}
	for _, co := range c.Correlations {
		if co.Err != nil {
			t.Errorf("%s (%s): %v", co.Pos, co.Name, co.Err)
		}
	}
	return c, rs
}

// The catalogue rows the issue asks a single-event rule for, and those it
// asks a correlation for.
var (
	signatureRows   = []string{"D01", "D05", "D06", "D07", "D09", "D10", "D11", "D12", "D13", "D14", "D16", "D19", "D20", "D21", "D22", "D23", "D24", "D26", "D27", "D29", "D30", "D31", "D32", "D33", "D34", "D35", "D37", "D39", "D42", "D43", "D44", "D45"}
	correlationRows = []string{"D12", "D18", "D25", "D41"}
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Every document says what a responder needs to act on it, and every
// behaviour of the catalogue has its rules.
func TestPackMetadata(t *testing.T) {
	c, _ := compilePack(t)
	metas := map[*sigma.Meta]bool{}
	for _, r := range c.Rules {
		metas[&r.Meta] = false
	}
	for _, r := range c.Correlations {
		metas[&r.Meta] = true
	}
	ids, names := map[string]bool{}, map[string]bool{}
	for m := range metas {
		where := fmt.Sprintf("%s (%s)", m.Pos, m.Title)
		if !uuidRE.MatchString(m.ID) {
			t.Errorf("%s: id %q is not a random UUID", where, m.ID)
		}
		if ids[m.ID] || names[m.Name] {
			t.Errorf("%s: id or name used twice", where)
		}
		ids[m.ID], names[m.Name] = true, true
		if !strings.HasPrefix(m.Name, "vt_") {
			t.Errorf("%s: name %q lacks the pack prefix vt_", where, m.Name)
		}
		if m.Title == "" || len(m.Description) < 80 || m.Level == sigma.LevelNone || m.Status == "" || m.Date == "" {
			t.Errorf("%s: title, description (a few sentences), level, status and date are required", where)
		}
		if len(m.Techniques()) == 0 || len(m.Tactics()) == 0 {
			t.Errorf("%s: needs ATT&CK technique and tactic tags, has %v", where, m.Tags)
		}
		if len(m.FalsePositives) == 0 {
			t.Errorf("%s: no falsepositives", where)
		}
		if len(m.References) == 0 {
			t.Errorf("%s: no references", where)
		}
		for _, ref := range m.References {
			if !strings.HasPrefix(ref, "https://") {
				t.Errorf("%s: reference %q is not an https URL", where, ref)
			}
		}
	}

	list, err := rules.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != len(metas) {
		t.Errorf("List has %d entries, the pack %d documents", len(list), len(metas))
	}
	rulesOf, corrOf := map[string]int{}, map[string]int{}
	for _, in := range list {
		if in.Behaviour == "" {
			t.Errorf("%s: file name does not start with its catalogue row (dNN_)", in.File)
		}
		if in.Kind == "correlation" {
			corrOf[in.Behaviour]++
		} else {
			rulesOf[in.Behaviour]++
		}
	}
	for _, row := range signatureRows {
		if rulesOf[row] == 0 {
			t.Errorf("catalogue row %s has no rule", row)
		}
	}
	for _, row := range correlationRows {
		if corrOf[row] == 0 {
			t.Errorf("catalogue row %s has no correlation", row)
		}
	}
	// Correlations refer to rules of the pack by name.
	for _, co := range c.Correlations {
		for _, ref := range co.Rules {
			if !names[ref] {
				t.Errorf("%s (%s): refers to unknown rule %q", co.Pos, co.Name, ref)
			}
		}
	}
}

// testCase is one event of testdata/cases and the rules of the whole pack
// that must match it, no more and no fewer.
type testCase struct {
	Note string   `yaml:"note"`
	Want []string `yaml:"want"`
	// Near names the rule this event is a near miss for: administration
	// that looks like the behaviour but is not.
	Near string `yaml:"near"`
	// Proc is a process creation, tested both as Sysmon event 1 and as
	// Security event 4688 (which has no OriginalFileName and no parent
	// command line); Want4688, when set, is what the 4688 form must match.
	Proc     map[string]string `yaml:"proc"`
	Want4688 *[]string         `yaml:"want_4688"`
	// Sysmon, when set, makes Event a Sysmon event of that id.
	Sysmon int            `yaml:"sysmon"`
	Event  map[string]any `yaml:"event"`

	file string
}

// fieldEvent is a sigma.Event over a list of fields.
type fieldEvent struct {
	channel, provider string
	eventID           int
	fields            [][2]string
}

func (e *fieldEvent) Channel() string              { return e.channel }
func (e *fieldEvent) Provider() string             { return e.provider }
func (e *fieldEvent) EventID() int                 { return e.eventID }
func (e *fieldEvent) NumFields() int               { return len(e.fields) }
func (e *fieldEvent) Field(i int) (string, string) { return e.fields[i][0], e.fields[i][1] }

func newFieldEvent(channel, provider string, id int, fields map[string]string) *fieldEvent {
	e := &fieldEvent{channel: channel, provider: provider, eventID: id}
	e.fields = append(e.fields, [2]string{"Channel", channel}, [2]string{"Provider_Name", provider},
		[2]string{"EventID", strconv.Itoa(id)}, [2]string{"Computer", "HOST01.corp.example"})
	for _, k := range sortedKeys(fields) {
		e.fields = append(e.fields, [2]string{k, fields[k]})
	}
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// variant is one event a case is tested as.
type variant struct {
	name string
	ev   *fieldEvent
	want []string
}

func (tc *testCase) variants(t *testing.T) []variant {
	t.Helper()
	switch {
	case tc.Proc != nil:
		sysmon := map[string]string{"User": `CORP\adm.jsmith`, "IntegrityLevel": "High", "ProcessId": "4242", "ParentProcessId": "4100"}
		for k, v := range tc.Proc {
			sysmon[k] = v
		}
		sec := map[string]string{
			"SubjectUserName": "adm.jsmith", "SubjectDomainName": "CORP", "SubjectLogonId": "0x5a3f1",
			"NewProcessId": "0x1092", "ProcessId": "0x1004", "TokenElevationType": "%%1936",
			"NewProcessName": tc.Proc["Image"], "CommandLine": tc.Proc["CommandLine"],
			"ParentProcessName": tc.Proc["ParentImage"],
		}
		want4688 := tc.Want
		if tc.Want4688 != nil {
			want4688 = *tc.Want4688
		}
		return []variant{
			{"sysmon1", newFieldEvent("Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", 1, sysmon), tc.Want},
			{"4688", newFieldEvent("Security", "Microsoft-Windows-Security-Auditing", 4688, sec), want4688},
		}
	case tc.Event != nil:
		// A list value stands for a name that repeats, as the unnamed
		// <Data> of classic logs or the Channel of a "log cleared"
		// event's payload do; its first value is the one that counts.
		var ev fieldEvent
		for _, k := range sortedKeys(tc.Event) {
			values, ok := tc.Event[k].([]any)
			if !ok {
				values = []any{tc.Event[k]}
			}
			for i, v := range values {
				s := fmt.Sprint(v)
				if i == 0 {
					switch k {
					case "Channel":
						ev.channel = s
					case "Provider_Name":
						ev.provider = s
					case "EventID":
						ev.eventID, _ = strconv.Atoi(s)
					}
				}
				ev.fields = append(ev.fields, [2]string{k, s})
			}
		}
		if tc.Sysmon != 0 {
			ev.channel, ev.provider, ev.eventID = "Microsoft-Windows-Sysmon/Operational", "Microsoft-Windows-Sysmon", tc.Sysmon
			ev.fields = append(ev.fields, [2]string{"Channel", ev.channel}, [2]string{"Provider_Name", ev.provider},
				[2]string{"EventID", strconv.Itoa(tc.Sysmon)})
		}
		if ev.channel == "" || ev.eventID == 0 {
			t.Fatalf("%s: %q: event without channel or event id", tc.file, tc.Note)
		}
		ev.fields = append(ev.fields, [2]string{"Computer", "HOST01.corp.example"})
		return []variant{{"event", &ev, tc.Want}}
	}
	t.Fatalf("%s: %q: neither proc nor event", tc.file, tc.Note)
	return nil
}

func loadCases(t *testing.T) []*testCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "cases", "*.yml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test cases: %v", err)
	}
	var all []*testCase
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var cases []*testCase
		if err := yaml.Unmarshal(src, &cases); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, c := range cases {
			c.file = filepath.Base(f)
		}
		all = append(all, cases...)
	}
	return all
}

// The whole pack runs over every test event, and exactly the expected rules
// match each: a rule that fires where it should not fails here as surely as
// one that misses.
func TestPackCases(t *testing.T) {
	_, rs := compilePack(t)
	m := rs.NewMatcher()
	cases := loadCases(t)
	positive, near := map[string]int{}, map[string]int{}
	for _, tc := range cases {
		for _, w := range tc.Want {
			positive[w]++
		}
		if tc.Near != "" {
			if slices.Contains(tc.Want, tc.Near) {
				t.Errorf("%s: %q: a near miss for %s cannot expect it to match", tc.file, tc.Note, tc.Near)
			}
			near[tc.Near]++
		}
		for _, v := range tc.variants(t) {
			var got []string
			for _, i := range m.Match(v.ev, nil) {
				got = append(got, rs.Rule(i).Name)
			}
			sort.Strings(got)
			want := slices.Clone(v.want)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %q (%s): matched %v, want %v", tc.file, tc.Note, v.name, got, want)
				for _, i := range m.Match(v.ev, nil) {
					if !slices.Contains(want, rs.Rule(i).Name) {
						t.Logf("  %s: %+v", rs.Rule(i).Name, rs.Explain(i, v.ev))
					}
				}
			}
		}
	}
	for _, r := range rs.Rules() {
		if positive[r.Name] == 0 {
			t.Errorf("%s: no test event that must match", r.Name)
		}
		if near[r.Name] == 0 {
			t.Errorf("%s: no near-miss test event", r.Name)
		}
	}
}
