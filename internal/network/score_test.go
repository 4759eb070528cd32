package network

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-4 }

func TestQuartiles(t *testing.T) {
	tests := []struct {
		in         []float64
		q1, q2, q3 float64
	}{
		{[]float64{1, 2, 3, 4}, 1.5, 2.5, 3.5},
		{[]float64{1, 2, 3, 4, 5}, 1.5, 3, 4.5}, // the middle value belongs to neither half
		{[]float64{1, 2, 3, 4, 5, 6, 7}, 2, 4, 6},
		{[]float64{5, 5, 5}, 5, 5, 5},
	}
	for _, tt := range tests {
		q1, q2, q3 := quartiles(tt.in)
		if !near(q1, tt.q1) || !near(q2, tt.q2) || !near(q3, tt.q3) {
			t.Errorf("quartiles(%v) = %v %v %v, want %v %v %v", tt.in, q1, q2, q3, tt.q1, tt.q2, tt.q3)
		}
	}
}

func TestBowley(t *testing.T) {
	tests := []struct {
		name        string
		in          []float64
		skew, score float64
	}{
		{"symmetric", []float64{100, 200, 300, 400, 500}, 0, 1},
		{"right skewed", []float64{10, 20, 30, 100, 200}, 105.0 / 135, 1 - 105.0/135},
		{"left skewed", []float64{10, 110, 180, 190, 200}, (60 + 195 - 360) / 135.0, 1 - 105.0/135},
		{"spread under 10 is jitter", []float64{300, 301, 302, 309, 309}, 0, 1},
		{"median on a quartile", []float64{300, 300, 300, 300, 900}, 0, 1},
	}
	for _, tt := range tests {
		skew, score := bowley(tt.in)
		if !near(skew, tt.skew) || !near(score, tt.score) {
			t.Errorf("%s: bowley(%v) = %v, %v; want %v, %v", tt.name, tt.in, skew, score, tt.skew, tt.score)
		}
	}
}

func TestMADScore(t *testing.T) {
	tests := []struct {
		in             []float64
		def            float64
		mad, med, want float64
	}{
		{[]float64{10, 10, 10, 40}, 0, 0, 10, 1},
		{[]float64{100, 200, 300}, 0, 100, 200, 0.5},
		{[]float64{1, 100, 1000}, 0, 99, 100, 0.01},
		{[]float64{0, 0, 0, 0}, 0, 0, 0, 0},                        // no median to judge against: the default
		{[]float64{0, 0, 0.5, 0.5}, 1, 0.25, 0.25, 1},              // the default of timestamps
		{[]float64{1, 2, 100, 200}, 0, 49.5, 51, (51 - 49.5) / 51}, // deviations 50, 49, 49, 149
	}
	for _, tt := range tests {
		mad, med, score, _ := madScore(tt.in, tt.def, nil)
		if !near(mad, tt.mad) || !near(med, tt.med) || !near(score, tt.want) {
			t.Errorf("madScore(%v) = mad %v, median %v, score %v; want %v, %v, %v", tt.in, mad, med, score, tt.mad, tt.med, tt.want)
		}
	}
}

// timeSeries makes connection times from lo every step seconds (plus jitter
// from f) up to hi, and a constant size.
func timeSeries(lo, hi, step int64, f func(int) int64) ([]int64, []float64) {
	var ts []int64
	var by []float64
	for i, t := 0, lo; t <= hi; i, t = i+1, t+step {
		ts = append(ts, t+f(i))
		by = append(by, 512)
	}
	return ts, by
}

func TestScoreShapes(t *testing.T) {
	cfg := DefaultConfig().Beacon
	const lo, hi = 1_700_000_000, 1_700_000_000 + 86400
	none := func(int) int64 { return 0 }
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name     string
		ts       func() ([]int64, []float64)
		min, max float64 // score
		check    func(t *testing.T, b beaconScore)
	}{
		{"perfect beacon", func() ([]int64, []float64) { return timeSeries(lo, hi, 300, none) }, 1, 1,
			func(t *testing.T, b beaconScore) {
				if b.TS != 1 || b.DS != 1 || b.Hist != 1 || b.Dur != 1 || b.Bars != 24 || b.LongestRun != 24 {
					t.Errorf("sub-scores %+v, want all 1, 24 bars", b)
				}
			}},
		{"jittered beacon", func() ([]int64, []float64) {
			return timeSeries(lo, hi, 300, func(int) int64 { return r.Int64N(60) - 30 })
		}, 0.9, 1, nil},
		{"two rates: bimodal histogram", func() ([]int64, []float64) {
			// 6 connections one hour, 12 the next.
			var ts []int64
			var by []float64
			for h := int64(0); h < 24; h++ {
				n := int64(6 + 6*(h%2))
				for i := int64(0); i < n; i++ {
					ts = append(ts, lo+h*3600+i*3600/n)
					by = append(by, 512)
				}
			}
			return ts, by
		}, 0.9, 1, func(t *testing.T, b beaconScore) {
			if b.HistBimodal != 1 || b.HistCV >= 1 {
				t.Errorf("bimodal %.3f, cv %.3f: want a bimodal score of 1 that flatness alone does not give", b.HistBimodal, b.HistCV)
			}
		}},
		{"random times and sizes", func() ([]int64, []float64) {
			var ts []int64
			var by []float64
			for i := 0; i < 200; i++ {
				ts = append(ts, lo+r.Int64N(86400))
				by = append(by, float64(100+r.IntN(100000)))
			}
			sortInt64(ts)
			return ts, by
		}, 0, 0.75, func(t *testing.T, b beaconScore) {
			// Uniform sizes still score 0.75 on size (no skew, MAD half
			// the median): the timestamps tell.
			if b.TS > 0.6 || b.DS > 0.8 {
				t.Errorf("random series: timestamp %.3f, size %.3f; want them low", b.TS, b.DS)
			}
		}},
		{"one burst", func() ([]int64, []float64) { return timeSeries(lo, lo+600, 60, none) }, 0.5, 0.5,
			func(t *testing.T, b beaconScore) {
				if b.Dur != 0 || b.Bars != 1 {
					t.Errorf("a ten-minute burst: duration %.3f over %d bars, want 0 over 1", b.Dur, b.Bars)
				}
			}},
		{"before and after the window land in its end bins", func() ([]int64, []float64) {
			ts, by := timeSeries(lo, hi, 3600, none)
			return append([]int64{lo - 1000}, append(ts, hi+1000)...), append([]float64{512}, append(by, 512)...)
		}, 0, 1, func(t *testing.T, b beaconScore) {
			if b.Histogram[0] != 2 || b.Histogram[23] != 3 {
				t.Errorf("histogram %v: want 2 in the first bin, 3 in the last", b.Histogram)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := scorer{cfg: &cfg}
			ts, by := tt.ts()
			b, ok := sc.score(ts, by, lo, hi)
			if !ok {
				t.Fatal("not scored")
			}
			if b.Score < tt.min || b.Score > tt.max {
				t.Errorf("score %.3f, want within [%.2f, %.2f]: %+v", b.Score, tt.min, tt.max, b)
			}
			if tt.check != nil {
				tt.check(t, b)
			}
		})
	}
}

func sortInt64(s []int64) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// TestScoreTooShort: a series without three distinct intervals is not
// scored, as RITA does not score it.
func TestScoreTooShort(t *testing.T) {
	cfg := DefaultConfig().Beacon
	sc := scorer{cfg: &cfg}
	for _, ts := range [][]int64{
		{1, 2, 3},
		{5, 5, 5, 5, 5},
		{1, 1, 1, 2, 3}, // two non-zero intervals
		{10, 20, 30, 40},
	} {
		by := make([]float64, len(ts))
		_, ok := sc.score(ts, by, 0, 100)
		if want := len(ts) == 4 && ts[0] == 10; ok != want {
			t.Errorf("score(%v): ok %v, want %v", ts, ok, want)
		}
	}
	if _, ok := sc.score([]int64{1, 2, 3, 4}, make([]float64, 4), 100, 100); ok {
		t.Error("an empty window was scored")
	}
}

// FuzzScore: any series gives scores within [0, 1], or none.
func FuzzScore(f *testing.F) {
	f.Add(int64(0), int64(300), int64(50), uint64(1))
	f.Add(int64(-5), int64(1), int64(1000), uint64(7))
	f.Fuzz(func(t *testing.T, start, step, n int64, seed uint64) {
		if n < 0 || n > 2000 || step < 0 || step > 1e6 || start < -1e12 || start > 1e12 {
			return
		}
		r := rand.New(rand.NewPCG(seed, 3))
		ts := make([]int64, n)
		by := make([]float64, n)
		for i := range ts {
			ts[i] = start + int64(i)*step + r.Int64N(step+1)
			by[i] = float64(r.IntN(1 << 20))
		}
		sortInt64(ts)
		cfg := DefaultConfig().Beacon
		sc := scorer{cfg: &cfg}
		lo := start
		if n > 0 {
			lo = min(start, ts[0])
		}
		b, ok := sc.score(ts, by, lo, lo+86400)
		if !ok {
			return
		}
		for name, v := range map[string]float64{"score": b.Score, "ts": b.TS, "ds": b.DS, "hist": b.Hist, "dur": b.Dur} {
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Fatalf("%s = %v for %d connections", name, v, n)
			}
		}
	})
}
