package sigma

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Tests that read ../shared/datasets (public data nobody here wrote) skip
// when it is absent, except under CI, where its absence is a failure.

// datasetDir returns the shared datasets folder, from this package's folder.
func datasetDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "shared", "datasets")
	if _, err := os.Stat(filepath.Join(dir, "sigma")); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("datasets not found at %s (required under CI): %v", dir, err)
		}
		tb.Skipf("datasets not found at %s: %v", dir, err)
	}
	return dir
}

// sigmaHQRuleDirs are the SigmaHQ rule folders of the datasets.
var sigmaHQRuleDirs = []string{"rules", "rules-threat-hunting", "rules-emerging-threats", "rules-placeholder"}

var (
	loadOnce sync.Once
	loaded   map[string]*Collection
	loadErr  map[string]error
)

// loadSigmaHQ loads (once per test binary) the SigmaHQ rules of the given
// folders.
func loadSigmaHQ(tb testing.TB, dirs ...string) (*Collection, ErrorList) {
	tb.Helper()
	root := datasetDir(tb)
	loadOnce.Do(func() {
		loaded, loadErr = map[string]*Collection{}, map[string]error{}
		for _, d := range sigmaHQRuleDirs {
			loaded[d], loadErr[d] = LoadDir(filepath.Join(root, "sigma", d))
		}
	})
	var all Collection
	var errs ErrorList
	for _, d := range dirs {
		all.Add(loaded[d])
		errs.Append(loadErr[d])
	}
	return &all, errs
}

// testEvent is a flat event for tests; it implements Event.
type testEvent struct {
	channel, provider string
	eventID           int
	names, values     []string
	file              string
}

func (e *testEvent) Channel() string              { return e.channel }
func (e *testEvent) Provider() string             { return e.provider }
func (e *testEvent) EventID() int                 { return e.eventID }
func (e *testEvent) NumFields() int               { return len(e.names) }
func (e *testEvent) Field(i int) (string, string) { return e.names[i], e.values[i] }
func (e *testEvent) add(name, value string) {
	e.names = append(e.names, name)
	e.values = append(e.values, value)
}
func (e *testEvent) get(name string) (string, bool) {
	for i, n := range e.names {
		if n == name {
			return e.values[i], true
		}
	}
	return "", false
}

// ev builds a test event from name/value pairs; Channel, Provider_Name and
// EventID fields also set the routing keys.
func ev(pairs ...string) *testEvent {
	e := &testEvent{eventID: -1}
	for i := 0; i+1 < len(pairs); i += 2 {
		e.add(pairs[i], pairs[i+1])
		switch pairs[i] {
		case "Channel":
			e.channel = pairs[i+1]
		case "Provider_Name":
			e.provider = pairs[i+1]
		case "EventID":
			e.eventID, _ = strconv.Atoi(pairs[i+1])
		}
	}
	return e
}

var bareGUID = regexp.MustCompile(`^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$`)

// readEvtxJSON reads a file of evtx_dump JSON records (pretty-printed
// objects one after the other) and flattens each into Breakwater's
// canonical field names: System attributes as Element_Attribute, the
// SystemTime of TimeCreated as TimeCreated, EventData values by name,
// unnamed Data values as Data, UserData leaves by element name; integers as
// decimal strings and bare GUIDs in braces, as Windows renders them.
func readEvtxJSON(name string) ([]*testEvent, error) {
	src, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var out []*testEvent
	for {
		var rec map[string]any
		if err := dec.Decode(&rec); err == io.EOF {
			break
		} else if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		evt, _ := rec["Event"].(map[string]any)
		if evt == nil {
			return nil, fmt.Errorf("%s: record without Event", name)
		}
		e := &testEvent{eventID: -1, file: name}
		if sys, ok := evt["System"].(map[string]any); ok {
			flattenSystem(e, sys)
		}
		for _, section := range []string{"EventData", "UserData"} {
			if d, ok := evt[section]; ok {
				flattenData(e, section, d)
			}
		}
		v, _ := e.get("Channel")
		e.channel = v
		v, _ = e.get("Provider_Name")
		e.provider = v
		if v, ok := e.get("EventID"); ok {
			e.eventID, _ = strconv.Atoi(v)
		}
		out = append(out, e)
	}
	return out, nil
}

// systemOrder is the order of System elements in Windows' XML.
var systemOrder = []string{"Provider", "EventID", "Version", "Level", "Task", "Opcode", "Keywords", "TimeCreated", "EventRecordID", "Correlation", "Execution", "Channel", "Computer", "Security"}

func flattenSystem(e *testEvent, sys map[string]any) {
	for _, k := range systemOrder {
		v, ok := sys[k]
		if !ok || v == nil {
			continue
		}
		switch x := v.(type) {
		case map[string]any:
			attrs, _ := x["#attributes"].(map[string]any)
			if k == "TimeCreated" {
				if t, ok := attrs["SystemTime"].(string); ok {
					e.add("TimeCreated", canonicalTime(t))
				}
				continue
			}
			for _, a := range sortedAnyKeys(attrs) {
				e.add(k+"_"+a, render(attrs[a]))
			}
			if t, ok := x["#text"]; ok {
				e.add(k, render(t))
			}
		default:
			e.add(k, render(v))
		}
	}
}

// canonicalTime renders evtx_dump's SystemTime with seven fraction digits.
func canonicalTime(t string) string {
	t = strings.TrimSuffix(t, "Z")
	frac := ""
	if i := strings.IndexByte(t, '.'); i >= 0 {
		t, frac = t[:i], t[i+1:]
	}
	frac = (frac + "0000000")[:7]
	return t + "." + frac + "Z"
}

func flattenData(e *testEvent, section string, d any) {
	switch x := d.(type) {
	case map[string]any:
		for _, k := range sortedDataKeys(x) {
			v := x[k]
			if k == "#attributes" {
				continue
			}
			if k == "Data" {
				// Unnamed data: a value or a list of values.
				if list, ok := v.([]any); ok {
					for _, item := range list {
						e.add("Data", render(item))
					}
					continue
				}
			}
			if m, ok := v.(map[string]any); ok && section == "UserData" {
				flattenData(e, section, m)
				continue
			}
			if m, ok := v.(map[string]any); ok {
				if t, ok := m["#text"]; ok {
					e.add(k, render(t))
				}
				continue
			}
			e.add(k, render(v))
		}
	}
}

// sortedDataKeys keeps JSON order where it matters little: EventData
// values are looked up by name, so a stable order is enough.
func sortedDataKeys(m map[string]any) []string { return sortedAnyKeys(m) }

func sortedAnyKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func render(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if bareGUID.MatchString(x) {
			return "{" + strings.ToUpper(x) + "}"
		}
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = render(p)
		}
		return strings.Join(parts, ", ")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// manifestRow is one SigmaHQ regression test.
type manifestRow struct {
	ruleID, ruleFile, json, evtx string
	matchCount                   int
}

func readManifest(tb testing.TB) []manifestRow {
	root := datasetDir(tb)
	src, err := os.ReadFile(filepath.Join(root, "sigma", "regression_manifest.tsv"))
	if err != nil {
		tb.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(src), "\n"), "\n")
	head := strings.Split(lines[0], "\t")
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var rows []manifestRow
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		n := 1
		if s := f[col["match_count"]]; s != "" {
			n, _ = strconv.Atoi(s)
		}
		rows = append(rows, manifestRow{
			ruleID: f[col["rule_id"]], ruleFile: f[col["rule_file"]],
			json: filepath.Join(root, "sigma", f[col["json"]]), evtx: f[col["evtx"]], matchCount: n,
		})
	}
	return rows
}
