package analytics

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

const target = "WS01.corp.example"

// netLogon is a 4624 on host of CORP\user from ip, in session id.
func netLogon(b *logBuilder, t time.Time, host, user, ip, typ, id string) event.Event {
	return b.security(t, host, 4624, "TargetUserName", user, "TargetDomainName", "CORP", "TargetLogonId", id,
		"LogonType", typ, "IpAddress", ip, "WorkstationName", "-")
}

// TestRemoteExecution: processes started by WMI or WinRM, and PsExec
// services, become edges "source → destination by account via method",
// traced through the logon session to the network logon; the host's own
// use of WMI and the console's are not remote.
func TestRemoteExecution(t *testing.T) {
	wmi := `C:\Windows\System32\wbem\WmiPrvSE.exe`
	at := day1.Add(2 * time.Hour)
	cases := []struct {
		name  string
		evs   func(b *logBuilder) []event.Event
		want  string // the summary of the one finding; "" for none
		level finding.Level
	}{
		{"WMI in a network logon session", func(b *logBuilder) []event.Event {
			return []event.Event{
				netLogon(b, at, target, "adm.jsmith", "10.0.1.40", "3", "0xa93348"),
				b.proc(at.Add(time.Second), target, `CORP\adm.jsmith`, "0xa93348", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c ping -n 1 10.0.2.1`),
			}
		}, "new remote execution: 10.0.1.40 → WS01.corp.example by CORP\\adm.jsmith via WMI", finding.Medium},
		{"WMI read before its logon, from 4688", func(b *logBuilder) []event.Event {
			return []event.Event{
				b.security(at.Add(time.Second), target, 4688, "NewProcessName", `C:\Windows\System32\cmd.exe`, "ParentProcessName", wmi,
					"SubjectUserName", "NETWORK SERVICE", "SubjectLogonId", "0x3e4", "TargetUserName", "adm.jsmith",
					"TargetDomainName", "CORP", "TargetLogonId", "0x77"),
				netLogon(b, at, target, "adm.jsmith", "::ffff:10.0.1.40", "3", "0x77"),
			}
		}, "new remote execution: 10.0.1.40 → WS01.corp.example by CORP\\adm.jsmith via WMI", finding.Medium},
		{"WMI whose logon names another session id: joined by time and account", func(b *logBuilder) []event.Event {
			return []event.Event{
				netLogon(b, at, target, "adm.jsmith", "10.0.1.40", "3", "0x10"),
				b.proc(at.Add(20*time.Second), target, `CORP\adm.jsmith`, "0x99", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c whoami`),
			}
		}, "new remote execution: 10.0.1.40 → WS01.corp.example by CORP\\adm.jsmith via WMI", finding.Medium},
		{"near miss: wmic at the console (interactive session)", func(b *logBuilder) []event.Event {
			return []event.Event{
				netLogon(b, at, target, "jdoe", "127.0.0.1", "2", "0x55"),
				b.proc(at.Add(time.Minute), target, `CORP\jdoe`, "0x55", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c dir`),
			}
		}, "", 0},
		{"near miss: WMI under SYSTEM (management agent)", func(b *logBuilder) []event.Event {
			return []event.Event{
				b.proc(at, target, `NT AUTHORITY\SYSTEM`, "0x3e7", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c inventory.cmd`),
			}
		}, "", 0},
		{"near miss: WMI without any network logon", func(b *logBuilder) []event.Event {
			return []event.Event{
				b.proc(at, target, `CORP\jdoe`, "0x4242", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c dir`),
			}
		}, "", 0},
		{"near miss: another account's network logon just before", func(b *logBuilder) []event.Event {
			return []event.Event{
				netLogon(b, at, target, "svc_backup", "10.0.4.21", "3", "0x10"),
				b.proc(at.Add(20*time.Second), target, `CORP\jdoe`, "0x4242", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c dir`),
			}
		}, "", 0},
		{"WinRM plugin host", func(b *logBuilder) []event.Event {
			return []event.Event{
				netLogon(b, at, target, "adm.jsmith", "10.0.1.30", "3", "0x31"),
				b.proc(at.Add(time.Second), target, `CORP\adm.jsmith`, "0x31", `C:\Windows\System32\svchost.exe`,
					`C:\Windows\System32\wsmprovhost.exe`, `C:\Windows\system32\wsmprovhost.exe -Embedding`),
			}
		}, "new remote execution: 10.0.1.30 → WS01.corp.example by CORP\\adm.jsmith via WinRM", finding.Medium},
		{"PsExec service after a network logon", func(b *logBuilder) []event.Event {
			return []event.Event{
				netLogon(b, at, target, "adm.jsmith", "10.0.1.30", "3", "0x31"),
				b.event(at.Add(30*time.Second), target, "System", "Service Control Manager", 7045, "ServiceName", "PSEXESVC",
					"ImagePath", `%SystemRoot%\PSEXESVC.exe`, "ServiceType", "user mode service", "StartType", "demand start", "AccountName", "LocalSystem"),
			}
		}, "new remote execution: 10.0.1.30 → WS01.corp.example by CORP\\adm.jsmith via PsExec", finding.Medium},
		{"PsExec service with no logon in the input", func(b *logBuilder) []event.Event {
			return []event.Event{
				b.event(at, target, "System", "Service Control Manager", 7045, "ServiceName", "PSEXESVC",
					"ImagePath", `%SystemRoot%\PSEXESVC.exe`, "AccountName", "LocalSystem"),
			}
		}, "new remote execution: an unknown source → WS01.corp.example by - via PsExec", finding.Low},
		{"near miss: another service", func(b *logBuilder) []event.Event {
			return []event.Event{
				netLogon(b, at, target, "adm.jsmith", "10.0.1.30", "3", "0x31"),
				b.event(at.Add(30*time.Second), target, "System", "Service Control Manager", 7045, "ServiceName", "Spooler",
					"ImagePath", `C:\Windows\System32\spoolsv.exe`),
			}
		}, "", 0},
	}
	empty := &Baseline{Source: "empty.json"}
	empty.index()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			evs := tc.evs(newLog("remote"))
			fs := byRule(run(t, newDetector(t, empty, FirstSeenRemote), evs, 2), FirstSeenRemote)
			if tc.want == "" {
				for _, f := range fs {
					t.Errorf("unexpected: %s", f.Summary)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("%d findings, want 1:\n%s", len(fs), jsonLines(fs))
			}
			f := fs[0]
			if f.Summary != tc.want || f.Level != tc.level || f.Host != target {
				t.Errorf("got %q (%s), want %q (%s)", f.Summary, f.Level, tc.want, tc.level)
			}
			if value(f, "method") == "" || !strings.Contains(f.Explain.Text, "in the reference") {
				t.Errorf("explanation %q %v", f.Explain.Text, f.Explain.Values)
			}
			// The execution and, when found, the logon are the evidence.
			if len(f.Evidence) == 0 || (tc.level == finding.Medium) != (len(f.Evidence) == 2) {
				t.Errorf("%d evidence", len(f.Evidence))
			}
		})
	}
}

// TestRemoteExecutionBaseline: a path learned in the baseline is not new;
// the same account arriving from another source, or by another method, is.
func TestRemoteExecutionBaseline(t *testing.T) {
	wmi := `C:\Windows\System32\wbem\WmiPrvSE.exe`
	b := newLog("remote-base")
	normal := []event.Event{
		netLogon(b, day1, target, "adm.jsmith", "10.0.1.40", "3", "0x10"),
		b.proc(day1.Add(time.Second), target, `CORP\adm.jsmith`, "0x10", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c gpupdate`),
	}
	learner, err := NewLearner(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	run(t, learner, normal, 1)
	var buf bytes.Buffer
	if err := learner.Baseline().Write(&buf); err != nil {
		t.Fatal(err)
	}
	base, err := ReadBaseline(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if len(base.Remote) != 1 || base.Remote[0] != [4]string{"10.0.1.40", `corp\adm.jsmith`, "ws01", "wmi"} {
		t.Fatalf("baseline remote paths %v", base.Remote)
	}
	later := day1.Add(72 * time.Hour)
	evs := []event.Event{
		netLogon(b, later, target, "adm.jsmith", "10.0.1.40", "3", "0x20"),
		b.proc(later.Add(time.Second), target, `CORP\adm.jsmith`, "0x20", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c gpupdate /force`),
		netLogon(b, later.Add(time.Hour), target, "adm.jsmith", "10.0.1.99", "3", "0x30"),
		b.proc(later.Add(time.Hour+time.Second), target, `CORP\adm.jsmith`, "0x30", wmi, `C:\Windows\System32\cmd.exe`, `cmd.exe /c whoami`),
		netLogon(b, later.Add(2*time.Hour), target, "adm.jsmith", "10.0.1.40", "3", "0x40"),
		b.proc(later.Add(2*time.Hour+time.Second), target, `CORP\adm.jsmith`, "0x40", `C:\Windows\System32\svchost.exe`,
			`C:\Windows\System32\wsmprovhost.exe`, `wsmprovhost.exe -Embedding`),
	}
	var got []string
	for _, f := range byRule(run(t, newDetector(t, base, FirstSeenRemote), evs, 2), FirstSeenRemote) {
		got = append(got, f.Summary)
	}
	want := []string{
		`new remote execution: 10.0.1.99 → WS01.corp.example by CORP\adm.jsmith via WMI`,
		`new remote execution: 10.0.1.40 → WS01.corp.example by CORP\adm.jsmith via WinRM`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
