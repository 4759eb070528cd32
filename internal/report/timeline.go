package report

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/breakwater/breakwater/internal/finding"
)

// chart is a stacked bar chart of findings over time, laid out in Go so
// that the template only places numbers: the SVG is built by html/template
// like the rest of the page.
type chart struct {
	Width, Height int
	Title         string // "Findings per hour (UTC)"
	PlotLeft      string
	PlotRight     string
	PlotTop       string
	PlotBottom    string
	Bars          []bar
	YTicks        []tick
	XTicks        []tick
	Legend        []legendItem
}

type bar struct {
	Title string // the tooltip: bucket and counts
	Segs  []seg
}

type seg struct {
	X, Y, W, H string
	Class      string
}

type tick struct {
	X, Y  string
	Label string
}

type legendItem struct {
	X, Y, TextX, TextY string
	Class, Label       string
}

// bucketSteps are the bucket widths a timeline chooses from, in seconds:
// the smallest that keeps the chart to maxBars bars, so that a burst of
// minutes and a campaign of months both read. Hours come first in the
// reader's mind; minutes are there for an intrusion of an hour or two.
var bucketSteps = [...]struct {
	secs int64
	name string
}{
	{60, "minute"}, {5 * 60, "5 minutes"}, {15 * 60, "15 minutes"},
	{3600, "hour"}, {3 * 3600, "3 hours"}, {6 * 3600, "6 hours"}, {12 * 3600, "12 hours"},
	{day, "day"}, {7 * day, "week"}, {28 * day, "4 weeks"},
}

const (
	day     = 24 * 3600
	maxBars = 96
	// mondayOffset aligns weeks to Mondays: the Unix epoch was a
	// Thursday, and 1970-01-05 a Monday.
	mondayOffset = 4 * day
)

// bucketStart returns the start of the bucket of width step (seconds) that
// holds the Unix time t: whole minutes, hours and UTC days, and weeks that
// start on Mondays.
func bucketStart(t, step int64) int64 {
	off := int64(0)
	if step%(7*day) == 0 {
		off = mondayOffset
	}
	return floorDiv(t-off, step)*step + off
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// newChart lays out findings per time bucket by level, or returns nil when
// no finding has a time.
//
// Times are handled as Unix seconds, not time.Duration: a log with a wrong
// clock (year 1601 next to 2024) spans more than a Duration holds, and such
// a chart must still count every finding.
func newChart(fs []*finding.Finding) *chart {
	var first, last int64
	have := false
	for _, f := range fs {
		if f.Time.IsZero() {
			continue
		}
		t := f.Time.Unix()
		if !have || t < first {
			first = t
		}
		if !have || t > last {
			last = t
		}
		have = true
	}
	if !have {
		return nil
	}
	var step int64
	name := ""
	for _, s := range bucketSteps {
		// Findings per hour is what a reader expects; minutes only for
		// an intrusion of an hour or two, which hours would show as one
		// or two bars.
		if s.secs < 3600 && last-first >= 3*3600 {
			continue
		}
		if (bucketStart(last, s.secs)-bucketStart(first, s.secs))/s.secs+1 <= maxBars {
			step, name = s.secs, s.name
			break
		}
	}
	if step == 0 {
		// Years: as many whole weeks as keep to maxBars.
		weeks := ((last-first)/(7*day))/(maxBars-1) + 1
		for (bucketStart(last, weeks*7*day)-bucketStart(first, weeks*7*day))/(weeks*7*day)+1 > maxBars {
			weeks++
		}
		step, name = weeks*7*day, strconv.FormatInt(weeks, 10)+" weeks"
	}
	start := bucketStart(first, step)
	n := int((bucketStart(last, step)-start)/step) + 1
	counts := make([][finding.Critical + 1]int, n)
	for _, f := range fs {
		if f.Time.IsZero() {
			continue
		}
		counts[(f.Time.Unix()-start)/step][clampLevel(f.Level)]++
	}
	peak := 0
	for _, c := range counts {
		sum := 0
		for _, v := range c {
			sum += v
		}
		peak = maxInt(peak, sum)
	}
	top := niceCeil(peak)

	const width, height = 960, 260
	const left, right, topPad, bottom = 48.0, 12.0, 28.0, 48.0
	plotW := float64(width) - left - right
	plotH := float64(height) - topPad - bottom
	c := &chart{
		Width: width, Height: height,
		Title:    "Findings per " + name + " (UTC), by level",
		PlotLeft: f1(left), PlotRight: f1(float64(width) - right), PlotTop: f1(topPad), PlotBottom: f1(topPad + plotH),
	}
	slot := plotW / float64(n)
	gap := 0.0
	if slot > 4 {
		gap = math.Min(slot*0.2, 6)
	}
	labelFmt := "2006-01-02 15:04"
	if step >= day {
		labelFmt = "2006-01-02"
	}
	label := func(i int) string { return time.Unix(start+int64(i)*step, 0).UTC().Format(labelFmt) }
	for i, cnt := range counts {
		x := left + float64(i)*slot + gap/2
		y := topPad + plotH
		b := bar{}
		var parts string
		// Critical at the bottom, where the eye starts.
		for lv := finding.Critical; lv >= finding.Informational; lv-- {
			v := cnt[lv]
			if v == 0 {
				continue
			}
			// At least a sliver: a single finding beside a burst of
			// thousands must still show.
			h := math.Max(plotH*float64(v)/float64(top), 1.5)
			y -= h
			b.Segs = append(b.Segs, seg{X: f1(x), Y: f1(y), W: f1(slot - gap), H: f1(h), Class: "f-" + lv.String()})
			if parts != "" {
				parts += ", "
			}
			parts += strconv.Itoa(v) + " " + lv.String()
		}
		if len(b.Segs) == 0 {
			continue
		}
		b.Title = label(i) + ": " + parts
		c.Bars = append(c.Bars, b)
	}
	ticks := []int{0, top / 2, top}
	if top == 1 {
		ticks = []int{0, 1} // a half would round to 0 again
	}
	for _, v := range ticks {
		y := topPad + plotH - plotH*float64(v)/float64(top)
		c.YTicks = append(c.YTicks, tick{X: f1(left - 6), Y: f1(y), Label: strconv.Itoa(v)})
	}
	every := (n + 7) / 8
	for i := 0; i < n; i += every {
		x := left + float64(i)*slot + slot/2
		c.XTicks = append(c.XTicks, tick{X: f1(x), Y: f1(topPad + plotH + 18), Label: label(i)})
	}
	lx := left
	for lv := finding.Critical; lv >= finding.Informational; lv-- {
		c.Legend = append(c.Legend, legendItem{X: f1(lx), Y: f1(6), TextX: f1(lx + 16), TextY: f1(16), Class: "f-" + lv.String(), Label: lv.String()})
		lx += 16 + float64(len(lv.String()))*7.5 + 18
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten, so that the
// axis has round numbers.
func niceCeil(n int) int {
	if n <= 1 {
		return 1
	}
	p := 1
	for {
		for _, m := range []int{1, 2, 5} {
			if m*p >= n {
				return m * p
			}
		}
		p *= 10
	}
}

// f1 renders a coordinate with one decimal: enough for a screen, and the
// same bytes on every machine.
func f1(v float64) string {
	return fmt.Sprintf("%.1f", v)
}
