package sigma

import (
	"encoding/base64"
	"strings"
	"testing"
)

// These tests are written from the text of the Sigma specification (rules
// 2.0, modifiers appendix 2.1): one table per topic, each case a detection
// and events that must or must not match.

// sysmon1 builds a Sysmon process creation event from name/value pairs.
func sysmon1(pairs ...string) *testEvent {
	base := []string{"Channel", "Microsoft-Windows-Sysmon/Operational", "Provider_Name", "Microsoft-Windows-Sysmon", "EventID", "1"}
	return ev(append(base, pairs...)...)
}

// ruleFor wraps a detection (YAML, indented by 4) in a process creation
// rule.
func ruleFor(detection string) string {
	return "title: test\nid: 00000000-0000-0000-0000-000000000001\nlogsource:\n    category: process_creation\n    product: windows\ndetection:\n" + detection
}

// compileOne parses and compiles one rule, failing the test on errors.
func compileOne(t *testing.T, src string, cfg Config) *RuleSet {
	t.Helper()
	c, err := Parse("test.yml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	rs, err := Compile(c.Rules, cfg)
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, src)
	}
	if rs.Len() != 1 {
		t.Fatalf("compiled %d rules, want 1", rs.Len())
	}
	return rs
}

// matches reports whether the one rule of rs matches the event, and checks
// that Explain agrees.
func matches(t *testing.T, rs *RuleSet, e Event) bool {
	t.Helper()
	got := len(rs.NewMatcher().Match(e, nil)) == 1
	if ex := rs.Explain(0, e); ex.Matched != got {
		t.Errorf("Explain says matched=%v, Match says %v:\n%s", ex.Matched, got, ex)
	}
	return got
}

type matchCase struct {
	name      string
	detection string
	event     *testEvent
	want      bool
}

func runCases(t *testing.T, cases []matchCase, cfg Config) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := compileOne(t, ruleFor(c.detection), cfg)
			if got := matches(t, rs, c.event); got != c.want {
				t.Errorf("match = %v, want %v\ndetection:\n%s\nexplain:\n%s", got, c.want, c.detection, rs.Explain(0, c.event))
			}
		})
	}
}

func TestValues(t *testing.T) {
	runCases(t, []matchCase{
		// "All values are treated as case-insensitive strings."
		{"case-insensitive", "    sel:\n        Image: 'C:\\Windows\\System32\\whoami.exe'\n    condition: sel", sysmon1("Image", `c:\windows\system32\WHOAMI.EXE`), true},
		{"whole value", "    sel:\n        Image: 'whoami.exe'\n    condition: sel", sysmon1("Image", `c:\windows\system32\whoami.exe`), false},
		// Wildcards.
		{"star", "    sel:\n        Image: '*\\whoami.exe'\n    condition: sel", sysmon1("Image", `C:\x\whoami.exe`), true},
		{"question one char", "    sel:\n        Image: 'prog?.exe'\n    condition: sel", sysmon1("Image", "progA.exe"), true},
		{"question not zero", "    sel:\n        Image: 'prog?.exe'\n    condition: sel", sysmon1("Image", "prog.exe"), false},
		{"question not two", "    sel:\n        Image: 'prog?.exe'\n    condition: sel", sysmon1("Image", "progAB.exe"), false},
		{"question one rune", "    sel:\n        Image: 'prog?.exe'\n    condition: sel", sysmon1("Image", "progé.exe"), true},
		{"star middle", "    sel:\n        Image: 'antivirus_V*.exe'\n    condition: sel", sysmon1("Image", "antivirus_V21.2.1.exe"), true},
		// Escaping.
		{"escaped star is literal", "    sel:\n        CommandLine: 'a\\*b'\n    condition: sel", sysmon1("CommandLine", "a*b"), true},
		{"escaped star no wildcard", "    sel:\n        CommandLine: 'a\\*b'\n    condition: sel", sysmon1("CommandLine", "axxb"), false},
		{"escaped question", "    sel:\n        CommandLine: 'a\\?'\n    condition: sel", sysmon1("CommandLine", "a?"), true},
		{"escaped question not wildcard", "    sel:\n        CommandLine: 'a\\?'\n    condition: sel", sysmon1("CommandLine", "ab"), false},
		{"plain backslash", "    sel:\n        Image: 'C:\\Windows\\x.exe'\n    condition: sel", sysmon1("Image", `C:\Windows\x.exe`), true},
		{"double backslash is one", "    sel:\n        Image: 'C:\\\\Windows'\n    condition: sel", sysmon1("Image", `C:\Windows`), true},
		{"backslash then wildcard", "    sel:\n        CommandLine: 'a\\\\*'\n    condition: sel", sysmon1("CommandLine", `a\anything`), true},
		{"three backslashes: literal backslash and star", "    sel:\n        CommandLine: 'a\\\\\\*'\n    condition: sel", sysmon1("CommandLine", `a\*`), true},
		{"three backslashes not wildcard", "    sel:\n        CommandLine: 'a\\\\\\*'\n    condition: sel", sysmon1("CommandLine", `a\xyz`), false},
		{"four backslashes are two", "    sel:\n        CommandLine: 'a\\\\\\\\b'\n    condition: sel", sysmon1("CommandLine", `a\\b`), true},
		{"trailing backslash", "    sel:\n        CommandLine: 'dir\\'\n    condition: sel", sysmon1("CommandLine", `dir\`), true},
		{"trailing backslash contains", "    sel:\n        CommandLine|endswith: '\\'\n    condition: sel", sysmon1("CommandLine", `c:\dir\`), true},
		// Numbers: a rule integer matches its decimal (or hexadecimal) rendering.
		{"int", "    sel:\n        LogonType: 3\n    condition: sel", sysmon1("LogonType", "3"), true},
		{"int other", "    sel:\n        LogonType: 3\n    condition: sel", sysmon1("LogonType", "10"), false},
		{"int vs hex rendering", "    sel:\n        Status: 0xC000006D\n    condition: sel", sysmon1("Status", "0xc000006d"), true},
		{"decimal int vs hex value", "    sel:\n        GrantedAccess: 4096\n    condition: sel", sysmon1("GrantedAccess", "0x1000"), true},
		{"quoted number is text", "    sel:\n        EventID: '1'\n    condition: sel", sysmon1(), true},
		{"bool", "    sel:\n        Signed: true\n    condition: sel", sysmon1("Signed", "true"), true},
		{"bool false", "    sel:\n        Signed: false\n    condition: sel", sysmon1("Signed", "true"), false},
		// Lists are ORs, maps ANDs, lists of maps ORs.
		{"list or", "    sel:\n        Image|endswith:\n            - '\\a.exe'\n            - '\\b.exe'\n    condition: sel", sysmon1("Image", `c:\b.exe`), true},
		{"map and", "    sel:\n        Image|endswith: '\\a.exe'\n        CommandLine|contains: 'x'\n    condition: sel", sysmon1("Image", `c:\a.exe`, "CommandLine", "y"), false},
		{"list of maps", "    sel:\n        - Image|endswith: '\\a.exe'\n        - CommandLine|contains: 'x'\n    condition: sel", sysmon1("Image", `c:\z.exe`, "CommandLine", "axb"), true},
		// Empty value and null.
		{"empty", "    sel:\n        Description: ''\n    condition: sel", sysmon1("Description", ""), true},
		{"empty not absent", "    sel:\n        Description: ''\n    condition: sel", sysmon1(), false},
		{"null absent", "    sel:\n        Description: null\n    condition: sel", sysmon1(), true},
		{"null empty", "    sel:\n        Description: null\n    condition: sel", sysmon1("Description", ""), true},
		{"null present", "    sel:\n        Description: null\n    condition: sel", sysmon1("Description", "x"), false},
		{"not null", "    sel:\n        EventID: 1\n    filter:\n        Description: null\n    condition: sel and not filter", sysmon1("Description", "x"), true},
		// Multi-valued fields: a field matches if any value does.
		{"repeated field", "    sel:\n        Data: 'b'\n    condition: sel", sysmon1("Data", "a", "Data", "b"), true},
		// Field names compare without case and spaces ("Source Name" is SourceName).
		{"field name spaces", "    sel:\n        SourceName: 'Real-Time Protection'\n    condition: sel", sysmon1("Source Name", "Real-Time Protection"), true},
	}, Config{})
}

func TestModifiers(t *testing.T) {
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	runCases(t, []matchCase{
		{"contains", "    sel:\n        CommandLine|contains: 'whoami'\n    condition: sel", sysmon1("CommandLine", "cmd /c WHOAMI /all"), true},
		{"startswith", "    sel:\n        CommandLine|startswith: 'cmd'\n    condition: sel", sysmon1("CommandLine", "cmd /c x"), true},
		{"startswith not", "    sel:\n        CommandLine|startswith: 'cmd'\n    condition: sel", sysmon1("CommandLine", "x cmd"), false},
		{"endswith", "    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel", sysmon1("Image", `C:\Windows\cmd.exe`), true},
		{"endswith not", "    sel:\n        Image|endswith: '\\cmd.exe'\n    condition: sel", sysmon1("Image", `C:\Windows\cmd.exe.bak`), false},
		{"contains keeps wildcards", "    sel:\n        CommandLine|contains: 'a*c'\n    condition: sel", sysmon1("CommandLine", "xx abbbc yy"), true},
		// all: "lists of values are linked with AND".
		{"all", "    sel:\n        CommandLine|contains|all:\n            - 'a'\n            - 'b'\n    condition: sel", sysmon1("CommandLine", "b a"), true},
		{"all missing one", "    sel:\n        CommandLine|contains|all:\n            - 'a'\n            - 'b'\n    condition: sel", sysmon1("CommandLine", "a"), false},
		{"all one value", "    sel:\n        CommandLine|contains|all: 'a'\n    condition: sel", sysmon1("CommandLine", "xay"), true},
		{"all one value not", "    sel:\n        CommandLine|contains|all: 'a'\n    condition: sel", sysmon1("CommandLine", "xy"), false},
		// exists.
		{"exists true", "    sel:\n        ParentUser|exists: true\n    condition: sel", sysmon1("ParentUser", ""), true},
		{"exists true absent", "    sel:\n        ParentUser|exists: true\n    condition: sel", sysmon1(), false},
		{"exists false", "    sel:\n        ParentUser|exists: false\n    condition: sel", sysmon1(), true},
		{"exists false present", "    sel:\n        ParentUser|exists: false\n    condition: sel", sysmon1("ParentUser", "x"), false},
		// cased.
		{"cased", "    sel:\n        CommandLine|cased: 'ABC'\n    condition: sel", sysmon1("CommandLine", "ABC"), true},
		{"cased other case", "    sel:\n        CommandLine|cased: 'ABC'\n    condition: sel", sysmon1("CommandLine", "abc"), false},
		{"cased contains", "    sel:\n        CommandLine|contains|cased: 'Bc'\n    condition: sel", sysmon1("CommandLine", "aBcd"), true},
		// neq: different from the values.
		{"neq", "    sel:\n        IntegrityLevel|neq: 'System'\n    condition: sel", sysmon1("IntegrityLevel", "High"), true},
		{"neq equal", "    sel:\n        IntegrityLevel|neq: 'System'\n    condition: sel", sysmon1("IntegrityLevel", "SYSTEM"), false},
		{"neq list", "    sel:\n        IntegrityLevel|neq:\n            - 'System'\n            - 'High'\n    condition: sel", sysmon1("IntegrityLevel", "High"), false},
		{"neq absent", "    sel:\n        IntegrityLevel|neq: 'System'\n    condition: sel", sysmon1(), false},
		{"neq number", "    sel:\n        LogonType|neq: 3\n    condition: sel", sysmon1("LogonType", "10"), true},
		// windash: the five dash characters are interchangeable.
		{"windash hyphen", "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel", sysmon1("CommandLine", "p -enc x"), true},
		{"windash slash", "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel", sysmon1("CommandLine", "p /enc x"), true},
		{"windash en dash", "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel", sysmon1("CommandLine", "p –enc x"), true},
		{"windash em dash", "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel", sysmon1("CommandLine", "p —enc x"), true},
		{"windash horizontal bar", "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel", sysmon1("CommandLine", "p ―enc x"), true},
		{"windash other", "    sel:\n        CommandLine|windash|contains: ' -enc '\n    condition: sel", sysmon1("CommandLine", "p +enc x"), false},
		{"windash from slash", "    sel:\n        CommandLine|windash|contains: '/c'\n    condition: sel", sysmon1("CommandLine", "cmd -c x"), true},
		{"windash many dashes", "    sel:\n        CommandLine|windash|contains: '-a -b -c -d'\n    condition: sel", sysmon1("CommandLine", "x /a –b —c ―d"), true},
		{"without windash", "    sel:\n        CommandLine|contains: ' -enc '\n    condition: sel", sysmon1("CommandLine", "p /enc x"), false},
		// re, with i, m, s; case-sensitive by default.
		{"re", "    sel:\n        CommandLine|re: 'whoami\\s+/all'\n    condition: sel", sysmon1("CommandLine", "cmd /c whoami  /all"), true},
		// Anchored expressions of bounded length reject longer values early;
		// the answer must be the expression's own.
		{"re anchored fixed length", "    sel:\n        ServiceName|re: '^[A-Za-z0-9]{4}$'\n    condition: sel", sysmon1("ServiceName", "Ab12"), true},
		{"re anchored too long", "    sel:\n        ServiceName|re: '^[A-Za-z0-9]{4}$'\n    condition: sel", sysmon1("ServiceName", "Ab123"), false},
		{"re anchored runes not bytes", "    sel:\n        ServiceName|re: '^.{2}$'\n    condition: sel", sysmon1("ServiceName", "éé"), true},
		{"re anchored alternation", "    sel:\n        ServiceName|re: '^(ab|abcdef)$'\n    condition: sel", sysmon1("ServiceName", "abcdef"), true},
		{"re anchored multiline is not whole", "    sel:\n        ServiceName|re|m: '^ab$'\n    condition: sel", sysmon1("ServiceName", "xyz\nab"), true},
		{"re case-sensitive", "    sel:\n        CommandLine|re: 'whoami'\n    condition: sel", sysmon1("CommandLine", "WHOAMI"), false},
		{"re i", "    sel:\n        CommandLine|re|i: 'whoami'\n    condition: sel", sysmon1("CommandLine", "WHOAMI"), true},
		{"re m", "    sel:\n        CommandLine|re|m: '^b$'\n    condition: sel", sysmon1("CommandLine", "a\nb\nc"), true},
		{"re without m", "    sel:\n        CommandLine|re: '^b$'\n    condition: sel", sysmon1("CommandLine", "a\nb\nc"), false},
		{"re s", "    sel:\n        CommandLine|re|s: 'a.b'\n    condition: sel", sysmon1("CommandLine", "a\nb"), true},
		{"re without s", "    sel:\n        CommandLine|re: 'a.b'\n    condition: sel", sysmon1("CommandLine", "a\nb"), false},
		{"re unanchored", "    sel:\n        CommandLine|re: 'b'\n    condition: sel", sysmon1("CommandLine", "abc"), true},
		{"re run filter", "    sel:\n        CommandLine|re: '\\s[a-f0-9]{8}\\s'\n    condition: sel", sysmon1("CommandLine", "x 0123abcd y"), true},
		{"re run filter short", "    sel:\n        CommandLine|re: '\\s[a-f0-9]{8}\\s'\n    condition: sel", sysmon1("CommandLine", "x 0123abc y"), false},
		// base64 and base64offset.
		{"base64", "    sel:\n        CommandLine|base64: 'whoami'\n    condition: sel", sysmon1("CommandLine", enc("whoami")), true},
		{"base64 contains", "    sel:\n        CommandLine|base64|contains: 'whoami'\n    condition: sel", sysmon1("CommandLine", "powershell -e "+enc("whoami")), true},
		{"base64offset 0", "    sel:\n        CommandLine|base64offset|contains: 'whoami'\n    condition: sel", sysmon1("CommandLine", "-e "+enc("whoami /all")), true},
		{"base64offset 1", "    sel:\n        CommandLine|base64offset|contains: 'whoami'\n    condition: sel", sysmon1("CommandLine", "-e "+enc("xwhoami /all")), true},
		{"base64offset 2", "    sel:\n        CommandLine|base64offset|contains: 'whoami'\n    condition: sel", sysmon1("CommandLine", "-e "+enc("xywhoami /all")), true},
		{"base64offset absent", "    sel:\n        CommandLine|base64offset|contains: 'whoami'\n    condition: sel", sysmon1("CommandLine", "-e "+enc("xywhoever /all")), false},
		// utf16le / wide / utf16be / utf16, usually before base64.
		{"wide base64offset", "    sel:\n        CommandLine|wide|base64offset|contains: 'whoami'\n    condition: sel", sysmon1("CommandLine", "-enc "+enc(utf16Bytes("iex whoami", "utf16le"))), true},
		{"utf16le base64", "    sel:\n        CommandLine|utf16le|base64: 'ab'\n    condition: sel", sysmon1("CommandLine", enc("a\x00b\x00")), true},
		{"utf16be base64", "    sel:\n        CommandLine|utf16be|base64: 'ab'\n    condition: sel", sysmon1("CommandLine", enc("\x00a\x00b")), true},
		{"utf16 base64", "    sel:\n        CommandLine|utf16|base64: 'ab'\n    condition: sel", sysmon1("CommandLine", enc("\xff\xfea\x00b\x00")), true},
		// lt, lte, gt, gte.
		{"lt", "    sel:\n        TerminalSessionId|lt: 2\n    condition: sel", sysmon1("TerminalSessionId", "1"), true},
		{"lt equal", "    sel:\n        TerminalSessionId|lt: 2\n    condition: sel", sysmon1("TerminalSessionId", "2"), false},
		{"lte", "    sel:\n        TerminalSessionId|lte: 2\n    condition: sel", sysmon1("TerminalSessionId", "2"), true},
		{"gt", "    sel:\n        TerminalSessionId|gt: 2\n    condition: sel", sysmon1("TerminalSessionId", "3"), true},
		{"gte", "    sel:\n        TerminalSessionId|gte: 2\n    condition: sel", sysmon1("TerminalSessionId", "1"), false},
		{"gt hex value", "    sel:\n        GrantedAccess|gt: 4095\n    condition: sel", sysmon1("GrantedAccess", "0x1000"), true},
		{"gt not a number", "    sel:\n        GrantedAccess|gt: 1\n    condition: sel", sysmon1("GrantedAccess", "many"), false},
		// Time parts.
		{"hour", "    sel:\n        UtcTime|hour: 7\n    condition: sel", sysmon1("UtcTime", "2025-11-27 07:40:10.132"), true},
		{"hour gte", "    sel:\n        TimeCreated|hour|gte: 22\n    condition: sel", sysmon1("TimeCreated", "2024-02-07T23:11:12.1234567Z"), true},
		{"minute", "    sel:\n        TimeCreated|minute: 11\n    condition: sel", sysmon1("TimeCreated", "2024-02-07T23:11:12.1234567Z"), true},
		{"day", "    sel:\n        TimeCreated|day: 7\n    condition: sel", sysmon1("TimeCreated", "2024-02-07T23:11:12.1234567Z"), true},
		{"week", "    sel:\n        TimeCreated|week: 6\n    condition: sel", sysmon1("TimeCreated", "2024-02-07T23:11:12.1234567Z"), true},
		{"month", "    sel:\n        TimeCreated|month: 2\n    condition: sel", sysmon1("TimeCreated", "2024-02-07T23:11:12.1234567Z"), true},
		{"year", "    sel:\n        TimeCreated|year|lt: 2025\n    condition: sel", sysmon1("TimeCreated", "2024-02-07T23:11:12.1234567Z"), true},
		{"time part of no date", "    sel:\n        TimeCreated|year: 2024\n    condition: sel", sysmon1("TimeCreated", "yesterday"), false},
		// cidr, IPv4 and IPv6.
		{"cidr v4", "    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel", sysmon1("DestinationIp", "10.1.2.3"), true},
		{"cidr v4 out", "    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel", sysmon1("DestinationIp", "11.1.2.3"), false},
		{"cidr v6", "    sel:\n        DestinationIp|cidr: 'fe80::/10'\n    condition: sel", sysmon1("DestinationIp", "fe80::1:2"), true},
		{"cidr v6 out", "    sel:\n        DestinationIp|cidr: 'fc00::/7'\n    condition: sel", sysmon1("DestinationIp", "fe80::1"), false},
		{"cidr v6 loopback", "    sel:\n        DestinationIp|cidr: '::1/128'\n    condition: sel", sysmon1("DestinationIp", "::1"), true},
		{"cidr v4-mapped", "    sel:\n        DestinationIp|cidr: '127.0.0.0/8'\n    condition: sel", sysmon1("DestinationIp", "::ffff:127.0.0.1"), true},
		{"cidr not an address", "    sel:\n        DestinationIp|cidr: '10.0.0.0/8'\n    condition: sel", sysmon1("DestinationIp", "-"), false},
		{"cidr list", "    sel:\n        DestinationIp|cidr:\n            - '10.0.0.0/8'\n            - '192.168.0.0/16'\n    condition: sel", sysmon1("DestinationIp", "192.168.1.1"), true},
		// fieldref, alone and with neq, startswith, endswith, contains.
		{"fieldref", "    sel:\n        Image|fieldref: ParentImage\n    condition: sel", sysmon1("Image", `C:\a.exe`, "ParentImage", `c:\A.EXE`), true},
		{"fieldref differ", "    sel:\n        Image|fieldref: ParentImage\n    condition: sel", sysmon1("Image", `C:\a.exe`, "ParentImage", `c:\b.exe`), false},
		{"fieldref neq", "    sel:\n        TargetUserName|fieldref|neq: SubjectUserName\n    condition: sel", sysmon1("TargetUserName", "bob", "SubjectUserName", "alice"), true},
		{"fieldref neq equal", "    sel:\n        TargetUserName|fieldref|neq: SubjectUserName\n    condition: sel", sysmon1("TargetUserName", "bob", "SubjectUserName", "BOB"), false},
		{"fieldref neq absent", "    sel:\n        TargetUserName|fieldref|neq: SubjectUserName\n    condition: sel", sysmon1("TargetUserName", "bob"), false},
		{"fieldref endswith", "    sel:\n        TargetFilename|fieldref|endswith: Name\n    condition: sel", sysmon1("TargetFilename", `c:\x\evil.exe`, "Name", "evil.exe"), true},
		{"fieldref startswith", "    sel:\n        TargetFilename|fieldref|startswith: Dir\n    condition: sel", sysmon1("TargetFilename", `c:\x\evil.exe`, "Dir", `c:\x`), true},
		{"fieldref contains", "    sel:\n        CommandLine|fieldref|contains: Image\n    condition: sel", sysmon1("CommandLine", `"c:\a.exe" /x`, "Image", `C:\A.exe`), true},
		{"fieldref cased", "    sel:\n        Image|fieldref|cased: ParentImage\n    condition: sel", sysmon1("Image", `C:\a.exe`, "ParentImage", `c:\A.EXE`), false},
	}, Config{})
}

func TestKeywords(t *testing.T) {
	runCases(t, []matchCase{
		// "strings that are applied to the full log message"
		{"keyword", "    keywords:\n        - 'event::clear'\n        - 'event::drop'\n    condition: keywords", sysmon1("CommandLine", "mimikatz event::drop"), true},
		{"keyword any field", "    keywords:\n        - 'sekurlsa'\n    condition: keywords", sysmon1("Description", "a SEKURLSA b"), true},
		{"keyword none", "    keywords:\n        - 'sekurlsa'\n    condition: keywords", sysmon1("Description", "nothing"), false},
		// "To have a and operator, we use the '|all': modifier"
		{"keyword all", "    keywords:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n    condition: keywords", sysmon1("CommandLine", "Set-OabVirtualDirectory -ExternalUrl http://x"), true},
		{"keyword all in two fields", "    keywords:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n    condition: keywords", sysmon1("CommandLine", "Set-OabVirtualDirectory", "Details", "a -ExternalUrl b"), true},
		{"keyword all missing", "    keywords:\n        '|all':\n            - 'OabVirtualDirectory'\n            - ' -ExternalUrl '\n    condition: keywords", sysmon1("CommandLine", "Set-OabVirtualDirectory"), false},
		{"keyword scalar", "    keywords: 'whoami'\n    condition: keywords", sysmon1("CommandLine", "whoami"), true},
		{"keyword wildcard", "    keywords:\n        - 'who*all'\n    condition: keywords", sysmon1("CommandLine", "cmd whoami /all now"), true},
		{"keyword number", "    keywords:\n        - 4104\n    condition: keywords", sysmon1("Data", "x 4104 y"), true},
		{"keyword and field", "    keywords:\n        - 'sekurlsa'\n    sel:\n        Image|endswith: '\\a.exe'\n    condition: keywords and sel", sysmon1("Image", `c:\a.exe`, "CommandLine", "sekurlsa::logonpasswords"), true},
	}, Config{})
}

func TestConditions(t *testing.T) {
	e := sysmon1("A", "1", "B", "2", "C", "3")
	det := func(cond string) string {
		return "    sel_a:\n        A: 1\n    sel_b:\n        B: 2\n    sel_x:\n        B: 9\n    filter_c:\n        C: 3\n    filter_z:\n        C: 9\n    _hidden:\n        A: 7\n    condition: " + cond + "\n"
	}
	cases := []struct {
		cond string
		want bool
	}{
		{"sel_a", true},
		{"sel_x", false},
		{"sel_a and sel_b", true},
		{"sel_a and sel_x", false},
		{"sel_x or sel_b", true},
		{"not sel_x", true},
		{"not sel_a", false},
		{"sel_a and not sel_x", true},
		{"sel_a and (sel_x or filter_c)", true},
		{"(sel_a and sel_x) or filter_z", false},
		// Precedence: or < and < not.
		{"sel_x and sel_a or sel_b", true}, // (x and a) or b
		{"sel_b or sel_a and sel_x", true}, // b or (a and x)
		{"not sel_a or sel_b", true},       // (not a) or b
		{"not sel_a and sel_b", false},     // (not a) and b
		{"not (sel_a and sel_x)", true},
		{"1 of sel_*", true},
		{"all of sel_*", false},
		{"all of sel_a*", true},
		{"1 of filter*", true},
		{"all of filter_*", false},
		{"1 of sel_* and not 1 of filter_*", false},
		{"1 of sel_* and not all of filter_*", true},
		{"all of *_a", true},
		{"1 of *x*", false}, // only sel_x matches the pattern, and it is false
		// them: all search identifiers not starting with _.
		{"1 of them", true},
		{"all of them", false},
		// An explicit pattern starting with _ reaches the hidden searches.
		{"1 of _hid*", false},
		{"2 of sel_*", true},
		{"3 of sel_*", false},
		// Keywords are case-insensitive.
		{"sel_a AND NOT sel_x", true},
	}
	for _, c := range cases {
		t.Run(c.cond, func(t *testing.T) {
			rs := compileOne(t, ruleFor(det(c.cond)), Config{})
			if got := matches(t, rs, e); got != c.want {
				t.Errorf("%s = %v, want %v", c.cond, got, c.want)
			}
		})
	}
	t.Run("all of them with hidden", func(t *testing.T) {
		src := ruleFor("    sel:\n        A: 1\n    _filter:\n        A: 2\n    condition: all of them\n")
		if !matches(t, compileOne(t, src, Config{}), e) {
			t.Error("all of them must not include _filter")
		}
	})
	t.Run("1 of them only hidden true", func(t *testing.T) {
		src := ruleFor("    sel:\n        A: 5\n    _other:\n        A: 1\n    condition: 1 of them\n")
		if matches(t, compileOne(t, src, Config{}), e) {
			t.Error("1 of them must not include _other")
		}
	})
	t.Run("list of conditions", func(t *testing.T) {
		src := ruleFor("    sel_a:\n        A: 5\n    sel_b:\n        B: 2\n    condition:\n        - sel_a\n        - sel_b\n")
		if !matches(t, compileOne(t, src, Config{}), e) {
			t.Error("a list of conditions is an OR")
		}
	})
}

func TestPlaceholders(t *testing.T) {
	det := "    sel:\n        User|expand: '%Administrators%'\n    condition: sel\n"
	c, err := Parse("test.yml", []byte(ruleFor(det)))
	if err != nil {
		t.Fatal(err)
	}
	// Without values: unusable, for that reason.
	rs, err := Compile(c.Rules, Config{})
	if err == nil || rs.Len() != 0 || len(rs.Unusable()) != 1 {
		t.Fatalf("want the rule unusable without values, got %v", err)
	}
	if !errorsIs(rs.Unusable()[0].Err, ErrPlaceholder) || !strings.Contains(err.Error(), "%Administrators%") {
		t.Errorf("reason = %v", rs.Unusable()[0].Err)
	}
	rs = compileOne(t, ruleFor(det), Config{Placeholders: map[string][]string{"Administrators": {"adm_*", "root"}}})
	for _, c := range []struct {
		user string
		want bool
	}{{"ADM_bob", true}, {"root", true}, {"bob", false}} {
		if got := matches(t, rs, sysmon1("User", c.user)); got != c.want {
			t.Errorf("User %q: %v, want %v", c.user, got, c.want)
		}
	}
	// Without expand, %name% is literal text.
	rs = compileOne(t, ruleFor("    sel:\n        CommandLine|contains: '%ProgramData%'\n    condition: sel\n"), Config{})
	if !matches(t, rs, sysmon1("CommandLine", `copy x %programdata%\y`)) {
		t.Error("%ProgramData% without expand is literal")
	}
	// An escaped percent sign stays literal under expand.
	rs = compileOne(t, ruleFor("    sel:\n        CommandLine|expand: '\\%plain%name%'\n    condition: sel\n"), Config{Placeholders: map[string][]string{"name": {"X"}}})
	if !matches(t, rs, sysmon1("CommandLine", "%plainX")) {
		t.Error(`an escaped percent sign is literal under expand`)
	}
}

func errorsIs(err, target error) bool {
	for err != nil {
		if err == target {
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}
