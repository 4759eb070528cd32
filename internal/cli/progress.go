package cli

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/breakwater/breakwater/internal/source"
)

// progress keeps one live status line on a terminal: inputs done, events,
// findings, throughput and time left. On a pipe it prints nothing.
type progress struct {
	w       io.Writer
	on      bool
	mu      sync.Mutex
	total   int64 // bytes of all inputs
	files   int
	done    int64
	filesOK int
	events  int
	found   int
	start   time.Time
	stopped chan struct{}
	once    sync.Once
}

func newProgress(w io.Writer, on bool, inputs []source.Input) *progress {
	p := &progress{w: w, on: on, files: len(inputs), start: time.Now(), stopped: make(chan struct{})}
	for _, in := range inputs {
		p.total += in.Size
	}
	if on {
		go p.loop()
	}
	return p
}

func (p *progress) loop() {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stopped:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// add counts a batch that was handed on, and findings made from it.
func (p *progress) add(b *source.Batch, findings int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += b.Bytes
	p.events += len(b.Events)
	p.found += findings
	if b.Last {
		p.filesOK++
	}
}

// printf prints a message above the status line.
func (p *progress) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
	fmt.Fprintf(p.w, format, args...)
}

func (p *progress) draw() {
	el := time.Since(p.start).Seconds()
	mbps := float64(p.done) / 1e6 / max(el, 1e-3)
	left := "?"
	if p.done > 0 && p.total > p.done {
		left = (time.Duration(el*float64(p.total-p.done)/float64(p.done)) * time.Second / time.Second).Round(time.Second).String()
	} else if p.done >= p.total {
		left = "0s"
	}
	fmt.Fprintf(p.w, "\r\033[Kfiles %d/%d  events %s  findings %d  %.0f MB/s  left %s",
		p.filesOK, p.files, count(p.events), p.found, mbps, left)
}

// stop clears the status line for good.
func (p *progress) stop() {
	p.once.Do(func() {
		close(p.stopped)
		if p.on {
			p.mu.Lock()
			fmt.Fprint(p.w, "\r\033[K")
			p.mu.Unlock()
		}
	})
}

// count renders a number with a unit a person reads at a glance.
func count(n int) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.1fM", float64(n)/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
