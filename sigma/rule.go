package sigma

import (
	"fmt"
	"strings"
	"time"
)

// Level is a rule's criticality. The zero value means the rule gave none.
type Level int

// The five levels of the specification, in increasing order.
const (
	LevelNone Level = iota
	LevelInformational
	LevelLow
	LevelMedium
	LevelHigh
	LevelCritical
)

var levelNames = [...]string{"", "informational", "low", "medium", "high", "critical"}

// ParseLevel parses a level name, case-insensitively.
func ParseLevel(s string) (Level, error) {
	for i, n := range levelNames {
		if i > 0 && strings.EqualFold(s, n) {
			return Level(i), nil
		}
	}
	return LevelNone, fmt.Errorf("unknown level %q (want informational, low, medium, high or critical)", s)
}

// String returns the level's name, "" for LevelNone.
func (l Level) String() string {
	if l < 0 || int(l) >= len(levelNames) {
		return fmt.Sprintf("Level(%d)", int(l))
	}
	return levelNames[l]
}

// Related is an entry of a rule's "related" list.
type Related struct {
	ID   string
	Type string // derived, obsolete, merged, renamed, similar, correlation
}

// Meta is what every Sigma document (rule, correlation, filter) says about
// itself. Positions refer to the document's first line.
type Meta struct {
	Title          string
	ID             string
	Name           string // unique human-readable name, used by correlations
	Status         string
	Description    string
	Author         string
	License        string
	Date           string // as written, normally YYYY-MM-DD
	Modified       string
	References     []string
	FalsePositives []string
	Tags           []string
	Level          Level
	Related        []Related
	Pos            Pos
}

// Ident returns the id, or the name or title when there is no id: the
// string by which messages refer to the document.
func (m *Meta) Ident() string {
	switch {
	case m.ID != "":
		return m.ID
	case m.Name != "":
		return m.Name
	}
	return m.Title
}

// Techniques returns the ATT&CK technique ids of the tags, such as
// "T1003.001" for attack.t1003.001, in tag order without duplicates.
func (m *Meta) Techniques() []string { return collectTags(m.Tags, Technique) }

// Tactics returns the ATT&CK tactic names of the tags, such as
// "credential-access" for attack.credential-access.
func (m *Meta) Tactics() []string { return collectTags(m.Tags, Tactic) }

func collectTags(tags []string, f func(string) (string, bool)) []string {
	var out []string
	for _, t := range tags {
		if v, ok := f(t); ok && !contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Technique returns the ATT&CK technique id named by a tag such as
// "attack.t1003.001" ("T1003.001").
func Technique(tag string) (string, bool) {
	rest, ok := cutPrefixFold(tag, "attack.t")
	if !ok || len(rest) < 4 {
		return "", false
	}
	if !allDigits(rest[:4]) {
		return "", false
	}
	switch {
	case len(rest) == 4:
	case len(rest) == 8 && rest[4] == '.' && allDigits(rest[5:]):
	default:
		return "", false
	}
	return "T" + rest, true
}

// attackTactics are the tactic names of the ATT&CK enterprise, ICS and
// mobile matrices, as Sigma tags spell them.
var attackTactics = []string{
	"reconnaissance", "resource-development", "initial-access", "execution", "persistence",
	"privilege-escalation", "defense-evasion", "credential-access", "discovery", "lateral-movement",
	"collection", "command-and-control", "exfiltration", "impact",
	"evasion", "inhibit-response-function", "impair-process-control",
}

// Tactic returns the ATT&CK tactic named by a tag such as
// "attack.credential-access" ("credential-access"). Underscores are
// accepted for hyphens, as older rules wrote them.
func Tactic(tag string) (string, bool) {
	rest, ok := cutPrefixFold(tag, "attack.")
	if !ok {
		return "", false
	}
	rest = strings.ReplaceAll(strings.ToLower(rest), "_", "-")
	for _, t := range attackTactics {
		if rest == t {
			return t, true
		}
	}
	return "", false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// LogSource is a rule's logsource section: which logs the rule is meant for.
type LogSource struct {
	Category   string
	Product    string
	Service    string
	Definition string
}

// String renders the logsource as "product/category/service" without the
// empty parts.
func (ls LogSource) String() string {
	var parts []string
	for _, p := range []string{ls.Product, ls.Category, ls.Service} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "/")
}

// Rule is a Sigma detection rule: one YAML document with a detection section.
type Rule struct {
	Meta
	LogSource LogSource
	Detection Detection
	Fields    []string // fields worth showing to an analyst
	Scope     []string

	// Err is why the rule cannot be used, nil when loading found nothing
	// wrong (compiling may still find a reason, reported by Compile).
	Err error
}

// CorrelationType is the kind of a correlation rule.
type CorrelationType string

// The correlation types of Sigma 2.1.
const (
	EventCount      CorrelationType = "event_count"
	ValueCount      CorrelationType = "value_count"
	Temporal        CorrelationType = "temporal"
	TemporalOrdered CorrelationType = "temporal_ordered"
	ValueSum        CorrelationType = "value_sum"
	ValueAvg        CorrelationType = "value_avg"
	ValuePercentile CorrelationType = "value_percentile"
)

var correlationTypes = []CorrelationType{EventCount, ValueCount, Temporal, TemporalOrdered, ValueSum, ValueAvg, ValuePercentile}

// Threshold is one criterion of a correlation condition, such as gte: 10.
type Threshold struct {
	Op    string // gt, gte, lt, lte, eq, neq
	Value float64
}

// Correlation is a Sigma correlation rule: a document with a correlation
// section that aggregates the matches of other rules.
type Correlation struct {
	Meta
	Type      CorrelationType
	Rules     []string // ids or names of rules (or other correlations)
	GroupBy   []string
	Timespan  time.Duration
	Condition []Threshold // all must hold; empty for temporal types
	Field     string      // the field whose values are counted, summed...
	// Percentile is the percentile asked by value_percentile, when given.
	Percentile float64
	// Aliases maps an alias name to, per rule name, the field it stands for.
	Aliases  map[string]map[string]string
	Generate bool // also report the referenced rules' own matches

	Err error
}

// Filter is a Sigma filter document: a selection that excludes events from
// the matches of the rules it names.
type Filter struct {
	Meta
	LogSource LogSource
	Rules     []string // ids or names of the rules filtered
	Detection Detection

	Err error
}

// Collection is the content of one or more rule files.
type Collection struct {
	Rules        []*Rule
	Correlations []*Correlation
	Filters      []*Filter
}

// Add appends the documents of other to c.
func (c *Collection) Add(other *Collection) {
	if other == nil {
		return
	}
	c.Rules = append(c.Rules, other.Rules...)
	c.Correlations = append(c.Correlations, other.Correlations...)
	c.Filters = append(c.Filters, other.Filters...)
}

// Len is the number of documents in the collection.
func (c *Collection) Len() int { return len(c.Rules) + len(c.Correlations) + len(c.Filters) }
