package attack

import (
	"math"
	"sort"
)

// GroupScore says how much observed techniques resemble one group's
// documented tradecraft.
//
// Resemblance is not attribution: many groups use the same operating-system
// tools, ATT&CK documents only what was reported, and an intruder can imitate
// another. A score is a lead for an analyst, never a conclusion.
type GroupScore struct {
	Group Group
	// Score is the share of the observed techniques, weighted by rarity,
	// that the group is documented to use: 1 when it is known for all of
	// them (see Attribute).
	Score float64
	// Jaccard is the weighted overlap of the observed techniques and the
	// group's whole profile: it is higher for a group whose profile is no
	// broader than what was seen, and breaks ties of Score.
	Jaccard float64
	// Shared are the observed techniques the group is known for, exactly or
	// through a sibling sub-technique, in the order of the observed list.
	Shared []Shared
}

// Shared is one observed technique a group is known for.
type Shared struct {
	Technique string // the observed technique (v18.1 id)
	// Via is the technique of the group's profile that matched: the same id,
	// or for a partial match its parent or a sibling sub-technique.
	Via    string
	Exact  bool
	Weight float64 // the technique's rarity weight (see Attribute)
}

// partialCredit is the credit a match through the parent technique earns:
// the group is known for the behaviour, not for this variant of it.
const partialCredit = 0.5

// profile is a group's techniques as Attribute compares them.
type profile struct {
	ids     []string          // the group's techniques, sorted
	exact   map[string]bool   // the same, for look-ups
	parents map[string]string // parent id → one of the group's techniques under it (or the parent itself)
	weight  float64           // the sum of the weights of exact, for Jaccard
}

// buildProfiles computes each group's profile and the rarity weight of each
// technique: the inverse document frequency over groups,
// ln((N+1) / (n+1)) where N is the number of groups and n the number that
// use the technique. T1105 (Ingress Tool Transfer, 86 of 172 groups) weighs
// 0.69; T1003.003 (NTDS, 22 groups) 2.0; a technique no group is documented
// for 5.2.
func (c *Catalog) buildProfiles() {
	c.nGroups = len(c.groups)
	df := make(map[string]int)
	c.profiles = make([]profile, len(c.groups))
	for i := range c.groups {
		p := profile{exact: make(map[string]bool), parents: make(map[string]string)}
		for _, id := range c.groups[i].AllTechniques() {
			if rid, ok := c.Resolve(id); ok {
				id = rid
			}
			if p.exact[id] {
				continue
			}
			p.exact[id] = true
			p.ids = append(p.ids, id)
			df[id]++
			if _, ok := p.parents[parentID(id)]; !ok || id == parentID(id) {
				p.parents[parentID(id)] = id
			}
		}
		c.profiles[i] = p
	}
	c.weight = make(map[string]float64, len(df))
	for id, n := range df {
		c.weight[id] = c.idf(n)
	}
	// Summed in a fixed order, so that scores are the same to the last bit
	// in every run.
	for i := range c.profiles {
		sort.Strings(c.profiles[i].ids)
		for _, id := range c.profiles[i].ids {
			c.profiles[i].weight += c.weight[id]
		}
	}
}

func (c *Catalog) idf(n int) float64 {
	return math.Log(float64(c.nGroups+1) / float64(n+1))
}

// Weight returns the rarity weight Attribute gives a technique.
func (c *Catalog) Weight(id string) float64 {
	if rid, ok := c.Resolve(id); ok {
		id = rid
	}
	if w, ok := c.weight[id]; ok {
		return w
	}
	return c.idf(0)
}

// Attribute scores every group against the observed techniques and returns
// those that share at least one, best first.
//
// The method, in words a reader can check against the Shared list:
//   - Ids are resolved to v18.1 (Resolve); unknown ids count as observed
//     techniques no group is known for.
//   - Each observed technique weighs its rarity across groups (Weight):
//     ubiquitous techniques such as Ingress Tool Transfer say little about
//     who is behind them, rare ones say more.
//   - A group earns a technique's full weight when it is documented for it
//     (its own techniques or its campaigns'), and half of it when it is
//     documented only for the parent technique or a sibling sub-technique
//     (roll-up: T1003.003 observed, T1003.001 documented).
//   - Score = earned weight / total observed weight: the share of what was
//     seen that the group's known tradecraft covers.
//   - Ties are broken by Jaccard = earned / (observed + profile − earned)
//     weight, which prefers the group whose profile is no broader than the
//     observation, then by group id.
func (c *Catalog) Attribute(techniques []string) []GroupScore {
	var obs []string
	seen := make(map[string]bool)
	for _, t := range techniques {
		id, ok := c.Resolve(t)
		if !ok {
			id = t
		}
		if !seen[id] {
			seen[id] = true
			obs = append(obs, id)
		}
	}
	var total float64
	for _, id := range obs {
		total += c.Weight(id)
	}
	if total == 0 {
		return nil
	}
	var out []GroupScore
	for i := range c.groups {
		p := &c.profiles[i]
		var earned float64
		var shared []Shared
		for _, id := range obs {
			w := c.Weight(id)
			if p.exact[id] {
				earned += w
				shared = append(shared, Shared{Technique: id, Via: id, Exact: true, Weight: w})
			} else if via, ok := p.parents[parentID(id)]; ok {
				earned += partialCredit * w
				shared = append(shared, Shared{Technique: id, Via: via, Weight: w})
			}
		}
		if len(shared) == 0 {
			continue
		}
		out = append(out, GroupScore{
			Group:   c.groups[i],
			Score:   earned / total,
			Jaccard: earned / (total + p.weight - earned),
			Shared:  shared,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Score != b.Score {
			return a.Score > b.Score
		}
		if a.Jaccard != b.Jaccard {
			return a.Jaccard > b.Jaccard
		}
		return a.Group.ID < b.Group.ID
	})
	return out
}
