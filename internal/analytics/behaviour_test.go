package analytics

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

const (
	dc = "DC01.corp.example"
	ws = "WS07.corp.example"
	fs = "FS01.corp.example"
)

var day1 = time.Date(2024, 2, 1, 9, 0, 0, 0, time.UTC)

// intrusion is a small network's logs: administrators at work for some
// days, then an intruder with a valid account who reconnoitres the domain
// controller, steals its database and cleans up, as Volt Typhoon does.
// It returns the benign days and the days of the intrusion apart, so that
// a baseline can be learned from the first.
func intrusion() (benign, attack []event.Event) {
	b := newLog("net")
	admin := `CORP\admin`
	recon := func(t time.Time, host, user, logon, parent string, quiet bool) []event.Event {
		cmds := [][2]string{
			{`C:\Windows\System32\whoami.exe`, `whoami /all`},
			{`C:\Windows\System32\systeminfo.exe`, `systeminfo`},
			{`C:\Windows\System32\tasklist.exe`, `tasklist /v`},
			{`C:\Windows\System32\net.exe`, `net group "Domain Admins" /dom`},
			{`C:\Windows\System32\ipconfig.exe`, `ipconfig /all`},
		}
		var out []event.Event
		for i, c := range cmds {
			at := t.Add(time.Duration(i) * 70 * time.Second)
			if quiet {
				out = append(out, b.proc(at, host, user, logon, `C:\Windows\System32\wbem\WmiPrvSE.exe`, `C:\Windows\System32\cmd.exe`,
					fmt.Sprintf(`cmd.exe /Q /c %s 1> \\127.0.0.1\ADMIN$\__17072%05d.%d 2>&1`, c[1], i, i)))
				at = at.Add(time.Second)
				parent = `C:\Windows\System32\cmd.exe`
			}
			out = append(out, b.proc(at, host, user, logon, parent, c[0], c[1]))
		}
		return out
	}
	logon := func(t time.Time, host, name, ip, typ string) event.Event {
		return b.security(t, host, 4624, "TargetUserName", name, "TargetDomainName", "CORP", "LogonType", typ,
			"IpAddress", ip, "WorkstationName", "-", "TargetLogonId", "0x1")
	}
	// The benign days: the administrator's own checks, RDP from the admin
	// workstation, a file server that works.
	for d := 0; d < 4; d++ {
		t := day1.Add(time.Duration(d) * 24 * time.Hour)
		benign = append(benign, logon(t, dc, "admin", "10.0.0.20", "10"))
		benign = append(benign, recon(t.Add(time.Minute), dc, admin, "0x111", `C:\Windows\explorer.exe`, false)...)
		benign = append(benign, b.proc(t.Add(time.Hour), fs, admin, "0x222", `C:\Windows\explorer.exe`, `C:\Windows\System32\ipconfig.exe`, `ipconfig /all`))
		benign = append(benign, b.proc(t.Add(2*time.Hour), ws, `CORP\alice`, "0x333", `C:\Windows\explorer.exe`, `C:\Windows\System32\ipconfig.exe`, `ipconfig /all`))
	}
	// The intrusion, on day 6.
	t := day1.Add(5*24*time.Hour + 3*time.Hour)
	intruder := `CORP\svc-backup`
	attack = append(attack, logon(t.Add(-time.Minute), dc, "svc-backup", "10.0.0.77", "3"))
	attack = append(attack, recon(t, dc, intruder, "0x999", "", true)...)
	// The administrator's usual checks go on the same day.
	attack = append(attack, logon(t.Add(-2*time.Hour), dc, "admin", "10.0.0.20", "10"))
	attack = append(attack, recon(t.Add(-2*time.Hour), dc, admin, "0x111", `C:\Windows\explorer.exe`, false)...)
	cmd := `C:\Windows\System32\cmd.exe`
	attack = append(attack,
		b.proc(t.Add(time.Hour), dc, intruder, "0x999", cmd, `C:\Windows\System32\vssadmin.exe`, `vssadmin create shadow /for=C:`),
		b.proc(t.Add(time.Hour+2*time.Minute), dc, intruder, "0x999", `C:\Windows\System32\wbem\WmiPrvSE.exe`, cmd,
			`cmd.exe /c copy \\?\GLOBALROOT\Device\HarddiskVolumeShadowCopy1\Windows\NTDS\ntds.dit C:\Windows\Temp\Pro\ntds.dit`),
		b.proc(t.Add(time.Hour+5*time.Minute), dc, intruder, "0x999", cmd, `C:\Windows\Temp\7z.exe`,
			`7z.exe a -pS3cret C:\Windows\Temp\Pro\p.7z C:\Windows\Temp\Pro\ntds.dit`),
		b.proc(t.Add(time.Hour+30*time.Minute), ws, intruder, "0x444", `C:\Windows\explorer.exe`, cmd,
			`cmd.exe /c copy \\DC01\c$\Windows\Temp\Pro\p.7z C:\Users\alice\p.7z`),
		b.proc(t.Add(2*time.Hour), dc, intruder, "0x999", `C:\Windows\System32\wbem\WmiPrvSE.exe`, cmd,
			`cmd.exe /Q /c rd /s /q C:\Windows\Temp\Pro`),
		// Later, quiet days go on.
		b.proc(t.Add(48*time.Hour), fs, admin, "0x222", `C:\Windows\explorer.exe`, `C:\Windows\System32\ipconfig.exe`, `ipconfig /all`),
	)
	return benign, attack
}

func TestSequences(t *testing.T) {
	benign, attack := intrusion()
	all := append(append([]event.Event(nil), benign...), attack...)
	d := newDetector(t, nil, DiscoveryBurst, CredentialTheftChain, StagingCleanup)
	fs := run(t, d, all, 2)

	bursts := byRule(fs, DiscoveryBurst)
	var intruder int
	for _, f := range bursts {
		if strings.Contains(f.User, "svc-backup") {
			intruder++
			if !strings.Contains(f.Summary, "5 recon commands") || f.Host != dc {
				t.Errorf("intruder's burst: %s", f.Summary)
			}
		}
	}
	if intruder != 1 {
		t.Errorf("%d bursts of the intruder, want 1:\n%s", intruder, jsonLines(bursts))
	}
	// Without a baseline, the administrator's checks of the first two
	// days are the reference: they are reported, the later ones are not.
	if len(bursts) != 3 {
		t.Errorf("%d bursts, want 3 (the intruder's and the administrator's first 2 days):\n%s", len(bursts), jsonLines(bursts))
	}
	if !containsNote(d.Notes(), "3 discovery bursts not reported: in each host's first days in the input") {
		t.Errorf("notes:\n%s", strings.Join(d.Notes(), "\n"))
	}

	chains := byRule(fs, CredentialTheftChain)
	if len(chains) != 1 {
		t.Fatalf("%d chains, want 1:\n%s", len(chains), jsonLines(fs))
	}
	c := chains[0]
	if c.Level != finding.Critical || !strings.Contains(c.Summary, "shadow copy (vssadmin), then archived, then fetched by WS07.corp.example") {
		t.Errorf("chain: %s %s", c.Level, c.Summary)
	}
	if len(c.Evidence) != 4 {
		t.Errorf("chain evidence: %d events, want shadow copy, copy out of it, archive, fetch", len(c.Evidence))
	}

	cl := byRule(fs, StagingCleanup)
	if len(cl) != 1 || !strings.Contains(cl[0].Summary, `c:\windows\temp\pro`) {
		t.Fatalf("staging-cleanup: want one finding about c:\\windows\\temp\\pro:\n%s", jsonLines(cl))
	}
}

// TestBaseline learns the benign days, then hunts the intrusion: what the
// intruder did is new, what the administrator does every day is not.
func TestBaseline(t *testing.T) {
	benign, attack := intrusion()
	learner, err := NewLearner(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if fs := run(t, learner, benign, 2); len(fs) != 0 {
		t.Errorf("a learner reported %d findings", len(fs))
	}
	b := learner.Baseline()
	if b == nil || len(b.Tools) == 0 || len(b.Logons) != 1 {
		t.Fatalf("baseline: %+v", b)
	}
	// Through a file and back.
	var buf bytes.Buffer
	if err := b.Write(&buf); err != nil {
		t.Fatal(err)
	}
	b2, err := ReadBaseline(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b2.Source = "normal.json"

	fs := run(t, newDetector(t, b2), attack, 3)
	for _, f := range fs {
		if strings.Contains(f.User, "admin") && f.RuleID != RareLOTL {
			t.Errorf("the administrator's usual work was reported: %s %s", f.RuleID, f.Summary)
		}
	}
	if n := len(byRule(fs, DiscoveryBurst)); n != 1 {
		t.Errorf("%d bursts, want the intruder's only:\n%s", n, jsonLines(fs))
	}
	edges := byRule(fs, FirstSeenLogon)
	if len(edges) != 1 || !strings.Contains(edges[0].Summary, `CORP\svc-backup from 10.0.0.77 to DC01.corp.example`) {
		t.Errorf("new logon paths:\n%s", jsonLines(edges))
	}
	tools := byRule(fs, FirstSeenTool)
	if len(tools) < 5 {
		t.Errorf("%d first-seen tools, want the intruder's recon, vssadmin and 7z at least:\n%s", len(tools), jsonLines(tools))
	}
	if len(byRule(fs, CredentialTheftChain)) != 1 {
		t.Errorf("no credential theft chain with a baseline")
	}
	d := newDetector(t, b2)
	run(t, d, attack, 1)
	if !containsNote(d.Notes(), "first-seen judged against the baseline normal.json") {
		t.Errorf("notes do not say the baseline was used:\n%s", strings.Join(d.Notes(), "\n"))
	}
}

// TestFirstSeenWithinHunt: without a baseline each host's first days are
// its reference.
func TestFirstSeenWithinHunt(t *testing.T) {
	benign, attack := intrusion()
	all := append(append([]event.Event(nil), benign...), attack...)
	d := newDetector(t, nil, FirstSeenLogon, FirstSeenTool)
	fs := run(t, d, all, 2)
	edges := byRule(fs, FirstSeenLogon)
	if len(edges) != 1 || !strings.Contains(edges[0].Summary, "svc-backup") {
		t.Errorf("new logon paths:\n%s", jsonLines(edges))
	}
	if !containsNote(d.Notes(), "first 48h in the input served as its reference") {
		t.Errorf("notes do not say which reference was used:\n%s", strings.Join(d.Notes(), "\n"))
	}
	// One host's single day is not enough to judge anything.
	d = newDetector(t, nil, FirstSeenLogon, FirstSeenTool)
	if fs := run(t, d, attack[:8], 1); len(fs) != 0 {
		t.Errorf("first-seen findings from a short input:\n%s", jsonLines(fs))
	}
	if !containsNote(d.Notes(), "first-seen not judged") {
		t.Errorf("notes do not say first-seen was not judged:\n%s", strings.Join(d.Notes(), "\n"))
	}
}

func containsNote(notes []string, s string) bool {
	for _, n := range notes {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// TestDeterministic: the same findings, byte for byte, whatever the order
// of the events and the number of workers.
func TestDeterministic(t *testing.T) {
	benign, attack := intrusion()
	all := append(append([]event.Event(nil), benign...), attack...)
	all = append(all, failures(day1, dc, "10.9.9.9", 40, 3)...)
	want := jsonLines(run(t, newDetector(t, nil), all, 1))
	if want == "" {
		t.Fatal("no findings")
	}
	for seed := uint64(1); seed <= 4; seed++ {
		got := jsonLines(run(t, newDetector(t, nil), shuffled(all, seed), int(seed)+1))
		if got != want {
			t.Fatalf("seed %d: findings differ:\n%s\nwant:\n%s", seed, got, want)
		}
	}
}

// TestRareLOTL: a form run once on one host of many is rare; the same
// form everywhere is not.
func TestRareLOTL(t *testing.T) {
	b := newLog("rare")
	var evs []event.Event
	for i := 0; i < 10; i++ {
		host := fmt.Sprintf("WS%02d", i)
		evs = append(evs, b.proc(day1.Add(time.Duration(i)*time.Minute), host, `CORP\u`, "0x1", `C:\Windows\explorer.exe`,
			`C:\Windows\System32\ipconfig.exe`, `ipconfig /all`))
	}
	evs = append(evs, b.proc(day1.Add(time.Hour), "WS03", `CORP\u`, "0x1", `C:\Windows\System32\cmd.exe`,
		`C:\Windows\System32\ntdsutil.exe`, `ntdsutil "ac i ntds" ifm "create full C:\Windows\Temp\Pro" q q`))
	fs := run(t, newDetector(t, nil, RareLOTL), evs, 2)
	if len(fs) != 1 {
		t.Fatalf("%d rare forms, want ntdsutil only:\n%s", len(fs), jsonLines(fs))
	}
	f := fs[0]
	if f.Level != finding.Low || f.Host != "WS03" || !strings.Contains(f.Summary, "seen 1 time on 1 of 10 hosts") {
		t.Errorf("%s %s %s", f.Level, f.Host, f.Summary)
	}
}

// failures makes n failed logons (4625) from ip, for accounts distinct
// accounts in turn, one every 2 seconds.
func failures(at time.Time, host, ip string, n, accounts int) []event.Event {
	b := newLog("fail")
	var out []event.Event
	for i := 0; i < n; i++ {
		out = append(out, b.security(at.Add(time.Duration(i)*2*time.Second), host, 4625,
			"TargetUserName", fmt.Sprintf("user%03d", i%accounts), "TargetDomainName", "CORP", "LogonType", "3",
			"IpAddress", ip, "WorkstationName", "KALI", "Status", "0xc000006d", "SubStatus", "0xc000006a"))
	}
	return out
}

func TestLogonFailures(t *testing.T) {
	tests := []struct {
		name          string
		evs           []event.Event
		spray, brute  int
		level         finding.Level // of the first finding
		summaryPrefix string
	}{
		{"ten accounts", failures(day1, dc, "10.1.1.1", 20, 10), 1, 0, finding.High, "password spray from 10.1.1.1 on DC01.corp.example: 10 accounts"},
		{"nine accounts", failures(day1, dc, "10.1.1.1", 18, 9), 0, 0, 0, ""},
		{"thirty failures of one account", failures(day1, dc, "10.1.1.1", 30, 1), 0, 1, finding.Medium, "brute force of user000 from 10.1.1.1"},
		{"two hundred", failures(day1, dc, "10.1.1.1", 200, 1), 0, 1, finding.High, "brute force of user000 from 10.1.1.1"},
		{"slow spray over hours", slow(failures(day1, dc, "10.1.1.1", 12, 12), 20*time.Minute), 0, 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := run(t, newDetector(t, nil, PasswordSpray, BruteForce), tt.evs, 2)
			if n := len(byRule(fs, PasswordSpray)); n != tt.spray {
				t.Errorf("%d sprays, want %d:\n%s", n, tt.spray, jsonLines(fs))
			}
			if n := len(byRule(fs, BruteForce)); n != tt.brute {
				t.Errorf("%d brute force, want %d:\n%s", n, tt.brute, jsonLines(fs))
			}
			if len(fs) > 0 && (fs[0].Level != tt.level || !strings.HasPrefix(fs[0].Summary, tt.summaryPrefix)) {
				t.Errorf("%s %q, want %s %q...", fs[0].Level, fs[0].Summary, tt.level, tt.summaryPrefix)
			}
		})
	}
}

// slow spaces events gap apart.
func slow(evs []event.Event, gap time.Duration) []event.Event {
	b := newLog("slow")
	out := make([]event.Event, len(evs))
	for i, ev := range evs {
		var kv []string
		for _, f := range ev.Fields[6:] {
			kv = append(kv, f.Name, f.Value)
		}
		out[i] = b.security(day1.Add(time.Duration(i)*gap), ev.Computer, ev.EventID, kv...)
	}
	return out
}

// TestRecordsAndClears: a hole amid a whole log is reported; a clear says
// what it removed; a filtered export is left alone and noted.
func TestRecordsAndClears(t *testing.T) {
	b := newLog("rec")
	var evs []event.Event
	for i := 0; i < 300; i++ {
		evs = append(evs, b.security(day1.Add(time.Duration(i)*time.Minute), dc, 4663, "ObjectName", "x"))
	}
	// Records 101 to 150 deleted.
	evs = append(evs[:100], evs[150:]...)
	// Then the log is cleared: the clear is record 401, so 301-400 are
	// gone, and the events after it follow.
	b.recs[dc+"\x00Security"] = 400
	clearAt := day1.Add(400 * time.Minute)
	evs = append(evs, b.event(clearAt, dc, "Security", "Microsoft-Windows-Eventlog", 1102,
		"SubjectUserName", "mallory", "SubjectDomainName", "CORP"))
	for i := 0; i < 30; i++ {
		evs = append(evs, b.security(clearAt.Add(time.Duration(i+1)*time.Second), dc, 4663, "ObjectName", "y"))
	}
	// A filtered export of another host: every third record.
	for i := 0; i < 300; i++ {
		ev := b.security(day1.Add(time.Duration(i)*time.Minute), fs, 4663, "ObjectName", "z")
		if i%3 == 0 {
			evs = append(evs, ev)
		}
	}
	d := newDetector(t, nil, RecordGap, LogCleared)
	got := run(t, d, shuffled(evs, 7), 3)
	gaps := byRule(got, RecordGap)
	if len(gaps) != 1 || value(gaps[0], "missing") != "50" || value(gaps[0], "last_before") != "100" {
		t.Errorf("gaps:\n%s", jsonLines(gaps))
	}
	clears := byRule(got, LogCleared)
	if len(clears) != 1 {
		t.Fatalf("clears:\n%s", jsonLines(got))
	}
	c := clears[0]
	if value(c, "lost_records") != "100" || value(c, "last_record_before") != "300" ||
		value(c, "lost_from") != event.FormatTime(day1.Add(299*time.Minute)) || c.User != `CORP\mallory` {
		t.Errorf("clear: %s\n%+v", c.Summary, c.Explain)
	}
	if !containsNote(d.Notes(), "record-gap: 1 channel(s) have record ids too scattered") {
		t.Errorf("notes:\n%s", strings.Join(d.Notes(), "\n"))
	}
}

// TestSwitchedOff: an analytic switched off reports nothing.
func TestSwitchedOff(t *testing.T) {
	evs := failures(day1, dc, "10.1.1.1", 40, 20)
	if fs := run(t, newDetector(t, nil, BruteForce), evs, 1); len(byRule(fs, PasswordSpray)) != 0 {
		t.Errorf("password-spray ran while off")
	}
	cfg := DefaultConfig()
	if err := cfg.Select("none"); err != nil {
		t.Fatal(err)
	}
	d, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if fs := run(t, d, evs, 1); len(fs) != 0 {
		t.Errorf("%d findings with every analytic off", len(fs))
	}
}

// TestChainLinks: only a copy of the stolen material out of the host (or
// fetched from it) completes a chain.
func TestChainLinks(t *testing.T) {
	cmd := `C:\Windows\System32\cmd.exe`
	tests := []struct {
		name  string
		after [][3]string // host, image, command line, after the shadow copy
		level finding.Level
		want  string // in the summary; "" for no chain
	}{
		{"archive only", [][3]string{{dc, `C:\Program Files\7-Zip\7z.exe`, `7z a C:\Users\Public\x.7z C:\Windows\Temp\sys.hiv`}},
			finding.High, "then archived"},
		{"pushed to a share", [][3]string{{dc, cmd, `cmd /c copy C:\Windows\Temp\sys.hiv \\10.9.9.9\drop\`}},
			finding.High, `then copied to \\10.9.9.9`},
		{"archived then fetched", [][3]string{
			{dc, `C:\Program Files\7-Zip\7z.exe`, `7z a C:\Users\Public\x.7z C:\Windows\Temp\sys.hiv`},
			{ws, cmd, `cmd /c copy \\DC01\c$\Users\Public\x.7z C:\Temp\`}},
			finding.Critical, "then archived, then fetched by WS07.corp.example"},
		{"a tool brought in", [][3]string{{dc, cmd, `cmd /c copy \\WEB01\c$\Windows\Temp\7za.exe C:\Windows\Temp\`}}, 0, ""},
		{"the nightly backup", [][3]string{{dc, `C:\Windows\System32\Robocopy.exe`, `robocopy D:\Shares \\backup01\fs01 /MIR`}}, 0, ""},
		{"another host's copy", [][3]string{{ws, cmd, `cmd /c copy \\FS01\c$\Users\Public\x.7z C:\Temp\`}}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := newLog("chain")
			at := day1.Add(10 * time.Hour)
			evs := []event.Event{b.proc(at, dc, `CORP\x`, "0x9", cmd, `C:\Windows\System32\reg.exe`, `reg save HKLM\SYSTEM C:\Windows\Temp\sys.hiv`)}
			for i, a := range tt.after {
				evs = append(evs, b.proc(at.Add(time.Duration(i+1)*time.Minute), a[0], `CORP\x`, "0x9", cmd, a[1], a[2]))
			}
			fs := byRule(run(t, newDetector(t, nil, CredentialTheftChain), evs, 1), CredentialTheftChain)
			if tt.want == "" {
				if len(fs) != 0 {
					t.Errorf("a chain:\n%s", jsonLines(fs))
				}
				return
			}
			if len(fs) != 1 || fs[0].Level != tt.level || !strings.Contains(fs[0].Summary, tt.want) {
				t.Errorf("want one %s chain with %q:\n%s", tt.level, tt.want, jsonLines(fs))
			}
		})
	}
}

func TestEventLogPermissions(t *testing.T) {
	b := newLog("sd")
	evs := []event.Event{
		b.event(day1, dc, channelSysmon, "Microsoft-Windows-Sysmon", 13, "EventType", "SetValue",
			"TargetObject", `HKLM\System\CurrentControlSet\Services\EventLog\Security\CustomSD`,
			"Details", "O:BAG:SYD:(D;;0xf0007;;;WD)", "Image", `C:\Windows\regedit.exe`, "User", `CORP\x`),
		b.event(day1, dc, channelSysmon, "Microsoft-Windows-Sysmon", 13, "EventType", "SetValue",
			"TargetObject", `HKLM\System\CurrentControlSet\Services\EventLog\Security\MaxSize`, "Details", "DWORD (0x01400000)"),
	}
	fs := run(t, newDetector(t, nil, EventLogStopped), evs, 1)
	if len(fs) != 1 || fs[0].Level != finding.High || !strings.Contains(fs[0].Summary, "permissions of the Security log were changed") {
		t.Errorf("findings:\n%s", jsonLines(fs))
	}
}
