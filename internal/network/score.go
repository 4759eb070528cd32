package network

import (
	"math"
	"slices"
	"sort"
)

// Beacon scoring, after RITA v5's published method: four sub-scores, each
// in [0, 1], weighted into one score.
//
//   - timestamp: the intervals between connections are symmetric (Bowley
//     skew near 0) and tight (median absolute deviation small against the
//     median interval);
//   - data size: the bytes a source sends per connection, judged the same
//     way;
//   - histogram: the connections per bin of the window (hours of a day)
//     are flat (low coefficient of variation) or fall into two heights
//     (a beacon that alternates between two rates);
//   - duration: the connections cover the window from end to end, or come
//     back every hour for half a day in a row.
//
// Sub-scores are rounded to three decimals as RITA rounds them, so that
// the numbers can be compared with RITA's own.

// beaconScore is the score of one series of connections with every
// measurement behind it.
type beaconScore struct {
	Score float64 // the weighted sum of the four sub-scores

	TS        float64 // timestamp sub-score: mean of TSSkewSc and TSMADSc, rounded
	TSSkew    float64 // Bowley skew of the intervals
	TSMAD     float64 // median absolute deviation of the intervals, seconds
	TSMedian  float64 // median interval, seconds
	TSSkewSc  float64 // 1 - |TSSkew|
	TSMADSc   float64 // (TSMedian - TSMAD) / TSMedian
	Intervals int     // non-zero intervals scored

	DS       float64 // data size sub-score, from the bytes the source sent
	DSSkew   float64 // Bowley skew of the sizes
	DSMAD    float64 // median absolute deviation of the sizes, bytes
	DSMedian float64 // median size, bytes
	DSSkewSc float64 // 1 - |DSSkew|
	DSMADSc  float64 // (DSMedian - DSMAD) / DSMedian

	Hist        float64 // histogram sub-score: the better of HistCV and HistBimodal
	HistCV      float64 // 1 - coefficient of variation of the bars, rounded, 0 when CV > 1
	HistBimodal float64 // share of bars in the two commonest heights
	Bars        int     // bins with at least one connection
	Histogram   []int   // connections per bin

	Dur         float64 // duration sub-score: the better of Coverage and Consistency
	Coverage    float64 // share of the window between the first and the last connection
	Consistency float64 // longest run of consecutive bins with connections, against the ideal
	LongestRun  int     // bins in that run, the window wrapping round
}

// round3 rounds to three decimals, as RITA stores its scores.
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// ceil3 rounds up to three decimals, as RITA computes coverage.
func ceil3(x float64) float64 { return math.Ceil(x*1000) / 1000 }

// median of sorted values.
func median(s []float64) float64 {
	n := len(s)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// quartiles of sorted values: the median, and the medians of the lower and
// upper halves; an odd middle value belongs to neither half (Tukey's
// hinges, as RITA's statistics library takes them).
func quartiles(s []float64) (q1, q2, q3 float64) {
	n := len(s)
	lo, hi := n/2, n/2
	if n%2 == 1 {
		hi = lo + 1
	}
	return median(s[:lo]), median(s), median(s[hi:])
}

// bowley is the quartile skew of sorted values and its score, 1 - |skew|.
// A spread under 10 units, or a median equal to a quartile, counts as no
// skew: jitter of a few seconds or bytes is not shape.
func bowley(s []float64) (skew, score float64) {
	q1, q2, q3 := quartiles(s)
	if den := q3 - q1; den >= 10 && q2 != q1 && q2 != q3 {
		skew = (q1 + q3 - 2*q2) / den
	}
	return skew, 1 - math.Abs(skew)
}

// madScore is the median absolute deviation of sorted values and its
// score, (median - MAD) / median, or def when the median is under 1.
// scratch holds the deviations.
func madScore(s []float64, def float64, scratch []float64) (mad, med, score float64, _ []float64) {
	med = median(s)
	scratch = scratch[:0]
	for _, v := range s {
		scratch = append(scratch, math.Abs(v-med))
	}
	slices.Sort(scratch)
	mad = median(scratch)
	score = def
	if med >= 1 {
		score = (med - mad) / med
	}
	if score < 0 || math.IsNaN(score) {
		score = 0
	}
	return mad, med, score, scratch
}

// scorer computes beacon scores; it keeps scratch space between series, so
// one scorer serves one goroutine.
type scorer struct {
	cfg     *BeaconConfig
	ivals   []float64
	sizes   []float64
	scratch []float64
	edges   []float64
}

// score scores one series: ts the connection times in whole seconds and
// bytes what the source sent on each, both in connection order (ts
// sorted); lo and hi bound the window, in seconds. ok is false when the
// series is too short to judge.
func (sc *scorer) score(ts []int64, bytes []float64, lo, hi int64) (beaconScore, bool) {
	var b beaconScore
	cfg := sc.cfg
	if len(ts) < 4 || hi <= lo || ts[len(ts)-1] <= ts[0] {
		return b, false
	}
	sc.ivals = sc.ivals[:0]
	for i := 1; i < len(ts); i++ {
		if d := ts[i] - ts[i-1]; d > 0 {
			sc.ivals = append(sc.ivals, float64(d))
		}
	}
	if len(sc.ivals) < 3 {
		return b, false
	}
	slices.Sort(sc.ivals)
	b.Intervals = len(sc.ivals)
	b.TSSkew, b.TSSkewSc = bowley(sc.ivals)
	b.TSMAD, b.TSMedian, b.TSMADSc, sc.scratch = madScore(sc.ivals, 1, sc.scratch)
	b.TS = round3((b.TSSkewSc + b.TSMADSc) / 2)

	sc.sizes = append(sc.sizes[:0], bytes...)
	slices.Sort(sc.sizes)
	b.DSSkew, b.DSSkewSc = bowley(sc.sizes)
	b.DSMAD, b.DSMedian, b.DSMADSc, sc.scratch = madScore(sc.sizes, 0, sc.scratch)
	b.DS = round3((b.DSSkewSc + b.DSMADSc) / 2)

	sc.histogram(&b, ts, lo, hi)

	b.Score = round3(b.TS*cfg.TSWeight + b.DS*cfg.DSWeight + b.Dur*cfg.DurWeight + b.Hist*cfg.HistWeight)
	return b, true
}

// histogram fills the histogram and duration sub-scores.
func (sc *scorer) histogram(b *beaconScore, ts []int64, lo, hi int64) {
	cfg := sc.cfg
	n := cfg.Bins
	// Bin edges as RITA spaces them, so that a connection on an edge
	// falls in the same bin: the window cut in n equal steps, its ends
	// exact. A time before the window's start counts in the first bin,
	// one after its end in the last.
	step := float64(hi-lo) / float64(n)
	sc.edges = sc.edges[:0]
	for i := 1; i < n; i++ {
		sc.edges = append(sc.edges, float64(lo)+float64(i)*step)
	}
	b.Histogram = make([]int, n)
	for _, t := range ts {
		ft := float64(t)
		b.Histogram[sort.Search(len(sc.edges), func(i int) bool { return ft < sc.edges[i] })]++
	}

	// Flatness: 1 - the coefficient of variation of the bars.
	total, tallest := 0, 0
	for _, c := range b.Histogram {
		total += c
		if c > 0 {
			b.Bars++
		}
		tallest = max(tallest, c)
	}
	mean := float64(total) / float64(n)
	var ss float64
	for _, c := range b.Histogram {
		d := float64(c) - mean
		ss += d * d
	}
	if cv := math.Sqrt(ss/float64(n)) / mean; cv <= 1 {
		b.HistCV = min(round3(1-cv), 1)
	}

	// Bimodality: bars grouped by height, in steps of a share of the
	// tallest; the two commonest heights should hold nearly every bar.
	width := math.Ceil(float64(tallest) * cfg.HistModeSensitivity)
	if width < 1 {
		width = 1
	}
	heights := make(map[int]int)
	for _, c := range b.Histogram {
		if c > 0 {
			heights[int(math.Floor(float64(c)/width)*width)]++
		}
	}
	minBars := cfg.HistBimodalMinHours
	if minBars < 6 {
		minBars = 11 // fewer bars always look bimodal
	}
	if b.Bars >= minBars {
		first, second := 0, 0
		for _, k := range heights {
			switch {
			case k > first:
				first, second = k, first
			case k > second:
				second = k
			}
		}
		adj := math.Max(float64(b.Bars-cfg.HistOutliers), 1)
		b.HistBimodal = min(round3(float64(first+second)/adj), 1)
	}
	b.Hist = math.Max(b.HistCV, b.HistBimodal)

	// The longest run of bins with connections, the window wrapping
	// round from its end to its start.
	run := 0
	for i := 0; i < 2*n; i++ {
		if b.Histogram[i%n] > 0 {
			run++
			b.LongestRun = max(b.LongestRun, run)
		} else {
			run = 0
		}
	}
	b.LongestRun = min(b.LongestRun, n)
	if b.Bars >= cfg.DurMinHours {
		b.Coverage = min(ceil3(float64(ts[len(ts)-1]-ts[0])/float64(hi-lo)), 1)
		b.Consistency = min(ceil3(float64(b.LongestRun)/float64(cfg.DurIdealHours)), 1)
		b.Dur = math.Max(b.Coverage, b.Consistency)
	}
}
