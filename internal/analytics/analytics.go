// Package analytics holds Breakwater's host behaviour detectors: the
// analytics that find what no single-event rule can, because living off the
// land looks like administration one event at a time. They count and
// link events instead: password spraying and brute force, RDP arriving
// through a local relay, cleared logs and holes in a log's record
// sequence, accounts made administrators, rare forms of administration
// tools, bursts of discovery commands, the credential-theft chain, staging
// then cleanup, and what is new against a baseline.
//
// All of them run as one detect.Detector. Its workers extract compact
// observations from the few events each analytic reads (copying the strings
// they keep, since events are reused) and hand them to the detector when
// they close; Finish sorts what was merged by time with a total order and
// reports, so the findings are the same whatever the number of workers and
// the order the inputs were read in. Every store is capped, and a cap that
// is reached is reported in the hunt's notes.
package analytics

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

// Info describes one analytic for settings, reports and documentation.
type Info struct {
	Name        string // used in --analytics, settings files and as the rule id
	Title       string
	Level       finding.Level // the usual level; some findings are raised or lowered, as their explanation says
	Techniques  []string
	Tactics     []string
	Description string
}

// The analytics' names.
const (
	PasswordSpray        = "password-spray"
	BruteForce           = "brute-force"
	RDPLoopback          = "rdp-loopback"
	LogCleared           = "log-cleared"
	RecordGap            = "record-gap"
	SilentChannel        = "silent-channel"
	EventLogStopped      = "eventlog-service"
	AdminAccountCreated  = "admin-account-created"
	RareLOTL             = "rare-lotl"
	DiscoveryBurst       = "discovery-burst"
	CredentialTheftChain = "credential-theft-chain"
	StagingCleanup       = "staging-cleanup"
	FirstSeenTool        = "first-seen-tool"
	FirstSeenLogon       = "first-seen-logon"
	FirstSeenService     = "first-seen-service"
	FirstSeenTask        = "first-seen-task"
	FirstSeenRemote      = "first-seen-remote-exec"
)

// Catalog lists every analytic, in a stable order.
func Catalog() []Info {
	return []Info{
		{PasswordSpray, "Password spraying", finding.High, []string{"T1110.003"}, []string{"credential-access"},
			"Many distinct accounts fail to log on (4625, 4771, 4776), or are tried with explicit credentials (4648), from one source within a few minutes."},
		{BruteForce, "Password guessing against one account", finding.Medium, []string{"T1110.001"}, []string{"credential-access"},
			"Many failed logons for one account from one source in one burst; high from a few hundred failures."},
		{RDPLoopback, "RDP logon from the loopback address", finding.High, []string{"T1090.001", "T1021.001"}, []string{"command-and-control", "lateral-movement"},
			"A remote interactive logon (4624 type 10, 1149) whose source is 127.0.0.1 or ::1: RDP arriving through a local port forward or tunnel."},
		{LogCleared, "Event log cleared", finding.High, []string{"T1070.001"}, []string{"defense-evasion"},
			"A log was cleared (Security 1102, System 104), with the time range and the records the clear removed, as far as the input shows them; medium for logs other than Security and System."},
		{RecordGap, "Records missing from a log", finding.Low, []string{"T1070.001"}, []string{"defense-evasion"},
			"A hole in a channel's EventRecordID sequence between long consecutive runs: records deleted selectively, a damaged file, or a log given only in part."},
		{SilentChannel, "Log silent on a busy host", finding.Medium, []string{"T1070.001", "T1562.002"}, []string{"defense-evasion"},
			"A channel that logs steadily writes nothing for an unusual stretch (or stops before the host's other logs end) while the host's other channels keep logging: logging switched off for a while, or records removed and renumbered."},
		{EventLogStopped, "Event log service stopped or disabled", finding.High, []string{"T1562.002"}, []string{"defense-evasion"},
			"The Windows Event Log service was stopped, disabled, or terminated (System 7036, 7040, 7034), or a log's permissions were rewritten (Sysmon 13 on its CustomSD value)."},
		{AdminAccountCreated, "Account created then made an administrator", finding.Medium, []string{"T1136.001", "T1098"}, []string{"persistence", "privilege-escalation"},
			"An account is created (4720) and added to an administrators group (4732, 4728, 4756) soon after."},
		{RareLOTL, "Rare use of an administration tool", finding.Low, []string{"T1218", "T1059"}, []string{"execution", "defense-evasion"},
			"A living-off-the-land tool (wmic, ntdsutil, netsh, vssadmin, reg, certutil, ...) run in a form (tool, parent, command-line template) seen on few hosts and few times across the hunt; informational when the hunt holds too few hosts to compare."},
		{DiscoveryBurst, "Burst of discovery commands", finding.Medium, []string{"T1082", "T1057", "T1016", "T1087"}, []string{"discovery"},
			"Several distinct reconnaissance commands (systeminfo, tasklist, whoami, net group, ipconfig, ...) in one logon session within minutes."},
		{CredentialTheftChain, "Credential theft chain", finding.High, []string{"T1003.003", "T1006", "T1560.001", "T1570"}, []string{"credential-access", "collection", "lateral-movement"},
			"A credential store copied (shadow copy, ntdsutil, hive save, LSASS dump), then archived or copied off the host; critical when all three happen."},
		{StagingCleanup, "Staging then cleanup", finding.Medium, []string{"T1074.001", "T1070.004"}, []string{"collection", "defense-evasion"},
			"Files staged in a world-writable folder (Windows\\Temp, Users\\Public, PerfLogs) and deleted from there soon after."},
		{FirstSeenTool, "Administration tool new for this account and host", finding.Low, []string{"T1078"}, []string{"execution"},
			"A living-off-the-land tool run in a form the account never used on the host in the reference (the baseline, or the first days of the input)."},
		{FirstSeenLogon, "New logon path", finding.Low, []string{"T1078", "T1021"}, []string{"lateral-movement"},
			"A (source, account, destination) logon never seen in the reference; medium for remote interactive (RDP) logons."},
		{FirstSeenService, "New service", finding.Medium, []string{"T1543.003", "T1569.002"}, []string{"persistence", "execution"},
			"A service installed (7045, 4697) that the host did not have in the reference; low without a baseline."},
		{FirstSeenTask, "New scheduled task", finding.Low, []string{"T1053.005"}, []string{"persistence", "execution"},
			"A scheduled task created (4698) that the host did not have in the reference."},
		{FirstSeenRemote, "New remote execution path", finding.Medium, []string{"T1047", "T1021.006", "T1569.002"}, []string{"execution", "lateral-movement"},
			"A (source, account, destination, method) of remote execution never seen in the reference: WMI (a process started by WmiPrvSE.exe in a network logon session), WinRM (wsmprovhost.exe) or PsExec (the PSEXESVC service, 7045/4697); low when the source cannot be told."},
	}
}

// Names lists the analytics' names in catalogue order.
func Names() []string {
	cat := Catalog()
	out := make([]string, len(cat))
	for i, a := range cat {
		out[i] = a.Name
	}
	return out
}

// Detector runs the enabled analytics over a hunt.
type Detector struct {
	cfg   Config
	on    enabled
	base  *Baseline // nil: first-seen judged within the hunt
	learn bool      // building a baseline: observe, report nothing
	info  map[string]Info

	mu      sync.Mutex
	st      *state // what closed workers handed back
	notes   []string
	learned *Baseline
}

var (
	_ detect.Detector  = (*Detector)(nil)
	_ detect.Describer = (*Detector)(nil)
	_ detect.Noter     = (*Detector)(nil)
)

// New returns a detector running the analytics cfg enables. base, when not
// nil, is what first-seen analytics compare against.
func New(cfg Config, base *Baseline) (*Detector, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("analytics: %w", err)
	}
	d := &Detector{cfg: cfg, base: base, info: make(map[string]Info)}
	for _, a := range Catalog() {
		d.info[a.Name] = a
	}
	d.on = enabledFrom(cfg.Enabled)
	d.st = newState(&d.cfg, d.on)
	return d, nil
}

// NewLearner returns a detector that reports nothing and learns what is
// normal in the logs it sees; Baseline returns it after Finish.
func NewLearner(cfg Config) (*Detector, error) {
	cfg.Enabled = map[string]bool{FirstSeenTool: true, FirstSeenLogon: true, FirstSeenService: true, FirstSeenTask: true,
		FirstSeenRemote: true}
	d, err := New(cfg, nil)
	if err != nil {
		return nil, err
	}
	d.learn = true
	return d, nil
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "analytics" }

// NewWorker implements detect.Detector.
func (d *Detector) NewWorker() detect.Worker {
	return &worker{d: d, st: newState(&d.cfg, d.on)}
}

// Describe implements detect.Describer.
func (d *Detector) Describe(kind finding.Kind, ruleID string) (finding.Rule, bool) {
	if kind != finding.KindAnalytic {
		return finding.Rule{}, false
	}
	a, ok := d.info[ruleID]
	if !ok {
		return finding.Rule{}, false
	}
	return finding.Rule{ID: a.Name, Kind: finding.KindAnalytic, Title: a.Title, Level: a.Level,
		Status: "stable", Description: a.Description, Author: "Breakwater",
		Techniques: a.Techniques, Tactics: a.Tactics}, true
}

// Notes implements detect.Noter: caps reached, the first-seen mode, and the
// coverage each host lacks.
func (d *Detector) Notes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.notes...)
}

// Baseline returns what a learner learned; nil before Finish or for a
// detector that is not a learner.
func (d *Detector) Baseline() *Baseline {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.learned
}

// Finish implements detect.Detector: it reports what only the whole input
// shows.
func (d *Detector) Finish(emit func(*finding.Finding)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.st
	var notes []string
	if d.learn {
		st.remote.resolve(&st.seen)
		d.learned = st.seen.baseline(st)
		notes = append(notes, st.capNotes()...)
		d.notes = notes
		return nil
	}
	r := &reporter{d: d, emit: emit}
	st.logon.finish(r)
	st.tamper.finish(r)
	st.account.finish(r)
	st.proc.finish(r, st)
	st.remote.resolve(&st.seen)
	st.seen.finish(r, st)
	notes = append(notes, st.tamper.coverageNotes()...)
	notes = append(notes, r.notes...)
	notes = append(notes, st.capNotes()...)
	d.notes = notes
	return nil
}

// reporter builds findings of the analytics' catalogue entries.
type reporter struct {
	d     *Detector
	emit  func(*finding.Finding)
	notes []string
}

// finding starts a finding of analytic name, with the catalogue's level,
// techniques and tactics; the caller fills in the rest.
func (r *reporter) finding(name string, keys ...string) *finding.Finding {
	a := r.d.info[name]
	return &finding.Finding{
		ID:         finding.NewID(finding.KindAnalytic, name, keys...),
		Kind:       finding.KindAnalytic,
		RuleID:     name,
		Rule:       a.Title,
		Level:      a.Level,
		Techniques: a.Techniques,
		Tactics:    a.Tactics,
	}
}

func (r *reporter) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// enabled is the set of analytics that run, as flags the hot path can test
// without a map lookup.
type enabled struct {
	spray, brute, rdp, cleared, gap, silence, service, admin bool
	rare, burst, chain, cleanup                              bool
	seenTool, seenLogon, seenService, seenTask, seenRemote   bool
}

func enabledFrom(m map[string]bool) enabled {
	return enabled{
		spray: m[PasswordSpray], brute: m[BruteForce], rdp: m[RDPLoopback],
		cleared: m[LogCleared], gap: m[RecordGap], silence: m[SilentChannel], service: m[EventLogStopped], admin: m[AdminAccountCreated],
		rare: m[RareLOTL], burst: m[DiscoveryBurst], chain: m[CredentialTheftChain], cleanup: m[StagingCleanup],
		seenTool: m[FirstSeenTool], seenLogon: m[FirstSeenLogon], seenService: m[FirstSeenService], seenTask: m[FirstSeenTask],
		seenRemote: m[FirstSeenRemote],
	}
}

func (e enabled) logons() bool    { return e.spray || e.brute }
func (e enabled) records() bool   { return e.cleared || e.gap }
func (e enabled) processes() bool { return e.rare || e.burst || e.chain || e.cleanup || e.seenTool }

// state is what one worker, or the detector once workers closed, knows.
type state struct {
	cfg     *Config
	on      enabled
	logon   logonState
	tamper  tamperState
	account accountState
	proc    procState
	seen    seenState
	remote  remoteState
}

func newState(cfg *Config, on enabled) *state {
	st := &state{cfg: cfg, on: on}
	st.logon.init(cfg)
	st.tamper.init(cfg)
	st.account.init(cfg)
	st.proc.init(cfg)
	st.seen.init(cfg)
	st.remote.init(cfg)
	st.tamper.silence = on.silence
	return st
}

// merge adds what o knows to st.
func (st *state) merge(o *state) {
	st.logon.merge(&o.logon)
	st.tamper.merge(&o.tamper)
	st.account.merge(&o.account)
	st.proc.merge(&o.proc)
	st.seen.merge(&o.seen)
	st.remote.merge(&o.remote)
}

// capNotes says which caps were reached.
func (st *state) capNotes() []string {
	var out []string
	add := func(n int, what string, limit int, key string) {
		if n > 0 {
			out = append(out, fmt.Sprintf("analytics: %s: the cap of %d was reached and %d more were not kept (raise caps.%s in --analytics-config)",
				what, limit, n, key))
		}
	}
	c := st.cfg.Caps
	add(st.logon.dropped, "logon failure counters", c.LogonKeys, "logon-keys")
	add(st.tamper.droppedChannels, "(host, channel) pairs tracked for record sequences", c.Channels, "channels")
	add(st.account.dropped, "account changes kept", c.Items, "items")
	add(st.tamper.droppedClears, "log clears and service changes kept", c.Items, "items")
	add(st.proc.droppedHosts, "process executions of hosts beyond the host cap", c.Hosts, "hosts")
	add(st.proc.droppedForms, "process executions of forms beyond the form cap", c.Forms, "forms")
	add(st.proc.droppedSteps, "process steps kept for sequences", c.Steps, "steps")
	add(st.seen.dropped, "first-seen entries (tools, logon paths, services, tasks)", c.Edges, "edges")
	add(st.remote.droppedSessions, "logon sessions kept to trace remote execution", c.Sessions, "sessions")
	add(st.remote.droppedCands, "remote executions kept", c.Items, "items")
	return out
}

// worker is one goroutine's share of the analytics.
type worker struct {
	d  *Detector
	st *state
}

// Observe implements detect.Worker. Events no analytic reads cost a
// switch on the event id and, for the record sequence, two string
// comparisons: nothing is allocated for them.
// process hands a process creation to the analytics that follow them.
func (w *worker) process(ev *event.Event) {
	st, on := w.st, &w.st.on
	if !on.processes() && !on.seenRemote {
		return
	}
	p := readProcess(ev)
	if on.processes() {
		st.proc.observe(ev, &p, st)
	}
	if on.seenRemote {
		st.remote.process(ev, &p)
	}
}

func (w *worker) Observe(ev *event.Event, emit func(*finding.Finding)) {
	st := w.st
	on := &st.on
	st.tamper.track(ev)
	switch ev.EventID {
	case 4625, 4771, 4776, 4648:
		if on.logons() && ev.Channel == "Security" {
			st.logon.failure(ev)
		}
	case 4624:
		if ev.Channel == "Security" {
			if !on.rdp && !on.seenLogon && !on.seenRemote {
				break
			}
			l := readLogon(ev)
			if on.rdp && l.typ == "10" && isLoopback(l.ip) {
				w.rdpLoopback(ev, l.ip, "IpAddress", l.user, emit)
			}
			if l.person && on.seenLogon {
				st.seen.logon(ev, &l)
			}
			if l.person && on.seenRemote {
				st.remote.logon(ev, &l)
			}
		}
	case 1149:
		if on.rdp && ev.Channel == channelRCM {
			w.rdpAuth(ev, emit)
		}
	case 1102:
		if on.cleared && ev.Channel == "Security" {
			st.tamper.cleared(ev)
		}
	case 104:
		if on.cleared && ev.Channel == "System" {
			st.tamper.cleared(ev)
		}
	case 7034, 7036, 7040:
		if on.service && ev.Channel == "System" {
			w.eventLogService(ev, emit)
		}
	case 4720, 4728, 4732, 4756:
		if on.admin && ev.Channel == "Security" {
			st.account.observe(ev)
		}
	case 1:
		if ev.Channel == channelSysmon {
			st.tamper.processSeen(ev)
			w.process(ev)
		}
	case 4688:
		if ev.Channel == "Security" {
			st.tamper.processSeen(ev)
			w.process(ev)
		}
	case 11, 23, 26:
		if on.cleanup && ev.Channel == channelSysmon {
			st.proc.fileEvent(ev)
		}
	case 13:
		if on.service && ev.Channel == channelSysmon {
			w.eventLogPermissions(ev, emit)
		}
	case 7045:
		if ev.Channel == "System" {
			if on.seenService {
				st.seen.service(ev)
			}
			if on.seenRemote {
				st.remote.service(ev)
			}
		}
	case 4697:
		if ev.Channel == "Security" {
			if on.seenService {
				st.seen.service(ev)
			}
			if on.seenRemote {
				st.remote.service(ev)
			}
		}
	case 4698:
		if on.seenTask && ev.Channel == "Security" {
			st.seen.task(ev)
		}
	}
}

// Close implements detect.Worker: the worker's observations join the
// detector's.
func (w *worker) Close() {
	w.d.mu.Lock()
	w.d.st.merge(w.st)
	w.d.mu.Unlock()
	w.st = newState(&w.d.cfg, w.d.on)
}

// Channels the analytics read besides Security and System.
const (
	channelSysmon = "Microsoft-Windows-Sysmon/Operational"
	channelRCM    = "Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational"
)

// shortHost is the host name analytics compare: lower case, without the
// domain, so that "DC01" and "dc01.corp.example" are one host.
func shortHost(h string) string {
	if i := strings.IndexByte(h, '.'); i > 0 && !isIP(h) {
		h = h[:i]
	}
	return strings.ToLower(h)
}

// isIP reports whether s looks like an IPv4 address (digits and dots), so
// that shortHost does not cut one at its first dot.
func isIP(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// sortedKeys returns the keys of a string set, sorted.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
