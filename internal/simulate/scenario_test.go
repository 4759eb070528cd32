package simulate

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/rules"
	"github.com/breakwater/breakwater/internal/source"
	"github.com/breakwater/breakwater/sigma"
)

// readTree returns every file under dir, by slash path relative to dir.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// The same options write the same bytes; another seed writes another
// scenario.
func TestScenarioDeterministic(t *testing.T) {
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	for _, w := range []struct {
		dir  string
		seed int64
	}{{a, 7}, {b, 7}, {c, 8}} {
		if err := VoltTyphoon(w.dir, Options{Seed: w.seed}); err != nil {
			t.Fatal(err)
		}
	}
	fa, fb, fc := readTree(t, a), readTree(t, b), readTree(t, c)
	if len(fa) != len(fb) {
		t.Fatalf("%d files, then %d", len(fa), len(fb))
	}
	for name, data := range fa {
		if !bytes.Equal(data, fb[name]) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
	}
	if bytes.Equal(fa[TruthFile], fc[TruthFile]) {
		t.Errorf("seeds 7 and 8 wrote the same truth")
	}
}

func TestOptionsLimits(t *testing.T) {
	for _, o := range []Options{{Hosts: 4}, {Hosts: 41}, {Days: 1}, {Days: 31}, {Hosts: -1}} {
		if err := VoltTyphoon(t.TempDir(), o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
}

// sigmaEvent shows an event.Event to the Sigma matcher.
type sigmaEvent struct{ e *event.Event }

func (s sigmaEvent) Channel() string  { return s.e.Channel }
func (s sigmaEvent) Provider() string { return s.e.Provider }
func (s sigmaEvent) EventID() int     { return s.e.EventID }
func (s sigmaEvent) NumFields() int   { return len(s.e.Fields) }
func (s sigmaEvent) Field(i int) (string, string) {
	return s.e.Fields[i].Name, s.e.Fields[i].Value
}

// recordKey names a record of a scenario: its file and record number.
type recordKey struct {
	file string
	id   uint64
}

// scenarioRead is what reading a scenario back found.
type scenarioRead struct {
	events  int
	eventID map[recordKey]int
	matches map[recordKey][]*sigma.Rule
	damaged int
}

// readScenario reads the logs of a scenario through the same path a hunt
// takes and matches the built-in pack against every event.
func readScenario(t *testing.T, dir string, rs *sigma.RuleSet) *scenarioRead {
	t.Helper()
	found, err := source.Discover([]string{dir}, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := &scenarioRead{eventID: map[recordKey]int{}, matches: map[recordKey][]*sigma.Rule{}}
	m := rs.NewMatcher()
	var idx []int
	r := source.Reader{Workers: 1}
	err = r.Read(context.Background(), found.Inputs, func(b *source.Batch) error {
		rel, err := filepath.Rel(dir, b.Input.Name)
		if err != nil {
			return err
		}
		file := filepath.ToSlash(rel)
		out.damaged += len(b.Damage)
		for i := range b.Events {
			e := &b.Events[i]
			k := recordKey{file, e.RecordID}
			if e.EventID == -1 {
				k.id = uint64(e.Source.Line) // a Zeek record, by its line
			}
			out.events++
			out.eventID[k] = e.EventID
			idx = m.Match(sigmaEvent{e}, idx[:0])
			for _, j := range idx {
				out.matches[k] = append(out.matches[k], rs.Rule(j))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// packBehaviours returns, per catalogue row, the names of the pack's
// single-event rules for it.
func packBehaviours(t *testing.T) (map[string][]string, *sigma.RuleSet) {
	t.Helper()
	c, err := rules.Load()
	if err != nil {
		t.Fatal(err)
	}
	rs, err := sigma.Compile(c.Rules, sigma.Config{})
	if err != nil {
		t.Fatal(err)
	}
	list, err := rules.List()
	if err != nil {
		t.Fatal(err)
	}
	by := map[string][]string{}
	for _, in := range list {
		if in.Kind == "rule" {
			by[in.Behaviour] = append(by[in.Behaviour], in.Name)
		}
	}
	return by, rs
}

// On scenarios of several seeds and sizes, the pack finds every step of
// the intrusion whose behaviour it has rules for - by a rule of that
// behaviour tagged with the step's technique - and no benign event gives a
// match at high or critical. Correlation rules are not run here: the Sigma
// correlation engine is not there yet, so the spray, the discovery burst
// and the cleanup are found by the base rules their correlations build on.
func TestScenarioRecallAndPrecision(t *testing.T) {
	by, rs := packBehaviours(t)
	for _, o := range []Options{{Seed: 1}, {Seed: 2}, {Seed: 3}, {Seed: 4, Hosts: 5, Days: 2}, {Seed: 5, Hosts: 9, Days: 5}} {
		t.Run(fmt.Sprintf("seed%d-hosts%d-days%d", o.Seed, o.Hosts, o.Days), func(t *testing.T) {
			dir := t.TempDir()
			if err := VoltTyphoon(dir, o); err != nil {
				t.Fatal(err)
			}
			got := readScenario(t, dir, rs)
			if got.damaged > 0 {
				t.Errorf("%d damaged records", got.damaged)
			}
			f, err := os.Open(filepath.Join(dir, TruthFile))
			if err != nil {
				t.Fatal(err)
			}
			steps, err := ReadTruth(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			malicious := map[recordKey]bool{}
			covered, found := 0, 0
			for _, s := range steps {
				for _, ev := range s.Evidence {
					k := recordKey{ev.File, ev.RecordID}
					if ev.UID != "" {
						k.id = uint64(ev.Line)
					}
					if id, ok := got.eventID[k]; !ok || id != ev.EventID {
						t.Errorf("step %d: evidence %s#%d (event %d) not in the logs", s.Step, ev.File, ev.RecordID, ev.EventID)
					}
					malicious[k] = true
				}
				names := by[s.Behaviour]
				if len(names) == 0 {
					continue
				}
				covered++
				if stepFound(s, names, got) {
					found++
				} else {
					t.Errorf("step %d (%s %s on %s: %s) not found by the rules of %s %v", s.Step, s.Behaviour, s.Technique, s.Host, s.Summary, s.Behaviour, names)
				}
			}
			if covered < 30 {
				t.Errorf("only %d steps covered by the pack", covered)
			}
			perLevel := map[sigma.Level]int{}
			perRule := map[string]int{}
			benign := 0
			for k := range got.eventID {
				if malicious[k] {
					continue
				}
				benign++
				for _, r := range got.matches[k] {
					perLevel[r.Level]++
					perRule[r.Level.String()+" "+r.Name]++
					if r.Level >= sigma.LevelHigh {
						t.Errorf("benign %s#%d: %s at %s", k.file, k.id, r.Name, r.Level)
					}
				}
			}
			t.Logf("%d events, %d benign; %d steps, %d covered by the pack, %d found", got.events, benign, len(steps), covered, found)
			for l := sigma.LevelInformational; l <= sigma.LevelCritical; l++ {
				t.Logf("benign %-13s %4d matches, %.2f per thousand benign events", l, perLevel[l], 1000*float64(perLevel[l])/float64(benign))
			}
			names := make([]string, 0, len(perRule))
			for n := range perRule {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, n := range names {
				t.Logf("  benign matches of %s: %d", n, perRule[n])
			}
		})
	}
}

// stepFound reports whether a rule of the step's behaviour, tagged with the
// step's technique, matches one of its records.
func stepFound(s Step, names []string, got *scenarioRead) bool {
	for _, ev := range s.Evidence {
		for _, r := range got.matches[recordKey{ev.File, ev.RecordID}] {
			if slices.Contains(names, r.Name) && slices.Contains(r.Techniques(), s.Technique) {
				return true
			}
		}
	}
	return false
}

// The scenario in the repository is exactly what VoltTyphoon writes with
// the defaults and seed 1, so the README's demo shows what the code does.
func TestBundledScenarioIsCurrent(t *testing.T) {
	bundled := filepath.Join("..", "..", "testdata", "volt-typhoon")
	opts := Options{Seed: 1}
	if *update {
		if err := os.RemoveAll(bundled); err != nil {
			t.Fatal(err)
		}
		if err := VoltTyphoon(bundled, opts); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if err := VoltTyphoon(dir, opts); err != nil {
		t.Fatal(err)
	}
	want := readTree(t, bundled)
	got := readTree(t, dir)
	if len(want) == 0 {
		t.Fatalf("no bundled scenario (run go test ./internal/simulate -update)")
	}
	total := 0
	for name, data := range got {
		total += len(data)
		if !bytes.Equal(data, want[name]) {
			t.Errorf("%s differs from what VoltTyphoon writes now (run go test ./internal/simulate -update)", name)
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok && !strings.HasPrefix(name, ".") {
			t.Errorf("%s is bundled but no longer written", name)
		}
	}
	if total > 8<<20 {
		t.Errorf("bundled scenario is %d bytes; keep it to a few MB", total)
	}
}

// The intruder's clearing of the web server's logs leaves what Windows
// leaves: logs that start with the clearing event, whose record numbers
// carry on from before, and nothing older.
func TestScenarioLogClearing(t *testing.T) {
	dir := t.TempDir()
	if err := VoltTyphoon(dir, Options{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		file    string
		eventID int
	}{{"WEB01/Security.evtx", 1102}, {"WEB01/System.evtx", 104}} {
		found, err := source.Discover([]string{filepath.Join(dir, filepath.FromSlash(tt.file))}, source.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var first *event.Event
		r := source.Reader{Workers: 1}
		err = r.Read(context.Background(), found.Inputs, func(b *source.Batch) error {
			if first == nil && len(b.Events) > 0 {
				e := b.Events[0]
				first = &e
			}
			return nil
		})
		if err != nil || first == nil {
			t.Fatalf("%s: no events (%v)", tt.file, err)
		}
		if first.EventID != tt.eventID || first.RecordID < 100 {
			t.Errorf("%s starts with event %d, record %d; want the clearing event %d with a record number that carries on", tt.file, first.EventID, first.RecordID, tt.eventID)
		}
		// The scenario starts on 5 February; the clearing is the last act.
		if first.Time.Before(time.Date(2024, 2, 7, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: first event at %s, want the day of the clearing", tt.file, first.Time)
		}
	}
}
