package sigma

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestSigmaHQLoad loads and compiles every SigmaHQ rule of the datasets and
// holds the share of usable rules to at least 99.5%. Rules that need
// placeholder values are counted both ways: without values (as a plain
// "rules check" sees them) they are unusable for that reason only; with the
// values of testdata/placeholders.yml, as a user who configures them gets,
// they must all compile.
func TestSigmaHQLoad(t *testing.T) {
	coll, _ := loadSigmaHQ(t, sigmaHQRuleDirs...)
	docs := coll.Len()
	rs, _ := Compile(coll.Rules, Config{})
	for _, c := range coll.Correlations {
		if c.Err != nil {
			t.Errorf("correlation %s: %v", c.Ident(), c.Err)
		}
	}
	for _, f := range coll.Filters {
		if f.Err != nil {
			t.Errorf("filter %s: %v", f.Ident(), f.Err)
		}
	}
	var placeholderOnly, other []Unusable
	for _, u := range rs.Unusable() {
		if errors.Is(u.Err, ErrPlaceholder) {
			placeholderOnly = append(placeholderOnly, u)
		} else {
			other = append(other, u)
		}
	}
	usable := docs - len(rs.Unusable())
	t.Logf("%d documents (%d rules, %d correlations, %d filters): %d usable without placeholder values, %d need placeholder values, %d unusable for other reasons",
		docs, len(coll.Rules), len(coll.Correlations), len(coll.Filters), usable, len(placeholderOnly), len(other))
	for _, u := range other {
		t.Logf("unusable: %v", u.Err)
	}
	for _, u := range placeholderOnly {
		t.Logf("needs values: %s: %v", u.Rule.Pos.File, u.Err)
	}
	withValues := docs - len(other)
	if share := float64(withValues) / float64(docs); share < 0.995 {
		t.Errorf("%d/%d usable (%.2f%%), want at least 99.5%%", withValues, docs, 100*share)
	}

	// With placeholder values every placeholder rule compiles.
	ph := testPlaceholders(t)
	rs2, _ := Compile(coll.Rules, Config{Placeholders: ph})
	for _, u := range rs2.Unusable() {
		if errors.Is(u.Err, ErrPlaceholder) {
			t.Errorf("with placeholder values: %v", u.Err)
		}
	}
	st := rs.Stats()
	t.Logf("stats: %+v", st)
}

// testPlaceholders reads testdata/placeholders.yml: example values for the
// placeholders SigmaHQ's placeholder rules use.
func testPlaceholders(tb testing.TB) map[string][]string {
	tb.Helper()
	src, err := os.ReadFile(filepath.Join("testdata", "placeholders.yml"))
	if err != nil {
		tb.Fatal(err)
	}
	ph, err := ParsePlaceholders("placeholders.yml", src)
	if err != nil {
		tb.Fatal(err)
	}
	return ph
}

// TestRegressionJSON runs SigmaHQ's regression tests on the evtx_dump JSON
// copies: for each of the 202 tests the named rule must match its file at
// least match_count times.
func TestRegressionJSON(t *testing.T) {
	rows := readManifest(t)
	coll, _ := loadSigmaHQ(t, "rules", "rules-threat-hunting", "rules-emerging-threats")
	rs, _ := Compile(coll.Rules, Config{})
	byID := map[string]int{}
	for i, r := range rs.Rules() {
		byID[r.ID] = i
	}
	m := rs.NewMatcher()
	pass := 0
	var failures []string
	for _, row := range rows {
		ri, ok := byID[row.ruleID]
		if !ok {
			failures = append(failures, fmt.Sprintf("%s: rule %s not usable", row.ruleFile, row.ruleID))
			continue
		}
		events, err := readEvtxJSON(row.json)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		var matched []int
		for _, e := range events {
			matched = m.Match(e, matched[:0])
			for _, mi := range matched {
				if mi == ri {
					n++
				}
			}
		}
		if n >= row.matchCount {
			pass++
			continue
		}
		var why []string
		for _, e := range events {
			why = append(why, rs.Explain(ri, e).String())
		}
		failures = append(failures, fmt.Sprintf("%s: %d matches, want %d\n%s", row.ruleFile, n, row.matchCount, strings.Join(why, "\n")))
	}
	sort.Strings(failures)
	for _, f := range failures {
		t.Error(f)
	}
	t.Logf("%d/%d regression tests pass on the JSON copies", pass, len(rows))
}

var update = flag.Bool("update", false, "rewrite golden files from the current results")

// TestRegressionGolden holds every (rule, file) match that all SigmaHQ
// rules (rules/, rules-threat-hunting/, rules-emerging-threats/) make on
// the 202 regression JSON files to testdata/regression_matches.golden, so
// that no match appears or disappears unnoticed. Run with -update to
// rewrite it after reviewing the difference.
func TestRegressionGolden(t *testing.T) {
	rows := readManifest(t)
	coll, _ := loadSigmaHQ(t, "rules", "rules-threat-hunting", "rules-emerging-threats")
	rs, _ := Compile(coll.Rules, Config{})
	m := rs.NewMatcher()
	root := filepath.Join(datasetDir(t), "sigma")
	var b strings.Builder
	b.WriteString("# Every match of all SigmaHQ rules (rules, rules-threat-hunting, rules-emerging-threats)\n")
	b.WriteString("# on the SigmaHQ regression JSON files: file, rule id, matching events, tested|extra, rule title.\n")
	b.WriteString("# \"tested\" is the rule the regression test names; \"extra\" any other rule. Refresh: go test ./sigma -run TestRegressionGolden -update\n")
	extra := 0
	for _, row := range rows {
		events, err := readEvtxJSON(row.json)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[int]int{}
		var matched []int
		for _, e := range events {
			matched = m.Match(e, matched[:0])
			for _, mi := range matched {
				counts[mi]++
			}
		}
		rel, _ := filepath.Rel(root, row.json)
		ids := make([]int, 0, len(counts))
		for mi := range counts {
			ids = append(ids, mi)
		}
		sort.Slice(ids, func(i, j int) bool { return rs.Rule(ids[i]).ID < rs.Rule(ids[j]).ID })
		for _, mi := range ids {
			r := rs.Rule(mi)
			kind := "extra"
			if r.ID == row.ruleID {
				kind = "tested"
			} else {
				extra++
			}
			fmt.Fprintf(&b, "%s\t%s\t%d\t%s\t%s\n", filepath.ToSlash(rel), r.ID, counts[mi], kind, r.Title)
		}
	}
	got := b.String()
	golden := filepath.Join("testdata", "regression_matches.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d extra matches)", golden, extra)
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("matches changed (review, then run with -update):\n%s", lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in a (-) and only in b (+).
func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !mb[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !ma[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}
