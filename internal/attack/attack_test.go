package attack

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/finding"
)

func catalog(t testing.TB) *Catalog {
	t.Helper()
	c, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNotice(t *testing.T) {
	// MITRE's licence requires its copyright designation and licence in
	// every copy: the embedded NOTICE must carry both.
	n := NoticeText()
	for _, want := range []string{
		"ATT&CK® © 2025 The MITRE Corporation. This work is reproduced and distributed\nwith the permission of The MITRE Corporation.",
		"The MITRE Corporation (MITRE) hereby grants you a non-exclusive, royalty-free",
		"provided that you reproduce\nMITRE's copyright designation and this license in any such copy.",
	} {
		if !strings.Contains(n, want) {
			t.Errorf("NOTICE lacks %q", want)
		}
	}
	if !strings.Contains(Notice, "© 2025 The MITRE Corporation") {
		t.Errorf("Notice = %q", Notice)
	}
}

func TestCatalogSize(t *testing.T) {
	c := catalog(t)
	if c.Version() != Version {
		t.Errorf("version %q, want %q", c.Version(), Version)
	}
	if n := len(c.Tactics()); n != 14 {
		t.Errorf("%d tactics, want 14", n)
	}
	if n := len(c.Groups()); n != 172 {
		t.Errorf("%d groups, want 172", n)
	}
}

func TestTacticsKillChainOrder(t *testing.T) {
	c := catalog(t)
	var got []string
	for _, tc := range c.Tactics() {
		got = append(got, tc.ShortName)
	}
	want := "reconnaissance resource-development initial-access execution persistence privilege-escalation " +
		"defense-evasion credential-access discovery lateral-movement collection command-and-control exfiltration impact"
	if strings.Join(got, " ") != want {
		t.Errorf("order\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}

func TestTactic(t *testing.T) {
	c := catalog(t)
	tests := []struct {
		in, short, name string
		ok              bool
	}{
		{"credential-access", "credential-access", "Credential Access", true},
		{"Credential Access", "credential-access", "Credential Access", true},
		{"attack.credential_access", "credential-access", "Credential Access", true},
		{"TA0006", "credential-access", "Credential Access", true},
		{"stealth", "defense-evasion", "Defense Evasion", true},
		{"attack.defense-impairment", "defense-evasion", "Defense Evasion", true},
		{"command-and-control", "command-and-control", "Command and Control", true},
		{"not-a-tactic", "", "", false},
		{"", "", "", false},
	}
	for _, tt := range tests {
		got, ok := c.Tactic(tt.in)
		if ok != tt.ok || got.ShortName != tt.short || got.Name != tt.name {
			t.Errorf("Tactic(%q) = %+v, %v; want %s %q, %v", tt.in, got, ok, tt.short, tt.name, tt.ok)
		}
	}
	if c.TacticOrder("execution") >= c.TacticOrder("credential-access") {
		t.Error("execution should come before credential-access")
	}
	if c.TacticOrder("nonsense") != 14 {
		t.Error("unknown tactics sort last")
	}
}

func TestResolveTechnique(t *testing.T) {
	c := catalog(t)
	tests := []struct {
		in, id, full string
	}{
		{"T1003.003", "T1003.003", "OS Credential Dumping: NTDS"},
		{"attack.t1003.003", "T1003.003", "OS Credential Dumping: NTDS"},
		{" t1047 ", "T1047", "Windows Management Instrumentation"},
		{"T1685.005", "T1070.001", "Indicator Removal: Clear Windows Event Logs"}, // newer id
		{"T1686.003", "T1562.004", "Impair Defenses: Disable or Modify System Firewall"},
		{"T1002", "T1560", "Archive Collected Data"}, // revoked
		{"T1073", "", ""}, // revoked chain, resolved below
		{"T9999", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		if tt.in == "T1073" {
			id, ok := c.Resolve(tt.in)
			if !ok || !strings.HasPrefix(id, "T1574") {
				t.Errorf("Resolve(T1073) = %q, %v; want a T1574 sub-technique", id, ok)
			}
			continue
		}
		id, ok := c.Resolve(tt.in)
		if id != tt.id || ok != (tt.id != "") {
			t.Errorf("Resolve(%q) = %q, %v; want %q", tt.in, id, ok, tt.id)
		}
		if got := c.TechniqueName(tt.in); got != tt.full {
			t.Errorf("TechniqueName(%q) = %q, want %q", tt.in, got, tt.full)
		}
	}
	tech, ok := c.Technique("T1021.001")
	if !ok || tech.Name != "Remote Desktop Protocol" || !tech.Subtechnique || len(tech.Tactics) != 1 || tech.Tactics[0] != "lateral-movement" {
		t.Errorf("Technique(T1021.001) = %+v", tech)
	}
	// Every newer id maps to a technique of the catalog.
	for from, to := range NewerTechniques() {
		if _, ok := c.Technique(to); !ok {
			t.Errorf("newer %s maps to %s, which v%s lacks", from, to, Version)
		}
	}
}

func TestGroup(t *testing.T) {
	c := catalog(t)
	for _, name := range []string{"G1017", "volt typhoon", "Vanguard Panda", "BRONZE SILHOUETTE"} {
		g, ok := c.Group(name)
		if !ok || g.ID != "G1017" {
			t.Errorf("Group(%q) = %s, %v", name, g.ID, ok)
		}
	}
	g, _ := c.Group("G1017")
	all := g.AllTechniques()
	has := func(id string) bool {
		for _, a := range all {
			if a == id {
				return true
			}
		}
		return false
	}
	// T1082 is documented only under the KV Botnet campaign.
	if !has("T1082") || !has("T1003.003") {
		t.Errorf("G1017 profile lacks campaign or own techniques: %v", all)
	}
	if len(g.Campaigns) != 2 {
		t.Errorf("G1017 campaigns: %+v", g.Campaigns)
	}
}

// voltTyphoon are the techniques the Volt Typhoon pack's rules typically
// produce.
var voltTyphoon = []string{"T1047", "T1003.003", "T1090.001", "T1070.001", "T1021.001", "T1082",
	"T1016", "T1018", "T1087.002", "T1560.001", "T1105", "T1036.005"}

func TestAttribute(t *testing.T) {
	c := catalog(t)
	tests := []struct {
		name     string
		obs      []string
		want     string // group expected in the first maxRank
		maxRank  int
		minScore float64
	}{
		{"volt typhoon pack", voltTyphoon, "G1017", 1, 0.99},
		{"volt typhoon, newer ids", append([]string{"T1685.005"}, voltTyphoon[:6]...), "G1017", 3, 0.9},
		{"volt typhoon core", []string{"T1003.003", "T1090.001", "T1070.001", "T1047"}, "G1017", 3, 0.9},
		{"volt typhoon with noise", append([]string{"T1566.001", "T1204.002"}, voltTyphoon...), "G1017", 3, 0.7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.Attribute(tt.obs)
			rank := -1
			for i, g := range got {
				if g.Group.ID == tt.want {
					rank = i + 1
					if g.Score < tt.minScore {
						t.Errorf("%s score %.3f < %.2f", tt.want, g.Score, tt.minScore)
					}
					break
				}
			}
			for i := 0; i < len(got) && i < 5; i++ {
				t.Logf("%d. %s %s score %.3f jaccard %.3f shared %d", i+1, got[i].Group.ID, got[i].Group.Name, got[i].Score, got[i].Jaccard, len(got[i].Shared))
			}
			if rank < 1 || rank > tt.maxRank {
				t.Errorf("%s ranked %d, want within %d", tt.want, rank, tt.maxRank)
			}
		})
	}
}

func TestAttributeMethod(t *testing.T) {
	c := catalog(t)
	// Rare techniques weigh more than ubiquitous ones.
	if c.Weight("T1105") >= c.Weight("T1003.003") {
		t.Errorf("weight T1105 %.2f >= T1003.003 %.2f", c.Weight("T1105"), c.Weight("T1003.003"))
	}
	// Roll-up: a group known for T1003.001 earns half of T1003.003.
	got := c.Attribute([]string{"T1003.003"})
	var exact, partial bool
	for _, g := range got {
		for _, s := range g.Shared {
			if s.Exact && g.Score == 1 {
				exact = true
			}
			if !s.Exact && g.Score == 0.5 && strings.HasPrefix(s.Via, "T1003") {
				partial = true
			}
		}
	}
	if !exact || !partial {
		t.Errorf("exact %v partial %v", exact, partial)
	}
	if c.Attribute(nil) != nil || c.Attribute([]string{}) != nil {
		t.Error("no observation, no score")
	}
	// Deterministic: the same input gives the same ranking and scores.
	a, b := c.Attribute(voltTyphoon), c.Attribute(voltTyphoon)
	for i := range a {
		if a[i].Group.ID != b[i].Group.ID || a[i].Score != b[i].Score || a[i].Jaccard != b[i].Jaccard {
			t.Fatalf("run differs at %d", i)
		}
	}
}

func TestLayer(t *testing.T) {
	c := catalog(t)
	at := time.Date(2024, 2, 7, 10, 0, 0, 0, time.UTC)
	fs := []*finding.Finding{
		{ID: "a", Rule: "ntdsutil IFM", Time: at, Techniques: []string{"attack.t1003.003"}},
		{ID: "b", Rule: "ntdsutil IFM", Time: at, Techniques: []string{"T1003.003", "T1003.003"}},
		{ID: "c", Rule: "log cleared", Time: at, Techniques: []string{"T1685.005"}},
		{ID: "d", Rule: "odd", Time: at, Techniques: []string{"T9999"}},
	}
	seen := c.Observe(fs)
	if len(seen) != 3 || seen[0].ID != "T1003.003" || seen[0].Findings != 2 || seen[1].ID != "T1070.001" || seen[2].Known {
		t.Fatalf("Observe = %+v", seen)
	}
	l := c.Layer("hunt", "test", seen)
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	v := back["versions"].(map[string]any)
	if v["layer"] != "4.5" || v["attack"] != "18" || back["domain"] != "enterprise-attack" {
		t.Errorf("versions %v domain %v", v, back["domain"])
	}
	s := string(b)
	for _, want := range []string{`"techniqueID":"T1003","color":"","comment":"","enabled":true,"metadata":[],"showSubtechniques":true`,
		`"techniqueID":"T1003.003","score":2`, `"techniqueID":"T1070.001","score":1`, `"maxValue":2`, `T9999`} {
		if !strings.Contains(s, want) {
			t.Errorf("layer lacks %s:\n%s", want, s)
		}
	}
	if strings.Contains(s, `"techniqueID":"T9999"`) {
		t.Error("unknown technique in the matrix")
	}
}
