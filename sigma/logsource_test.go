package sigma

import (
	"strings"
	"testing"
)

func TestDefaultMappingsParse(t *testing.T) {
	m := DefaultMappings()
	if len(m.Sources) < 60 {
		t.Errorf("only %d sources", len(m.Sources))
	}
	srcs, mapped := m.Resolve(LogSource{Category: "process_creation", Product: "windows"})
	if !mapped || len(srcs) != 2 {
		t.Fatalf("process_creation: %v %v", srcs, mapped)
	}
	if got := srcs[1].Fields["Image"]; got != "NewProcessName" {
		t.Errorf("4688 Image -> %q", got)
	}
}

func TestResolve(t *testing.T) {
	m := DefaultMappings()
	cases := []struct {
		ls     LogSource
		want   string // EventSource strings joined by " + "
		mapped bool
	}{
		{LogSource{Category: "process_creation", Product: "windows"}, "Microsoft-Windows-Sysmon/Operational/Microsoft-Windows-Sysmon/1 + Security/Microsoft-Windows-Security-Auditing/4688", true},
		{LogSource{Category: "registry_set", Product: "windows"}, "Microsoft-Windows-Sysmon/Operational/Microsoft-Windows-Sysmon/13", true},
		{LogSource{Product: "windows", Service: "security"}, "Security/*/*", true},
		{LogSource{Product: "windows", Service: "SECURITY"}, "Security/*/*", true},
		{LogSource{Category: "ps_script", Product: "windows"}, "Microsoft-Windows-PowerShell/Operational|PowerShellCore/Operational/Microsoft-Windows-PowerShell|PowerShellCore/4104", true},
		{LogSource{Category: "antivirus"}, "Microsoft-Windows-Windows Defender/Operational/Microsoft-Windows-Windows Defender/1006|1007|1008|1009|1010|1011|1012|1017|1018|1019|1115|1116", true},
		{LogSource{Category: "process_creation", Product: "windows", Service: "sysmon"}, "Microsoft-Windows-Sysmon/Operational/Microsoft-Windows-Sysmon/1 + Security/Microsoft-Windows-Security-Auditing/4688", true},
		{LogSource{Product: "windows"}, "*/*/*", true},
		{LogSource{Category: "process_creation", Product: "linux"}, "linux/process_creation/*/*", false},
		{LogSource{Product: "zeek", Service: "dns"}, "zeek.dns/zeek/*", true},
		{LogSource{Product: "suricata", Service: "dns"}, "suricata/dns/*/*", false},
		{LogSource{Product: "windows", Service: "no-such-service"}, "windows/no-such-service/*/*", false},
	}
	for _, c := range cases {
		srcs, mapped := m.Resolve(c.ls)
		var got []string
		for _, s := range srcs {
			got = append(got, s.String())
		}
		if strings.Join(got, " + ") != c.want || mapped != c.mapped {
			t.Errorf("%s: %q (mapped %v), want %q (mapped %v)", c.ls, strings.Join(got, " + "), mapped, c.want, c.mapped)
		}
	}
}

func TestLogsourceRouting(t *testing.T) {
	rule := func(ls, det string) string {
		return "title: t\nlogsource:\n" + ls + "detection:\n" + det
	}
	procRule := rule("    category: process_creation\n    product: windows\n", "    sel:\n        Image|endswith: '\\whoami.exe'\n    condition: sel\n")
	sec4688 := ev("Channel", "Security", "Provider_Name", "Microsoft-Windows-Security-Auditing", "EventID", "4688", "NewProcessName", `C:\Windows\System32\whoami.exe`)
	cases := []struct {
		name string
		rule string
		e    *testEvent
		want bool
	}{
		{"sysmon 1", procRule, sysmon1("Image", `C:\Windows\System32\whoami.exe`), true},
		{"security 4688 renames Image", procRule, sec4688, true},
		{"other provider, same event id", procRule, ev("Channel", "Microsoft-Windows-Sysmon/Operational", "Provider_Name", "Other", "EventID", "1", "Image", `C:\whoami.exe`), false},
		{"sysmon channel, other event id", procRule, ev("Channel", "Microsoft-Windows-Sysmon/Operational", "Provider_Name", "Microsoft-Windows-Sysmon", "EventID", "11", "Image", `C:\whoami.exe`), false},
		{"channel case", procRule, ev("Channel", "microsoft-windows-sysmon/operational", "Provider_Name", "MICROSOFT-WINDOWS-SYSMON", "EventID", "1", "Image", `C:\whoami.exe`), true},
		{"application event 1", procRule, ev("Channel", "Application", "Provider_Name", "x", "EventID", "1", "Image", `C:\whoami.exe`), false},
		{"service security", rule("    product: windows\n    service: security\n", "    sel:\n        EventID: 1102\n    condition: sel\n"),
			ev("Channel", "Security", "Provider_Name", "Microsoft-Windows-Eventlog", "EventID", "1102"), true},
		{"service security, system channel", rule("    product: windows\n    service: security\n", "    sel:\n        EventID: 1102\n    condition: sel\n"),
			ev("Channel", "System", "Provider_Name", "Microsoft-Windows-Eventlog", "EventID", "1102"), false},
		{"linux rule never on windows", rule("    category: process_creation\n    product: linux\n", "    sel:\n        Image|endswith: '/whoami'\n    condition: sel\n"),
			sysmon1("Image", "/usr/bin/whoami"), false},
		{"linux rule on its pseudo-channel", rule("    category: process_creation\n    product: linux\n", "    sel:\n        Image|endswith: '/whoami'\n    condition: sel\n"),
			ev("Channel", "linux/process_creation", "Image", "/usr/bin/whoami"), true},
		{"cloud rule never on windows", rule("    product: aws\n    service: cloudtrail\n", "    sel:\n        eventName: 'ConsoleLogin'\n    condition: sel\n"),
			sysmon1("eventName", "ConsoleLogin"), false},
		{"product windows alone: any channel", rule("    product: windows\n", "    keywords:\n        - 'sekurlsa::'\n    condition: keywords\n"),
			ev("Channel", "Application", "Provider_Name", "x", "EventID", "5", "Data", "sekurlsa::logonpasswords"), true},
		{"ECS field names", rule("    category: process_creation\n    product: windows\n", "    sel:\n        process.command_line|contains: 'whoami'\n        winlog.event_data.ParentImage|endswith: '\\cmd.exe'\n    condition: sel\n"),
			sysmon1("CommandLine", "whoami /all", "ParentImage", `C:\cmd.exe`), true},
		{"antivirus renames", rule("    category: antivirus\n", "    sel:\n        Signature|contains: 'Mimikatz'\n    condition: sel\n"),
			ev("Channel", "Microsoft-Windows-Windows Defender/Operational", "Provider_Name", "Microsoft-Windows-Windows Defender", "EventID", "1116", "Threat Name", "HackTool:Win32/Mimikatz"), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := compileOne(t, c.rule, Config{})
			if got := matches(t, rs, c.e); got != c.want {
				t.Errorf("match = %v, want %v\n%s", got, c.want, rs.Explain(0, c.e))
			}
		})
	}
}

func TestEventIDIndexing(t *testing.T) {
	// A process_creation rule that asks for EventID 4688 can only match the
	// Security source; one that asks for an id no source has never matches.
	rs := compileOne(t, "title: t\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    sel:\n        EventID: 4688\n    condition: sel\n", Config{})
	if n := len(rs.Sources(0)); n != 1 {
		t.Errorf("sources = %d, want 1 (Security only)", n)
	}
	rs = compileOne(t, "title: t\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n    sel:\n        EventID: 7\n    condition: sel\n", Config{})
	if rs.Stats().Never != 2 {
		t.Errorf("stats %+v: want both sources dropped", rs.Stats())
	}
}

func TestUserMappings(t *testing.T) {
	user, err := ParseMappings("user.yml", []byte(`
fields:
  proc: Image
logsources:
  - category: process_creation
    product: windows
    events:
      - channel: ForwardedEvents
        provider: Microsoft-Windows-Sysmon
        eventid: 1
  - product: acme
    service: vpn
    events:
      - channel: ACME VPN
`))
	if err != nil {
		t.Fatal(err)
	}
	m := DefaultMappings().Merge(user)
	det := "    sel:\n        proc|endswith: '\\whoami.exe'\n    condition: sel\n"
	rs := compileOne(t, ruleFor(det), Config{Mappings: m})
	fwd := ev("Channel", "ForwardedEvents", "Provider_Name", "Microsoft-Windows-Sysmon", "EventID", "1", "Image", `c:\whoami.exe`)
	if !matches(t, rs, fwd) {
		t.Error("the override maps process_creation to ForwardedEvents")
	}
	if matches(t, rs, sysmon1("Image", `c:\whoami.exe`)) {
		t.Error("the override replaces the built-in process_creation mapping")
	}
	rs = compileOne(t, "title: t\nlogsource:\n    product: acme\n    service: vpn\ndetection:\n    sel:\n        user: bob\n    condition: sel\n", Config{Mappings: m})
	if !matches(t, rs, ev("Channel", "ACME VPN", "user", "bob")) {
		t.Error("a new mapping for a new product")
	}
}

func TestMappingErrors(t *testing.T) {
	for _, src := range []string{
		"logsources: [{category: x}]",
		"logsources: [{events: [{channel: a}]}]",
		"logsources: [{category: x, events: [{eventid: abc}]}]",
		"logsources: [{category: x, events: [{color: red}]}]",
		"logsources: [{category: x, events: []}, {category: x, events: []}]",
		"nonsense: 1",
		"[1, 2",
	} {
		if _, err := ParseMappings("m.yml", []byte(src)); err == nil {
			t.Errorf("%q: no error", src)
		} else if !strings.HasPrefix(err.Error(), "m.yml:") {
			t.Errorf("%q: error without position: %v", src, err)
		}
	}
}
