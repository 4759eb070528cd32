package hunt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/evtx"
	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/rules"
	"github.com/breakwater/breakwater/internal/simulate"
	"github.com/breakwater/breakwater/sigma"
)

// The correlations of the built-in pack, by the names their files give
// them.
const (
	corrSpray         = "vt_password_spray"
	corrExplicitSpray = "vt_explicit_credential_spray"
	corrReconBurst    = "vt_host_recon_burst"
	corrShadowNTDS    = "vt_shadow_copy_then_ntds_copy"
	corrStageCleanup  = "vt_staging_then_cleanup"
)

// packRules loads the built-in pack as a hunt does, failing on any
// problem, and maps each correlation's name to its id.
func packRules(t *testing.T) (*Rules, map[string]string) {
	t.Helper()
	rs, err := LoadRules(RuleOptions{Builtin: rules.FS()})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range rs.Problems {
		t.Errorf("pack problem: %s", p)
	}
	ids := make(map[string]string)
	for _, c := range rs.Collection.Correlations {
		ids[c.Name] = c.ID
	}
	return rs, ids
}

// packLog builds the logs of one test case: events per host and channel,
// written as EVTX files the way Windows writes them.
type packLog struct {
	start time.Time
	files map[string][]evtx.Event // "HOST/Channel" → events
	pid   uint32
}

func newPackLog() *packLog {
	return &packLog{start: time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC), files: make(map[string][]evtx.Event)}
}

var (
	packSysmonGUID   = evtx.MustGUID("{5770385F-C22A-43E0-BF4C-06F5698FFBD9}")
	packSecurityGUID = evtx.MustGUID("{54849625-5478-4994-A5BA-3E3B0328C30D}")
)

func (l *packLog) add(host, file string, e evtx.Event) {
	e.Computer = host + ".corp.example"
	l.files[host+"/"+file] = append(l.files[host+"/"+file], e)
}

func (l *packLog) security(at time.Duration, host string, id uint16, data ...evtx.Data) {
	l.add(host, "Security.evtx", evtx.Event{Provider: "Microsoft-Windows-Security-Auditing", ProviderGUID: packSecurityGUID,
		EventID: id, Version: 1, Keywords: 0x8010000000000000, Time: l.start.Add(at), ProcessID: 640, ThreadID: 700,
		Channel: "Security", Data: data})
}

// failed writes a failed network logon (4625) on host.
func (l *packLog) failed(at time.Duration, host, user, ip, ws string) {
	l.security(at, host, 4625,
		evtx.Data{Name: "SubjectUserSid", Value: evtx.SID("S-1-0-0")}, evtx.Data{Name: "SubjectUserName", Value: "-"},
		evtx.Data{Name: "SubjectDomainName", Value: "-"}, evtx.Data{Name: "SubjectLogonId", Value: evtx.Hex64(0)},
		evtx.Data{Name: "TargetUserSid", Value: evtx.SID("S-1-0-0")}, evtx.Data{Name: "TargetUserName", Value: user},
		evtx.Data{Name: "TargetDomainName", Value: "CORP"}, evtx.Data{Name: "Status", Value: evtx.Hex32(0xc000006d)},
		evtx.Data{Name: "FailureReason", Value: "%%2313"}, evtx.Data{Name: "SubStatus", Value: evtx.Hex32(0xc000006a)},
		evtx.Data{Name: "LogonType", Value: uint32(3)}, evtx.Data{Name: "LogonProcessName", Value: "NtLmSsp "},
		evtx.Data{Name: "AuthenticationPackageName", Value: "NTLM"}, evtx.Data{Name: "WorkstationName", Value: ws},
		evtx.Data{Name: "IpAddress", Value: ip}, evtx.Data{Name: "IpPort", Value: "49822"})
}

// preauth writes a failed Kerberos pre-authentication (4771) on a DC.
func (l *packLog) preauth(at time.Duration, host, user, ip string) {
	l.security(at, host, 4771,
		evtx.Data{Name: "TargetUserName", Value: user}, evtx.Data{Name: "TargetSid", Value: evtx.SID("S-1-5-21-1-2-3-1104")},
		evtx.Data{Name: "ServiceName", Value: "krbtgt/CORP"}, evtx.Data{Name: "TicketOptions", Value: evtx.Hex32(0x40810010)},
		evtx.Data{Name: "Status", Value: evtx.Hex32(0x18)}, evtx.Data{Name: "PreAuthType", Value: "2"},
		evtx.Data{Name: "IpAddress", Value: ip}, evtx.Data{Name: "IpPort", Value: "50122"})
}

// explicit writes a logon with explicit credentials (4648) on host: subject
// used the credentials of user against server.
func (l *packLog) explicit(at time.Duration, host, subject, user, server, ip string) {
	l.security(at, host, 4648,
		evtx.Data{Name: "SubjectUserSid", Value: evtx.SID("S-1-5-21-1-2-3-1105")}, evtx.Data{Name: "SubjectUserName", Value: subject},
		evtx.Data{Name: "SubjectDomainName", Value: "CORP"}, evtx.Data{Name: "SubjectLogonId", Value: evtx.Hex64(0x6a3f1)},
		evtx.Data{Name: "LogonGuid", Value: evtx.GUID{}}, evtx.Data{Name: "TargetUserName", Value: user},
		evtx.Data{Name: "TargetDomainName", Value: "CORP"}, evtx.Data{Name: "TargetLogonGuid", Value: evtx.GUID{}},
		evtx.Data{Name: "TargetServerName", Value: server}, evtx.Data{Name: "TargetInfo", Value: server},
		evtx.Data{Name: "ProcessId", Value: evtx.Hex64(0x4)}, evtx.Data{Name: "ProcessName", Value: ""},
		evtx.Data{Name: "IpAddress", Value: ip}, evtx.Data{Name: "IpPort", Value: "445"})
}

// proc writes a Sysmon process creation on host.
func (l *packLog) proc(at time.Duration, host, image, cmd string) {
	l.pid += 4
	t := l.start.Add(at)
	l.add(host, "Sysmon.evtx", evtx.Event{Provider: "Microsoft-Windows-Sysmon", ProviderGUID: packSysmonGUID,
		EventID: 1, Version: 5, Level: 4, Task: 1, Keywords: 0x8000000000000000, Time: t, ProcessID: 2140, ThreadID: 3120,
		Channel: "Microsoft-Windows-Sysmon/Operational", UserID: evtx.SID("S-1-5-18"),
		Data: []evtx.Data{
			{Name: "RuleName", Value: "-"}, {Name: "UtcTime", Value: t.Format("2006-01-02 15:04:05.000")},
			{Name: "ProcessGuid", Value: evtx.MustGUID(fmt.Sprintf("{9F3C1E2A-0000-65C3-%04X-000000000C00}", l.pid))},
			{Name: "ProcessId", Value: 4000 + l.pid}, {Name: "Image", Value: image}, {Name: "CommandLine", Value: cmd},
			{Name: "CurrentDirectory", Value: `C:\Windows\system32\`}, {Name: "User", Value: `CORP\adm.jones`},
			{Name: "LogonId", Value: evtx.Hex64(0x6a3f1)}, {Name: "IntegrityLevel", Value: "High"},
			{Name: "ParentImage", Value: `C:\Windows\System32\cmd.exe`},
		}})
}

// file writes a Sysmon file creation on host.
func (l *packLog) file(at time.Duration, host, image, name string) {
	t := l.start.Add(at)
	l.add(host, "Sysmon.evtx", evtx.Event{Provider: "Microsoft-Windows-Sysmon", ProviderGUID: packSysmonGUID,
		EventID: 11, Version: 2, Level: 4, Task: 11, Keywords: 0x8000000000000000, Time: t, ProcessID: 2140, ThreadID: 3120,
		Channel: "Microsoft-Windows-Sysmon/Operational", UserID: evtx.SID("S-1-5-18"),
		Data: []evtx.Data{
			{Name: "RuleName", Value: "-"}, {Name: "UtcTime", Value: t.Format("2006-01-02 15:04:05.000")},
			{Name: "ProcessGuid", Value: evtx.MustGUID("{9F3C1E2A-0000-65C3-0001-000000000C00}")},
			{Name: "ProcessId", Value: uint32(4100)}, {Name: "Image", Value: image}, {Name: "TargetFilename", Value: name},
			{Name: "CreationUtcTime", Value: t.Format("2006-01-02 15:04:05.000")},
		}})
}

// write writes the logs under a new folder and returns it.
func (l *packLog) write(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for name, evs := range l.files {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Time.Before(evs[j].Time) })
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		w, err := evtx.NewWriter(f)
		if err != nil {
			t.Fatal(err)
		}
		for i := range evs {
			if err := w.Write(&evs[i]); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// correlations hunts paths with the pack and returns the correlation
// findings by the name of their rule.
func correlations(t *testing.T, rs *Rules, ids map[string]string, paths ...string) map[string][]*finding.Finding {
	t.Helper()
	rep, err := Run(context.Background(), Options{Paths: paths, Workers: 2,
		Detectors: []detect.Detector{rs.Detector(sigma.Limits{})}})
	if err != nil {
		t.Fatal(err)
	}
	names := make(map[string]string)
	for n, id := range ids {
		names[id] = n
	}
	out := make(map[string][]*finding.Finding)
	for _, f := range rep.Findings {
		if f.Kind == finding.KindCorrelation {
			out[names[f.RuleID]] = append(out[names[f.RuleID]], f)
		}
	}
	return out
}

const (
	vssadmin = `C:\Windows\System32\vssadmin.exe`
	cmdExe   = `C:\Windows\System32\cmd.exe`
)

// TestPackCorrelations: each correlation of the pack fires on the sequence
// or count it describes, written as Windows logs it, and stays silent on
// the near misses: too few accounts or commands, a slower pace, another
// host, the wrong order, a wider gap than its window.
func TestPackCorrelations(t *testing.T) {
	rs, ids := packRules(t)
	for _, n := range []string{corrSpray, corrExplicitSpray, corrReconBurst, corrShadowNTDS, corrStageCleanup} {
		if ids[n] == "" {
			t.Fatalf("the pack has no correlation %s", n)
		}
	}
	accounts := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("user%02d", i+1)
		}
		return out
	}
	cases := []struct {
		name string
		want string // the correlation that must fire; "" for none
		log  func(l *packLog)
	}{
		{"spray: 12 accounts from one address in 3 minutes", corrSpray, func(l *packLog) {
			for i, u := range accounts(12) {
				l.failed(time.Duration(i)*15*time.Second, "DC01", u, "10.0.9.9", "-")
			}
		}},
		{"spray over Kerberos: 10 accounts fail pre-authentication", corrSpray, func(l *packLog) {
			for i, u := range accounts(10) {
				l.preauth(time.Duration(i)*20*time.Second, "DC01", u, "::ffff:10.0.9.9")
			}
		}},
		{"spray across two domain controllers", corrSpray, func(l *packLog) {
			for i, u := range accounts(10) {
				l.failed(time.Duration(i)*20*time.Second, []string{"DC01", "DC02"}[i%2], u, "10.0.9.9", "-")
			}
		}},
		{"near miss: 9 accounts", "", func(l *packLog) {
			for i, u := range accounts(9) {
				l.failed(time.Duration(i)*15*time.Second, "DC01", u, "10.0.9.9", "-")
			}
		}},
		{"near miss: 12 accounts, one every 11 minutes", "", func(l *packLog) {
			for i, u := range accounts(12) {
				l.failed(time.Duration(i)*11*time.Minute, "DC01", u, "10.0.9.9", "-")
			}
		}},
		{"near miss: one account fails 40 times", "", func(l *packLog) {
			for i := range 40 {
				l.failed(time.Duration(i)*3*time.Second, "DC01", "Administrator", "10.0.9.9", "-")
			}
		}},
		{"near miss: 12 people mistype at the start of the shift, each from their own workstation", "", func(l *packLog) {
			for i, u := range accounts(12) {
				l.failed(time.Duration(i)*20*time.Second, "DC01", u, fmt.Sprintf("10.0.4.%d", 20+i), fmt.Sprintf("WS%02d", i))
			}
		}},
		{"near miss: failures without a network address (local console)", "", func(l *packLog) {
			for i, u := range accounts(12) {
				l.failed(time.Duration(i)*10*time.Second, "DC01", u, "-", "DC01")
			}
		}},
		{"explicit-credential spray: one account on one host tries 11 others", corrExplicitSpray, func(l *packLog) {
			for i, u := range accounts(11) {
				l.explicit(time.Duration(i)*10*time.Second, "WEB01", "svc_web", u, "DC01.corp.example", "10.0.1.10")
			}
		}},
		{"near miss: 12 people map a drive to the file server with other credentials", "", func(l *packLog) {
			for i, u := range accounts(12) {
				l.explicit(time.Duration(i)*30*time.Second, fmt.Sprintf("WS%02d", i), u, "fs_"+u, "FS01.corp.example", "10.0.2.20")
			}
		}},

		{"recon burst: five discovery tools in five minutes", corrReconBurst, func(l *packLog) {
			l.proc(0, "WEB01", `C:\Windows\System32\whoami.exe`, `whoami /all`)
			l.proc(time.Minute, "WEB01", `C:\Windows\System32\systeminfo.exe`, `systeminfo`)
			l.proc(2*time.Minute, "WEB01", `C:\Windows\System32\tasklist.exe`, `tasklist /v`)
			l.proc(3*time.Minute, "WEB01", `C:\Windows\System32\net.exe`, `net start`)
			l.proc(4*time.Minute, "WEB01", `C:\Windows\System32\ipconfig.exe`, `ipconfig /all`)
		}},
		{"near miss: three discovery tools", "", func(l *packLog) {
			l.proc(0, "WEB01", `C:\Windows\System32\whoami.exe`, `whoami /all`)
			l.proc(time.Minute, "WEB01", `C:\Windows\System32\systeminfo.exe`, `systeminfo`)
			l.proc(2*time.Minute, "WEB01", `C:\Windows\System32\tasklist.exe`, `tasklist /v`)
		}},
		{"near miss: four discovery tools over half an hour", "", func(l *packLog) {
			l.proc(0, "WEB01", `C:\Windows\System32\whoami.exe`, `whoami /all`)
			l.proc(11*time.Minute, "WEB01", `C:\Windows\System32\systeminfo.exe`, `systeminfo`)
			l.proc(22*time.Minute, "WEB01", `C:\Windows\System32\tasklist.exe`, `tasklist /v`)
			l.proc(33*time.Minute, "WEB01", `C:\Windows\System32\ipconfig.exe`, `ipconfig /all`)
		}},
		{"near miss: four tools on four hosts", "", func(l *packLog) {
			l.proc(0, "WEB01", `C:\Windows\System32\whoami.exe`, `whoami /all`)
			l.proc(time.Minute, "WS01", `C:\Windows\System32\systeminfo.exe`, `systeminfo`)
			l.proc(2*time.Minute, "WS02", `C:\Windows\System32\tasklist.exe`, `tasklist /v`)
			l.proc(3*time.Minute, "FS01", `C:\Windows\System32\ipconfig.exe`, `ipconfig /all`)
		}},
		{"near miss: a monitoring agent checks six services with sc query", "", func(l *packLog) {
			for i, svc := range []string{"W3SVC", "WAS", "MSSQLSERVER", "SQLAgent", "Spooler", "WinRM"} {
				l.proc(time.Duration(i)*5*time.Second, "WEB01", `C:\Windows\System32\sc.exe`, `sc query `+svc)
			}
		}},

		{"shadow copy then ntds.dit copied out of it", corrShadowNTDS, func(l *packLog) {
			l.proc(0, "DC01", vssadmin, `vssadmin create shadow /for=C:`)
			l.proc(2*time.Minute, "DC01", cmdExe, `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\Windows\Temp\n.dit`)
		}},
		{"near miss: the copy before the shadow copy", "", func(l *packLog) {
			l.proc(0, "DC01", cmdExe, `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\Windows\Temp\n.dit`)
			l.proc(2*time.Minute, "DC01", vssadmin, `vssadmin create shadow /for=C:`)
		}},
		{"near miss: the copy two hours after the shadow copy", "", func(l *packLog) {
			l.proc(0, "DC01", vssadmin, `vssadmin create shadow /for=C:`)
			l.proc(2*time.Hour, "DC01", cmdExe, `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\Windows\Temp\n.dit`)
		}},
		{"near miss: shadow copy on one host, copy on another", "", func(l *packLog) {
			l.proc(0, "DC01", vssadmin, `vssadmin create shadow /for=C:`)
			l.proc(2*time.Minute, "DC02", cmdExe, `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\Windows\Temp\n.dit`)
		}},
		{"near miss: a document restored from a shadow copy", "", func(l *packLog) {
			l.proc(0, "FS01", vssadmin, `vssadmin create shadow /for=D:`)
			l.proc(5*time.Minute, "FS01", cmdExe, `cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy3\Shares\Finance\budget.xlsx D:\Restore\`)
		}},

		{"hive staged in Windows\\Temp then its folder removed", corrStageCleanup, func(l *packLog) {
			l.file(0, "FS01", `C:\Windows\System32\reg.exe`, `C:\Windows\Temp\Pro\SYSTEM`)
			l.proc(40*time.Minute, "FS01", cmdExe, `cmd.exe /c rd /s /q C:\Windows\Temp\Pro`)
		}},
		{"near miss: the folder removed before anything was staged", "", func(l *packLog) {
			l.proc(0, "FS01", cmdExe, `cmd.exe /c rd /s /q C:\Windows\Temp\Pro`)
			l.file(40*time.Minute, "FS01", `C:\Windows\System32\reg.exe`, `C:\Windows\Temp\Pro\SYSTEM`)
		}},
		{"near miss: cleanup three hours after staging", "", func(l *packLog) {
			l.file(0, "FS01", `C:\Windows\System32\reg.exe`, `C:\Windows\Temp\Pro\SYSTEM`)
			l.proc(3*time.Hour, "FS01", cmdExe, `cmd.exe /c rd /s /q C:\Windows\Temp\Pro`)
		}},
		{"near miss: an installer removes its temporary folder", "", func(l *packLog) {
			l.file(0, "WS01", `C:\Windows\Temp\setup.exe`, `C:\Windows\Temp\{B1C2}\setup.msi`)
			l.proc(2*time.Minute, "WS01", cmdExe, `cmd.exe /c rd /s /q C:\Windows\Temp\{B1C2}`)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := newPackLog()
			tc.log(l)
			got := correlations(t, rs, ids, l.write(t))
			for name, fs := range got {
				if name != tc.want {
					t.Errorf("%s fired: %s", name, fs[0].Explain.Text)
				}
			}
			if tc.want == "" {
				return
			}
			fs := got[tc.want]
			if len(fs) != 1 {
				t.Fatalf("%s: %d findings, want 1", tc.want, len(fs))
			}
			if f := fs[0]; len(f.Evidence) < 2 || f.Evidence[0].RecordID == 0 || f.Summary == "" {
				t.Errorf("%s: evidence %d, summary %q", tc.want, len(f.Evidence), f.Summary)
			}
		})
	}
}

// TestPackCorrelationsOnScenario hunts the committed Volt Typhoon scenario
// with the pack: each of its correlations fires on the intrusion, every
// record it cites is evidence of an intrusion step (truth.jsonl), and none
// fires on the days of benign background.
func TestPackCorrelationsOnScenario(t *testing.T) {
	rs, ids := packRules(t)
	dir := filepath.Join("..", "..", "testdata", "volt-typhoon")
	fh, err := os.Open(filepath.Join(dir, simulate.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	truth, err := simulate.ReadTruth(fh)
	fh.Close()
	if err != nil {
		t.Fatal(err)
	}
	// Records of the intrusion, and those of the behaviour each
	// correlation is about.
	intruder := make(map[string]bool)
	byRow := make(map[string]map[string]bool)
	for _, s := range truth {
		for _, e := range s.Evidence {
			k := filepath.ToSlash(e.File) + "#" + itoa(e.RecordID)
			intruder[k] = true
			if byRow[s.Behaviour] == nil {
				byRow[s.Behaviour] = make(map[string]bool)
			}
			byRow[s.Behaviour][k] = true
		}
	}
	keyOf := func(e finding.Evidence) string {
		rel, err := filepath.Rel(dir, e.File)
		if err != nil {
			return e.File
		}
		return filepath.ToSlash(rel) + "#" + itoa(e.RecordID)
	}
	got := correlations(t, rs, ids, dir)
	for _, want := range []struct{ name, row string }{
		{corrSpray, "D18"}, {corrReconBurst, "D25"}, {corrShadowNTDS, "D12"}, {corrStageCleanup, "D41"},
	} {
		fs := got[want.name]
		if len(fs) == 0 {
			t.Errorf("%s (%s) did not fire on the intrusion", want.name, want.row)
			continue
		}
		for _, f := range fs {
			shows := false
			for _, e := range f.Evidence {
				shows = shows || byRow[want.row][keyOf(e)]
			}
			if !shows {
				t.Errorf("%s: a finding that shows no record of %s: %s", want.name, want.row, f.Explain.Text)
			}
		}
	}
	for name, fs := range got {
		for _, f := range fs {
			for _, e := range f.Evidence {
				if !intruder[keyOf(e)] {
					t.Errorf("%s cites %s, a record of the benign background (%s)", name, keyOf(e), f.Explain.Text)
				}
			}
		}
	}
	if extra := len(got) - 4; extra > 0 {
		t.Errorf("%d other correlations fired: %v", extra, strings.Join(keysOf(got), ", "))
	}
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
