// Package rules holds Breakwater's built-in rule packs: Sigma YAML files
// embedded in the binary, on by default in every hunt. The Volt Typhoon
// pack (folder volttyphoon/) has one file per behaviour of the catalogue in
// ../shared/knowledge/volt-typhoon.md, named after its row (d09_... is row
// D09); a file holds the single-event rules of that behaviour and, where the
// behaviour is a count or a sequence, the Sigma correlation built on them.
package rules

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/breakwater/breakwater/sigma"
)

//go:embed volttyphoon/*.yml
var packs embed.FS

// Pack names the folder of the Volt Typhoon pack within FS.
const Pack = "volttyphoon"

// FS returns the built-in rule files, one folder per pack. It is what a
// hunt loads when --no-builtin is not given.
func FS() fs.FS { return packs }

// Load parses every built-in rule file. The pack is tested to load without
// error, so an error here means the binary itself is broken.
func Load() (*sigma.Collection, error) {
	c, err := sigma.LoadFS(packs, ".")
	if err != nil {
		return c, fmt.Errorf("built-in rules: %w", err)
	}
	return c, nil
}

// Info describes one document of a built-in pack, for "breakwater rules
// list" and for tests that need to know what the pack covers.
type Info struct {
	ID    string
	Name  string // the Sigma name correlations refer to
	Title string
	Level sigma.Level
	// Kind is "rule" for a single-event rule and "correlation" for a
	// correlation rule.
	Kind string
	// File is the path of the document's file within FS, such as
	// "volttyphoon/d44_netsh_portproxy.yml".
	File string
	// Behaviour is the catalogue row the file implements ("D44"), taken
	// from the file name; empty when the name carries none.
	Behaviour  string
	Techniques []string
	Tactics    []string
}

// List returns every rule and correlation of the built-in packs, sorted by
// file and then by position in the file.
func List() ([]Info, error) {
	c, err := Load()
	if err != nil {
		return nil, err
	}
	type placed struct {
		info Info
		line int
	}
	var all []placed
	add := func(m *sigma.Meta, kind string) {
		all = append(all, placed{line: m.Pos.Line, info: Info{
			ID: m.ID, Name: m.Name, Title: m.Title, Level: m.Level, Kind: kind,
			File: m.Pos.File, Behaviour: behaviour(m.Pos.File),
			Techniques: m.Techniques(), Tactics: m.Tactics(),
		}})
	}
	for _, r := range c.Rules {
		add(&r.Meta, "rule")
	}
	for _, r := range c.Correlations {
		add(&r.Meta, "correlation")
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].info.File != all[j].info.File {
			return all[i].info.File < all[j].info.File
		}
		return all[i].line < all[j].line
	})
	out := make([]Info, len(all))
	for i, p := range all {
		out[i] = p.info
	}
	return out, nil
}

// behaviour returns the catalogue row a pack file implements, from its name:
// "volttyphoon/d09_ntdsutil_ifm.yml" is row D09.
func behaviour(file string) string {
	base := path.Base(file)
	row, _, ok := strings.Cut(base, "_")
	if !ok || len(row) < 2 || (row[0] != 'd' && row[0] != 'D') {
		return ""
	}
	for _, c := range row[1:] {
		if c < '0' || c > '9' {
			return ""
		}
	}
	return "D" + row[1:]
}
