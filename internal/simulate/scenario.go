package simulate

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/breakwater/breakwater/evtx"
)

// Options shape a generated scenario. The zero value asks for the
// defaults.
type Options struct {
	// Seed picks every random choice: the same seed writes the same bytes.
	Seed int64
	// Hosts is the number of computers: a domain controller, a file
	// server, a web server, a monitoring server and Hosts-4 workstations.
	// Zero means 6; at least 5, at most 40.
	Hosts int
	// Days of activity; the intrusion starts on the second day. Zero
	// means 3; at least 2, at most 30.
	Days int
	// Start is the first midnight of the scenario (UTC). Zero means Monday
	// 5 February 2024, the week AA24-038A was published.
	Start time.Time
}

// Limits and defaults of Options.
const (
	DefaultHosts = 6
	DefaultDays  = 3
	MinHosts     = 5
	MaxHosts     = 40
	MinDays      = 2
	MaxDays      = 30
)

// normalize fills in defaults and checks the limits.
func (o Options) normalize() (Options, error) {
	if o.Hosts == 0 {
		o.Hosts = DefaultHosts
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Hosts < MinHosts || o.Hosts > MaxHosts {
		return o, fmt.Errorf("hosts: %d is outside %d..%d (a DC, three servers and at least one workstation)", o.Hosts, MinHosts, MaxHosts)
	}
	if o.Days < MinDays || o.Days > MaxDays {
		return o, fmt.Errorf("days: %d is outside %d..%d (a day of normal activity, then the intrusion)", o.Days, MinDays, MaxDays)
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 2, 5, 0, 0, 0, 0, time.UTC)
	}
	o.Start = o.Start.UTC().Truncate(24 * time.Hour)
	return o, nil
}

// Step is one action of the simulated intruder, as truth.jsonl records it:
// what was done, when, where, which ATT&CK technique it is, which row of the
// Volt Typhoon catalogue describes what defenders can see of it, and the
// records that are its evidence.
type Step struct {
	Step      int       `json:"step"`
	Time      time.Time `json:"time"`
	Host      string    `json:"host"`
	Technique string    `json:"technique"`
	Tactic    string    `json:"tactic"`
	// Kind says where the evidence is: KindHost for host logs (EVTX),
	// KindNetwork for the Zeek logs.
	Kind string `json:"kind"`
	// Behaviour is the catalogue row (D01..D48) whose observable the
	// evidence is; detectors that implement that row should find it.
	Behaviour string     `json:"behaviour"`
	Summary   string     `json:"summary"`
	Evidence  []Evidence `json:"evidence"`
	// Erased counts evidence the intruder destroyed by clearing a log:
	// records that were written but are not in the files any more.
	Erased int `json:"erased,omitempty"`

	records []evidenceRef
	zeek    []*zeekRef
}

// The kinds of step.
const (
	KindHost    = "host"
	KindNetwork = "network"
)

// zeekRef is a Zeek record that is evidence of a step.
type zeekRef struct {
	log string
	rec *zrec
}

// Evidence names one record of a written log: an EVTX record by its
// record number, a Zeek record by its line in the TSV log (the JSON copy
// holds it too, on another line) and its connection's uid.
type Evidence struct {
	File     string `json:"file"` // relative to the scenario folder, with forward slashes
	Channel  string `json:"channel"`
	EventID  int    `json:"event_id"`            // -1 for Zeek records, as their events carry
	RecordID uint64 `json:"record_id,omitempty"` // EVTX only
	Line     int    `json:"line,omitempty"`      // Zeek only
	UID      string `json:"uid,omitempty"`       // Zeek only
}

type evidenceRef struct {
	log *logFile
	rec *record
}

// TruthFile is the name of the ground-truth file in a scenario folder.
const TruthFile = "truth.jsonl"

// VoltTyphoon writes a scenario to dir: the EVTX logs (Security, System,
// Application, Sysmon, PowerShell) of a small network over opts.Days days of
// ordinary work, with one intrusion in the manner of the Volt Typhoon
// advisories woven in; the Zeek logs of a sensor that watched the network
// (conn, dns, ssl, http, smb_files, files), consistent with the host logs;
// and truth.jsonl, one Step per line in time order. Host logs go to
// dir/<HOST>/<channel>.evtx, Zeek logs to dir/zeek/<path>.log (TSV) and
// dir/zeek-json/<path>.log (the same records as JSON lines). The output
// depends only on opts.
func VoltTyphoon(dir string, opts Options) error {
	opts, err := opts.normalize()
	if err != nil {
		return err
	}
	g := newGen(opts)
	for d := 0; d < opts.Days; d++ {
		g.background(d)
	}
	g.intrusion()
	g.finish()
	logs := g.wire()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	if err := writeZeek(dir, logs, g.start, g.day(opts.Days)); err != nil {
		return err
	}
	for _, p := range zeekLogOrder {
		for _, r := range logs[p].recs {
			for _, s := range r.steps {
				s.zeek = append(s.zeek, &zeekRef{log: p, rec: r})
			}
		}
	}
	for _, h := range g.hosts {
		if err := os.MkdirAll(filepath.Join(dir, h.name), 0o755); err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
		for _, ch := range []string{chSecurity, chSystem, chApplication, chSysmon, chPowerShell} {
			l := h.logs[ch]
			if l == nil {
				continue
			}
			var events []evtx.Event
			for _, r := range l.records {
				if r.kept {
					events = append(events, r.ev)
				}
			}
			if err := writeFile(filepath.Join(dir, filepath.FromSlash(l.path())), events); err != nil {
				return fmt.Errorf("simulate: %w", err)
			}
		}
	}
	return writeTruth(filepath.Join(dir, TruthFile), g.truth())
}

// truth resolves the steps' records into evidence, in time order.
func (g *gen) truth() []*Step {
	steps := append([]*Step(nil), g.steps...)
	for _, s := range steps {
		s.Evidence, s.Erased = nil, 0
		if s.Kind == "" {
			s.Kind = KindHost
		}
		// A step happened when its first record was written.
		for i, ref := range s.records {
			if i == 0 || ref.rec.ev.Time.Before(s.Time) {
				s.Time = ref.rec.ev.Time
			}
		}
		for i, z := range s.zeek {
			if (i == 0 && len(s.records) == 0) || z.rec.ts.Before(s.Time) {
				s.Time = z.rec.ts
			}
			s.Evidence = append(s.Evidence, Evidence{File: zeekFile(z.log), Channel: "zeek." + z.log, EventID: -1,
				Line: z.rec.line, UID: z.rec.uid()})
		}
		for _, ref := range s.records {
			if !ref.rec.kept {
				s.Erased++
				continue
			}
			s.Evidence = append(s.Evidence, Evidence{File: ref.log.path(), Channel: ref.log.channel,
				EventID: int(ref.rec.ev.EventID), RecordID: ref.rec.ev.RecordID})
		}
		sort.Slice(s.Evidence, func(i, j int) bool {
			a, b := s.Evidence[i], s.Evidence[j]
			if a.File != b.File {
				return a.File < b.File
			}
			if a.RecordID != b.RecordID {
				return a.RecordID < b.RecordID
			}
			return a.Line < b.Line
		})
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].Time.Before(steps[j].Time) })
	for i, s := range steps {
		s.Step = i + 1
	}
	return steps
}

func writeTruth(path string, steps []*Step) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("simulate: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("simulate: %w", cerr)
		}
	}()
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, s := range steps {
		if err := enc.Encode(s); err != nil {
			return fmt.Errorf("simulate: %s: %w", path, err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("simulate: %s: %w", path, err)
	}
	return nil
}

// ReadTruth reads a truth.jsonl file written by VoltTyphoon.
func ReadTruth(r io.Reader) ([]Step, error) {
	var steps []Step
	dec := json.NewDecoder(r)
	for {
		var s Step
		err := dec.Decode(&s)
		if errors.Is(err, io.EOF) {
			return steps, nil
		}
		if err != nil {
			return steps, fmt.Errorf("truth: step %d: %w", len(steps)+1, err)
		}
		steps = append(steps, s)
	}
}

// step starts a step of the intrusion; its evidence is added as events are
// emitted with it.
func (g *gen) step(t time.Time, h *host, behaviour, technique, tactic, summary string) *Step {
	s := &Step{Time: t.UTC(), Host: h.name, Behaviour: behaviour, Technique: technique, Tactic: tactic, Summary: summary}
	g.steps = append(g.steps, s)
	return s
}
