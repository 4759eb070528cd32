package sigma

import (
	"slices"
	"strings"
	"testing"
)

// filterRules are rules a filter can tune: one named by id, one by name.
const filterRules = `
title: Whoami
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
logsource: {category: process_creation, product: windows}
detection:
    selection:
        CommandLine|contains: whoami
    condition: selection
---
title: Admin logon
name: admin_logon
logsource: {product: windows, service: security}
detection:
    logon: {EventID: 4624}
    admin: {TargetUserName|startswith: adm_}
    other: {TargetUserName: root}
    condition: logon and (admin or other)
`

func process(cmd, user string) tev {
	return tv("0s", 4688, "NewProcessName", `C:\Windows\System32\whoami.exe`, "CommandLine", cmd, "SubjectUserName", user)
}

// filtered compiles filterRules with the filters of src and returns the
// titles of the rules that match each event.
func filtered(t *testing.T, src string, events ...tev) ([][]string, *RuleSet) {
	t.Helper()
	// A broken filter is a loader error, reported again by FilterProblems.
	coll, _ := Parse("rules.yml", []byte(filterRules+"\n---\n"+src))
	rs, err := Compile(coll.Rules, Config{Filters: coll.Filters})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	m := rs.NewMatcher()
	var out [][]string
	for i := range events {
		var titles []string
		for _, r := range m.Match(&events[i], nil) {
			titles = append(titles, rs.Rule(r).Title)
		}
		out = append(out, titles)
	}
	return out, rs
}

// TestFilter follows the filters specification: a filter names rules and a
// logsource, and its detection excludes events from those rules' matches.
func TestFilter(t *testing.T) {
	admin := func(user string) tev { return tv("0s", 4624, "TargetUserName", user) }
	cases := []struct {
		name   string
		filter string
		events []tev
		want   [][]string
		probs  []string
	}{
		{name: "by id, spec example", filter: `
title: Filter the jump host's administrators
logsource: {category: process_creation, product: windows}
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095
    selection:
        SubjectUserName|startswith: adm_
    condition: selection
`, events: []tev{process("whoami /all", "adm_bob"), process("whoami /all", "eve")},
			want: [][]string{nil, {"Whoami"}}},
		{name: "by name, into an OR", filter: `
title: Not root
logsource: {product: windows, service: security}
filter:
    rules: [admin_logon]
    root: {TargetUserName: root}
    condition: root
`, events: []tev{admin("root"), admin("adm_x"), admin("bob")},
			want: [][]string{nil, {"Admin logon"}, nil}},
		{name: "two filters", filter: `
title: One
logsource: {product: windows}
filter:
    rules: [admin_logon]
    selection: {TargetUserName: adm_a}
    condition: selection
---
title: Two
filter:
    rules: [admin_logon]
    selection: {TargetUserName: adm_b}
    condition: selection
`, events: []tev{admin("adm_a"), admin("adm_b"), admin("adm_c")},
			want: [][]string{nil, nil, {"Admin logon"}}},
		{name: "a not in the filter", filter: `
title: Keep only adm_a
logsource: {product: windows, service: security}
filter:
    rules: [admin_logon]
    selection: {TargetUserName: adm_a}
    condition: not selection
`, events: []tev{admin("adm_a"), admin("adm_b")},
			want: [][]string{{"Admin logon"}, nil}},
		{name: "other logsource", filter: `
title: Wrong logsource
logsource: {category: process_creation, product: windows}
filter:
    rules: [admin_logon]
    selection: {TargetUserName: adm_a}
    condition: selection
`, events: []tev{admin("adm_a")}, want: [][]string{{"Admin logon"}},
			probs: []string{"rules.yml:21:1: filter logsource windows/process_creation agrees with none of the rules it names (admin_logon)"}},
		{name: "no such rule", filter: `
title: Nothing
logsource: {product: windows}
filter:
    rules: [no_such_rule, 11111111-0000-0000-0000-000000000000]
    selection: {TargetUserName: adm_a}
    condition: selection
`, events: []tev{admin("adm_a")}, want: [][]string{{"Admin logon"}},
			probs: []string{"filter names no loaded rule (no_such_rule, 11111111-0000-0000-0000-000000000000)"}},
		{name: "broken detection", filter: `
title: Broken
logsource: {product: windows}
filter:
    rules: [admin_logon]
    selection: {TargetUserName|nosuchmodifier: adm_a}
    condition: selection
`, events: []tev{admin("adm_a")}, want: [][]string{{"Admin logon"}},
			probs: []string{"nosuchmodifier"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, rs := filtered(t, tc.filter, tc.events...)
			if !slices.EqualFunc(got, tc.want, func(a, b []string) bool { return slices.Equal(a, b) }) {
				t.Errorf("matches %q, want %q", got, tc.want)
			}
			probs := rs.FilterProblems()
			if len(probs) != len(tc.probs) {
				t.Fatalf("problems %v, want %q", probs, tc.probs)
			}
			for i, p := range probs {
				if !strings.Contains(p.Err.Error(), tc.probs[i]) {
					t.Errorf("problem %q, want %q", p.Err, tc.probs[i])
				}
			}
		})
	}
}

// TestFilterExplain: an explanation shows the filter's condition and
// searches, so that a user sees why a rule no longer matches.
func TestFilterExplain(t *testing.T) {
	_, rs := filtered(t, `
title: Jump host
logsource: {category: process_creation, product: windows}
filter:
    rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
    selection: {SubjectUserName|startswith: adm_}
    condition: selection
`)
	if len(rs.Filters(0)) != 1 || rs.Filters(0)[0].Title != "Jump host" {
		t.Fatalf("Filters(0) = %v", rs.Filters(0))
	}
	e := process("whoami", "adm_x")
	ex := rs.Explain(0, &e)
	text := ex.String()
	if ex.Matched || !strings.Contains(text, "and not filter Jump host: selection") || !strings.Contains(text, "+ filter Jump host: selection") {
		t.Errorf("explanation:\n%s", text)
	}
}

// TestFilterAllocs: a filtered rule matches without allocating.
func TestFilterAllocs(t *testing.T) {
	_, rs := filtered(t, `
title: Jump host
logsource: {category: process_creation, product: windows}
filter:
    rules: [6f3e2987-db24-4c78-a860-b4f4095a7095]
    selection: {SubjectUserName|startswith: [adm_, svc_]}
    condition: selection
`)
	m := rs.NewMatcher()
	events := []tev{process("whoami /all", "adm_bob"), process("whoami /all", "eve"), process("cmd", "x")}
	dst := make([]int, 0, 4)
	for i := range events {
		dst = m.Match(&events[i], dst[:0])
	}
	allocs := testing.AllocsPerRun(200, func() {
		for i := range events {
			dst = m.Match(&events[i], dst[:0])
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run", allocs)
	}
}
