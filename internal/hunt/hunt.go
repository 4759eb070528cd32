// Package hunt runs one hunt: it finds the logs, reads them in parallel,
// shows every event to the detectors and gathers what they find into a
// finding.Report, the same whatever the number of workers or the order of
// the inputs.
package hunt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/source"
)

// ErrNoInput means the paths held no log to read.
var ErrNoInput = errors.New("no logs to read")

// maxDamage bounds the damaged records a report lists one by one.
const maxDamage = 200

// Options say what to hunt and how.
type Options struct {
	Paths     []string
	Stdin     io.Reader // for the path "-"; nil means os.Stdin
	Workers   int       // 0 means one per CPU
	Detectors []detect.Detector
	Filter    detect.Filter
	MinLevel  finding.Level
	// Settings are recorded in the report as given.
	Settings []finding.Setting
	// Found, when set, is called once the inputs are known, before reading.
	Found func(*source.Discovery)
	// Progress, when set, is called after each batch is consumed, from one
	// goroutine, with the findings so far.
	Progress func(b *source.Batch, findings int)
	// Damage, when set, is called for each damaged record as it is met.
	Damage func(source.Damage)
	// MaxFindings caps the findings kept; 0 means 200,000, which keeps a
	// hunt's memory under about a gigabyte. Findings past the cap are
	// counted and reported in a note, not kept.
	MaxFindings int
	// Now is the clock, for tests; nil means time.Now.
	Now func() time.Time
}

// countKey identifies one row of the event counts.
type countKey struct {
	host, channel string
	eventID       int
}

type countVal struct {
	events      int
	first, last time.Time
}

// batchResult is what a worker made of one batch.
type batchResult struct {
	findings []*finding.Finding
	passed   int
}

// Run hunts the paths of o and returns the report.
func Run(ctx context.Context, o Options) (*finding.Report, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	rep := &finding.Report{Started: now().UTC(), Settings: o.Settings}
	found, err := source.Discover(o.Paths, source.Options{Stdin: o.Stdin})
	if err != nil {
		return nil, err
	}
	for _, s := range found.Skipped {
		rep.Skipped = append(rep.Skipped, finding.Skipped{Name: s.Name, Reason: s.Reason})
	}
	if o.Found != nil {
		o.Found(found)
	}
	if len(found.Inputs) == 0 {
		return rep, fmt.Errorf("%w in %s", ErrNoInput, strings.Join(o.Paths, " "))
	}
	workers := o.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	maxFindings := o.MaxFindings
	if maxFindings <= 0 {
		maxFindings = 200_000
	}

	eng := detect.NewEngine(o.Detectors, workers, o.Filter)
	counts := make([]map[countKey]*countVal, workers)
	for i := range counts {
		counts[i] = make(map[countKey]*countVal)
	}
	inputs := make([]finding.Input, len(found.Inputs))
	for i, in := range found.Inputs {
		inputs[i] = finding.Input{Name: in.Name, Format: string(in.Format), Size: in.Size}
	}
	c := collector{byID: make(map[string]*finding.Finding), min: o.MinLevel, max: maxFindings}

	r := source.Reader{
		Workers: workers,
		Process: func(w int, b *source.Batch) {
			res := &batchResult{}
			emit := func(f *finding.Finding) { res.findings = append(res.findings, f) }
			cm := counts[w]
			var last *countVal
			var lastKey countKey
			for i := range b.Events {
				ev := &b.Events[i]
				if !eng.Observe(w, ev, emit) {
					continue
				}
				res.passed++
				k := countKey{ev.Computer, ev.Channel, ev.EventID}
				if last == nil || k != lastKey {
					last = cm[k]
					if last == nil {
						last = &countVal{first: ev.Time, last: ev.Time}
						cm[k] = last
					}
					lastKey = k
				}
				last.events++
				if ev.Time.Before(last.first) {
					last.first = ev.Time
				}
				if ev.Time.After(last.last) {
					last.last = ev.Time
				}
			}
			b.Value = res
		},
	}
	err = r.Read(ctx, found.Inputs, func(b *source.Batch) error {
		in := &inputs[b.Index]
		in.Events += len(b.Events)
		in.Damaged += len(b.Damage)
		for _, d := range b.Damage {
			if len(rep.Damage) < maxDamage {
				rep.Damage = append(rep.Damage, d.String())
			}
			rep.DamageTotal++
			if o.Damage != nil {
				o.Damage(d)
			}
		}
		if res, ok := b.Value.(*batchResult); ok {
			for _, f := range res.findings {
				c.add(f)
			}
		}
		if o.Progress != nil {
			o.Progress(b, len(c.byID))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := eng.Finish(c.add); err != nil {
		return nil, err
	}

	rep.Inputs = inputs
	rep.Counts = mergeCounts(counts)
	rep.Findings = c.sorted()
	rep.Rules = describe(o.Detectors, rep.Findings)
	if c.dropped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf(
			"%d findings beyond the cap of %d were counted but not kept: narrow the hunt (--min-level, --since, --rules) to see them",
			c.dropped, c.max))
	}
	for _, d := range o.Detectors {
		if n, ok := d.(detect.Noter); ok {
			rep.Notes = append(rep.Notes, n.Notes()...)
		}
	}
	rep.Finished = now().UTC()
	return rep, nil
}

// collector keeps one finding per id: the same event read from two copies
// of a log is one finding with both sources.
type collector struct {
	byID    map[string]*finding.Finding
	min     finding.Level
	max     int
	dropped int
}

func (c *collector) add(f *finding.Finding) {
	if f.Level < c.min {
		return
	}
	if have, ok := c.byID[f.ID]; ok {
		have.Merge(f)
		return
	}
	if len(c.byID) >= c.max {
		c.dropped++
		return
	}
	c.byID[f.ID] = f
}

func (c *collector) sorted() []*finding.Finding {
	out := make([]*finding.Finding, 0, len(c.byID))
	for _, f := range c.byID {
		out = append(out, f)
	}
	finding.Sort(out)
	return out
}

func mergeCounts(parts []map[countKey]*countVal) []finding.Count {
	all := make(map[countKey]*countVal)
	for _, m := range parts {
		for k, v := range m {
			have := all[k]
			if have == nil {
				cp := *v
				all[k] = &cp
				continue
			}
			have.events += v.events
			if v.first.Before(have.first) {
				have.first = v.first
			}
			if v.last.After(have.last) {
				have.last = v.last
			}
		}
	}
	out := make([]finding.Count, 0, len(all))
	for k, v := range all {
		out = append(out, finding.Count{Host: k.host, Channel: k.channel, EventID: k.eventID,
			Events: v.events, First: v.first, Last: v.last})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Host != b.Host {
			return a.Host < b.Host
		}
		if a.Channel != b.Channel {
			return a.Channel < b.Channel
		}
		return a.EventID < b.EventID
	})
	return out
}

// describe lists the rules behind the findings, in a stable order.
func describe(dets []detect.Detector, fs []*finding.Finding) []finding.Rule {
	type key struct {
		kind finding.Kind
		id   string
	}
	seen := make(map[key]bool)
	var out []finding.Rule
	for _, f := range fs {
		k := key{f.Kind, f.RuleID}
		if seen[k] {
			continue
		}
		seen[k] = true
		for _, d := range dets {
			if ds, ok := d.(detect.Describer); ok {
				if r, ok := ds.Describe(f.Kind, f.RuleID); ok {
					out = append(out, r)
					break
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// EventCount is the number of events a report says were read.
func EventCount(r *finding.Report) int {
	n := 0
	for _, in := range r.Inputs {
		n += in.Events
	}
	return n
}
