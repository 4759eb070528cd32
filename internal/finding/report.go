package finding

import "time"

// Report is the outcome of a hunt: what was read, what was found, and the
// rules behind the findings. Renderers and the case file work from it, so a
// report can be rendered again later without the logs.
type Report struct {
	Started  time.Time
	Finished time.Time
	// Settings are the options the hunt ran with, as name/value pairs in a
	// stable order ("rules", "min-level", ...).
	Settings []Setting
	Inputs   []Input
	Skipped  []Skipped
	// Damage lists damaged records, at most a few hundred; DamageTotal
	// counts them all.
	Damage      []string
	DamageTotal int
	// Counts are the events read per host, channel and event id.
	Counts   []Count
	Rules    []Rule // the rules and analytics that made findings
	Findings []*Finding
	// Notes are things a reader of the report must know: a cap that was
	// hit, a mode that was chosen, coverage that is missing.
	Notes []string
}

// Setting is one option of a hunt.
type Setting struct {
	Name, Value string
}

// Input is one log that was read.
type Input struct {
	Name    string
	Format  string
	Size    int64
	Events  int
	Damaged int
}

// Skipped is a file that was found but not read, and why.
type Skipped struct {
	Name, Reason string
}

// Count is the number of events of one host, channel and event id, and the
// time range they cover.
type Count struct {
	Host    string
	Channel string
	EventID int
	Events  int
	First   time.Time
	Last    time.Time
}

// Rule describes a rule or analytic that made findings, for the people who
// read them.
type Rule struct {
	ID             string
	Kind           Kind
	Title          string
	Level          Level
	Status         string
	Description    string
	Author         string
	References     []string
	FalsePositives []string
	Techniques     []string
	Tactics        []string
	Path           string // the rule file, for rules
}
