// Package attack is Breakwater's copy of MITRE ATT&CK Enterprise: the names
// of tactics and techniques, the groups and what they are known to use, a
// score of how much observed techniques resemble each group's tradecraft,
// and ATT&CK Navigator layers of what a hunt saw.
//
// The data is ATT&CK v18.1, embedded in the binary (see NOTICE for MITRE's
// copyright and licence, which every copy must carry). Everything Breakwater
// reports is in v18.1 terms: identifiers of revoked techniques and the newer
// identifiers of later ATT&CK releases, which current rule sets already use,
// are translated to their v18.1 equivalents (see Resolve and ResolveTactic).
package attack

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Version is the ATT&CK release the catalog holds and reports in.
const Version = "18.1"

// Notice is MITRE's copyright designation, which every product that shows
// ATT&CK data must reproduce (the full licence is in the NOTICE file).
const Notice = "ATT&CK® © 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation."

//go:embed enterprise-18.1.json NOTICE
var data embed.FS

// Tactic is a column of the ATT&CK matrix: the adversary's goal.
type Tactic struct {
	ID        string // "TA0006"
	ShortName string // "credential-access", as rule tags and findings carry it
	Name      string // "Credential Access"
}

// Technique is a technique or sub-technique.
type Technique struct {
	ID           string   // "T1003.003"
	Name         string   // its own name: "NTDS"
	FullName     string   // with its parent's for a sub-technique: "OS Credential Dumping: NTDS"
	Tactics      []string // short names, in kill-chain order
	Platforms    []string
	Subtechnique bool
}

// Group is a known threat group and the techniques ATT&CK documents for it.
type Group struct {
	ID      string // "G1017"
	Name    string // "Volt Typhoon"
	Aliases []string
	// Techniques are those of the group's own "uses" relationships.
	Techniques []string
	// Campaigns are the campaigns ATT&CK attributes to the group, each with
	// the techniques seen in it.
	Campaigns []Campaign
}

// Campaign is a named intrusion campaign attributed to a group.
type Campaign struct {
	ID         string // "C0035"
	Name       string
	Techniques []string
}

// AllTechniques returns the group's techniques and those of its campaigns,
// sorted and without duplicates: the profile attribution compares with.
func (g *Group) AllTechniques() []string {
	seen := make(map[string]bool, len(g.Techniques))
	var all []string
	add := func(ids []string) {
		for _, id := range ids {
			if !seen[id] {
				seen[id] = true
				all = append(all, id)
			}
		}
	}
	add(g.Techniques)
	for _, c := range g.Campaigns {
		add(c.Techniques)
	}
	sort.Strings(all)
	return all
}

// Catalog is ATT&CK Enterprise as Breakwater uses it. It is read-only once
// loaded, and safe for concurrent use.
type Catalog struct {
	version    string
	source     string
	tactics    []Tactic       // kill-chain order
	tacticIdx  map[string]int // short name, display name and TA id → index in tactics
	techniques map[string]*Technique
	revokedBy  map[string]string
	groups     []Group // by id
	groupIdx   map[string]int
	// profiles and weights serve Attribute; they are computed once, here,
	// because every report asks.
	profiles []profile
	weight   map[string]float64
	nGroups  int
}

// killChain is the order of the Enterprise matrix's columns, from the first
// step of an intrusion to the last. The data file lists tactics by name
// only; the order is the matrix's, which ATT&CK has kept since v8.
var killChain = [...]string{
	"reconnaissance", "resource-development", "initial-access", "execution", "persistence",
	"privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement",
	"collection", "command-and-control", "exfiltration", "impact",
}

// newerTactics maps tactic tags of ATT&CK releases after v18.1 to v18.1's.
// Later releases split Defense Evasion into "stealth" (hiding) and
// "defense-impairment" (disabling defences); SigmaHQ's rules already carry
// both, so both read as defense-evasion here.
var newerTactics = map[string]string{
	"stealth":            "defense-evasion",
	"defense-impairment": "defense-evasion",
}

// newerTechniques maps technique ids introduced after v18.1, which current
// rule sets use, to the v18.1 technique they replace. The pairs come from
// what the rules tagged with them detect (SigmaHQ, 2026): log tampering and
// clearing moved from Impair Defenses (T1562) and Indicator Removal (T1070)
// into T1685, and tool and firewall tampering into T1686. Parents map to
// Impair Defenses, the v18.1 technique that held all of them.
var newerTechniques = map[string]string{
	"T1685":     "T1562",     // impair logging
	"T1685.001": "T1562.002", // Disable Windows Event Logging (audit policy, EVTX tampering)
	"T1685.002": "T1562.008", // Disable or Modify Cloud Logs
	"T1685.004": "T1562.012", // Disable or Modify Linux Audit System
	"T1685.005": "T1070.001", // Clear Windows Event Logs
	"T1685.006": "T1070.002", // Clear Linux or Mac System Logs
	"T1686":     "T1562",     // disable security tools
	"T1686.001": "T1562.007", // Disable or Modify Cloud Firewall
	"T1686.002": "T1562.013", // Disable or Modify Network Device Firewall
	"T1686.003": "T1562.004", // Disable or Modify System Firewall
	"T1689":     "T1562",     // LSA protection tampering
	"T1690":     "T1562",     // ESXi logging configuration
}

// NewerTechniques returns the mapping from technique ids of releases after
// v18.1 to the v18.1 ids Breakwater reports them as, for documentation.
func NewerTechniques() map[string]string {
	m := make(map[string]string, len(newerTechniques))
	for k, v := range newerTechniques {
		m[k] = v
	}
	return m
}

// embedded is the catalog of the embedded data, parsed on first use: every
// report needs it, and parsing 330 KB of JSON each time would be waste.
var embedded = sync.OnceValues(func() (*Catalog, error) {
	b, err := data.ReadFile("enterprise-18.1.json")
	if err != nil {
		return nil, err
	}
	return Parse(b)
})

// Embedded returns the catalog of the ATT&CK data built into Breakwater.
// All callers share one read-only catalog.
func Embedded() (*Catalog, error) {
	return embedded()
}

// NoticeText returns the full notice of the embedded data: its source, MITRE's
// copyright designation and licence.
func NoticeText() string {
	b, err := data.ReadFile("NOTICE")
	if err != nil {
		return Notice // cannot happen: the file is embedded
	}
	return string(b)
}

// file is the layout of the condensed ATT&CK data file.
type file struct {
	Version string `json:"attack_version"`
	Source  string `json:"source"`
	Tactics map[string]struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"tactics"`
	Techniques map[string]struct {
		Name         string   `json:"name"`
		Tactics      []string `json:"tactics"`
		Platforms    []string `json:"platforms"`
		Subtechnique bool     `json:"subtechnique"`
	} `json:"techniques"`
	RevokedBy map[string]string `json:"revoked_by"`
	Groups    []struct {
		ID         string   `json:"id"`
		Name       string   `json:"name"`
		Aliases    []string `json:"aliases"`
		Techniques []string `json:"techniques"`
		Campaigns  []struct {
			ID         string   `json:"id"`
			Name       string   `json:"name"`
			Techniques []string `json:"techniques"`
		} `json:"campaigns"`
	} `json:"groups"`
}

// Parse reads a catalog from ATT&CK data in the layout of the embedded file
// (condensed from MITRE's STIX bundle).
func Parse(b []byte) (*Catalog, error) {
	var f file
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("attack data: %w", err)
	}
	if len(f.Tactics) == 0 || len(f.Techniques) == 0 {
		return nil, fmt.Errorf("attack data: no tactics or techniques")
	}
	c := &Catalog{
		version:    f.Version,
		source:     f.Source,
		tacticIdx:  make(map[string]int),
		techniques: make(map[string]*Technique, len(f.Techniques)),
		revokedBy:  f.RevokedBy,
		groupIdx:   make(map[string]int),
	}
	// Tactics in kill-chain order; any the order does not know (a newer
	// data file) go after it, by name, rather than being lost.
	var extra []string
	for name := range f.Tactics {
		if indexOf(killChain[:], name) < 0 {
			extra = append(extra, name)
		}
	}
	sort.Strings(extra)
	for _, name := range append(killChain[:len(killChain):len(killChain)], extra...) {
		t, ok := f.Tactics[name]
		if !ok {
			continue
		}
		i := len(c.tactics)
		c.tactics = append(c.tactics, Tactic{ID: t.ID, ShortName: name, Name: t.Name})
		c.tacticIdx[name] = i
		c.tacticIdx[strings.ToLower(t.ID)] = i
		c.tacticIdx[tacticKey(t.Name)] = i
	}
	for id, t := range f.Techniques {
		tech := &Technique{ID: id, Name: t.Name, FullName: t.Name, Platforms: t.Platforms, Subtechnique: t.Subtechnique}
		tech.Tactics = append([]string(nil), t.Tactics...)
		sort.SliceStable(tech.Tactics, func(i, j int) bool { return c.tacticOrder(tech.Tactics[i]) < c.tacticOrder(tech.Tactics[j]) })
		c.techniques[id] = tech
	}
	for id, t := range c.techniques {
		if p, ok := c.techniques[parentID(id)]; ok && t.Subtechnique {
			t.FullName = p.Name + ": " + t.Name
		}
	}
	for _, g := range f.Groups {
		grp := Group{ID: g.ID, Name: g.Name, Aliases: g.Aliases, Techniques: g.Techniques}
		for _, cp := range g.Campaigns {
			grp.Campaigns = append(grp.Campaigns, Campaign{ID: cp.ID, Name: cp.Name, Techniques: cp.Techniques})
		}
		c.groups = append(c.groups, grp)
	}
	sort.Slice(c.groups, func(i, j int) bool { return c.groups[i].ID < c.groups[j].ID })
	for i, g := range c.groups {
		c.groupIdx[strings.ToLower(g.ID)] = i
		c.groupIdx[strings.ToLower(g.Name)] = i
		for _, a := range g.Aliases {
			if _, taken := c.groupIdx[strings.ToLower(a)]; !taken {
				c.groupIdx[strings.ToLower(a)] = i
			}
		}
	}
	c.buildProfiles()
	return c, nil
}

// Version returns the ATT&CK release of the catalog's data ("18.1").
func (c *Catalog) Version() string { return c.version }

// Source says where the catalog's data was taken from.
func (c *Catalog) Source() string { return c.source }

// Tactics returns the tactics in kill-chain order.
func (c *Catalog) Tactics() []Tactic {
	return append([]Tactic(nil), c.tactics...)
}

// Tactic looks a tactic up by short name ("credential-access"), display
// name ("Credential Access"), id ("TA0006") or rule tag
// ("attack.credential_access"), and by the tags of later ATT&CK releases
// ("stealth" reads as defense-evasion).
func (c *Catalog) Tactic(name string) (Tactic, bool) {
	i, ok := c.tacticIdx[c.tacticKeyResolved(name)]
	if !ok {
		return Tactic{}, false
	}
	return c.tactics[i], true
}

// ResolveTactic returns the v18.1 short name of a tactic given in any form
// Tactic accepts, and false for names it does not know.
func (c *Catalog) ResolveTactic(name string) (string, bool) {
	t, ok := c.Tactic(name)
	return t.ShortName, ok
}

// TacticOrder returns the position of a tactic in the kill chain (0 for
// reconnaissance), or len(Tactics()) for a name the catalog does not know,
// so that unknown tactics sort last.
func (c *Catalog) TacticOrder(name string) int {
	if i, ok := c.tacticIdx[c.tacticKeyResolved(name)]; ok {
		return i
	}
	return len(c.tactics)
}

func (c *Catalog) tacticOrder(shortName string) int {
	if i, ok := c.tacticIdx[shortName]; ok {
		return i
	}
	return len(killChain)
}

func (c *Catalog) tacticKeyResolved(name string) string {
	k := tacticKey(name)
	if n, ok := newerTactics[k]; ok {
		return n
	}
	return k
}

// tacticKey folds the spellings of a tactic name to the short-name form:
// "attack.Credential_Access", "Credential Access" → "credential-access".
func tacticKey(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "attack.")
	return strings.Map(func(r rune) rune {
		if r == '_' || r == ' ' {
			return '-'
		}
		return r
	}, s)
}

// Resolve returns the v18.1 id of a technique given as an id in any case,
// with or without the "attack." prefix of rule tags: a revoked id becomes
// its replacement, and an id of a later ATT&CK release its v18.1 equivalent
// (NewerTechniques). It returns false for ids it does not know.
func (c *Catalog) Resolve(id string) (string, bool) {
	id = strings.ToUpper(strings.TrimSpace(id))
	id = strings.TrimPrefix(id, "ATTACK.")
	if n, ok := newerTechniques[id]; ok {
		id = n
	}
	// Revocations chain (T1073 → T1574.002 → ...); a bound keeps a
	// malformed data file from looping.
	for i := 0; i < 8; i++ {
		if _, ok := c.techniques[id]; ok {
			return id, true
		}
		next, ok := c.revokedBy[id]
		if !ok {
			return "", false
		}
		id = next
	}
	return "", false
}

// Technique looks a technique up by id (see Resolve for the forms
// accepted). The Technique's ID is the v18.1 id.
func (c *Catalog) Technique(id string) (Technique, bool) {
	rid, ok := c.Resolve(id)
	if !ok {
		return Technique{}, false
	}
	t := *c.techniques[rid]
	t.Tactics = append([]string(nil), t.Tactics...)
	return t, true
}

// TechniqueName returns the full name of a technique ("OS Credential
// Dumping: NTDS"), or "" for an id the catalog does not know.
func (c *Catalog) TechniqueName(id string) string {
	rid, ok := c.Resolve(id)
	if !ok {
		return ""
	}
	return c.techniques[rid].FullName
}

// Groups returns the groups, ordered by id.
func (c *Catalog) Groups() []Group {
	return append([]Group(nil), c.groups...)
}

// Group looks a group up by id ("G1017"), name or alias, case-insensitively.
func (c *Catalog) Group(name string) (Group, bool) {
	i, ok := c.groupIdx[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return Group{}, false
	}
	return c.groups[i], true
}

// parentID returns the technique a sub-technique belongs to ("T1003" for
// "T1003.003"), or the id itself.
func parentID(id string) string {
	if i := strings.IndexByte(id, '.'); i >= 0 {
		return id[:i]
	}
	return id
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
