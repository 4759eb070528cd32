package simulate

import (
	"fmt"
	"strings"
	"time"

	"github.com/breakwater/breakwater/evtx"
)

// The background is the ordinary work of the network, written so that the
// Volt Typhoon pack meets administration that looks like the intrusion:
// administrators who run wmic, netsh, PowerShell and PsExec, backups that
// archive and copy, monitoring that queries disks, updates and reboots.

// cmdSpec is a program an administrator or a task runs.
type cmdSpec struct{ image, cmd string }

func sys32(exe, cmd string) cmdSpec { return cmdSpec{`C:\Windows\System32\` + exe, cmd} }

// boot starts a host: the processes everything else descends from and,
// when logged, the events of a shutdown and start-up.
func (g *gen) boot(h *host, t time.Time, logged bool) {
	if logged {
		g.emit(h, classic(chSystem, "User32", 1074, 4, t.Add(-3*time.Minute),
			`C:\Windows\servicing\TrustedInstaller.exe (`+h.name+`)`, h.name, "Operating System: Upgrade (Planned)",
			"0x80020003", "restart", "", `NT AUTHORITY\SYSTEM`))
		g.emit(h, classic(chSystem, "EventLog", 6006, 4, t.Add(-90*time.Second)))
		g.emit(h, classic(chSystem, "EventLog", 6009, 4, t, "10.00.", "17763", "Multiprocessor Free", "0"))
		g.emit(h, classic(chSystem, "EventLog", 6005, 4, t.Add(time.Second)))
		g.emit(h, security(t.Add(2*time.Second), 4608, 12288))
	}
	h.services = &proc{host: h, pid: 640, guid: g.guid(), image: `C:\Windows\System32\services.exe`, cmd: `C:\Windows\system32\services.exe`,
		user: g.system, logonID: 0x3e7, integrity: "System"}
	if logged {
		// Only a few of the start-up processes: enough to look like one.
		g.spawn(t.Add(4*time.Second), h.services, `C:\Windows\System32\svchost.exe`, `C:\Windows\system32\svchost.exe -k DcomLaunch -p`, nil)
		g.spawn(t.Add(5*time.Second), h.services, `C:\Windows\System32\svchost.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p`, nil)
		g.logon(h, t.Add(6*time.Second), g.system, 5, "", 0x3e7)
		for i, svc := range []string{"Windows Event Log", "DHCP Client", "DNS Client", "Windows Management Instrumentation", "Windows Defender Antivirus Service"} {
			g.serviceState(h, t.Add(time.Duration(7+i)*time.Second), svc, "running")
		}
	}
	h.wmi = &proc{host: h, pid: 2900 + 4*uint32(g.rng.IntN(100)), guid: g.guid(), image: `C:\Windows\System32\wbem\WmiPrvSE.exe`,
		cmd: `C:\Windows\system32\wbem\wmiprvse.exe -secured -Embedding`, user: g.network, logonID: 0x3e4, integrity: "System"}
	switch h.role {
	case roleDC:
		if logged {
			// The directory attaches its own database at start-up.
			g.emit(h, classic(chApplication, "ESENT", 326, 4, t.Add(20*time.Second),
				"NTDS", "652", "", "1", `C:\Windows\NTDS\ntds.dit`, "0", "[1] 0.016, [2] 0.000, [3] 0.000.", "0 0"))
		}
	case roleWeb:
		svcWeb := &account{name: "svc_web", domain: domainNetBIOS, sid: domainSID + "-1110"}
		was := &proc{host: h, pid: 1800, guid: g.guid(), image: `C:\Windows\System32\svchost.exe`, cmd: `C:\Windows\system32\svchost.exe -k iissvcs`,
			user: g.system, logonID: 0x3e7, integrity: "System"}
		cmd := `c:\windows\system32\inetsrv\w3wp.exe -ap "intranet" -v "v4.0" -l "webengine4.dll" -a \\.\pipe\iisipm` + strings.ToLower(fmt.Sprintf("%x", g.rng.Uint32())) +
			` -h "C:\inetpub\temp\apppools\intranet\intranet.config" -w "" -m 0 -t 20 -ta 0`
		if logged {
			g.logon(h, t.Add(30*time.Second), svcWeb, 5, "", g.logonID())
			h.w3wp = g.spawn(t.Add(31*time.Second), was, `C:\Windows\System32\inetsrv\w3wp.exe`, cmd, svcWeb)
		} else {
			h.w3wp = &proc{host: h, pid: 3312, guid: g.guid(), image: `C:\Windows\System32\inetsrv\w3wp.exe`, cmd: cmd,
				user: svcWeb, logonID: g.logonID(), integrity: "High"}
		}
		// The application pool's account is an administrator of the web
		// server: the misconfiguration the intrusion leans on.
		h.w3wp.integrity = "High"
	}
}

// systemTasks are programs Windows and its agents start on their own.
func systemTasks() []cmdSpec {
	return []cmdSpec{
		sys32("taskhostw.exe", "taskhostw.exe -RegisterDevice -ProtectionStateChanged -FreeNetworkOnly"),
		sys32("svchost.exe", `C:\Windows\system32\svchost.exe -k netsvcs -p -s BITS`),
		{`C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.23110.3-0\MpCmdRun.exe`, `"C:\ProgramData\Microsoft\Windows Defender\Platform\4.18.23110.3-0\MpCmdRun.exe" -IdleTask -TaskName WdCacheMaintenance`},
		sys32("sppsvc.exe", `C:\Windows\system32\sppsvc.exe`),
		sys32("CompatTelRunner.exe", `C:\Windows\system32\compattelrunner.exe -m:appraiser.dll -f:DoScheduledTelemetryRun -cv:zoYLNnm6v0qdCnHc.2`),
		sys32("wbem\\WmiApSrv.exe", `C:\Windows\system32\wbem\WmiApSrv.exe`),
		sys32("gpupdate.exe", `gpupdate.exe /target:computer`),
		sys32("MusNotification.exe", `C:\Windows\system32\MusNotification.exe`),
		sys32("sc.exe", `C:\Windows\system32\sc.exe start w32time task_started`),
	}
}

// adminCommands are what administrators run on a host of a role, each a
// command that looks like one the intruder runs, or is one.
func adminCommands(r role) []cmdSpec {
	all := []cmdSpec{
		sys32("ipconfig.exe", "ipconfig /all"),
		sys32("netsh.exe", "netsh advfirewall show allprofiles"),
		sys32("netsh.exe", "netsh interface ipv4 show addresses"),
		sys32(`wbem\WMIC.exe`, "wmic qfe list brief"),
		sys32(`wbem\WMIC.exe`, "wmic logicaldisk get caption,freespace,size"),
		sys32(`wbem\WMIC.exe`, `wmic service where "name='Spooler'" get state,startmode`),
		sys32("gpupdate.exe", "gpupdate /force"),
		sys32("whoami.exe", "whoami /groups"),
		sys32("tasklist.exe", "tasklist /svc"),
		sys32("sc.exe", "sc query wuauserv"),
		sys32("vssadmin.exe", "vssadmin list shadows"),
		sys32("certutil.exe", `certutil -hashfile C:\Install\agent-7.2.msi SHA256`),
		sys32("PING.EXE", "ping -n 4 DC01"),
	}
	switch r {
	case roleDC:
		all = append(all,
			sys32("repadmin.exe", "repadmin /replsummary"),
			sys32("dcdiag.exe", "dcdiag /q"),
			sys32("nltest.exe", "nltest /dsgetdc:"+domainDNS),
			sys32("net.exe", "net user j.doe /domain"),
			sys32("ntdsutil.exe", `ntdsutil "activate instance ntds" files info quit quit`),
		)
	case roleFile:
		all = append(all,
			sys32("icacls.exe", `icacls D:\Shares\Finance`),
			sys32("net.exe", "net share"),
			sys32(`wbem\WMIC.exe`, "wmic /node:WEB01 os get caption,lastbootuptime"),
		)
	case roleWeb:
		all = append(all,
			sys32(`inetsrv\appcmd.exe`, "appcmd list apppool"),
			sys32("iisreset.exe", "iisreset /status"),
		)
	case roleMonitor:
		all = append(all,
			sys32("netsh.exe", `netsh advfirewall firewall show rule name="Zabbix Agent"`),
			sys32(`wbem\WMIC.exe`, "wmic /node:FS01 logicaldisk get caption,freespace"),
			sys32("net.exe", "net localgroup administrators"),
		)
	}
	return all
}

// adminScripts are PowerShell commands administrators type; they reach the
// PowerShell log as script blocks.
func adminScripts() []string {
	return []string{
		`Get-Service | Where-Object {$_.Status -eq 'Stopped' -and $_.StartType -eq 'Automatic'}`,
		`Get-EventLog -LogName System -EntryType Error -Newest 20`,
		`Get-HotFix | Sort-Object InstalledOn -Descending | Select-Object -First 5`,
		`Get-ChildItem C:\Windows\Temp -File | Where-Object LastWriteTime -lt (Get-Date).AddDays(-30) | Measure-Object`,
		`Start-Process -FilePath "C:\Program Files\Contoso\Agent\update.exe" -ArgumentList "/quiet" -WindowStyle Hidden -Wait`,
	}
}

// background writes day d of ordinary work on every host.
func (g *gen) background(d int) {
	day := g.day(d)
	dc := g.byName["DC01"]
	var ws []*host
	for _, h := range g.hosts {
		if h.role == roleWorkstation {
			ws = append(ws, h)
		}
	}
	itWS := ws[0] // where administrators sit
	for _, h := range g.hosts {
		// Windows and its agents, around the clock.
		tasks := systemTasks()
		n := 8 + g.rng.IntN(7)
		if h.role == roleWorkstation {
			n = 4 + g.rng.IntN(4)
		}
		for i := 0; i < n; i++ {
			t := day.Add(g.jitter(24 * time.Hour))
			c := pick(g, tasks)
			p := g.spawn(t, h.services, c.image, c.cmd, g.system)
			if strings.Contains(c.image, "MpCmdRun") {
				g.fileCreated(t.Add(2*time.Second), p, `C:\Windows\Temp\MpCmdRun.log`)
			}
		}
		for _, svc := range []string{"Background Intelligent Transfer Service", "Windows Modules Installer", "Windows Update", "WinHTTP Web Proxy Auto-Discovery Service"} {
			if g.rng.IntN(2) == 0 {
				t := day.Add(g.jitter(22 * time.Hour))
				g.serviceState(h, t, svc, "running")
				g.serviceState(h, t.Add(time.Duration(2+g.rng.IntN(20))*time.Minute), svc, "stopped")
			}
		}
		g.emit(h, classic(chApplication, "Microsoft-Windows-Security-SPP", 16384, 4, day.Add(g.jitter(24*time.Hour)),
			"2124-01-12T08:11:52Z", "RulesEngine"))
		sync := day.Add(g.jitter(24 * time.Hour))
		if h.role != roleDC {
			g.net.ntp = append(g.net.ntp, ntpFact{t: sync, h: h})
		}
		g.emit(h, evtx.Event{Provider: "Microsoft-Windows-Time-Service", EventID: 37, Level: 4, Keywords: 0x8000000000000000,
			Time: sync, Channel: chSystem,
			Data: []evtx.Data{{Name: "TimeSource", Value: "DC01." + domainDNS + " (ntp.d|0.0.0.0:123->10.0.1.10:123)"}}})
		// Computers refresh group policy every 90 minutes or so, from the
		// domain controller's SYSVOL share.
		if h.role != roleDC {
			for t := day.Add(g.jitter(90 * time.Minute)); t.Before(day.Add(24 * time.Hour)); t = t.Add(90*time.Minute + g.jitter(30*time.Minute)) {
				if h.role == roleWorkstation && (t.Hour() < 8 || t.Hour() > 17) {
					continue
				}
				g.policyRefresh(g.byName["DC01"], h, t)
			}
		}
		if h.sysmon {
			svchost := &proc{host: h, pid: 1044, guid: g.guid(), image: `C:\Windows\System32\svchost.exe`,
				cmd: `C:\Windows\system32\svchost.exe -k NetworkService -p`, user: g.network, logonID: 0x3e4, integrity: "System"}
			names := []struct{ name, ip string }{
				{"settings-win.data.microsoft.com", "20.42.65.92"}, {"ctldl.windowsupdate.com", "93.184.221.240"},
				{"time.windows.com", "168.61.215.74"}, {"login.microsoftonline.com", "20.190.151.68"},
				{"definitionupdates.microsoft.com", "13.107.4.50"}, {"v10.events.data.microsoft.com", "13.89.178.27"},
			}
			for i, n := 0, 5+g.rng.IntN(6); i < n; i++ {
				t := day.Add(g.jitter(24 * time.Hour))
				q := pick(g, names)
				g.dnsQuery(t, svchost, q.name, q.ip)
				g.connect(t.Add(40*time.Millisecond), svchost, q.ip, 443, q.name)
			}
		}
		switch h.role {
		case roleDC:
			g.dcDay(h, day)
		case roleFile:
			g.fileServerDay(h, day)
		case roleWeb:
			g.webDay(h, day, d)
		case roleMonitor:
			g.monitorDay(h, day)
		case roleWorkstation:
			g.workstationDay(h, dc, day)
		}
	}
	// Administrators at work: a few sessions a day on the servers.
	for i, n := 0, 3+g.rng.IntN(3); i < n; i++ {
		g.adminSession(pick(g, g.hosts[:4]), itWS, day.Add(8*time.Hour+g.jitter(9*time.Hour)))
	}
	// On the first day an administrator checks the web server, which
	// leaves his credentials in its memory for the intruder to find.
	if d == 0 {
		g.adminSessionAs(g.byName["WEB01"], itWS, day.Add(16*time.Hour+g.jitter(time.Hour)), g.admins[0])
		g.psexecSession(itWS, day.Add(10*time.Hour+g.jitter(4*time.Hour)))
	}
	// Updates install in the night after the first day; servers restart.
	if d == 0 {
		for _, h := range g.hosts[:4] {
			t := g.day(1).Add(3*time.Hour + g.jitter(40*time.Minute))
			kb := fmt.Sprintf("KB50%05d", 30000+g.rng.IntN(9000))
			title := "2024-01 Cumulative Update for Windows Server 2019 for x64-based Systems (" + kb + ")"
			g.emit(h, evtx.Event{Provider: "Microsoft-Windows-WindowsUpdateClient", EventID: 43, Level: 4, Task: 1,
				Keywords: 0x8000000000000018, Time: t.Add(-20 * time.Minute), Channel: chSystem,
				Data: []evtx.Data{{Name: "updateTitle", Value: title}, {Name: "updateGuid", Value: g.guid()}, {Name: "updateRevisionNumber", Value: uint32(1)}}})
			g.emit(h, evtx.Event{Provider: "Microsoft-Windows-WindowsUpdateClient", EventID: 19, Level: 4, Task: 1,
				Keywords: 0x8000000000000018, Time: t.Add(-4 * time.Minute), Channel: chSystem,
				Data: []evtx.Data{{Name: "updateTitle", Value: title}, {Name: "updateGuid", Value: g.guid()}, {Name: "updateRevisionNumber", Value: uint32(1)}}})
			g.boot(h, t, true)
		}
	}
}

func (g *gen) dcDay(h *host, day time.Time) {
	// Group policy and logon scripts: the SYSVOL and NETLOGON shares.
	for _, ws := range g.hosts {
		if ws.role != roleWorkstation {
			continue
		}
		t := day.Add(7*time.Hour + 30*time.Minute + g.jitter(time.Hour))
		machine := &account{name: ws.name + "$", domain: domainNetBIOS, sid: fmt.Sprintf("%s-%d", domainSID, 1500+len(ws.name))}
		id := g.logonID()
		g.logon(h, t, machine, 3, ws.ip, id)
		g.shareAccess(h, t.Add(300*time.Millisecond), machine, id, ws.ip, "SYSVOL", `C:\Windows\SYSVOL\sysvol`,
			domainDNS+`\Policies\{31B2F340-016D-11D2-945F-00C04FB984F9}\gpt.ini`)
		g.logoff(h, t.Add(2*time.Second), machine, 3, id)
	}
	// A user mistypes a password now and then.
	if g.rng.IntN(2) == 0 {
		ws := g.hosts[4+g.rng.IntN(len(g.hosts)-4)]
		g.preauthFailed(h, day.Add(8*time.Hour+g.jitter(9*time.Hour)), ws.user, ws.ip)
	}
	// Monitoring and backups authenticate with NTLM now and then.
	for i, n := 0, 2+g.rng.IntN(3); i < n; i++ {
		g.emit(h, security(day.Add(g.jitter(24*time.Hour)), 4776, 14336,
			evtx.Data{Name: "PackageName", Value: "MICROSOFT_AUTHENTICATION_PACKAGE_V1_0"}, evtx.Data{Name: "TargetUserName", Value: "svc_backup"},
			evtx.Data{Name: "Workstation", Value: "FS01"}, evtx.Data{Name: "Status", Value: evtx.Hex32(0)}))
	}
}

func (g *gen) fileServerDay(h *host, day time.Time) {
	// Users open their shares through the day.
	for _, ws := range g.hosts {
		if ws.role != roleWorkstation {
			continue
		}
		for i, n := 0, 2+g.rng.IntN(3); i < n; i++ {
			t := day.Add(8*time.Hour + g.jitter(9*time.Hour))
			id := g.logonID()
			g.serviceTicket(g.byName["DC01"], t.Add(-20*time.Millisecond), ws.user, ws.ip, h.name+"$")
			g.logon(h, t, ws.user, 3, ws.ip, id)
			g.logoff(h, t.Add(time.Duration(5+g.rng.IntN(50))*time.Minute), ws.user, 3, id)
		}
	}
	// The nightly backup mirrors the shares.
	backup := &account{name: "svc_backup", domain: domainNetBIOS, sid: domainSID + "-1111"}
	t := day.Add(time.Hour + g.jitter(10*time.Minute))
	id := g.logonID()
	g.logon(h, t, backup, 4, "", id)
	task := &proc{host: h, pid: 1200, guid: g.guid(), image: `C:\Windows\System32\svchost.exe`, cmd: `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`,
		user: g.system, logonID: 0x3e7, integrity: "System"}
	g.spawn(t.Add(time.Second), task, `C:\Windows\System32\Robocopy.exe`,
		`robocopy D:\Shares \\BACKUP01\shares$ /MIR /R:1 /W:1 /NP /LOG:C:\Backup\robocopy.log`, backup)
}

func (g *gen) webDay(h *host, day time.Time, d int) {
	for _, ws := range g.hosts {
		if ws.role != roleWorkstation {
			continue
		}
		for i, n := 0, 1+g.rng.IntN(3); i < n; i++ {
			t := day.Add(8*time.Hour + g.jitter(9*time.Hour))
			id := g.logonID()
			g.serviceTicket(g.byName["DC01"], t.Add(-20*time.Millisecond), ws.user, ws.ip, h.name+"$")
			g.logon(h, t, ws.user, 3, ws.ip, id)
			g.setService(id, svcHTTPS, "") // the intranet application, with Windows authentication
			g.logoff(h, t.Add(time.Duration(1+g.rng.IntN(10))*time.Minute), ws.user, 3, id)
		}
	}
	// After a deployment, ASP.NET compiles pages under the worker.
	if d == 0 {
		t := day.Add(14*time.Hour + g.jitter(time.Hour))
		csc := g.spawn(t, h.w3wp, `C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe`,
			`"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\csc.exe" /noconfig /fullpaths @"C:\Windows\Microsoft.NET\Framework64\v4.0.30319\Temporary ASP.NET Files\intranet\6f1c2e3a\b7d2c1f0\x4k2m1qz.cmdline"`, nil)
		g.spawn(t.Add(50*time.Millisecond), csc, `C:\Windows\System32\conhost.exe`, `\??\C:\Windows\system32\conhost.exe 0xffffffff -ForceV1`, nil)
	}
	// The nightly backup archives the site.
	backup := &account{name: "svc_backup", domain: domainNetBIOS, sid: domainSID + "-1111"}
	t := day.Add(2*time.Hour + g.jitter(10*time.Minute))
	task := &proc{host: h, pid: 1200, guid: g.guid(), image: `C:\Windows\System32\svchost.exe`, cmd: `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`,
		user: g.system, logonID: 0x3e7, integrity: "System"}
	g.logon(h, t, backup, 4, "", g.logonID())
	g.spawn(t.Add(time.Second), task, `C:\Program Files\7-Zip\7z.exe`,
		fmt.Sprintf(`"C:\Program Files\7-Zip\7z.exe" a D:\Backup\wwwroot-%s.7z C:\inetpub\wwwroot -mx5`, day.Format("2006-01-02")), backup)
}

func (g *gen) monitorDay(h *host, day time.Time) {
	monitor := &account{name: "svc_monitor", domain: domainNetBIOS, sid: domainSID + "-1112"}
	task := &proc{host: h, pid: 1200, guid: g.guid(), image: `C:\Windows\System32\svchost.exe`, cmd: `C:\Windows\system32\svchost.exe -k netsvcs -p -s Schedule`,
		user: g.system, logonID: 0x3e7, integrity: "System"}
	script := `$hosts = 'DC01','FS01','WEB01'
foreach ($h in $hosts) {
  $up = Test-Connection -ComputerName $h -Count 1 -Quiet
  $disk = Get-CimInstance -ClassName Win32_LogicalDisk -ComputerName $h -Filter "DriveType=3"
  $disk | ForEach-Object { "{0} {1} {2:N1} GB free" -f $h, $_.DeviceID, ($_.FreeSpace/1GB) } | Out-File -Append C:\Monitor\disk.log
}`
	for hour := 0; hour < 24; hour += 2 {
		t := day.Add(time.Duration(hour)*time.Hour + g.jitter(5*time.Minute))
		id := g.logonID()
		g.logon(h, t, monitor, 4, "", id)
		ps := g.spawn(t.Add(time.Second), task, `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`,
			`powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\Monitor\check-hosts.ps1`, monitor)
		g.powershellStart(t.Add(2*time.Second), h)
		g.scriptBlock(t.Add(3*time.Second), h, script, `C:\Monitor\check-hosts.ps1`)
		for i, name := range []string{"DC01", "FS01", "WEB01"} {
			target := g.byName[name]
			ct := t.Add(time.Duration(4+i) * time.Second)
			g.connect(ct, ps, target.ip, 5985, target.fqdn())
			rid := g.logonID()
			g.logon(target, ct.Add(20*time.Millisecond), monitor, 3, h.ip, rid)
			g.setService(rid, svcNone, "") // WinRM: the connection Sysmon logged
			g.logoff(target, ct.Add(900*time.Millisecond), monitor, 3, rid)
		}
	}
}

func (g *gen) workstationDay(h *host, dc *host, day time.Time) {
	u := h.user
	start := day.Add(7*time.Hour + 30*time.Minute + g.jitter(90*time.Minute))
	if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		return
	}
	g.boot(h, start.Add(-4*time.Minute), true)
	// A mistyped password first, now and then.
	if g.rng.IntN(4) == 0 {
		g.failedLogon(h, start.Add(-30*time.Second), u.name, 2, "127.0.0.1", h.name)
		g.preauthFailed(dc, start.Add(-30*time.Second), u, h.ip)
	}
	id := g.logonID()
	g.logon(h, start, u, 2, "127.0.0.1", id)
	g.kerberos(dc, start, u, h.ip, "DC01$", "FS01$", "WEB01$")
	userinit := &proc{host: h, pid: 5200, guid: g.guid(), image: `C:\Windows\System32\userinit.exe`, cmd: `C:\Windows\system32\userinit.exe`,
		user: u, logonID: id, integrity: "Medium", session: 1}
	h.explorer = g.spawn(start.Add(3*time.Second), userinit, `C:\Windows\explorer.exe`, `C:\Windows\Explorer.EXE`, nil)
	apps := []cmdSpec{
		{`C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe`, `"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe" --single-argument https://intranet.corp.example/`},
		{`C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE`, `"C:\Program Files\Microsoft Office\root\Office16\OUTLOOK.EXE"`},
		{`C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE`, `"C:\Program Files\Microsoft Office\root\Office16\EXCEL.EXE" "\\FS01\Shares\Finance\budget-2024.xlsx"`},
		{`C:\Windows\System32\notepad.exe`, `"C:\Windows\system32\NOTEPAD.EXE" C:\Users\` + u.name + `\Documents\notes.txt`},
		{`C:\Windows\System32\mstsc.exe`, `"C:\Windows\system32\mstsc.exe"`},
	}
	for i, n := 0, 3+g.rng.IntN(4); i < n; i++ {
		a := pick(g, apps)
		g.spawn(start.Add(time.Duration(i+1)*5*time.Minute+g.jitter(8*time.Hour)), h.explorer, a.image, a.cmd, nil)
	}
	// Windows works on the user's behalf all day.
	dcom := &proc{host: h, pid: 900, guid: g.guid(), image: `C:\Windows\System32\svchost.exe`, cmd: `C:\Windows\system32\svchost.exe -k DcomLaunch -p`,
		user: g.system, logonID: 0x3e7, integrity: "System"}
	helpers := []cmdSpec{
		sys32("RuntimeBroker.exe", `C:\Windows\System32\RuntimeBroker.exe -Embedding`),
		sys32("backgroundTaskHost.exe", `"C:\Windows\system32\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider`),
		sys32("SearchProtocolHost.exe", `"C:\Windows\system32\SearchProtocolHost.exe" Global\UsGthrFltPipeMssGthrPipe1_ Global\UsGthrCtrlFltPipeMssGthrPipe1 1 -2147483646 "Software\Microsoft\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\ProgramData\Microsoft\Search\Data\Temp\usgthrsvc" "DownLevelDaemon"`),
		sys32("smartscreen.exe", `C:\Windows\System32\smartscreen.exe -Embedding`),
		sys32("dllhost.exe", `C:\Windows\system32\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}`),
	}
	for i, n := 0, 8+g.rng.IntN(8); i < n; i++ {
		c := pick(g, helpers)
		g.spawn(start.Add(time.Minute+g.jitter(8*time.Hour)), dcom, c.image, c.cmd, u)
	}
	// Now and then a drive is mapped with other credentials.
	if g.rng.IntN(3) == 0 {
		t := start.Add(time.Hour + g.jitter(6*time.Hour))
		g.emit(h, security(t, 4648, 12544, append(subject(u, id),
			evtx.Data{Name: "LogonGuid", Value: g.guid()}, evtx.Data{Name: "TargetUserName", Value: "svc_scan"},
			evtx.Data{Name: "TargetDomainName", Value: domainNetBIOS}, evtx.Data{Name: "TargetLogonGuid", Value: g.guid()},
			evtx.Data{Name: "TargetServerName", Value: "FS01." + domainDNS}, evtx.Data{Name: "TargetInfo", Value: "FS01." + domainDNS},
			evtx.Data{Name: "ProcessId", Value: evtx.Hex64(4)}, evtx.Data{Name: "ProcessName", Value: ""},
			evtx.Data{Name: "IpAddress", Value: g.byName["FS01"].ip}, evtx.Data{Name: "IpPort", Value: "445"})...))
	}
	end := start.Add(8*time.Hour + g.jitter(90*time.Minute))
	g.net.desks = append(g.net.desks, desk{h: h, start: start, end: end})
	g.emit(h, security(end, 4647, 12545, evtx.Data{Name: "TargetUserSid", Value: evtx.SID(u.sid)},
		evtx.Data{Name: "TargetUserName", Value: u.name}, evtx.Data{Name: "TargetDomainName", Value: u.domain},
		evtx.Data{Name: "TargetLogonId", Value: evtx.Hex64(id)}))
	g.logoff(h, end.Add(time.Second), u, 2, id)
	g.emit(h, classic(chSystem, "User32", 1074, 4, end.Add(20*time.Second),
		`C:\Windows\Explorer.EXE (`+h.name+`)`, h.name, "Other (Unplanned)", "0x0", "power off", "", u.qualified()))
	g.emit(h, classic(chSystem, "EventLog", 6006, 4, end.Add(50*time.Second)))
}

// adminSession is an administrator's remote desktop session on a server,
// from the IT workstation, with a few commands.
func (g *gen) adminSession(h, from *host, t time.Time) {
	g.adminSessionAs(h, from, t, pick(g, g.admins))
}

func (g *gen) adminSessionAs(h, from *host, t time.Time, a *account) {
	id := g.logonID()
	g.logon(h, t, a, 10, from.ip, id)
	explorer := &proc{host: h, pid: 6100, guid: g.guid(), image: `C:\Windows\explorer.exe`, cmd: `C:\Windows\Explorer.EXE`,
		user: a, logonID: id, integrity: "High", session: 2}
	t = t.Add(time.Minute + g.jitter(3*time.Minute))
	if g.rng.IntN(3) == 0 {
		g.spawn(t, explorer, `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, `"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe"`, nil)
		g.powershellStart(t.Add(time.Second), h)
		for i, n := 0, 1+g.rng.IntN(2); i < n; i++ {
			t = t.Add(30*time.Second + g.jitter(3*time.Minute))
			g.scriptBlock(t, h, pick(g, adminScripts()), "")
		}
	} else {
		cmd := g.spawn(t, explorer, `C:\Windows\System32\cmd.exe`, `"C:\Windows\system32\cmd.exe"`, nil)
		cmds := adminCommands(h.role)
		for i, n := 0, 1+g.rng.IntN(3); i < n; i++ {
			t = t.Add(20*time.Second + g.jitter(4*time.Minute))
			c := pick(g, cmds)
			p := g.spawn(t, cmd, c.image, c.cmd, nil)
			if strings.HasSuffix(strings.ToLower(c.image), `\net.exe`) {
				g.spawn(t.Add(15*time.Millisecond), p, `C:\Windows\System32\net1.exe`, `C:\Windows\system32\net1 `+strings.TrimPrefix(c.cmd, "net "), nil)
			}
		}
	}
	g.logoff(h, t.Add(5*time.Minute+g.jitter(40*time.Minute)), a, 10, id)
}

// psexecSession is an administrator using PsExec from the IT workstation to
// refresh policy on another host: a benign twin of the intruder's tools.
func (g *gen) psexecSession(from *host, t time.Time) {
	a := g.admins[1]
	target := g.byName["FS01"]
	for _, h := range g.hosts {
		if h.role == roleWorkstation && h != from {
			target = h
			break
		}
	}
	id := g.logonID()
	g.logon(from, t, a, 2, "127.0.0.1", id)
	explorer := &proc{host: from, pid: 6100, guid: g.guid(), image: `C:\Windows\explorer.exe`, cmd: `C:\Windows\Explorer.EXE`,
		user: a, logonID: id, integrity: "High", session: 1}
	cmd := g.spawn(t.Add(time.Minute), explorer, `C:\Windows\System32\cmd.exe`, `"C:\Windows\system32\cmd.exe"`, nil)
	g.spawn(t.Add(2*time.Minute), cmd, `C:\Tools\Sysinternals\PsExec64.exe`, `PsExec64.exe -accepteula \\`+target.name+` gpupdate /force`, nil)
	rt := t.Add(2*time.Minute + 800*time.Millisecond)
	rid := g.logonID()
	g.logon(target, rt, a, 3, from.ip, rid)
	if s := g.sessionOf(rid); s != nil {
		s.files = append(s.files, smbFile{t: rt.Add(200 * time.Millisecond), share: `\\` + target.name + `\ADMIN$`, name: "PSEXESVC.exe", size: 383872, write: true})
	}
	g.serviceInstalled(target, rt.Add(300*time.Millisecond), a, "PSEXESVC", `%SystemRoot%\PSEXESVC.exe`, "demand start")
	svc := g.spawn(rt.Add(500*time.Millisecond), target.services, `C:\Windows\PSEXESVC.exe`, `C:\Windows\PSEXESVC.exe`, g.system)
	// Without -u, PsExec runs the command in the network logon that
	// brought the administrator.
	g.spawnIn(rt.Add(900*time.Millisecond), svc, `C:\Windows\System32\gpupdate.exe`, `"gpupdate" /force`, logonSession{a, rid}, false)
	g.logoff(target, rt.Add(40*time.Second), a, 3, rid)
}

// policyRefresh is a computer reading its group policy from the domain
// controller: a network logon of its machine account and a read of SYSVOL.
func (g *gen) policyRefresh(dc, h *host, t time.Time) {
	machine := &account{name: h.name + "$", domain: domainNetBIOS, sid: fmt.Sprintf("%s-%d", domainSID, 1500+int(h.ip[len(h.ip)-1]))}
	id := g.logonID()
	g.serviceTicket(dc, t.Add(-30*time.Millisecond), machine, h.ip, "DC01$")
	g.logon(dc, t, machine, 3, h.ip, id)
	g.shareAccess(dc, t.Add(300*time.Millisecond), machine, id, h.ip, "SYSVOL", `C:\Windows\SYSVOL\sysvol`,
		domainDNS+`\Policies\{31B2F340-016D-11D2-945F-00C04FB984F9}\gpt.ini`)
	g.logoff(dc, t.Add(2*time.Second), machine, 3, id)
}
