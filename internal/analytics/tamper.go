package analytics

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// tamperState follows every channel of every host: the runs of
// consecutive record ids it holds (holes in them are deleted records), its
// time range, whether its host logs process creation with command lines;
// and the clears and event log service changes met.
type tamperState struct {
	cfg      *Config
	channels map[chanKey]*chanState
	clears   []clearRec

	droppedChannels int
	droppedClears   int

	// silence: measure silences and host activity (silent-channel on).
	silence bool
	// hours counts each host's events per hour, all channels together:
	// what tells a silent channel on a busy host from a host switched
	// off. Channels add to it when their hour changes, not per event.
	hours        map[hourKey]int32
	droppedHours int

	// The channel of the previous event: events come in runs of one
	// channel, so most events need no map lookup.
	lastHost, lastChannel string
	last                  *chanState
}

type chanKey struct{ host, channel string }

// chanState is what is known of one channel of one host.
type chanState struct {
	runs   []recRun // runs of consecutive record ids, compacted when they grow
	sparse bool     // too many runs to be a whole log: a filtered export
	events int
	first  int64 // earliest and latest event times, Unix nanoseconds; 0 when none
	last   int64
	// coverage flags of the host, set on its process events
	flags uint8
	// the longest silences between consecutive records, longest first,
	// and the length a silence needs to join them (0 until they are
	// maxSilences)
	silences []silence
	floor    int64
	// events of the current hour not yet added to the host's hours
	pendHour int64
	pendN    int32
}

// Coverage flags.
const (
	flag4688        = 1 << iota // Security 4688 seen
	flag4688Command             // ... with a command line
	flagSysmon1                 // Sysmon 1 seen
)

// recRun is a run of consecutive record ids, with the times of its first
// and last record.
type recRun struct {
	lo, hi   uint64
	tlo, thi int64
	flo, fhi string // the inputs the first and last record came from
}

// clearRec is one log clear (1102, 104).
type clearRec struct {
	host     string
	channel  string // the log that was cleared
	user     string
	recordID uint64 // of the clear event itself, in its own channel
	evChan   string // the channel the clear event is in
	time     time.Time
	evidence finding.Evidence
}

func (s *tamperState) init(cfg *Config) {
	s.cfg = cfg
	s.channels = make(map[chanKey]*chanState)
}

// track counts an event in its channel's record runs. It runs for every
// event, so it avoids maps and allocations when the channel is the same
// as the previous event's.
func (s *tamperState) track(ev *event.Event) {
	cs := s.last
	if cs == nil || ev.Computer != s.lastHost || ev.Channel != s.lastChannel {
		k := chanKey{ev.Computer, ev.Channel}
		cs = s.channels[k]
		if cs == nil {
			if len(s.channels) >= s.cfg.Caps.Channels {
				s.droppedChannels++
				return
			}
			k = chanKey{strings.Clone(k.host), strings.Clone(k.channel)}
			cs = &chanState{}
			s.channels[k] = cs
		}
		if s.last != nil && s.silence {
			s.flushHour(s.lastHost, s.last)
		}
		s.last, s.lastHost, s.lastChannel = cs, k.host, k.channel
	}
	cs.events++
	var t int64
	if !ev.Time.IsZero() {
		// 0 means "no time yet": an event without a time says nothing of
		// the channel's range.
		t = ev.Time.UnixNano()
		if cs.first == 0 || t < cs.first {
			cs.first = t
		}
		if t > cs.last {
			cs.last = t
		}
		if s.silence {
			if h := hourOf(t); h != cs.pendHour {
				s.flushHour(s.lastHost, cs)
				cs.pendHour = h
			}
			cs.pendN++
		}
	}
	id := ev.RecordID
	if id == 0 || cs.sparse {
		return
	}
	if n := len(cs.runs); n > 0 {
		r := &cs.runs[n-1]
		switch {
		case id == r.hi+1:
			if s.silence && r.thi != 0 && t-r.thi >= cs.floor && t > r.thi {
				cs.addSilence(silence{lo: r.hi, from: r.thi, to: t, ffrom: r.fhi, fto: ev.Source.File})
			}
			r.hi, r.thi, r.fhi = id, t, ev.Source.File
			return
		case id >= r.lo && id <= r.hi:
			return // the same record again, from another copy of the log
		}
	}
	cs.runs = append(cs.runs, recRun{lo: id, hi: id, tlo: t, thi: t, flo: ev.Source.File, fhi: ev.Source.File})
	if len(cs.runs) > s.cfg.Caps.RecordRuns {
		cs.compact(s.cfg.Caps.RecordRuns)
	}
}

// compact sorts and joins runs; a channel that still has too many is a
// filtered export, whose holes say nothing.
func (cs *chanState) compact(limit int) {
	rs := cs.runs
	slices.SortFunc(rs, func(a, b recRun) int {
		switch {
		case a.lo < b.lo:
			return -1
		case a.lo > b.lo:
			return 1
		}
		return 0
	})
	out := rs[:0]
	for _, r := range rs {
		if n := len(out); n > 0 && r.lo <= out[n-1].hi+1 {
			p := &out[n-1]
			if r.lo == p.hi+1 && r.tlo > p.thi && p.thi != 0 {
				// Two runs meet: the pair of records where they join was
				// never side by side in one worker's stream.
				cs.addSilence(silence{lo: p.hi, from: p.thi, to: r.tlo, ffrom: p.fhi, fto: r.flo})
			}
			if r.hi > p.hi {
				p.hi, p.thi, p.fhi = r.hi, r.thi, r.fhi
			}
			continue
		}
		out = append(out, r)
	}
	cs.runs = out
	if len(out) > limit {
		cs.sparse, cs.runs = true, nil
	}
}

// processSeen notes the coverage a process creation event gives its host.
func (s *tamperState) processSeen(ev *event.Event) {
	cs := s.last
	if cs == nil || ev.Computer != s.lastHost || ev.Channel != s.lastChannel {
		return // the channel was not tracked: the cap was reached
	}
	if ev.EventID == 1 {
		cs.flags |= flagSysmon1
		return
	}
	cs.flags |= flag4688
	if v, ok := ev.Get("CommandLine"); ok && v != "" {
		cs.flags |= flag4688Command
	}
}

// cleared records a log clear: Security 1102, or System 104 whose
// UserData names the cleared log in a second Channel field.
func (s *tamperState) cleared(ev *event.Event) {
	if !strings.EqualFold(ev.Provider, "Microsoft-Windows-Eventlog") {
		return
	}
	if len(s.clears) >= s.cfg.Caps.Items {
		s.droppedClears++
		return
	}
	c := clearRec{host: strings.Clone(ev.Computer), channel: ev.Channel, evChan: ev.Channel,
		recordID: ev.RecordID, time: ev.Time, evidence: fullEvidence(ev)}
	seenChannel := false
	var name, dom string
	for _, f := range ev.Fields {
		switch f.Name {
		case "Channel":
			if seenChannel && f.Value != "" {
				c.channel = strings.Clone(f.Value)
			}
			seenChannel = true
		case "SubjectUserName":
			name = f.Value
		case "SubjectDomainName":
			dom = f.Value
		}
	}
	c.user = name
	if !emptyValue(dom) && name != "" {
		c.user = dom + `\` + name
	}
	c.user = strings.Clone(c.user)
	s.clears = append(s.clears, c)
}

func (s *tamperState) merge(o *tamperState) {
	s.droppedChannels += o.droppedChannels
	s.droppedClears += o.droppedClears
	o.flushAll()
	s.droppedHours += o.droppedHours
	for k, n := range o.hours {
		s.addHour(k, n)
	}
	for k, oc := range o.channels {
		c := s.channels[k]
		if c == nil {
			if len(s.channels) >= s.cfg.Caps.Channels {
				s.droppedChannels++
				continue
			}
			s.channels[k] = oc
			if !oc.sparse {
				oc.compact(s.cfg.Caps.RecordRuns)
			}
			continue
		}
		c.events += oc.events
		for _, g := range oc.silences {
			c.addSilence(g)
		}
		if c.first == 0 || oc.first != 0 && oc.first < c.first {
			c.first = oc.first
		}
		c.last = max(c.last, oc.last)
		c.flags |= oc.flags
		if c.sparse || oc.sparse {
			c.sparse, c.runs = true, nil
			continue
		}
		c.runs = append(c.runs, oc.runs...)
		c.compact(s.cfg.Caps.RecordRuns)
	}
	for _, oc := range o.clears {
		if len(s.clears) >= s.cfg.Caps.Items {
			s.droppedClears++
			continue
		}
		s.clears = append(s.clears, oc)
	}
}

// finish reports clears with what they removed, and holes in record
// sequences that no clear explains.
func (s *tamperState) finish(r *reporter) {
	for _, cs := range s.channels {
		if !cs.sparse {
			cs.compact(s.cfg.Caps.RecordRuns)
		}
	}
	sort.Slice(s.clears, func(i, j int) bool {
		return evidenceLess(&s.clears[i].evidence, &s.clears[j].evidence)
	})
	// Copies of one log give the same clear twice.
	clears := slices.CompactFunc(s.clears, func(a, b clearRec) bool {
		return a.host == b.host && a.channel == b.channel && a.recordID == b.recordID && a.time.Equal(b.time)
	})
	if r.d.on.cleared {
		for i := range clears {
			s.reportClear(r, &clears[i])
		}
	}
	if r.d.on.gap {
		s.reportGaps(r, clears)
	}
	if r.d.on.silence {
		s.reportSilences(r)
	}
}

// reportClear says what a clear removed: the records between the last one
// the input still has before the clear and the clear itself.
func (s *tamperState) reportClear(r *reporter, c *clearRec) {
	f := r.finding(LogCleared, evKey(c.host, &c.evidence))
	if c.channel != "Security" && c.channel != "System" {
		f.Level = finding.Medium
	}
	f.Time, f.Host, f.User = c.time, c.host, c.user
	f.Evidence = []finding.Evidence{c.evidence}
	who := c.user
	if who == "" {
		who = "an unknown account"
	}
	f.Summary = "the " + c.channel + " log of " + c.host + " was cleared by " + who
	vals := []event.Field{field("channel", c.channel), field("cleared_at", fmtTime(c.time))}
	cs := s.channels[chanKey{c.host, c.channel}]
	var text string
	prev, ok := lastBefore(cs, c)
	switch {
	case cs == nil || (cs.sparse && !ok):
		text = "no other " + c.channel + " event of " + c.host + " in the input tells how much was lost"
	case ok:
		f.Summary += "; events from " + fmtTime(time.Unix(0, prev.thi).UTC()) + " to " + fmtTime(c.time) + " are missing"
		text = "the last " + c.channel + " event of " + c.host + " before the clear in the input is record " +
			strconv.FormatUint(prev.hi, 10) + " at " + fmtTime(time.Unix(0, prev.thi).UTC()) +
			"; what was logged from then until the clear at " + fmtTime(c.time) + " is gone"
		vals = append(vals, field("lost_from", fmtTime(time.Unix(0, prev.thi).UTC())), field("lost_to", fmtTime(c.time)),
			field("last_record_before", strconv.FormatUint(prev.hi, 10)))
		if c.evChan == c.channel && c.recordID > prev.hi+1 {
			lost := c.recordID - prev.hi - 1
			text += " (" + fmtCount(int(lost)) + " records, ids " + strconv.FormatUint(prev.hi+1, 10) + " to " +
				strconv.FormatUint(c.recordID-1, 10) + ")"
			vals = append(vals, field("lost_records", strconv.FormatUint(lost, 10)))
		}
	default:
		f.Summary += "; everything logged before " + fmtTime(c.time) + " is missing"
		text = "the input holds no " + c.channel + " event of " + c.host + " from before the clear at " + fmtTime(c.time) +
			": everything the log held until then is gone"
		vals = append(vals, field("lost_to", fmtTime(c.time)))
		if c.evChan == c.channel && c.recordID > 1 {
			// Record ids go on across a clear, so the clear's own id
			// bounds how many records the log had written before it.
			text += " (up to " + fmtCount(int(c.recordID-1)) + " records: the clear is record " +
				strconv.FormatUint(c.recordID, 10) + ")"
			vals = append(vals, field("lost_records_at_most", strconv.FormatUint(c.recordID-1, 10)))
		}
	}
	f.Explain.Text = "event " + strconv.Itoa(c.evidence.EventID) + " (log cleared) in " + c.evChan + "; " + text
	f.Explain.Values = vals
	r.emit(f)
}

// lastBefore finds the last run of a channel that ends before a clear.
func lastBefore(cs *chanState, c *clearRec) (recRun, bool) {
	if cs == nil || cs.sparse {
		return recRun{}, false
	}
	t := unixNano(c.time)
	var best recRun
	ok := false
	for _, run := range cs.runs {
		var before bool
		if c.evChan == c.channel && c.recordID > 0 {
			before = run.hi < c.recordID
		} else {
			before = run.thi < t
		}
		if before && (!ok || run.hi > best.hi) {
			best, ok = run, true
		}
	}
	return best, ok
}

// reportGaps reports holes between long runs of consecutive records in
// channels that are otherwise whole.
func (s *tamperState) reportGaps(r *reporter, clears []clearRec) {
	keys := make([]chanKey, 0, len(s.channels))
	for k := range s.channels {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].host != keys[j].host {
			return keys[i].host < keys[j].host
		}
		return keys[i].channel < keys[j].channel
	})
	sparse := 0
	for _, k := range keys {
		cs := s.channels[k]
		if cs.sparse {
			sparse++
			continue
		}
		type hole struct{ before, after recRun }
		var holes []hole
		for i := 1; i < len(cs.runs); i++ {
			a, b := cs.runs[i-1], cs.runs[i]
			if explained(clears, k, a, b) {
				continue
			}
			holes = append(holes, hole{a, b})
		}
		if len(holes) > s.cfg.Gap.MaxGaps {
			sparse++
			continue
		}
		for _, h := range holes {
			a, b := h.before, h.after
			if a.hi-a.lo+1 < uint64(s.cfg.Gap.MinRun) || b.hi-b.lo+1 < uint64(s.cfg.Gap.MinRun) {
				continue
			}
			missing := b.lo - a.hi - 1
			from, to := time.Unix(0, a.thi).UTC(), time.Unix(0, b.tlo).UTC()
			f := r.finding(RecordGap, k.host, k.channel, strconv.FormatUint(a.hi, 10), strconv.FormatUint(b.lo, 10))
			f.Time, f.Host = from, k.host
			f.Evidence = []finding.Evidence{
				{File: a.fhi, Channel: k.channel, RecordID: a.hi, Time: from, Offset: -1},
				{File: b.flo, Channel: k.channel, RecordID: b.lo, Time: to, Offset: -1},
			}
			f.Summary = plural(int(missing), "record") + " missing from " + k.channel + " on " + k.host +
				" between " + fmtTime(from) + " and " + fmtTime(to)
			f.Explain.Text = "EventRecordID jumps from " + strconv.FormatUint(a.hi, 10) + " to " + strconv.FormatUint(b.lo, 10) +
				" between runs of " + fmtCount(int(a.hi-a.lo+1)) + " and " + fmtCount(int(b.hi-b.lo+1)) +
				" consecutive records: records deleted, a damaged part of the file (see the damaged records), or logs given only in part"
			f.Explain.Values = []event.Field{
				field("channel", k.channel), field("last_before", strconv.FormatUint(a.hi, 10)),
				field("first_after", strconv.FormatUint(b.lo, 10)), field("missing", strconv.FormatUint(missing, 10)),
				field("from", fmtTime(from)), field("to", fmtTime(to)),
			}
			r.emit(f)
		}
	}
	if sparse > 0 {
		r.note("analytics: record-gap: %d channel(s) have record ids too scattered to be whole logs (filtered exports?): their holes are not reported", sparse)
	}
}

// explained reports whether a clear accounts for the hole between runs a
// and b of a channel: the clear is the first record after the hole, or
// (for a clear of another channel) falls within it.
func explained(clears []clearRec, k chanKey, a, b recRun) bool {
	for i := range clears {
		c := &clears[i]
		if c.host != k.host || c.channel != k.channel {
			continue
		}
		if c.evChan == c.channel && c.recordID >= b.lo && c.recordID <= b.lo+2 {
			return true
		}
		if t := unixNano(c.time); t >= a.thi && t <= b.tlo {
			return true
		}
	}
	return false
}

// coverageNotes names the hosts on which process creation cannot be seen,
// so a reader knows where rules and analytics about processes were blind.
func (s *tamperState) coverageNotes() []string {
	type cov struct {
		name  string
		flags uint8
	}
	hosts := make(map[string]*cov)
	for k, cs := range s.channels {
		if k.host == "" {
			continue
		}
		h := hosts[k.host]
		if h == nil {
			h = &cov{name: k.host}
			hosts[k.host] = h
		}
		h.flags |= cs.flags
	}
	var blind, noCmd []string
	for _, h := range sortedKeys(hosts) {
		f := hosts[h].flags
		switch {
		case f&(flag4688Command|flagSysmon1) != 0:
		case f&flag4688 != 0:
			noCmd = append(noCmd, h)
		default:
			blind = append(blind, h)
		}
	}
	var out []string
	if len(blind) > 0 {
		out = append(out, "coverage: no process creation events (Security 4688 or Sysmon 1) from "+listHosts(blind)+
			": rules and analytics about processes cannot see what ran there")
	}
	if len(noCmd) > 0 {
		out = append(out, "coverage: 4688 events without command lines and no Sysmon from "+listHosts(noCmd)+
			": enable \"Include command line in process creation events\" or install Sysmon, or command-line rules stay blind there")
	}
	return out
}

// listHosts names at most 20 hosts.
func listHosts(hs []string) string {
	if len(hs) <= 20 {
		return strings.Join(hs, ", ")
	}
	return strings.Join(hs[:20], ", ") + " and " + strconv.Itoa(len(hs)-20) + " more hosts"
}

// eventLogService reports the Event Log service stopped, disabled or
// terminated, and changes of a log's permissions (Sysmon 13 on CustomSD).
func (w *worker) eventLogService(ev *event.Event, emit func(*finding.Finding)) {
	if !strings.HasPrefix(ev.Provider, "Service Control Manager") {
		return
	}
	var p1, p2, p3, p4 string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "param1":
			p1 = f.Value
		case "param2":
			p2 = f.Value
		case "param3":
			p3 = f.Value
		case "param4":
			p4 = f.Value
		}
	}
	isEventLog := strings.EqualFold(p1, "Windows Event Log") || strings.EqualFold(p1, "Event Log")
	level := finding.High
	var what string
	switch ev.EventID {
	case 7036:
		if !isEventLog || !strings.EqualFold(p2, "stopped") {
			return
		}
		what = "the Windows Event Log service stopped"
	case 7034:
		if !isEventLog {
			return
		}
		what = "the Windows Event Log service terminated unexpectedly"
	case 7040:
		if !strings.EqualFold(p4, "EventLog") && !isEventLog {
			return
		}
		switch {
		case strings.EqualFold(p3, "disabled"):
			what = "the Windows Event Log service was disabled (start type " + p2 + " → " + p3 + ")"
		case strings.EqualFold(p3, "demand start"):
			what = "the Windows Event Log service no longer starts with the system (start type " + p2 + " → " + p3 + ")"
			level = finding.Medium
		default:
			return
		}
	default:
		return
	}
	r := &reporter{d: w.d, emit: emit}
	f := r.finding(EventLogStopped, finding.EventKey(ev))
	f.Level = level
	f.Time, f.Host = ev.Time, ev.Computer
	f.User = userOfSID(ev)
	f.Evidence = []finding.Evidence{fullEvidence(ev)}
	f.Summary = what + " on " + ev.Computer
	f.Explain.Text = "System " + strconv.Itoa(ev.EventID) + " from the Service Control Manager about the Event Log service: " + what +
		"; events that happen while it is down are never written"
	f.Explain.Values = []event.Field{field("param1", p1), field("param2", p2), field("param3", p3), field("param4", p4)}
	emit(f)
}

// userOfSID names the account of an event that carries only its SID.
func userOfSID(ev *event.Event) string {
	if v, ok := ev.Get(event.FieldUserID); ok {
		return v
	}
	return ""
}

// eventLogPermissions reports a log's access rights rewritten: Sysmon 13
// setting the CustomSD value of a log's key, which can lock administrators
// (and collectors) out of the log or let anyone clear it.
func (w *worker) eventLogPermissions(ev *event.Event, emit func(*finding.Finding)) {
	var target, details, image string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "TargetObject":
			target = f.Value
		case "Details":
			details = f.Value
		case "Image":
			image = f.Value
		}
	}
	const suffix = `\customsd`
	if len(target) < len(suffix) || !strings.EqualFold(target[len(target)-len(suffix):], suffix) {
		return
	}
	lower := strings.ToLower(target)
	i := strings.Index(lower, `\services\eventlog\`)
	if i < 0 {
		return
	}
	log := target[i+len(`\services\eventlog\`) : len(target)-len(suffix)]
	r := &reporter{d: w.d, emit: emit}
	f := r.finding(EventLogStopped, finding.EventKey(ev))
	f.Time, f.Host = ev.Time, ev.Computer
	if u, ok := ev.Get("User"); ok {
		f.User = u
	}
	f.Evidence = []finding.Evidence{fullEvidence(ev)}
	f.Summary = "the permissions of the " + log + " log were changed on " + ev.Computer + " by " + orDash(image)
	f.Explain.Text = "Sysmon 13 set " + target + ": a log's CustomSD decides who may read and clear it"
	f.Explain.Values = []event.Field{field("log", log), field("TargetObject", target), field("Details", details), field("Image", image)}
	emit(f)
}
