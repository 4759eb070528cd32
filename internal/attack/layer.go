package attack

import (
	"fmt"
	"sort"
	"strings"

	"github.com/breakwater/breakwater/internal/finding"
)

// Observed is a technique seen in findings.
type Observed struct {
	ID       string   // v18.1 id, or the id as found when the catalog does not know it
	Known    bool     // the catalog knows the technique
	Findings int      // how many findings carry it
	Rules    []string // the titles of the rules behind them, sorted
}

// Observe counts the findings of each technique, with ids resolved to v18.1,
// ordered by id.
func (c *Catalog) Observe(fs []*finding.Finding) []Observed {
	idx := make(map[string]int)
	var out []Observed
	rules := make(map[string]map[string]bool)
	for _, f := range fs {
		seen := make(map[string]bool, len(f.Techniques))
		for _, t := range f.Techniques {
			id, ok := c.Resolve(t)
			if !ok {
				id = strings.ToUpper(strings.TrimPrefix(strings.TrimSpace(t), "attack."))
			}
			if id == "" || seen[id] {
				continue
			}
			seen[id] = true
			i, have := idx[id]
			if !have {
				i = len(out)
				idx[id] = i
				out = append(out, Observed{ID: id, Known: ok})
				rules[id] = make(map[string]bool)
			}
			out[i].Findings++
			rules[id][f.Rule] = true
		}
	}
	for i := range out {
		for r := range rules[out[i].ID] {
			out[i].Rules = append(out[i].Rules, r)
		}
		sort.Strings(out[i].Rules)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// IDs returns the ids of observed techniques, for Attribute.
func IDs(seen []Observed) []string {
	ids := make([]string, len(seen))
	for i, o := range seen {
		ids[i] = o.ID
	}
	return ids
}

// Layer is an ATT&CK Navigator layer (layer format 4.5): a matrix with the
// observed techniques scored by how many findings carry them. Marshal it
// with encoding/json; fields are in the order the Navigator writes them.
type Layer struct {
	Name                          string           `json:"name"`
	Versions                      LayerVersions    `json:"versions"`
	Domain                        string           `json:"domain"`
	Description                   string           `json:"description"`
	Filters                       LayerFilters     `json:"filters"`
	Sorting                       int              `json:"sorting"`
	Layout                        LayerLayout      `json:"layout"`
	HideDisabled                  bool             `json:"hideDisabled"`
	Techniques                    []LayerTechnique `json:"techniques"`
	Gradient                      LayerGradient    `json:"gradient"`
	LegendItems                   []LayerLegend    `json:"legendItems"`
	Metadata                      []LayerMetadata  `json:"metadata"`
	ShowTacticRowBackground       bool             `json:"showTacticRowBackground"`
	TacticRowBackground           string           `json:"tacticRowBackground"`
	SelectTechniquesAcrossTactics bool             `json:"selectTechniquesAcrossTactics"`
	SelectSubtechniquesWithParent bool             `json:"selectSubtechniquesWithParent"`
	SelectVisibleTechniques       bool             `json:"selectVisibleTechniques"`
}

// LayerVersions names the versions a layer was written for.
type LayerVersions struct {
	Attack    string `json:"attack"`
	Navigator string `json:"navigator"`
	Layer     string `json:"layer"`
}

// LayerFilters restricts the platforms a layer shows.
type LayerFilters struct {
	Platforms []string `json:"platforms"`
}

// LayerLayout is how the Navigator draws the matrix.
type LayerLayout struct {
	Layout              string `json:"layout"`
	AggregateFunction   string `json:"aggregateFunction"`
	ShowID              bool   `json:"showID"`
	ShowName            bool   `json:"showName"`
	ShowAggregateScores bool   `json:"showAggregateScores"`
	CountUnscored       bool   `json:"countUnscored"`
}

// LayerTechnique is the annotation of one technique.
type LayerTechnique struct {
	TechniqueID       string          `json:"techniqueID"`
	Score             *int            `json:"score,omitempty"`
	Color             string          `json:"color"`
	Comment           string          `json:"comment"`
	Enabled           bool            `json:"enabled"`
	Metadata          []LayerMetadata `json:"metadata"`
	ShowSubtechniques bool            `json:"showSubtechniques"`
}

// LayerGradient colours scores from MinValue to MaxValue.
type LayerGradient struct {
	Colors   []string `json:"colors"`
	MinValue int      `json:"minValue"`
	MaxValue int      `json:"maxValue"`
}

// LayerLegend is one entry of a layer's legend.
type LayerLegend struct {
	Label string `json:"label"`
	Color string `json:"color"`
}

// LayerMetadata is a name/value pair shown with a layer or technique.
type LayerMetadata struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Layer returns a Navigator layer of observed techniques: each scored with
// its number of findings, commented with the rules behind it; the parent of
// an observed sub-technique is expanded so that the sub-technique shows.
// Techniques the catalog does not know are left out (the Navigator would
// reject them) and named in the layer's metadata.
func (c *Catalog) Layer(name, description string, seen []Observed) *Layer {
	major := c.version
	if i := strings.IndexByte(major, '.'); i >= 0 {
		major = major[:i]
	}
	l := &Layer{
		Name:        name,
		Versions:    LayerVersions{Attack: major, Navigator: "5.1.0", Layer: "4.5"},
		Domain:      "enterprise-attack",
		Description: description,
		Filters:     LayerFilters{Platforms: []string{"Windows", "Linux", "macOS", "Network Devices"}},
		Layout: LayerLayout{Layout: "side", AggregateFunction: "max", ShowName: true,
			ShowAggregateScores: true},
		Techniques:                    []LayerTechnique{},
		Gradient:                      LayerGradient{Colors: []string{"#fff3b0", "#f4a259", "#bc4b51"}, MinValue: 0, MaxValue: 1},
		LegendItems:                   []LayerLegend{},
		Metadata:                      []LayerMetadata{{Name: "generated by", Value: "Breakwater"}, {Name: "ATT&CK", Value: "v" + c.version + ". " + Notice}},
		TacticRowBackground:           "#dddddd",
		SelectTechniquesAcrossTactics: true,
	}
	scored := make(map[string]bool)
	for _, o := range seen {
		if o.Known {
			scored[o.ID] = true
		}
	}
	var unknown []string
	expanded := make(map[string]bool)
	for _, o := range seen {
		if !o.Known {
			unknown = append(unknown, o.ID)
			continue
		}
		n := o.Findings
		if n > l.Gradient.MaxValue {
			l.Gradient.MaxValue = n
		}
		comment := fmt.Sprintf("%d finding(s): %s", n, strings.Join(o.Rules, "; "))
		t := LayerTechnique{TechniqueID: o.ID, Score: &n, Comment: comment, Enabled: true, Metadata: []LayerMetadata{}}
		p := parentID(o.ID)
		if p != o.ID && !scored[p] && !expanded[p] {
			expanded[p] = true
			l.Techniques = append(l.Techniques, LayerTechnique{TechniqueID: p, Enabled: true, Metadata: []LayerMetadata{}, ShowSubtechniques: true})
		}
		if scored[o.ID] && hasSub(seen, o.ID) {
			t.ShowSubtechniques = true
		}
		l.Techniques = append(l.Techniques, t)
	}
	sort.SliceStable(l.Techniques, func(i, j int) bool { return l.Techniques[i].TechniqueID < l.Techniques[j].TechniqueID })
	if len(unknown) > 0 {
		l.Metadata = append(l.Metadata, LayerMetadata{Name: "not in ATT&CK v" + c.version, Value: strings.Join(unknown, ", ")})
	}
	return l
}

// hasSub reports whether seen holds a sub-technique of the technique id.
func hasSub(seen []Observed, id string) bool {
	for _, o := range seen {
		if o.Known && o.ID != id && parentID(o.ID) == id {
			return true
		}
	}
	return false
}
