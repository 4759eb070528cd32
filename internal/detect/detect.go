// Package detect drives detectors over events. A Detector looks at events
// one at a time through per-goroutine Workers, so the engine can run it on
// every reader goroutine without locks, and keeps whatever state it needs
// bounded; Finish lets stateful detectors (correlations, analytics) report
// what only the whole input shows.
//
// The engine is the same for a batch hunt and a stream: it never assumes
// that all events are in memory or arrive in time order.
package detect

import (
	"fmt"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// Detector is one kind of detection run over every event of a hunt.
type Detector interface {
	// Name identifies the detector in settings and messages.
	Name() string
	// NewWorker returns the state one goroutine uses to look at events.
	// Workers of one detector never share mutable state.
	NewWorker() Worker
	// Finish runs once, after every worker has been closed: stateful
	// detectors report here what they could only see over all events.
	Finish(emit func(*finding.Finding)) error
}

// Worker is one goroutine's share of a Detector.
type Worker interface {
	// Observe looks at one event and reports findings through emit. The
	// event and its fields belong to the caller and may be reused after
	// the call: a worker that keeps any of it copies it.
	Observe(ev *event.Event, emit func(*finding.Finding))
	// Close hands what the worker collected back to its detector.
	Close()
}

// Describer is a Detector that can describe the rules behind its findings,
// for reports.
type Describer interface {
	Describe(kind finding.Kind, ruleID string) (finding.Rule, bool)
}

// Noter is a Detector with things a reader of the report must know once
// the hunt is over: a cap that was hit, a mode that was chosen.
type Noter interface {
	Notes() []string
}

// Filter selects the events detectors see. The zero Filter passes all.
type Filter struct {
	Since, Until time.Time // inclusive bounds; zero means open
	Hosts        []string  // case-insensitive Computer names; empty means all
}

// Pass reports whether an event is in the filter's range.
func (f *Filter) Pass(ev *event.Event) bool {
	if !f.Since.IsZero() && ev.Time.Before(f.Since) {
		return false
	}
	if !f.Until.IsZero() && ev.Time.After(f.Until) {
		return false
	}
	if len(f.Hosts) == 0 {
		return true
	}
	for _, h := range f.Hosts {
		if equalHost(h, ev.Computer) {
			return true
		}
	}
	return false
}

// equalHost compares host names case-insensitively and, when one side is
// a bare name, against the first label of the other's domain name.
func equalHost(want, have string) bool {
	if strings.EqualFold(want, have) {
		return true
	}
	for i := 0; i < len(have); i++ {
		if have[i] == '.' {
			return strings.EqualFold(want, have[:i])
		}
	}
	return false
}

// Engine runs a set of detectors with a fixed number of workers.
type Engine struct {
	dets    []Detector
	filter  Filter
	workers [][]Worker // per goroutine, per detector
	closed  bool
}

// NewEngine prepares detectors for n goroutines, numbered 0..n-1.
func NewEngine(dets []Detector, n int, f Filter) *Engine {
	if n < 1 {
		n = 1
	}
	e := &Engine{dets: dets, filter: f, workers: make([][]Worker, n)}
	for i := range e.workers {
		ws := make([]Worker, len(dets))
		for j, d := range dets {
			ws[j] = d.NewWorker()
		}
		e.workers[i] = ws
	}
	return e
}

// Detectors returns the engine's detectors.
func (e *Engine) Detectors() []Detector { return e.dets }

// Observe shows one event to every detector, on goroutine w's workers.
// It reports whether the event passed the filter.
func (e *Engine) Observe(w int, ev *event.Event, emit func(*finding.Finding)) bool {
	if !e.filter.Pass(ev) {
		return false
	}
	for _, wk := range e.workers[w] {
		wk.Observe(ev, emit)
	}
	return true
}

// Finish closes every worker and lets every detector report its last
// findings. It must be called once, after the last Observe.
func (e *Engine) Finish(emit func(*finding.Finding)) error {
	if e.closed {
		return fmt.Errorf("detect: engine finished twice")
	}
	e.closed = true
	for _, ws := range e.workers {
		for _, w := range ws {
			w.Close()
		}
	}
	for _, d := range e.dets {
		if err := d.Finish(emit); err != nil {
			return fmt.Errorf("%s: %w", d.Name(), err)
		}
	}
	return nil
}
