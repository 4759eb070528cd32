package simulate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/breakwater/breakwater/evtx"
)

// The small network a scenario takes place in. Names and addresses are
// documentation values: corp.example, 10.0.0.0/16, and for the actor's
// relays the TEST-NET ranges, so nothing simulated points at a real host.
const (
	domainNetBIOS = "CORP"
	domainDNS     = "corp.example"
	domainSID     = "S-1-5-21-3623811015-3361044348-30300820"
)

// role is what a host is for; it decides its logging and its background.
type role int

const (
	roleDC role = iota
	roleFile
	roleWeb
	roleMonitor
	roleWorkstation
)

// host is one computer of the network and the logs it keeps.
type host struct {
	name string // short name, also the folder of its logs
	ip   string
	role role
	// Sysmon is installed on the servers; process creation auditing with
	// command lines (4688) on the domain controller and the workstations.
	sysmon, audit bool
	logs          map[string]*logFile
	user          *account // the person who works at a workstation

	// Long-lived processes other processes descend from.
	services, wmi, explorer, w3wp *proc
	nextPID                       uint32
}

func (h *host) fqdn() string { return h.name + "." + domainDNS }

// account is a user, service or machine account.
type account struct {
	name, domain, sid string
	admin             bool
}

func (a *account) qualified() string { return a.domain + `\` + a.name }

// proc is a running process, so that its children can name it as parent.
type proc struct {
	host      *host
	pid       uint32
	guid      evtx.GUID
	image     string
	cmd       string
	user      *account
	logonID   uint64
	integrity string
	session   uint32
}

// The channels a scenario writes and the files they go to.
const (
	chSecurity    = "Security"
	chSystem      = "System"
	chApplication = "Application"
	chSysmon      = "Microsoft-Windows-Sysmon/Operational"
	chPowerShell  = "Microsoft-Windows-PowerShell/Operational"
)

// logFileName is the file a channel is saved to, as Windows names it.
func logFileName(channel string) string {
	return strings.ReplaceAll(channel, "/", "%4") + ".evtx"
}

// logFile is one channel of one host.
type logFile struct {
	host    *host
	channel string
	records []*record
	// firstID is the record number of the first event ever written to the
	// log; clearedAt, when set, is when the log was cleared: events before
	// it are gone, though their numbers stay used.
	firstID   uint64
	clearedAt time.Time
}

func (l *logFile) path() string { return path.Join(l.host.name, logFileName(l.channel)) }

// record is one event of a log and the intrusion steps it is evidence of
// (none for benign events).
type record struct {
	ev    evtx.Event
	seq   int
	steps []*Step
	kept  bool
}

// gen holds the state of one scenario while it is generated.
type gen struct {
	rng     *rand.Rand
	opts    Options
	start   time.Time
	hosts   []*host
	byName  map[string]*host
	users   []*account
	admins  []*account
	system  *account
	network *account
	local   *account
	steps   []*Step
	seq     int
	net     *netFacts
	// toolName is the file name the intruder's FRP client was fetched as.
	toolName string
}

func newGen(opts Options) *gen {
	g := &gen{
		rng:    rand.New(rand.NewPCG(uint64(opts.Seed), 0x766f6c74)),
		opts:   opts,
		start:  opts.Start,
		byName: map[string]*host{},
		net:    newNetFacts(),
	}
	g.system = &account{name: "SYSTEM", domain: "NT AUTHORITY", sid: "S-1-5-18"}
	g.network = &account{name: "NETWORK SERVICE", domain: "NT AUTHORITY", sid: "S-1-5-20"}
	g.local = &account{name: "LOCAL SERVICE", domain: "NT AUTHORITY", sid: "S-1-5-19"}
	g.admins = []*account{
		{name: "adm.jsmith", domain: domainNetBIOS, sid: domainSID + "-1104", admin: true},
		{name: "adm.lchen", domain: domainNetBIOS, sid: domainSID + "-1105", admin: true},
	}
	names := []string{"j.doe", "m.garcia", "p.nguyen", "a.kowalski", "s.okafor", "l.martin", "r.patel", "e.johansson",
		"k.tanaka", "d.murphy", "f.rossi", "h.schmidt", "c.dubois", "b.silva", "t.andersen", "n.ivanova"}
	for i, n := range names {
		g.users = append(g.users, &account{name: n, domain: domainNetBIOS, sid: fmt.Sprintf("%s-%d", domainSID, 1201+i)})
	}
	add := func(name, ip string, r role, sysmon, audit bool) *host {
		h := &host{name: name, ip: ip, role: r, sysmon: sysmon, audit: audit, logs: map[string]*logFile{}, nextPID: 400 + uint32(g.rng.IntN(200))*4}
		for _, ch := range []string{chSecurity, chSystem, chApplication, chSysmon, chPowerShell} {
			if ch == chSysmon && !sysmon {
				continue
			}
			h.logs[ch] = &logFile{host: h, channel: ch, firstID: 1 + uint64(g.rng.IntN(90000))}
		}
		g.hosts = append(g.hosts, h)
		g.byName[name] = h
		return h
	}
	add("DC01", "10.0.1.10", roleDC, true, true)
	add("FS01", "10.0.1.20", roleFile, true, false)
	add("WEB01", "10.0.1.30", roleWeb, true, false)
	add("MON01", "10.0.1.40", roleMonitor, true, false)
	for i := 0; i < opts.Hosts-4; i++ {
		h := add(fmt.Sprintf("WS%02d", i+1), fmt.Sprintf("10.0.2.%d", 21+i), roleWorkstation, false, true)
		h.user = g.users[i%len(g.users)]
	}
	for _, h := range g.hosts {
		g.boot(h, g.start.Add(-time.Duration(2+g.rng.IntN(20))*time.Hour), false)
	}
	return g
}

// day returns midnight of day d of the scenario.
func (g *gen) day(d int) time.Time { return g.start.AddDate(0, 0, d) }

// jitter returns a random duration in [0, max).
func (g *gen) jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(g.rng.Int64N(int64(max)))
}

// pick returns a random element of list.
func pick[T any](g *gen, list []T) T { return list[g.rng.IntN(len(list))] }

func (g *gen) guid() evtx.GUID {
	var b evtx.GUID
	for i := range b {
		b[i] = byte(g.rng.UintN(256))
	}
	return b
}

func (g *gen) logonID() uint64 { return 0x100000 + g.rng.Uint64N(0xfffffff) }

// emit appends an event to a host's log and returns its record, tied to the
// intrusion steps it is evidence of.
func (g *gen) emit(h *host, ev evtx.Event, steps ...*Step) *record {
	l := h.logs[ev.Channel]
	if l == nil {
		return nil // the host does not keep this log
	}
	ev.Computer = h.fqdn()
	// Windows keeps times in 100-nanosecond units.
	ev.Time = ev.Time.UTC().Truncate(100 * time.Nanosecond)
	g.seq++
	r := &record{ev: ev, seq: g.seq, steps: steps}
	l.records = append(l.records, r)
	for _, s := range steps {
		s.records = append(s.records, evidenceRef{log: l, rec: r})
	}
	return r
}

// finish orders each log by time, drops what a clearing erased, and numbers
// the records that remain.
func (g *gen) finish() {
	for _, h := range g.hosts {
		for _, l := range h.logs {
			sort.SliceStable(l.records, func(i, j int) bool {
				a, b := l.records[i], l.records[j]
				if !a.ev.Time.Equal(b.ev.Time) {
					return a.ev.Time.Before(b.ev.Time)
				}
				return a.seq < b.seq
			})
			id := l.firstID
			for _, r := range l.records {
				// The clearing event itself is the first record of the
				// new log; everything older is gone.
				r.kept = l.clearedAt.IsZero() || !r.ev.Time.Before(l.clearedAt)
				r.ev.RecordID = id
				id++
			}
		}
	}
}

// binary describes the version resource of a program, as Sysmon reports it.
type binary struct {
	version, description, product, company, original string
}

// binaryInfo returns what Sysmon would read from the file's version
// resource. Programs Windows does not ship report "?" (or, for the actor's
// renamed tools, nothing at all).
func binaryInfo(image string) binary {
	base := strings.ToLower(image[strings.LastIndexAny(image, `\/`)+1:])
	ms := func(desc, orig string) binary {
		return binary{"10.0.17763.1 (WinBuild.160101.0800)", desc, "Microsoft® Windows® Operating System", "Microsoft Corporation", orig}
	}
	switch base {
	case "cmd.exe":
		return ms("Windows Command Processor", "Cmd.Exe")
	case "powershell.exe":
		return ms("Windows PowerShell", "PowerShell.EXE")
	case "net.exe":
		return ms("Net Command", "net.exe")
	case "net1.exe":
		return ms("Net Command", "net1.exe")
	case "whoami.exe":
		return ms("whoami - displays logged on user information", "whoami.exe")
	case "systeminfo.exe":
		return ms("Displays system information", "sysinfo.exe")
	case "tasklist.exe":
		return ms("Lists the current running tasks", "tasklist.exe")
	case "hostname.exe":
		return ms("Hostname APP", "hostname.exe")
	case "ipconfig.exe":
		return ms("IP Configuration Utility", "ipconfig.exe")
	case "netstat.exe":
		return ms("TCP/IP Netstat Command", "netstat.exe")
	case "curl.exe":
		return binary{"8.4.0", "The curl executable", "The curl executable", "curl, https://curl.se/", "curl.exe"}
	case "rundll32.exe":
		return ms("Windows host process (Rundll32)", "RUNDLL32.EXE")
	case "wmic.exe":
		return ms("WMI Commandline Utility", "wmic.exe")
	case "wmiprvse.exe":
		return ms("WMI Provider Host", "Wmiprvse.exe")
	case "ntdsutil.exe":
		return ms("NT5DS", "ntdsutil.exe")
	case "nltest.exe":
		return ms("Microsoft® Logon Server Test Utility", "nltestrk.exe")
	case "dnscmd.exe":
		return ms("DNS Server Troubleshooting Tool", "dnscmd.exe")
	case "ldifde.exe":
		return ms("LDAP Directory Import/Export", "ldifde.exe")
	case "vssadmin.exe":
		return ms("Command Line Interface for Microsoft® Volume Shadow Copy Service", "VSSADMIN.EXE")
	case "reg.exe":
		return ms("Registry Console Tool", "reg.exe")
	case "xcopy.exe":
		return ms("Extended Copy Utility", "XCOPY.EXE")
	case "robocopy.exe":
		return ms("Microsoft® Robocopy", "robocopy.exe")
	case "netsh.exe":
		return ms("Network Command Shell", "netsh.exe")
	case "certutil.exe":
		return ms("CertUtil.exe", "CertUtil.exe")
	case "wevtutil.exe":
		return ms("Eventing Command Line Utility", "wevtutil.exe")
	case "ping.exe":
		return ms("TCP/IP Ping Command", "ping.exe")
	case "svchost.exe":
		return ms("Host Process for Windows Services", "svchost.exe")
	case "taskhostw.exe":
		return ms("Host Process for Windows Tasks", "taskhostw.exe")
	case "conhost.exe":
		return ms("Console Window Host", "CONHOST.EXE")
	case "gpupdate.exe":
		return ms("Microsoft® Windows™ GPUpdate Utility", "gpupdate.exe")
	case "sc.exe":
		return ms("Service Control Manager Configuration Tool", "sc.exe")
	case "repadmin.exe":
		return ms("Replication Diagnosis Tool", "repadmin.exe")
	case "dcdiag.exe":
		return ms("Domain Controller Diagnosis", "dcdiag.exe")
	case "csc.exe":
		return binary{"4.8.4084.0 built by: NET48REL1", "Visual C# Command Line Compiler", "Microsoft® .NET Framework", "Microsoft Corporation", "csc.exe"}
	case "w3wp.exe":
		return binary{"10.0.17763.1 (WinBuild.160101.0800)", "IIS Worker Process", "Internet Information Services", "Microsoft Corporation", "w3wp.exe"}
	case "7z.exe", "7za.exe":
		return binary{"23.01", "7-Zip Console", "7-Zip", "Igor Pavlov", base}
	case "psexec64.exe", "psexec.exe":
		return binary{"2.43", "Execute processes remotely", "Sysinternals PsExec", "Sysinternals - www.sysinternals.com", "psexec.c"}
	case "psexesvc.exe":
		return binary{"2.43", "PsExec Service", "Sysinternals PsExec", "Sysinternals - www.sysinternals.com", "psexesvc.exe"}
	case "mpcmdrun.exe":
		return binary{"4.18.23110.3 (WinBuild.160101.0800)", "Microsoft Malware Protection Command Line Utility", "Microsoft® Windows® Operating System", "Microsoft Corporation", "MpCmdRun.exe"}
	case "msedge.exe":
		return binary{"121.0.2277.83", "Microsoft Edge", "Microsoft Edge", "Microsoft Corporation", "msedge.exe"}
	case "outlook.exe":
		return binary{"16.0.17126.20132", "Microsoft Outlook", "Microsoft Outlook", "Microsoft Corporation", "Outlook.exe"}
	case "smsvcservice.exe":
		return binary{"-", "-", "-", "-", "-"}
	}
	if strings.Contains(strings.ToLower(image), `\windows\`) {
		return ms("", base)
	}
	return binary{"?", "?", "?", "?", "?"}
}

// hashes returns the Hashes field Sysmon writes for a file: stable for a
// path, which is all a simulation needs.
func hashes(image string) string {
	s := sha256.Sum256([]byte(strings.ToLower(image)))
	m := sha256.Sum256(s[:])
	return "SHA256=" + strings.ToUpper(hex.EncodeToString(s[:])) + ",IMPHASH=" + strings.ToUpper(hex.EncodeToString(m[:16]))
}
