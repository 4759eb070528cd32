package analytics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config says which analytics run and with which thresholds and caps. The
// zero Config is not useful: start from DefaultConfig, then apply a
// settings file (LoadConfig) and the --analytics list (Select).
type Config struct {
	// Enabled names the analytics that run; a name missing from it is off.
	Enabled map[string]bool `yaml:"-"`

	Spray     SprayConfig     `yaml:"password-spray"`
	Brute     BruteConfig     `yaml:"brute-force"`
	Gap       GapConfig       `yaml:"record-gap"`
	Silence   SilenceConfig   `yaml:"silent-channel"`
	Rare      RareConfig      `yaml:"rare-lotl"`
	Burst     BurstConfig     `yaml:"discovery-burst"`
	Chain     WindowConfig    `yaml:"credential-theft-chain"`
	Cleanup   WindowConfig    `yaml:"staging-cleanup"`
	Admin     WindowConfig    `yaml:"admin-account-created"`
	FirstSeen FirstSeenConfig `yaml:"first-seen"`
	Caps      Caps            `yaml:"caps"`
}

// SprayConfig tunes password-spray.
type SprayConfig struct {
	// Window is the span within which distinct accounts are counted.
	Window time.Duration `yaml:"window"`
	// MinAccounts is how many distinct accounts one source must try within
	// Window to be a spray.
	MinAccounts int `yaml:"min-accounts"`
}

// BruteConfig tunes brute-force.
type BruteConfig struct {
	// Window is the longest pause between two failures of one attack.
	Window time.Duration `yaml:"window"`
	// MinFailures against one account from one source make a finding;
	// HighFailures make it high.
	MinFailures  int `yaml:"min-failures"`
	HighFailures int `yaml:"high-failures"`
}

// GapConfig tunes record-gap.
type GapConfig struct {
	// MinRun is how many consecutive records a channel must show on both
	// sides of a gap for the gap to count: filtered exports have holes
	// everywhere, a live log does not.
	MinRun int `yaml:"min-run"`
	// MaxGaps is how many gaps a channel may have before it is taken for a
	// filtered export and left out.
	MaxGaps int `yaml:"max-gaps"`
}

// SilenceConfig tunes silent-channel.
type SilenceConfig struct {
	// MinGap is the shortest silence reported.
	MinGap time.Duration `yaml:"min-gap"`
	// MinEvents is how many events a channel must hold to have a usual
	// pace at all.
	MinEvents int `yaml:"min-events"`
	// MinExpected is how many events the channel's usual pace would have
	// written during the silence.
	MinExpected int `yaml:"min-expected"`
	// MinOther is how many events the host's other channels must have
	// logged in the silence's whole hours (and in at least half of them).
	MinOther int `yaml:"min-other"`
	// Ratio is how many times longer than the channel's eighth-longest
	// silence a silence must be: a log quiet every night has many as long.
	Ratio float64 `yaml:"ratio"`
}

// RareConfig tunes rare-lotl.
type RareConfig struct {
	// A form run on at most MaxHosts hosts and at most MaxCount times in
	// all is rare.
	MaxHosts int `yaml:"max-hosts"`
	MaxCount int `yaml:"max-count"`
}

// BurstConfig tunes discovery-burst.
type BurstConfig struct {
	Window time.Duration `yaml:"window"`
	// MinCommands distinct recon commands within Window make a burst.
	MinCommands int `yaml:"min-commands"`
}

// WindowConfig tunes the analytics that link events within a time window.
type WindowConfig struct {
	Window time.Duration `yaml:"window"`
}

// FirstSeenConfig tunes the first-seen analytics.
type FirstSeenConfig struct {
	// Reference is how much of the start of the input serves as what is
	// normal when no baseline is given.
	Reference time.Duration `yaml:"reference"`
}

// Caps bound the memory of the analytics whatever the input. Reaching one
// is reported in the hunt's notes.
type Caps struct {
	Hosts      int `yaml:"hosts"`       // distinct hosts stacked
	Forms      int `yaml:"forms"`       // distinct process forms (rarity, first-seen)
	LogonKeys  int `yaml:"logon-keys"`  // sources, accounts and minutes of failed logons counted
	Steps      int `yaml:"steps"`       // process steps kept for sequences
	RecordRuns int `yaml:"record-runs"` // runs of record ids per channel
	Channels   int `yaml:"channels"`    // (host, channel) pairs tracked
	Edges      int `yaml:"edges"`       // first-seen logon edges, services and tasks
	Items      int `yaml:"items"`       // clears, account changes and other rare events kept
	Hours      int `yaml:"hours"`       // hours of host activity counted (silent-channel)
	Sessions   int `yaml:"sessions"`    // logon sessions kept to find where remote execution came from
}

// DefaultConfig is every analytic on, with the thresholds the
// documentation describes.
func DefaultConfig() Config {
	c := Config{
		Spray:     SprayConfig{Window: 10 * time.Minute, MinAccounts: 10},
		Brute:     BruteConfig{Window: 10 * time.Minute, MinFailures: 30, HighFailures: 200},
		Gap:       GapConfig{MinRun: 20, MaxGaps: 3},
		Silence:   SilenceConfig{MinGap: 2 * time.Hour, MinEvents: 200, MinExpected: 100, MinOther: 50, Ratio: 3},
		Rare:      RareConfig{MaxHosts: 2, MaxCount: 3},
		Burst:     BurstConfig{Window: 10 * time.Minute, MinCommands: 4},
		Chain:     WindowConfig{Window: 24 * time.Hour},
		Cleanup:   WindowConfig{Window: 24 * time.Hour},
		Admin:     WindowConfig{Window: 24 * time.Hour},
		FirstSeen: FirstSeenConfig{Reference: 48 * time.Hour},
		Caps: Caps{Hosts: 50_000, Forms: 50_000, LogonKeys: 200_000, Steps: 100_000,
			RecordRuns: 4096, Channels: 100_000, Edges: 100_000, Items: 100_000,
			Hours: 1_000_000, Sessions: 200_000},
	}
	c.Enabled = make(map[string]bool)
	for _, a := range Catalog() {
		c.Enabled[a.Name] = true
	}
	return c
}

// fileConfig is the layout of a settings file: the thresholds of Config,
// and an enabled switch per analytic.
type fileConfig struct {
	Config  `yaml:",inline"`
	Enabled map[string]bool `yaml:"enabled"`
}

// LoadConfig applies the settings file at path to c. Unknown keys are
// errors, so that a misspelt threshold does not silently keep its default.
func LoadConfig(path string, c *Config) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("analytics settings: %w", err)
	}
	if err := ParseConfig(b, c); err != nil {
		return fmt.Errorf("analytics settings %s: %w", path, err)
	}
	return nil
}

// ParseConfig applies a settings document to c.
func ParseConfig(b []byte, c *Config) error {
	fc := fileConfig{Config: *c}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty document is io.EOF: no changes.
	if err := dec.Decode(&fc); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	known := make(map[string]bool)
	for _, a := range Catalog() {
		known[a.Name] = true
	}
	enabled := c.Enabled
	for name, on := range fc.Enabled {
		if !known[name] {
			return fmt.Errorf("enabled: unknown analytic %q (known: %s)", name, strings.Join(Names(), ", "))
		}
		if enabled == nil {
			enabled = make(map[string]bool)
		}
		enabled[name] = on
	}
	*c = fc.Config
	c.Enabled = enabled
	return c.check()
}

// check rejects thresholds that would make an analytic meaningless.
func (c *Config) check() error {
	pos := []struct {
		name string
		v    int64
	}{
		{"password-spray.window", int64(c.Spray.Window)},
		{"password-spray.min-accounts", int64(c.Spray.MinAccounts)},
		{"brute-force.window", int64(c.Brute.Window)},
		{"brute-force.min-failures", int64(c.Brute.MinFailures)},
		{"brute-force.high-failures", int64(c.Brute.HighFailures)},
		{"record-gap.min-run", int64(c.Gap.MinRun)},
		{"record-gap.max-gaps", int64(c.Gap.MaxGaps)},
		{"silent-channel.min-gap", int64(c.Silence.MinGap)},
		{"silent-channel.min-events", int64(c.Silence.MinEvents)},
		{"silent-channel.min-expected", int64(c.Silence.MinExpected)},
		{"silent-channel.min-other", int64(c.Silence.MinOther)},
		{"rare-lotl.max-hosts", int64(c.Rare.MaxHosts)},
		{"rare-lotl.max-count", int64(c.Rare.MaxCount)},
		{"discovery-burst.window", int64(c.Burst.Window)},
		{"discovery-burst.min-commands", int64(c.Burst.MinCommands)},
		{"credential-theft-chain.window", int64(c.Chain.Window)},
		{"staging-cleanup.window", int64(c.Cleanup.Window)},
		{"admin-account-created.window", int64(c.Admin.Window)},
		{"first-seen.reference", int64(c.FirstSeen.Reference)},
		{"caps.hosts", int64(c.Caps.Hosts)},
		{"caps.forms", int64(c.Caps.Forms)},
		{"caps.logon-keys", int64(c.Caps.LogonKeys)},
		{"caps.steps", int64(c.Caps.Steps)},
		{"caps.record-runs", int64(c.Caps.RecordRuns)},
		{"caps.channels", int64(c.Caps.Channels)},
		{"caps.edges", int64(c.Caps.Edges)},
		{"caps.items", int64(c.Caps.Items)},
		{"caps.hours", int64(c.Caps.Hours)},
		{"caps.sessions", int64(c.Caps.Sessions)},
	}
	for _, p := range pos {
		if p.v <= 0 {
			return fmt.Errorf("%s must be more than 0", p.name)
		}
	}
	if !(c.Silence.Ratio >= 1) {
		return fmt.Errorf("silent-channel.ratio must be 1 or more")
	}
	return nil
}

// Select switches on exactly the analytics named in list, a
// comma-separated list of names; "none" switches all off and "all" (or an
// empty list) all on.
func (c *Config) Select(list string) error {
	list = strings.TrimSpace(list)
	on := make(map[string]bool)
	switch strings.ToLower(list) {
	case "", "all":
		for _, n := range Names() {
			on[n] = true
		}
	case "none":
	default:
		known := make(map[string]bool)
		for _, n := range Names() {
			known[n] = true
		}
		for _, n := range strings.Split(list, ",") {
			n = strings.ToLower(strings.TrimSpace(n))
			if n == "" {
				continue
			}
			if !known[n] {
				return fmt.Errorf("unknown analytic %q: want none, all, or some of %s", n, strings.Join(Names(), ", "))
			}
			on[n] = true
		}
	}
	c.Enabled = on
	return nil
}

// Any reports whether at least one analytic is on.
func (c *Config) Any() bool {
	for _, on := range c.Enabled {
		if on {
			return true
		}
	}
	return false
}

// EnabledNames lists the analytics that are on, sorted.
func (c *Config) EnabledNames() []string {
	var out []string
	for n, on := range c.Enabled {
		if on {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
