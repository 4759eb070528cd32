// Package simulate writes synthetic Windows event logs whose content is
// known: a small sample for tests, and whole intrusion scenarios - days of a
// small network's ordinary work with an intrusion woven in - together with
// their ground truth, for demonstrations, tests and training.
package simulate

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/breakwater/breakwater/evtx"
)

// The providers and channels the samples write, as Windows names them.
var (
	sysmonGUID   = evtx.MustGUID("{5770385F-C22A-43E0-BF4C-06F5698FFBD9}")
	securityGUID = evtx.MustGUID("{54849625-5478-4994-A5BA-3E3B0328C30D}")
)

const (
	sysmonProvider   = "Microsoft-Windows-Sysmon"
	sysmonChannel    = "Microsoft-Windows-Sysmon/Operational"
	securityProvider = "Microsoft-Windows-Security-Auditing"
)

// WriteSample writes the small sample bundled with the repository: a
// Security and a Sysmon log of one domain controller over one morning, with
// ordinary administration and a handful of living-off-the-land commands.
// It is deterministic: the same files every time.
func WriteSample(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	start := time.Date(2024, 2, 7, 8, 0, 0, 0, time.UTC)
	host := "DC01.corp.example"
	var sec, sys []evtx.Event
	logon := func(t time.Duration, user, ip string, typ uint32) {
		sec = append(sec, evtx.Event{
			Provider: securityProvider, ProviderGUID: securityGUID, EventID: 4624, Version: 2, Task: 12544,
			Keywords: 0x8020000000000000, Time: start.Add(t), ProcessID: 640, ThreadID: 7000,
			Channel: "Security", Computer: host,
			Data: []evtx.Data{
				{Name: "SubjectUserSid", Value: evtx.SID("S-1-5-18")}, {Name: "SubjectUserName", Value: "DC01$"},
				{Name: "SubjectDomainName", Value: "CORP"}, {Name: "SubjectLogonId", Value: evtx.Hex64(0x3e7)},
				{Name: "TargetUserSid", Value: evtx.SID("S-1-5-21-1004336348-1177238915-682003330-1105")},
				{Name: "TargetUserName", Value: user}, {Name: "TargetDomainName", Value: "CORP"},
				{Name: "TargetLogonId", Value: evtx.Hex64(0x5a3f1 + uint64(t/time.Second))},
				{Name: "LogonType", Value: typ}, {Name: "LogonProcessName", Value: "User32"},
				{Name: "AuthenticationPackageName", Value: "Negotiate"}, {Name: "WorkstationName", Value: "WS07"},
				{Name: "IpAddress", Value: ip}, {Name: "IpPort", Value: "0"},
			},
		})
	}
	proc := func(t time.Duration, image, cmd, parent, user string) {
		pid := uint32(4000 + len(sys)*4)
		sys = append(sys, evtx.Event{
			Provider: sysmonProvider, ProviderGUID: sysmonGUID, EventID: 1, Version: 5, Level: 4, Task: 1,
			Keywords: 0x8000000000000000, Time: start.Add(t), ProcessID: 2140, ThreadID: 3120,
			Channel: sysmonChannel, Computer: host, UserID: evtx.SID("S-1-5-18"),
			Data: []evtx.Data{
				{Name: "RuleName", Value: "-"},
				{Name: "UtcTime", Value: start.Add(t).Format("2006-01-02 15:04:05.000")},
				{Name: "ProcessGuid", Value: evtx.MustGUID(fmt.Sprintf("{9F3C1E2A-0000-65C3-%04X-000000000C00}", len(sys)))},
				{Name: "ProcessId", Value: pid},
				{Name: "Image", Value: image},
				{Name: "CommandLine", Value: cmd},
				{Name: "CurrentDirectory", Value: `C:\Windows\system32\`},
				{Name: "User", Value: user},
				{Name: "LogonId", Value: evtx.Hex64(0x5a3f1)},
				{Name: "IntegrityLevel", Value: "High"},
				{Name: "ParentImage", Value: parent},
			},
		})
	}
	logon(5*time.Minute, "svc_backup", "10.0.4.21", 3)
	proc(6*time.Minute, `C:\Windows\System32\svchost.exe`, `C:\Windows\system32\svchost.exe -k netsvcs -p`, `C:\Windows\System32\services.exe`, `NT AUTHORITY\SYSTEM`)
	logon(31*time.Minute, "j.doe", "10.0.4.37", 10)
	proc(32*time.Minute, `C:\Windows\System32\whoami.exe`, `whoami /all`, `C:\Windows\System32\cmd.exe`, `CORP\j.doe`)
	proc(33*time.Minute, `C:\Windows\System32\net.exe`, `net group "Domain Admins" /dom`, `C:\Windows\System32\cmd.exe`, `CORP\j.doe`)
	proc(34*time.Minute, `C:\Windows\System32\wbem\WMIC.exe`, `wmic path win32_logicaldisk get caption,filesystem,freespace,size,volumename`, `C:\Windows\System32\cmd.exe`, `CORP\j.doe`)
	proc(36*time.Minute, `C:\Windows\System32\ntdsutil.exe`, `ntdsutil "ac i ntds" ifm "create full C:\Windows\Temp\Pro" q q`, `C:\Windows\System32\cmd.exe`, `CORP\j.doe`)
	proc(41*time.Minute, `C:\Windows\System32\netsh.exe`, `netsh interface portproxy add v4tov4 listenaddress=0.0.0.0 listenport=9999 connectaddress=10.0.4.5 connectport=8443 protocol=tcp`, `C:\Windows\System32\cmd.exe`, `CORP\j.doe`)
	proc(44*time.Minute, `C:\Windows\System32\wevtutil.exe`, `wevtutil cl Security`, `C:\Windows\System32\cmd.exe`, `CORP\j.doe`)
	logon(50*time.Minute, "svc_backup", "10.0.4.21", 3)

	for name, events := range map[string][]evtx.Event{"Security.evtx": sec, "Sysmon.evtx": sys} {
		if err := writeFile(filepath.Join(dir, name), events); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, events []evtx.Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := evtx.NewWriter(f)
	if err != nil {
		f.Close()
		return err
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			f.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	if err := w.Close(); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
