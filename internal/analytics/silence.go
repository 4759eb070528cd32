package analytics

import (
	"sort"
	"strconv"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// maxSilences is how many of its longest silences a channel keeps. A
// silence is judged against the shortest of them: a channel that is quiet
// every night has that many nights as long, and none stands out.
const maxSilences = 8

// silence is the time between two consecutive records of a channel.
type silence struct {
	lo         uint64 // the record before; the one after is lo+1
	from, to   int64  // their times, Unix nanoseconds
	ffrom, fto string // the inputs they came from
}

func (g *silence) len() int64 { return g.to - g.from }

// longer is the order of silences: longest first, then by record, so that
// which are kept does not depend on the order events were read in.
func (g *silence) longer(o *silence) bool {
	if g.len() != o.len() {
		return g.len() > o.len()
	}
	return g.lo < o.lo
}

// addSilence keeps g if it is among the channel's longest.
func (cs *chanState) addSilence(g silence) {
	for i := range cs.silences {
		if cs.silences[i].lo == g.lo {
			return // the same pair of records, from another copy of the log
		}
	}
	i := sort.Search(len(cs.silences), func(i int) bool { return g.longer(&cs.silences[i]) })
	if i == maxSilences {
		return
	}
	if len(cs.silences) < maxSilences {
		cs.silences = append(cs.silences, silence{})
	}
	copy(cs.silences[i+1:], cs.silences[i:])
	cs.silences[i] = g
	if len(cs.silences) == maxSilences {
		cs.floor = cs.silences[maxSilences-1].len()
	}
}

// hourKey is one hour of one host.
type hourKey struct {
	host string
	hour int64 // hours since the Unix epoch
}

func hourOf(t int64) int64 {
	h := t / int64(time.Hour)
	if t < 0 && t%int64(time.Hour) != 0 {
		h--
	}
	return h
}

// flushHour adds the pending events of a channel to its host's hours.
func (s *tamperState) flushHour(host string, cs *chanState) {
	if cs.pendN == 0 {
		return
	}
	s.addHour(hourKey{host, cs.pendHour}, cs.pendN)
	cs.pendN = 0
}

// flushAll adds every channel's pending events to the hours.
func (s *tamperState) flushAll() {
	for k, cs := range s.channels {
		s.flushHour(k.host, cs)
	}
}

func (s *tamperState) addHour(k hourKey, n int32) {
	if s.hours == nil {
		s.hours = make(map[hourKey]int32)
	}
	if _, ok := s.hours[k]; !ok && len(s.hours) >= s.cfg.Caps.Hours {
		s.droppedHours++
		return
	}
	s.hours[k] += n
}

// activity counts a host's events in the whole hours between two times,
// and how many of those hours had any.
func (s *tamperState) activity(host string, from, to int64) (events, active, hours int) {
	lo := hourOf(from) + 1
	hi := hourOf(to) // exclusive: the hour of to is not whole
	for h := lo; h < hi && hours < 24*366; h++ {
		hours++
		if n := s.hours[hourKey{host, h}]; n > 0 {
			events += int(n)
			active++
		}
	}
	return events, active, hours
}

// reportSilences reports channels that went quiet for an unusual stretch
// while their host kept logging in its other channels: a log switched off
// (wevtutil sl /e:false, a stopped Sysmon driver, an audit policy
// cleared) or records removed and renumbered. D38.
func (s *tamperState) reportSilences(r *reporter) {
	s.flushAll()
	cfg := s.cfg.Silence
	keys := make([]chanKey, 0, len(s.channels))
	hostLast := make(map[string]int64)
	for k, cs := range s.channels {
		keys = append(keys, k)
		hostLast[k.host] = max(hostLast[k.host], cs.last)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].host != keys[j].host {
			return keys[i].host < keys[j].host
		}
		return keys[i].channel < keys[j].channel
	})
	for _, k := range keys {
		cs := s.channels[k]
		if cs.sparse || cs.events < cfg.MinEvents || cs.last <= cs.first {
			continue
		}
		var ref int64
		if len(cs.silences) == maxSilences {
			ref = cs.silences[maxSilences-1].len()
		}
		cands := append([]silence(nil), cs.silences...)
		trailing := -1
		if end := hostLast[k.host]; end > cs.last {
			if run, ok := lastRun(cs); ok {
				trailing = len(cands)
				cands = append(cands, silence{lo: run.hi, from: cs.last, to: end, ffrom: run.fhi})
			}
		}
		for i := range cands {
			g := &cands[i]
			l := g.len()
			if l < int64(cfg.MinGap) || float64(l) < cfg.Ratio*float64(ref) {
				continue
			}
			busy := cs.last - cs.first
			if i != trailing {
				busy -= l
			}
			busy = max(busy, int64(time.Minute))
			perHour := float64(cs.events-1) * float64(time.Hour) / float64(busy)
			if perHour*float64(l)/float64(time.Hour) < float64(cfg.MinExpected) {
				continue
			}
			other, active, hours := s.activity(k.host, g.from, g.to)
			if hours == 0 || other < cfg.MinOther || active*2 < hours {
				continue
			}
			s.reportSilence(r, k, g, i == trailing, perHour, other)
		}
	}
	if s.droppedHours > 0 {
		r.note("analytics: silent-channel: the cap of %d host-hours was reached and %d more were not kept (raise caps.hours in --analytics-config)",
			s.cfg.Caps.Hours, s.droppedHours)
	}
}

// lastRun returns the run of a channel with its latest record.
func lastRun(cs *chanState) (recRun, bool) {
	var best recRun
	ok := false
	for _, run := range cs.runs {
		if !ok || run.thi > best.thi {
			best, ok = run, true
		}
	}
	return best, ok
}

func (s *tamperState) reportSilence(r *reporter, k chanKey, g *silence, trailing bool, perHour float64, other int) {
	from, to := time.Unix(0, g.from).UTC(), time.Unix(0, g.to).UTC()
	span := fmtSpan(to.Sub(from))
	rate := strconv.FormatFloat(perHour, 'f', 0, 64)
	if perHour < 10 {
		rate = strconv.FormatFloat(perHour, 'f', 1, 64)
	}
	f := r.finding(SilentChannel, k.host, k.channel, strconv.FormatUint(g.lo, 10), strconv.FormatBool(trailing))
	f.Time, f.Host = from, k.host
	f.Evidence = []finding.Evidence{{File: g.ffrom, Channel: k.channel, RecordID: g.lo, Time: from, Offset: -1}}
	vals := []event.Field{field("channel", k.channel), field("from", fmtTime(from)), field("to", fmtTime(to)),
		field("duration", span), field("usual_per_hour", rate), field("other_events", strconv.Itoa(other)),
		field("last_record_before", strconv.FormatUint(g.lo, 10))}
	if trailing {
		f.Level = finding.Low
		f.Summary = k.channel + " on " + k.host + " stopped logging at " + fmtTime(from) + ", " + span +
			" before the host's other logs end"
		f.Explain.Text = "the last " + k.channel + " record of " + k.host + " is " + strconv.FormatUint(g.lo, 10) + " at " + fmtTime(from) +
			"; the channel usually writes " + rate + " events an hour, yet nothing follows until the host's last event at " + fmtTime(to) +
			", while its other channels logged " + fmtCount(other) + " events: logging turned off, the service stopped, or logs collected at different times"
	} else {
		f.Evidence = append(f.Evidence, finding.Evidence{File: g.fto, Channel: k.channel, RecordID: g.lo + 1, Time: to, Offset: -1})
		f.Summary = k.channel + " on " + k.host + " was silent for " + span + " from " + fmtTime(from) + " to " + fmtTime(to) +
			" while the host's other logs kept writing"
		f.Explain.Text = "consecutive records " + strconv.FormatUint(g.lo, 10) + " and " + strconv.FormatUint(g.lo+1, 10) + " of " + k.channel +
			" are " + span + " apart, where the channel usually writes " + rate + " events an hour and its other long silences are shorter by " +
			strconv.FormatFloat(s.cfg.Silence.Ratio, 'g', -1, 64) + " times or more; " +
			"the host's other channels logged " + fmtCount(other) + " events in that time: logging turned off for a while, or records removed and renumbered"
		vals = append(vals, field("first_record_after", strconv.FormatUint(g.lo+1, 10)))
	}
	f.Explain.Values = vals
	r.emit(f)
}
