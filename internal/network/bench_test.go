package network

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// benchConns makes n conn.log records of a busy network over a day: 2,000
// internal hosts talking to 20,000 external addresses and to each other,
// with a few hundred beacons among them.
func benchConns(n int) []event.Event {
	z := newZlog()
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < n; i++ {
		src := "10.2." + strconv.Itoa(r.IntN(8)) + "." + strconv.Itoa(r.IntN(250))
		var dst string
		var at time.Duration
		if i%50 == 0 {
			// A beacon: one of 300 pairs, every ~5 minutes.
			b := r.IntN(300)
			src = "10.3.0." + strconv.Itoa(b%250)
			dst = "198.51.100." + strconv.Itoa(b%250)
			at = time.Duration(i/50%288)*5*time.Minute + time.Duration(r.IntN(20))*time.Second
		} else if r.IntN(4) == 0 {
			dst = "10.2." + strconv.Itoa(r.IntN(8)) + "." + strconv.Itoa(r.IntN(250))
			at = time.Duration(r.Int64N(int64(24 * time.Hour)))
		} else {
			dst = strconv.Itoa(1+r.IntN(220)) + "." + strconv.Itoa(r.IntN(256)) + "." + strconv.Itoa(r.IntN(256)) + ".1"
			at = time.Duration(r.Int64N(int64(24 * time.Hour)))
		}
		port, svc, proto := 443, "ssl", "tcp"
		switch r.IntN(5) {
		case 0:
			port, svc, proto = 53, "dns", "udp"
		case 1:
			port, svc = 80, "http"
		}
		z.conn("conn", t0.Add(at), src, 1024+r.IntN(60000), dst, port, proto, svc,
			r.Float64()*30, r.IntN(5000), r.IntN(200000), "SF")
	}
	return z.evs
}

// hunt runs the detector over events on one goroutine, as one reader
// worker does, and finishes it.
func huntEvents(b *testing.B, evs []event.Event) int {
	d, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	eng := detect.NewEngine([]detect.Detector{d}, 1, detect.Filter{})
	n := 0
	emit := func(*finding.Finding) { n++ }
	for i := range evs {
		eng.Observe(0, &evs[i], emit)
	}
	if err := eng.Finish(emit); err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkAnalytics is the cost of every network analytic per connection:
// reading the record's fields, keeping it, and judging it at the end of
// the hunt (multiply ns/conn by a million for the cost per million
// connections).
func BenchmarkAnalytics(b *testing.B) {
	const n = 200_000
	evs := benchConns(n)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		huntEvents(b, evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/conn")
}

// BenchmarkObserve is the hot path alone: one conn.log record seen.
func BenchmarkObserve(b *testing.B) {
	evs := benchConns(10_000)
	d, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	w := d.NewWorker()
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		w.Observe(&evs[i%len(evs)], nil)
		i++
	}
}

// BenchmarkScore is RITA-style scoring of one day of a 5-minute beacon.
func BenchmarkScore(b *testing.B) {
	cfg := DefaultConfig().Beacon
	sc := scorer{cfg: &cfg}
	ts, by := timeSeries(0, 86400, 300, func(i int) int64 { return int64(i % 7) })
	b.ReportAllocs()
	for b.Loop() {
		sc.score(ts, by, 0, 86400)
	}
}
