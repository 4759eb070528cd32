package sigma

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseRule(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "rules", "whoami.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("whoami.yml", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 1 {
		t.Fatalf("%d rules", len(c.Rules))
	}
	r := c.Rules[0]
	checks := []struct{ got, want any }{
		{r.Title, "Whoami Execution"},
		{r.ID, "7c8a1b60-0000-4000-8000-000000000001"},
		{r.Name, "whoami_execution"},
		{r.Status, "test"},
		{r.Level, LevelHigh},
		{r.Level.String(), "high"},
		{r.Date, "2019-10-23"},
		{r.LogSource, LogSource{Category: "process_creation", Product: "windows"}},
		{strings.Join(r.Techniques(), ","), "T1033,T1003.001"},
		{strings.Join(r.Tactics(), ","), "discovery,credential-access"},
		{len(r.References), 1},
		{len(r.FalsePositives), 1},
		{len(r.Detection.Searches), 2},
		{r.Detection.Conditions[0].Text, "selection and not filter"},
		{r.Detection.Conditions[0].Expr.String(), "selection and not filter"},
		{r.Related[0], Related{ID: "929a690e-bef0-4204-a928-ef5e620d6fcc", Type: "similar"}},
		{r.Fields[0], "CommandLine"},
		{r.Pos.String(), "whoami.yml:1:1"},
	}
	for i, c := range checks {
		if c.got != c.want {
			t.Errorf("check %d: got %v, want %v", i, c.got, c.want)
		}
	}
	sel := r.Detection.Search("selection")
	fm := sel.Groups[0][0]
	if fm.Field != "Image" || fm.Key() != "Image|endswith" || fm.Values[0].Kind != StringValue || fm.Pos.Line == 0 {
		t.Errorf("field match %+v", fm)
	}
}

func TestTagsAndLevels(t *testing.T) {
	for tag, want := range map[string]string{"attack.t1003.001": "T1003.001", "attack.t1059": "T1059", "ATTACK.T1059": "T1059", "attack.t105": "", "attack.g0007": "", "car.2013-07-001": "", "attack.t1003.01": ""} {
		got, ok := Technique(tag)
		if got != want || ok != (want != "") {
			t.Errorf("Technique(%q) = %q, %v", tag, got, ok)
		}
	}
	for tag, want := range map[string]string{"attack.credential-access": "credential-access", "attack.credential_access": "credential-access", "attack.s0002": "", "attack.command-and-control": "command-and-control"} {
		got, ok := Tactic(tag)
		if got != want || ok != (want != "") {
			t.Errorf("Tactic(%q) = %q, %v", tag, got, ok)
		}
	}
	for _, l := range []Level{LevelInformational, LevelLow, LevelMedium, LevelHigh, LevelCritical} {
		if p, err := ParseLevel(l.String()); err != nil || p != l {
			t.Errorf("ParseLevel(%q) = %v, %v", l, p, err)
		}
	}
	if _, err := ParseLevel("severe"); err == nil {
		t.Error("ParseLevel(severe): no error")
	}
}

func TestCorrelationAndFilter(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "rules", "correlation.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("correlation.yml", src)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Rules) != 2 || len(c.Correlations) != 3 || len(c.Filters) != 1 {
		t.Fatalf("rules %d correlations %d filters %d", len(c.Rules), len(c.Correlations), len(c.Filters))
	}
	ord := c.Correlations[0]
	if ord.Type != TemporalOrdered || ord.Timespan != 10*time.Minute || strings.Join(ord.Rules, ",") != "many_failed_logins,successful_login" || ord.Level != LevelHigh || !ord.Generate {
		t.Errorf("temporal_ordered: %+v", ord)
	}
	vc := c.Correlations[1]
	if vc.Type != ValueCount || vc.Field != "TargetUserName" || len(vc.Condition) != 2 || vc.Condition[0] != (Threshold{Op: "gte", Value: 10}) || vc.Condition[1].Op != "lt" {
		t.Errorf("value_count: %+v", vc)
	}
	if vc.Aliases["ip"]["failed_logon"] != "IpAddress" || strings.Join(vc.GroupBy, ",") != "ip" {
		t.Errorf("aliases: %+v", vc.Aliases)
	}
	pc := c.Correlations[2]
	if pc.Type != ValuePercentile || pc.Percentile != 95 || pc.Timespan != 24*time.Hour {
		t.Errorf("value_percentile: %+v", pc)
	}
	f := c.Filters[0]
	if strings.Join(f.Rules, ",") != "failed_logon" || f.Detection.Search("selection") == nil || f.Detection.Conditions[0].Text != "selection" || f.LogSource.Service != "security" {
		t.Errorf("filter: %+v", f)
	}
}

// TestErrors checks that problems are reported with file:line:col and a
// reason, and that one bad rule does not stop the others.
func TestErrors(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "rules", "broken.yml"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse("broken.yml", src)
	var el ErrorList
	if !errors.As(err, &el) {
		t.Fatalf("error %v is not an ErrorList", err)
	}
	rs, cerr := Compile(c.Rules, Config{})
	got := map[string]string{} // title -> first reason
	for _, r := range c.Rules {
		if r.Err != nil {
			got[r.Title] = r.Err.Error()
		}
	}
	for _, u := range rs.Unusable() {
		if _, ok := got[u.Rule.Title]; !ok {
			got[u.Rule.Title] = u.Err.Error()
		}
	}
	want := map[string]string{
		"unknown modifier":   "broken.yml:15:9: CommandLine|contans: unknown modifier \"contans\"",
		"bad condition":      "broken.yml:24:36: condition: unexpected \")\"",
		"undefined search":   "broken.yml:32:16: condition refers to undefined search identifier \"selection\"",
		"empty pattern":      "broken.yml:40:33: condition: pattern \"filter_*\" matches no search identifier",
		"look-around":        "look-around (?!",
		"back-reference":     "back-reference \\1",
		"no detection":       "broken.yml:58:1: rule has no detection",
		"bad level":          "unknown level \"severe\"",
		"aggregation":        "aggregation expressions",
		"duplicate field":    "duplicate field \"Image\"",
		"null with modifier": "null cannot be combined with modifiers",
		"exists not bool":    "exists takes true or false",
		"bad cidr":           "invalid network",
		"gt text":            "is not a number",
		"base64 wildcard":    "cannot encode a value with wildcards",
	}
	for title, w := range want {
		if !strings.Contains(got[title], w) {
			t.Errorf("%s: reason %q, want it to contain %q", title, got[title], w)
		}
	}
	if rs.Len() != 1 || rs.Rule(0).Title != "good" {
		t.Errorf("usable: %d rules (want only \"good\")", rs.Len())
	}
	_ = cerr
	for _, e := range el {
		if e.Pos.File != "broken.yml" {
			t.Errorf("error without file: %v", e)
		}
	}
}

func TestInvalidYAML(t *testing.T) {
	c, err := Parse("x.yml", []byte("title: a\ndetection: [\n"))
	if err == nil || len(c.Rules) != 1 || c.Rules[0].Err == nil || !strings.HasPrefix(err.Error(), "x.yml:") {
		t.Fatalf("err %v, rules %+v", err, c.Rules)
	}
}

func TestAliasBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("title: bomb\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	b.WriteString("logsource: {product: windows}\ndetection:\n  sel: *a8\n  condition: sel\n")
	start := time.Now()
	c, err := Parse("bomb.yml", []byte(b.String()))
	// The loader never walks arbitrary nesting, so the bomb is refused at
	// its first level; the node budget is a second line of defence.
	if err == nil || len(c.Rules) != 1 || c.Rules[0].Err == nil {
		t.Errorf("want an error, got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func TestLoadDir(t *testing.T) {
	c, err := LoadDir(filepath.Join("testdata", "rules"))
	if c.Len() < 10 {
		t.Errorf("%d documents", c.Len())
	}
	if err == nil {
		t.Error("broken.yml gives errors")
	}
	c2, _ := Load(filepath.Join("testdata", "rules", "whoami.yml"), filepath.Join("testdata", "rules", "correlation.yml"))
	if len(c2.Rules) != 3 || len(c2.Correlations) != 3 {
		t.Errorf("Load: %d rules, %d correlations", len(c2.Rules), len(c2.Correlations))
	}
	if _, err := LoadFile(filepath.Join("testdata", "no-such-file.yml")); err == nil {
		t.Error("missing file: no error")
	}
}
