package simulate

import (
	"fmt"
	"strings"
	"time"

	"github.com/breakwater/breakwater/evtx"
)

// Providers of the events a scenario writes.
var (
	eventlogGUID   = evtx.MustGUID("{FC65DDD8-D6EF-4962-83D5-6E5CFE9CE148}")
	powershellGUID = evtx.MustGUID("{A0C1853B-5C40-4B15-8766-3CF1C58F985A}")
)

const (
	eventlogProvider   = "Microsoft-Windows-Eventlog"
	powershellProvider = "Microsoft-Windows-PowerShell"
	scmProvider        = "Service Control Manager"
	eventlogNS         = "http://manifests.microsoft.com/win/2004/08/windows/eventlog"
)

// security returns a Security event of the auditing provider.
func security(t time.Time, id uint16, task uint16, data ...evtx.Data) evtx.Event {
	keywords := uint64(0x8020000000000000) // audit success
	switch id {
	case 4625, 4771, 4776:
		if id != 4776 {
			keywords = 0x8010000000000000 // audit failure
		}
	}
	return evtx.Event{
		Provider: securityProvider, ProviderGUID: securityGUID, EventID: id, Task: task,
		Keywords: keywords, Time: t, ProcessID: 652, ThreadID: 700 + uint32(t.Nanosecond()/1000%800),
		Channel: chSecurity, Data: data,
	}
}

// subject is the Subject* fields of a Security event.
func subject(a *account, logonID uint64) []evtx.Data {
	return []evtx.Data{
		{Name: "SubjectUserSid", Value: evtx.SID(a.sid)}, {Name: "SubjectUserName", Value: a.name},
		{Name: "SubjectDomainName", Value: a.domain}, {Name: "SubjectLogonId", Value: evtx.Hex64(logonID)},
	}
}

// logon writes a successful logon (4624) and, for administrators, the
// special privileges assigned to it (4672). It returns the records.
func (g *gen) logon(h *host, t time.Time, a *account, typ uint32, ip string, logonID uint64, steps ...*Step) []*record {
	procName, procID, lp, auth, ws := `C:\Windows\System32\lsass.exe`, uint64(652), "Kerberos", "Kerberos", "-"
	port := fmt.Sprint(49152 + g.rng.IntN(16000))
	switch typ {
	case 2, 7:
		procName, procID, lp, auth, ws, port = `C:\Windows\System32\svchost.exe`, 1044, "User32", "Negotiate", h.name, "0"
	case 10:
		procName, procID, lp, auth, ws = `C:\Windows\System32\svchost.exe`, 1044, "User32", "Negotiate", "-"
	case 5:
		procName, procID, lp, auth, port = `C:\Windows\System32\services.exe`, 640, "Advapi", "Negotiate", "-"
	case 3:
		procName, procID = "-", 0
	}
	if ip == "" {
		ip = "-"
	}
	machine := &account{name: h.name + "$", domain: domainNetBIOS, sid: "S-1-5-18"}
	subj := subject(machine, 0x3e7)
	if typ == 3 {
		subj = subject(&account{name: "-", domain: "-", sid: "S-1-0-0"}, 0)
	}
	data := append(subj,
		evtx.Data{Name: "TargetUserSid", Value: evtx.SID(a.sid)}, evtx.Data{Name: "TargetUserName", Value: a.name},
		evtx.Data{Name: "TargetDomainName", Value: a.domain}, evtx.Data{Name: "TargetLogonId", Value: evtx.Hex64(logonID)},
		evtx.Data{Name: "LogonType", Value: typ}, evtx.Data{Name: "LogonProcessName", Value: lp},
		evtx.Data{Name: "AuthenticationPackageName", Value: auth}, evtx.Data{Name: "WorkstationName", Value: ws},
		evtx.Data{Name: "LogonGuid", Value: g.guid()}, evtx.Data{Name: "TransmittedServices", Value: "-"},
		evtx.Data{Name: "LmPackageName", Value: "-"}, evtx.Data{Name: "KeyLength", Value: uint32(0)},
		evtx.Data{Name: "ProcessId", Value: evtx.Hex64(procID)}, evtx.Data{Name: "ProcessName", Value: procName},
		evtx.Data{Name: "IpAddress", Value: ip}, evtx.Data{Name: "IpPort", Value: port},
		evtx.Data{Name: "ImpersonationLevel", Value: "%%1833"}, evtx.Data{Name: "RestrictedAdminMode", Value: "-"},
		evtx.Data{Name: "TargetOutboundUserName", Value: "-"}, evtx.Data{Name: "TargetOutboundDomainName", Value: "-"},
		evtx.Data{Name: "VirtualAccount", Value: "%%1843"}, evtx.Data{Name: "TargetLinkedLogonId", Value: evtx.Hex64(0)},
		evtx.Data{Name: "ElevatedToken", Value: "%%1842"},
	)
	ev := security(t, 4624, 12544, data...)
	ev.Version = 2
	g.noteLogon(h, t, typ, ip, port, a.name, logonID, steps)
	out := []*record{g.emit(h, ev, steps...)}
	if a.admin || a == g.system {
		priv := security(t, 4672, 12548, append(subject(a, logonID), evtx.Data{Name: "PrivilegeList",
			Value: "SeSecurityPrivilege\r\n\t\t\tSeBackupPrivilege\r\n\t\t\tSeRestorePrivilege\r\n\t\t\tSeTakeOwnershipPrivilege\r\n\t\t\tSeDebugPrivilege\r\n\t\t\tSeSystemEnvironmentPrivilege\r\n\t\t\tSeLoadDriverPrivilege\r\n\t\t\tSeImpersonatePrivilege"})...)
		out = append(out, g.emit(h, priv, steps...))
	}
	return out
}

// logoff writes 4634.
func (g *gen) logoff(h *host, t time.Time, a *account, typ uint32, logonID uint64, steps ...*Step) {
	g.noteLogoff(t, logonID)
	g.emit(h, security(t, 4634, 12545,
		evtx.Data{Name: "TargetUserSid", Value: evtx.SID(a.sid)}, evtx.Data{Name: "TargetUserName", Value: a.name},
		evtx.Data{Name: "TargetDomainName", Value: a.domain}, evtx.Data{Name: "TargetLogonId", Value: evtx.Hex64(logonID)},
		evtx.Data{Name: "LogonType", Value: typ},
	), steps...)
}

// failedLogon writes 4625.
func (g *gen) failedLogon(h *host, t time.Time, user string, typ uint32, ip, ws string, steps ...*Step) *record {
	auth, lp := "NTLM", "NtLmSsp "
	if typ == 2 {
		auth, lp = "Negotiate", "User32 "
	}
	data := append(subject(&account{name: "-", domain: "-", sid: "S-1-0-0"}, 0),
		evtx.Data{Name: "TargetUserSid", Value: evtx.SID("S-1-0-0")}, evtx.Data{Name: "TargetUserName", Value: user},
		evtx.Data{Name: "TargetDomainName", Value: domainNetBIOS}, evtx.Data{Name: "Status", Value: evtx.Hex32(0xc000006d)},
		evtx.Data{Name: "FailureReason", Value: "%%2313"}, evtx.Data{Name: "SubStatus", Value: evtx.Hex32(0xc000006a)},
		evtx.Data{Name: "LogonType", Value: typ}, evtx.Data{Name: "LogonProcessName", Value: lp},
		evtx.Data{Name: "AuthenticationPackageName", Value: auth}, evtx.Data{Name: "WorkstationName", Value: ws},
		evtx.Data{Name: "TransmittedServices", Value: "-"}, evtx.Data{Name: "LmPackageName", Value: "-"},
		evtx.Data{Name: "KeyLength", Value: uint32(0)}, evtx.Data{Name: "ProcessId", Value: evtx.Hex64(0)},
		evtx.Data{Name: "ProcessName", Value: "-"}, evtx.Data{Name: "IpAddress", Value: ip},
		evtx.Data{Name: "IpPort", Value: fmt.Sprint(49152 + g.rng.IntN(16000))},
	)
	if typ == 3 && remote(ip) {
		// A failed network logon is an SMB session that NTLM refused.
		g.net.sessions = append(g.net.sessions, &session{svc: svcSMB, src: ip, dst: h.ip, dstHost: h,
			sport: parsePort(data[len(data)-1].Value.(string)), start: t, end: t.Add(40 * time.Millisecond), user: user, failed: true, tag: behaviourOf(steps)})
	}
	return g.emit(h, security(t, 4625, 12544, data...), steps...)
}

// kerberos writes the ticket requests a domain controller logs when a user
// of a workstation signs in and reaches a server: a TGT (4768) and service
// tickets (4769).
func (g *gen) kerberos(dc *host, t time.Time, a *account, fromIP string, services ...string) {
	ip := "::ffff:" + fromIP
	port := fmt.Sprint(49152 + g.rng.IntN(16000))
	g.noteKerberos(t, fromIP, port, false)
	g.emit(dc, security(t, 4768, 14339,
		evtx.Data{Name: "TargetUserName", Value: a.name}, evtx.Data{Name: "TargetDomainName", Value: domainNetBIOS},
		evtx.Data{Name: "TargetSid", Value: evtx.SID(a.sid)}, evtx.Data{Name: "ServiceName", Value: "krbtgt"},
		evtx.Data{Name: "ServiceSid", Value: evtx.SID(domainSID + "-502")}, evtx.Data{Name: "TicketOptions", Value: evtx.Hex32(0x40810010)},
		evtx.Data{Name: "Status", Value: evtx.Hex32(0)}, evtx.Data{Name: "TicketEncryptionType", Value: evtx.Hex32(0x12)},
		evtx.Data{Name: "PreAuthType", Value: "2"}, evtx.Data{Name: "IpAddress", Value: ip},
		evtx.Data{Name: "IpPort", Value: port},
		evtx.Data{Name: "CertIssuerName", Value: ""}, evtx.Data{Name: "CertSerialNumber", Value: ""}, evtx.Data{Name: "CertThumbprint", Value: ""},
	))
	for i, svc := range services {
		g.serviceTicket(dc, t.Add(time.Duration(i+1)*37*time.Millisecond), a, fromIP, svc)
	}
}

// serviceTicket writes 4769: a Kerberos service ticket for a server.
func (g *gen) serviceTicket(dc *host, t time.Time, a *account, fromIP, svc string) {
	port := fmt.Sprint(49152 + g.rng.IntN(16000))
	g.noteKerberos(t, fromIP, port, false)
	g.emit(dc, security(t, 4769, 14337,
		evtx.Data{Name: "TargetUserName", Value: strings.ToUpper(a.name) + "@" + strings.ToUpper(domainDNS)},
		evtx.Data{Name: "TargetDomainName", Value: strings.ToUpper(domainDNS)}, evtx.Data{Name: "ServiceName", Value: svc},
		evtx.Data{Name: "ServiceSid", Value: evtx.SID(domainSID + "-1000")}, evtx.Data{Name: "TicketOptions", Value: evtx.Hex32(0x40810000)},
		evtx.Data{Name: "TicketEncryptionType", Value: evtx.Hex32(0x12)}, evtx.Data{Name: "IpAddress", Value: "::ffff:" + fromIP},
		evtx.Data{Name: "IpPort", Value: port}, evtx.Data{Name: "Status", Value: evtx.Hex32(0)},
		evtx.Data{Name: "LogonGuid", Value: g.guid()}, evtx.Data{Name: "TransmittedServices", Value: "-"},
	))
}

// preauthFailed writes 4771 on a domain controller: a wrong password.
func (g *gen) preauthFailed(dc *host, t time.Time, a *account, fromIP string, steps ...*Step) *record {
	port := fmt.Sprint(49152 + g.rng.IntN(16000))
	g.noteKerberos(t, fromIP, port, true)
	return g.emit(dc, security(t, 4771, 14339,
		evtx.Data{Name: "TargetUserName", Value: a.name}, evtx.Data{Name: "TargetSid", Value: evtx.SID(a.sid)},
		evtx.Data{Name: "ServiceName", Value: "krbtgt/" + domainNetBIOS}, evtx.Data{Name: "TicketOptions", Value: evtx.Hex32(0x40810010)},
		evtx.Data{Name: "Status", Value: evtx.Hex32(0x18)}, evtx.Data{Name: "PreAuthType", Value: "2"},
		evtx.Data{Name: "IpAddress", Value: "::ffff:" + fromIP}, evtx.Data{Name: "IpPort", Value: port},
		evtx.Data{Name: "CertIssuerName", Value: ""}, evtx.Data{Name: "CertSerialNumber", Value: ""}, evtx.Data{Name: "CertThumbprint", Value: ""},
	), steps...)
}

// shareAccess writes 5145: a file reached through a share.
func (g *gen) shareAccess(h *host, t time.Time, a *account, logonID uint64, ip, share, local, rel string, steps ...*Step) *record {
	if s := g.sessionOf(logonID); s != nil {
		s.files = append(s.files, smbFile{t: t, share: `\\` + h.name + `\` + share, name: rel, tag: behaviourOf(steps)})
	}
	return g.emit(h, security(t, 5145, 12811, append(subject(a, logonID),
		evtx.Data{Name: "ObjectType", Value: "File"}, evtx.Data{Name: "IpAddress", Value: ip},
		evtx.Data{Name: "IpPort", Value: fmt.Sprint(49152 + g.rng.IntN(16000))},
		evtx.Data{Name: "ShareName", Value: `\\*\` + share}, evtx.Data{Name: "ShareLocalPath", Value: `\??\` + local},
		evtx.Data{Name: "RelativeTargetName", Value: rel}, evtx.Data{Name: "AccessMask", Value: evtx.Hex32(0x120089)},
		evtx.Data{Name: "AccessList", Value: "%%1538\r\n\t\t\t\t%%1541\r\n\t\t\t\t%%4416\r\n\t\t\t\t%%4419\r\n\t\t\t\t%%4423\r\n\t\t\t\t"},
		evtx.Data{Name: "AccessReason", Value: "-"})...), steps...)
}

// logCleared writes what Windows records when a log is cleared: 1102 at
// the head of a cleared Security log, 104 in the System log for any other.
func (g *gen) logCleared(h *host, t time.Time, a *account, logonID uint64, channel string, steps ...*Step) *record {
	if channel == chSecurity {
		return g.emit(h, evtx.Event{
			Provider: eventlogProvider, ProviderGUID: eventlogGUID, EventID: 1102, Level: 4, Task: 104,
			Keywords: 0x4020000000000000, Time: t, ProcessID: 1280, ThreadID: 4412, Channel: chSecurity,
			UserData: &evtx.UserData{Name: "LogFileCleared", Namespace: eventlogNS, Fields: subject(a, logonID)},
		}, steps...)
	}
	return g.emit(h, evtx.Event{
		Provider: eventlogProvider, ProviderGUID: eventlogGUID, EventID: 104, Level: 4, Task: 104,
		Keywords: 0x8000000000000000, Time: t, ProcessID: 1280, ThreadID: 4412, Channel: chSystem, UserID: evtx.SID(a.sid),
		UserData: &evtx.UserData{Name: "LogFileCleared", Namespace: eventlogNS, Fields: []evtx.Data{
			{Name: "SubjectUserName", Value: a.name}, {Name: "SubjectDomainName", Value: a.domain},
			{Name: "Channel", Value: channel}, {Name: "BackupPath", Value: ""},
		}},
	}, steps...)
}

// classic returns an event of a classic provider with unnamed <Data>
// values, as the System and Application logs hold many of.
func classic(channel, provider string, id uint16, level uint8, t time.Time, values ...string) evtx.Event {
	ev := evtx.Event{Provider: provider, EventID: id, Level: level, Keywords: 0x80000000000000, Time: t, Channel: channel}
	for _, v := range values {
		ev.Data = append(ev.Data, evtx.Data{Value: v})
	}
	return ev
}

// serviceState writes 7036: a service entered the running or stopped state.
func (g *gen) serviceState(h *host, t time.Time, name, state string) {
	ev := evtx.Event{Provider: scmProvider, EventID: 7036, Level: 4, Keywords: 0x8080000000000000, Time: t,
		ProcessID: 640, ThreadID: 3000 + uint32(g.rng.IntN(2000)), Channel: chSystem,
		Data: []evtx.Data{{Name: "param1", Value: name}, {Name: "param2", Value: state}}}
	g.emit(h, ev)
}

// serviceInstalled writes 7045.
func (g *gen) serviceInstalled(h *host, t time.Time, a *account, name, image, start string, steps ...*Step) *record {
	ev := evtx.Event{Provider: scmProvider, EventID: 7045, Level: 4, Keywords: 0x8080000000000000, Time: t,
		ProcessID: 640, ThreadID: 3000 + uint32(g.rng.IntN(2000)), Channel: chSystem, UserID: evtx.SID(a.sid),
		Data: []evtx.Data{{Name: "ServiceName", Value: name}, {Name: "ImagePath", Value: image},
			{Name: "ServiceType", Value: "user mode service"}, {Name: "StartType", Value: start},
			{Name: "AccountName", Value: "LocalSystem"}}}
	return g.emit(h, ev, steps...)
}

// sysmon returns a Sysmon event of the given id and version.
func sysmon(t time.Time, id uint16, version uint8, data ...evtx.Data) evtx.Event {
	return evtx.Event{
		Provider: sysmonProvider, ProviderGUID: sysmonGUID, EventID: id, Version: version, Level: 4, Task: id,
		Keywords: 0x8000000000000000, Time: t, ProcessID: 2140, ThreadID: 3120, Channel: chSysmon, UserID: evtx.SID("S-1-5-18"),
		Data: append([]evtx.Data{{Name: "RuleName", Value: "-"}, {Name: "UtcTime", Value: t.UTC().Format("2006-01-02 15:04:05.000")}}, data...),
	}
}

// logonSession is a logon of an account: the session a process runs in.
type logonSession struct {
	user *account
	id   uint64
}

// spawn starts a process: Sysmon event 1 where Sysmon runs, Security 4688
// where process creation is audited. The child runs as its parent's user
// unless as is given, in a new logon of that account (a service's child,
// a task run with stored credentials). A command a caller runs through
// WMI, WinRM or PsExec belongs to a logon that already exists: see spawnIn.
func (g *gen) spawn(t time.Time, parent *proc, image, cmd string, as *account, steps ...*Step) *proc {
	var in *logonSession
	if as != nil && as != parent.user {
		in = &logonSession{user: as} // id 0: create opens the logon
	}
	return g.create(t, parent, image, cmd, in, false, steps...)
}

// spawnIn starts a process in the logon session in, which its caller
// opened: WMI, WinRM and PsExec run a remote command in the network logon
// (4624 type 3) the caller's connection made, and local WMI in the
// caller's own logon, so the process events must name that logon's id, the
// same for every command of the session, for a reader to tie them to where
// the caller came from. impersonating says that the parent creates the
// process while impersonating the caller, as WmiPrvSE.exe does: 4688 then
// names the caller as its creator (Subject) too. PsExec's service creates
// it with the caller's token but as itself.
func (g *gen) spawnIn(t time.Time, parent *proc, image, cmd string, in logonSession, impersonating bool, steps ...*Step) *proc {
	return g.create(t, parent, image, cmd, &in, impersonating, steps...)
}

// create writes the events of a new process, which runs in the logon in
// (a new one when its id is 0), or in its parent's when in is nil.
func (g *gen) create(t time.Time, parent *proc, image, cmd string, in *logonSession, impersonating bool, steps ...*Step) *proc {
	h := parent.host
	h.nextPID += 4 * uint32(1+g.rng.IntN(40))
	if h.nextPID > 60000 {
		h.nextPID = 400 + 4*uint32(g.rng.IntN(100))
	}
	p := &proc{host: h, pid: h.nextPID, guid: g.guid(), image: image, cmd: cmd, user: parent.user,
		logonID: parent.logonID, integrity: parent.integrity, session: parent.session}
	if in != nil {
		// The id of a new logon is drawn even when the logon is known,
		// so that the rest of a seed's scenario stays what it was.
		p.user, p.logonID = in.user, g.logonID()
		if in.id != 0 {
			p.logonID = in.id
		}
		switch {
		case in.user == g.system:
			p.integrity, p.logonID = "System", 0x3e7
		case in.user.admin:
			p.integrity = "High"
		default:
			p.integrity = "Medium"
		}
	}
	creator, creatorID := parent.user, parent.logonID
	if impersonating {
		creator, creatorID = p.user, p.logonID
	}
	cwd := `C:\Windows\system32\`
	if p.user != g.system && p.user != g.network && p.user != g.local && parent.image == `C:\Windows\explorer.exe` {
		cwd = `C:\Users\` + p.user.name + `\`
	}
	if h.sysmon {
		bin := binaryInfo(image)
		g.emit(h, sysmon(t, 1, 5,
			evtx.Data{Name: "ProcessGuid", Value: p.guid}, evtx.Data{Name: "ProcessId", Value: p.pid},
			evtx.Data{Name: "Image", Value: image}, evtx.Data{Name: "FileVersion", Value: bin.version},
			evtx.Data{Name: "Description", Value: bin.description}, evtx.Data{Name: "Product", Value: bin.product},
			evtx.Data{Name: "Company", Value: bin.company}, evtx.Data{Name: "OriginalFileName", Value: bin.original},
			evtx.Data{Name: "CommandLine", Value: cmd}, evtx.Data{Name: "CurrentDirectory", Value: cwd},
			evtx.Data{Name: "User", Value: p.user.qualified()}, evtx.Data{Name: "LogonGuid", Value: g.guid()},
			evtx.Data{Name: "LogonId", Value: evtx.Hex64(p.logonID)}, evtx.Data{Name: "TerminalSessionId", Value: p.session},
			evtx.Data{Name: "IntegrityLevel", Value: p.integrity}, evtx.Data{Name: "Hashes", Value: hashes(image)},
			evtx.Data{Name: "ParentProcessGuid", Value: parent.guid}, evtx.Data{Name: "ParentProcessId", Value: parent.pid},
			evtx.Data{Name: "ParentImage", Value: parent.image}, evtx.Data{Name: "ParentCommandLine", Value: parent.cmd},
			evtx.Data{Name: "ParentUser", Value: parent.user.qualified()},
		), steps...)
	}
	if h.audit {
		label := "S-1-16-8192"
		switch p.integrity {
		case "High":
			label = "S-1-16-12288"
		case "System":
			label = "S-1-16-16384"
		}
		ev := security(t, 4688, 13312, append(subject(creator, creatorID),
			evtx.Data{Name: "NewProcessId", Value: evtx.Hex64(uint64(p.pid))}, evtx.Data{Name: "NewProcessName", Value: image},
			evtx.Data{Name: "TokenElevationType", Value: "%%1936"}, evtx.Data{Name: "ProcessId", Value: evtx.Hex64(uint64(parent.pid))},
			evtx.Data{Name: "CommandLine", Value: cmd}, evtx.Data{Name: "TargetUserSid", Value: evtx.SID(p.user.sid)},
			evtx.Data{Name: "TargetUserName", Value: p.user.name}, evtx.Data{Name: "TargetDomainName", Value: p.user.domain},
			evtx.Data{Name: "TargetLogonId", Value: evtx.Hex64(p.logonID)}, evtx.Data{Name: "ParentProcessName", Value: parent.image},
			evtx.Data{Name: "MandatoryLabel", Value: evtx.SID(label)})...)
		ev.Version = 2
		g.emit(h, ev, steps...)
	}
	return p
}

// fileCreated writes Sysmon event 11.
func (g *gen) fileCreated(t time.Time, p *proc, target string, steps ...*Step) *record {
	return g.emit(p.host, sysmon(t, 11, 2,
		evtx.Data{Name: "ProcessGuid", Value: p.guid}, evtx.Data{Name: "ProcessId", Value: p.pid},
		evtx.Data{Name: "Image", Value: p.image}, evtx.Data{Name: "TargetFilename", Value: target},
		evtx.Data{Name: "CreationUtcTime", Value: t.UTC().Format("2006-01-02 15:04:05.000")},
		evtx.Data{Name: "User", Value: p.user.qualified()},
	), steps...)
}

// registrySet writes Sysmon event 13.
func (g *gen) registrySet(t time.Time, p *proc, key, details string, steps ...*Step) *record {
	ev := sysmon(t, 13, 2,
		evtx.Data{Name: "EventType", Value: "SetValue"},
		evtx.Data{Name: "ProcessGuid", Value: p.guid}, evtx.Data{Name: "ProcessId", Value: p.pid},
		evtx.Data{Name: "Image", Value: p.image}, evtx.Data{Name: "TargetObject", Value: key},
		evtx.Data{Name: "Details", Value: details}, evtx.Data{Name: "User", Value: p.user.qualified()},
	)
	// EventType comes before UtcTime in Sysmon's own layout.
	ev.Data[1], ev.Data[2] = ev.Data[2], ev.Data[1]
	return g.emit(p.host, ev, steps...)
}

// connect writes Sysmon event 3: an outbound TCP connection.
func (g *gen) connect(t time.Time, p *proc, dstIP string, dstPort uint16, dstName string, steps ...*Step) *record {
	sport := uint16(49152 + g.rng.IntN(16000))
	g.net.conns = append(g.net.conns, &connFact{t: t, src: p.host, sport: sport, dst: dstIP, dport: dstPort, name: dstName,
		image: p.image, behaviour: behaviourOf(steps)})
	return g.emit(p.host, sysmon(t, 3, 5,
		evtx.Data{Name: "ProcessGuid", Value: p.guid}, evtx.Data{Name: "ProcessId", Value: p.pid},
		evtx.Data{Name: "Image", Value: p.image}, evtx.Data{Name: "User", Value: p.user.qualified()},
		evtx.Data{Name: "Protocol", Value: "tcp"}, evtx.Data{Name: "Initiated", Value: true},
		evtx.Data{Name: "SourceIsIpv6", Value: false}, evtx.Data{Name: "SourceIp", Value: p.host.ip},
		evtx.Data{Name: "SourceHostname", Value: p.host.fqdn()}, evtx.Data{Name: "SourcePort", Value: sport},
		evtx.Data{Name: "SourcePortName", Value: "-"}, evtx.Data{Name: "DestinationIsIpv6", Value: false},
		evtx.Data{Name: "DestinationIp", Value: dstIP}, evtx.Data{Name: "DestinationHostname", Value: dstName},
		evtx.Data{Name: "DestinationPort", Value: dstPort}, evtx.Data{Name: "DestinationPortName", Value: "-"},
	), steps...)
}

// dnsQuery writes Sysmon event 22.
func (g *gen) dnsQuery(t time.Time, p *proc, name, answer string, steps ...*Step) *record {
	g.net.dns = append(g.net.dns, &dnsFact{t: t, src: p.host, name: name, answer: answer, behaviour: behaviourOf(steps)})
	return g.emit(p.host, sysmon(t, 22, 5,
		evtx.Data{Name: "ProcessGuid", Value: p.guid}, evtx.Data{Name: "ProcessId", Value: p.pid},
		evtx.Data{Name: "QueryName", Value: name}, evtx.Data{Name: "QueryStatus", Value: "0"},
		evtx.Data{Name: "QueryResults", Value: "::ffff:" + answer + ";"}, evtx.Data{Name: "Image", Value: p.image},
		evtx.Data{Name: "User", Value: p.user.qualified()},
	), steps...)
}

// processAccess writes Sysmon event 10.
func (g *gen) processAccess(t time.Time, src, dst *proc, access, callTrace string, steps ...*Step) *record {
	return g.emit(src.host, sysmon(t, 10, 3,
		evtx.Data{Name: "SourceProcessGUID", Value: src.guid}, evtx.Data{Name: "SourceProcessId", Value: src.pid},
		evtx.Data{Name: "SourceThreadId", Value: uint32(1000 + g.rng.IntN(8000))}, evtx.Data{Name: "SourceImage", Value: src.image},
		evtx.Data{Name: "TargetProcessGUID", Value: dst.guid}, evtx.Data{Name: "TargetProcessId", Value: dst.pid},
		evtx.Data{Name: "TargetImage", Value: dst.image}, evtx.Data{Name: "GrantedAccess", Value: access},
		evtx.Data{Name: "CallTrace", Value: callTrace}, evtx.Data{Name: "SourceUser", Value: src.user.qualified()},
		evtx.Data{Name: "TargetUser", Value: dst.user.qualified()},
	), steps...)
}

// scriptBlock writes PowerShell event 4104.
func (g *gen) scriptBlock(t time.Time, h *host, text, file string, steps ...*Step) *record {
	return g.emit(h, evtx.Event{
		Provider: powershellProvider, ProviderGUID: powershellGUID, EventID: 4104, Version: 1, Level: 5,
		Task: 2, Opcode: 15, Keywords: 0x0, Time: t, ProcessID: 3000 + uint32(g.rng.IntN(4000)), ThreadID: 5000,
		Channel: chPowerShell, UserID: evtx.SID("S-1-5-18"), ActivityID: g.guid(),
		Data: []evtx.Data{{Name: "MessageNumber", Value: int32(1)}, {Name: "MessageTotal", Value: int32(1)},
			{Name: "ScriptBlockText", Value: text}, {Name: "ScriptBlockId", Value: g.guid()}, {Name: "Path", Value: file}},
	}, steps...)
}

// powershellStart writes the console start events PowerShell logs (40961,
// 40962) around a script.
func (g *gen) powershellStart(t time.Time, h *host, steps ...*Step) {
	for i, id := range []uint16{40961, 40962} {
		g.emit(h, evtx.Event{Provider: powershellProvider, ProviderGUID: powershellGUID, EventID: id, Version: 1, Level: 4,
			Task: 4, Opcode: 2, Time: t.Add(time.Duration(i*180) * time.Millisecond), ProcessID: 3000 + uint32(g.rng.IntN(4000)),
			ThreadID: 5000, Channel: chPowerShell, UserID: evtx.SID("S-1-5-18")}, steps...)
	}
}
