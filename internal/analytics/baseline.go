package analytics

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// baselineFormat names the file format in its first member, so that a
// file given by mistake is recognised as not a baseline.
const (
	baselineFormat  = "breakwater-baseline"
	baselineVersion = 1
	// maxBaselineBytes bounds what LoadBaseline reads: a baseline is a few
	// megabytes for thousands of hosts.
	maxBaselineBytes = 1 << 30
)

// Baseline is what is normal in a network, learned from logs a user
// trusts: which accounts run which forms of administration tools on which
// hosts, who logs on where from where, and which services and scheduled
// tasks each host has. Hunts report what is new against it. Names are
// lower case, hosts short (without the domain).
type Baseline struct {
	// Source is the file the baseline was read from, for reports.
	Source string `json:"-"`
	// Built is when the baseline was made; From and To the time range of
	// the logs it was learned from.
	Built    time.Time   `json:"built"`
	From     time.Time   `json:"from"`
	To       time.Time   `json:"to"`
	Inputs   []string    `json:"inputs,omitempty"`
	Tools    [][3]string `json:"tools"`    // host, account, command-line template
	Logons   [][3]string `json:"logons"`   // source, account, destination host
	Services [][3]string `json:"services"` // host, service name, image
	Tasks    [][2]string `json:"tasks"`    // host, task name
	// Remote are remote execution paths: source, account, destination
	// host, method (WMI, WinRM, PsExec).
	Remote [][4]string `json:"remote,omitempty"`
	// Truncated counts entries the learner could not keep (its cap).
	Truncated int `json:"truncated,omitempty"`

	keys map[string]struct{}
}

// baselineFile is the layout on disk.
type baselineFile struct {
	Format  string `json:"format"`
	Version int    `json:"version"`
	*Baseline
}

// index builds the lookup keys of the entries.
func (b *Baseline) index() {
	b.keys = make(map[string]struct{}, len(b.Tools)*2+len(b.Logons)+len(b.Services)+len(b.Tasks))
	add := func(kind byte, parts ...string) {
		b.keys[string(seenKey(nil, kind, parts...))] = struct{}{}
	}
	for _, t := range b.Tools {
		add(seenTool, t[0], t[1], t[2])
		add(seenForm, t[0], t[2])
	}
	for _, l := range b.Logons {
		add(seenLogon, l[0], l[1], l[2])
	}
	for _, s := range b.Services {
		add(seenService, s[0], s[1], s[2])
	}
	for _, t := range b.Tasks {
		add(seenTask, t[0], t[1])
	}
	for _, x := range b.Remote {
		add(seenRemote, x[0], x[1], x[2], x[3])
	}
}

// has reports whether the baseline holds an entity key.
func (b *Baseline) has(key string) bool {
	_, ok := b.keys[key]
	return ok
}

// knowsTool reports whether the account ran the form on the host.
func (b *Baseline) knowsTool(host, account, template string) bool {
	return b.has(string(seenKey(nil, seenTool, host, account, template)))
}

// knowsForm reports whether anyone ran the form on the host.
func (b *Baseline) knowsForm(host, template string) bool {
	return b.has(string(seenKey(nil, seenForm, host, template)))
}

// Len counts the baseline's entries.
func (b *Baseline) Len() int {
	return len(b.Tools) + len(b.Logons) + len(b.Services) + len(b.Tasks) + len(b.Remote)
}

// Write writes the baseline as JSON.
func (b *Baseline) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(baselineFile{Format: baselineFormat, Version: baselineVersion, Baseline: b}); err != nil {
		return fmt.Errorf("writing the baseline: %w", err)
	}
	return nil
}

// ReadBaseline reads a baseline written by Write.
func ReadBaseline(r io.Reader) (*Baseline, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBaselineBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the baseline: %w", err)
	}
	if len(data) > maxBaselineBytes {
		return nil, fmt.Errorf("baseline larger than %d bytes", maxBaselineBytes)
	}
	b := &Baseline{}
	f := baselineFile{Baseline: b}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a Breakwater baseline: %w", err)
	}
	if f.Format != baselineFormat {
		return nil, errors.New("not a Breakwater baseline (no \"format\": \"" + baselineFormat + "\")")
	}
	if f.Version != baselineVersion {
		return nil, fmt.Errorf("baseline version %d: this build reads version %d", f.Version, baselineVersion)
	}
	b.index()
	return b, nil
}

// LoadBaseline reads the baseline file at path.
func LoadBaseline(path string) (*Baseline, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	defer fh.Close()
	b, err := ReadBaseline(fh)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	b.Source = path
	return b, nil
}
