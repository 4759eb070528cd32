package analytics

import (
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// steadyLog writes events of a channel of host every step from `from` to
// `to`, skipping those for which quiet returns true.
func steadyLog(b *logBuilder, host, channel string, from, to time.Time, step time.Duration, quiet func(time.Time) bool) []event.Event {
	var out []event.Event
	for t := from; t.Before(to); t = t.Add(step) {
		if quiet != nil && quiet(t) {
			continue
		}
		out = append(out, b.event(t, host, channel, "Test-Provider", 1000, "n", "1"))
	}
	return out
}

// TestSilentChannel: a channel that logs steadily and goes quiet for hours
// while the host's other channels keep logging is reported, with the
// silence's start, end and the usual rate; quiet hosts, nightly patterns
// and sparse logs are not.
func TestSilentChannel(t *testing.T) {
	start := day1
	end := start.Add(48 * time.Hour)
	gapFrom, gapTo := start.Add(5*time.Hour), start.Add(9*time.Hour)
	inGap := func(t time.Time) bool { return !t.Before(gapFrom) && t.Before(gapTo) }
	night := func(t time.Time) bool { return t.Hour() < 7 || t.Hour() >= 19 }
	cases := []struct {
		name string
		evs  func(b *logBuilder) []event.Event
		want []string // summaries
		lvl  finding.Level
	}{
		{"Sysmon quiet for 4 hours while Security logs", func(b *logBuilder) []event.Event {
			return append(steadyLog(b, dc, "Security", start, end, 30*time.Second, nil),
				steadyLog(b, dc, channelSysmon, start, end, time.Minute, inGap)...)
		}, []string{channelSysmon + " on " + dc + " was silent for 4h1m from 2024-02-01T13:59:00.0000000Z to 2024-02-01T18:00:00.0000000Z while the host's other logs kept writing"}, finding.Medium},
		{"near miss: the whole host is off", func(b *logBuilder) []event.Event {
			return append(steadyLog(b, dc, "Security", start, end, 30*time.Second, inGap),
				steadyLog(b, dc, channelSysmon, start, end, time.Minute, inGap)...)
		}, nil, 0},
		{"near miss: quiet every night, ten nights", func(b *logBuilder) []event.Event {
			long := start.Add(10 * 24 * time.Hour)
			return append(steadyLog(b, dc, "Security", start, long, 2*time.Minute, nil),
				steadyLog(b, dc, "Application", start, long, time.Minute, night)...)
		}, nil, 0},
		{"near miss: a sparse channel (a few events an hour)", func(b *logBuilder) []event.Event {
			return append(steadyLog(b, dc, "Security", start, end, 30*time.Second, nil),
				steadyLog(b, dc, "System", start, end, 8*time.Minute, inGap)...)
		}, nil, 0},
		{"near miss: silent for 90 minutes", func(b *logBuilder) []event.Event {
			short := func(t time.Time) bool { return !t.Before(gapFrom) && t.Before(gapFrom.Add(90*time.Minute)) }
			return append(steadyLog(b, dc, "Security", start, end, 30*time.Second, nil),
				steadyLog(b, dc, channelSysmon, start, end, time.Minute, short)...)
		}, nil, 0},
		{"Sysmon stops for good while Security goes on", func(b *logBuilder) []event.Event {
			return append(steadyLog(b, dc, "Security", start, end, 30*time.Second, nil),
				steadyLog(b, dc, channelSysmon, start, start.Add(30*time.Hour), time.Minute, nil)...)
		}, []string{channelSysmon + " on " + dc + " stopped logging at 2024-02-02T14:59:00.0000000Z, 18h0m30s before the host's other logs end"}, finding.Low},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs := tc.evs(newLog("silence"))
			fs := byRule(run(t, newDetector(t, nil, SilentChannel), evs, 2), SilentChannel)
			var got []string
			for _, f := range fs {
				got = append(got, f.Summary)
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			for _, f := range fs {
				if f.Level != tc.lvl || value(f, "usual_per_hour") != "60" || value(f, "other_events") == "" ||
					value(f, "from") == "" || value(f, "to") == "" || len(f.Evidence) == 0 || f.Evidence[0].RecordID == 0 {
					t.Errorf("%s: level %s, explanation %q %v", f.Summary, f.Level, f.Explain.Text, f.Explain.Values)
				}
			}
			// The same findings whatever the order and the workers.
			want := jsonLines(fs)
			for i, n := range []int{1, 3} {
				got := jsonLines(byRule(run(t, newDetector(t, nil, SilentChannel), shuffled(evs, uint64(i+1)), n), SilentChannel))
				if got != want {
					t.Errorf("%d workers, shuffled: different findings:\n%s\nwant\n%s", n, got, want)
				}
			}
		})
	}
}
