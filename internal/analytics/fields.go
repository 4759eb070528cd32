package analytics

import (
	"strings"

	"github.com/breakwater/breakwater/internal/event"
)

// Several analytics read the same kinds of event. The fields they need are
// read here, in one pass per event, so that adding an analytic does not add
// a pass over every logon or process creation.

// processInfo is what the analytics read of a process creation (Sysmon 1
// or Security 4688), with the two layouts reconciled.
type processInfo struct {
	image, parent, cmd, cwd, orig string
	// user is DOMAIN\name of the account the process runs as, and logonID
	// its session: 4688 names the creator in Subject and, when the new
	// process runs as someone else, that account and session in Target.
	user, logonID string
}

func readProcess(ev *event.Event) processInfo {
	var p processInfo
	var name, dom, tname, tdom, tlogon string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "Image", "NewProcessName":
			p.image = f.Value
		case "ParentImage", "ParentProcessName":
			p.parent = f.Value
		case "CommandLine":
			p.cmd = f.Value
		case "User":
			p.user = f.Value
		case "SubjectUserName":
			name = f.Value
		case "SubjectDomainName":
			dom = f.Value
		case "TargetUserName":
			tname = f.Value
		case "TargetDomainName":
			tdom = f.Value
		case "LogonId", "SubjectLogonId":
			p.logonID = f.Value
		case "TargetLogonId":
			tlogon = f.Value
		case "CurrentDirectory":
			p.cwd = f.Value
		case "OriginalFileName":
			p.orig = f.Value
		}
	}
	if ev.EventID == 4688 {
		if !emptyValue(tname) {
			name, dom = tname, tdom
		}
		if !emptyValue(tlogon) && tlogon != "0x0" {
			p.logonID = tlogon
		}
		p.user = name
		if !emptyValue(dom) && name != "" {
			p.user = dom + `\` + name
		}
	}
	return p
}

// logonInfo is what the analytics read of a successful logon (4624).
type logonInfo struct {
	typ  string // LogonType
	user string // DOMAIN\name
	ip   string // IpAddress as written
	// src is where the logon came from: the address, or the workstation
	// name when the address is missing or loopback; "" when neither is
	// known.
	src     string
	logonID string
	// person is false for the logons of machine and service accounts,
	// which no analytic of people's logons follows.
	person bool
}

// readLogon reads a 4624, once for every analytic that follows logons.
func readLogon(ev *event.Event) logonInfo {
	var l logonInfo
	var name, dom, ws string
	for i := range ev.Fields {
		f := &ev.Fields[i]
		switch f.Name {
		case "LogonType":
			l.typ = f.Value
		case "TargetUserName":
			name = f.Value
		case "TargetDomainName":
			dom = f.Value
		case "IpAddress":
			l.ip = f.Value
		case "WorkstationName":
			ws = f.Value
		case "TargetLogonId":
			l.logonID = f.Value
		}
	}
	l.user = name
	if !emptyValue(dom) {
		l.user = dom + `\` + name
	}
	l.person = !emptyValue(name) && !strings.HasSuffix(name, "$") && !serviceAccount(name)
	l.src = strings.TrimPrefix(l.ip, "::ffff:")
	if emptyValue(l.src) || isLoopback(l.src) {
		l.src = ws
	}
	if emptyValue(l.src) {
		l.src = ""
	}
	return l
}
