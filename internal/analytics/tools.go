package analytics

import (
	"strings"
)

// toolName returns the catalogue name of the program at path (a full path
// or a bare name, any case, with or without .exe), or "" when it is not a
// tool analytics follow. It allocates nothing: the name comes from the
// switch's constants.
func toolName(path string) string {
	if i := strings.LastIndexAny(path, `\/`); i >= 0 {
		path = path[i+1:]
	}
	if len(path) > 4 && strings.EqualFold(path[len(path)-4:], ".exe") {
		path = path[:len(path)-4]
	}
	if len(path) == 0 || len(path) > 16 {
		return ""
	}
	var b [16]byte
	for i := 0; i < len(path); i++ {
		c := path[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b[:len(path)]) {
	case "wmic":
		return "wmic"
	case "ntdsutil":
		return "ntdsutil"
	case "netsh":
		return "netsh"
	case "vssadmin":
		return "vssadmin"
	case "reg":
		return "reg"
	case "certutil":
		return "certutil"
	case "ldifde":
		return "ldifde"
	case "csvde":
		return "csvde"
	case "dsquery":
		return "dsquery"
	case "nltest":
		return "nltest"
	case "rar", "winrar":
		return "rar"
	case "7z", "7za", "7zr", "7zg":
		return "7z"
	case "makecab":
		return "makecab"
	case "tar":
		return "tar"
	case "powershell", "pwsh", "powershell_ise":
		return "powershell"
	case "cmd":
		return "cmd"
	case "net", "net1":
		return "net"
	case "whoami":
		return "whoami"
	case "systeminfo":
		return "systeminfo"
	case "tasklist":
		return "tasklist"
	case "ipconfig":
		return "ipconfig"
	case "arp":
		return "arp"
	case "netstat":
		return "netstat"
	case "route":
		return "route"
	case "hostname":
		return "hostname"
	case "quser", "qwinsta", "query":
		return "quser"
	case "dnscmd":
		return "dnscmd"
	case "wevtutil":
		return "wevtutil"
	case "esentutl":
		return "esentutl"
	case "xcopy":
		return "xcopy"
	case "robocopy":
		return "robocopy"
	case "schtasks":
		return "schtasks"
	case "sc":
		return "sc"
	case "bitsadmin":
		return "bitsadmin"
	case "curl":
		return "curl"
	case "ping":
		return "ping"
	case "nslookup":
		return "nslookup"
	case "diskshadow":
		return "diskshadow"
	case "rundll32":
		return "rundll32"
	case "adfind":
		return "adfind"
	case "nbtstat":
		return "nbtstat"
	case "procdump", "procdump64":
		return "procdump"
	case "ftp":
		return "ftp"
	case "del", "erase":
		return "del"
	case "rd", "rmdir":
		return "rd"
	case "copy":
		return "copy"
	case "move":
		return "move"
	case "dir":
		return "dir"
	case "mkdir", "md":
		return "mkdir"
	case "type":
		return "type"
	case "sdelete", "sdelete64":
		return "sdelete"
	case "mshta":
		return "mshta"
	case "regsvr32":
		return "regsvr32"
	}
	return ""
}

// stacked reports whether runs of a tool are stacked for rarity and
// first-seen. Shells are too common to stack as a whole: cmd counts only in
// the quiet form remote execution tools use (cmd /Q /c), and rundll32 only
// when it loads comsvcs (the LSASS dump).
func stacked(tool, lower string) bool {
	switch tool {
	case "", "del", "rd", "copy", "move", "dir", "mkdir", "type":
		return false
	case "cmd":
		return strings.Contains(lower, "/q")
	case "rundll32":
		return strings.Contains(lower, "comsvcs")
	}
	return true
}

// Kinds of steps a process execution can be, for sequences.
const (
	stepRecon   = 1 << iota // a discovery command (D21-D26)
	stepCredSrc             // a credential store copied: shadow copy, ntdsutil, hive save, LSASS dump (D09, D12-D14)
	stepArchive             // an archive made (D32, D33)
	stepOffHost             // a copy to or from another host's share, an upload (D31)
	stepStage               // something written to or read from a staging folder (D34)
	stepCleanup             // something deleted (D41)
)

// stepInfo is what one command line says for sequences.
type stepInfo struct {
	kinds  uint8
	recon  []string // labels of the recon commands, "net group", "whoami"
	cred   string   // what credential copy
	paths  []string // local paths a credential copy or an archive names
	staged []string // staging paths touched
	clean  []string // paths deleted

	// An off-host copy: the other host (short name, "" for a URL), whether
	// the copy goes out to it (push) or comes from it (pull), and the local
	// path of what is copied (for a pull from an administrative share, the
	// path on the other host).
	remote  string
	push    bool
	offPath string
}

// stagingRoots are the world-writable folders the actor staged in, lower
// case with a trailing backslash.
func stagingRoots() [3]string {
	return [...]string{`c:\windows\temp\`, `c:\users\public\`, `c:\perflogs\`}
}

// classify reads one command line (lower case) of a tool. A cmd line is
// split into the commands it chains; each is classified on its own.
func classify(tool, lower, cwd string) stepInfo {
	var si stepInfo
	if tool == "cmd" {
		rest := cmdPayload(lower)
		for _, seg := range splitCommands(rest) {
			seg = strings.TrimSpace(seg)
			w := firstWord(seg)
			sub := toolName(strings.Trim(w, `"`))
			if sub == "" || sub == "cmd" {
				continue
			}
			si.add(tool, sub, seg, cwd)
		}
		return si
	}
	si.add("", tool, lower, cwd)
	return si
}

// cmdPayload returns what cmd /c (or /k) runs.
func cmdPayload(lower string) string {
	s := lower[skipProgram(lower):]
	for {
		s = strings.TrimLeft(s, " \t")
		if len(s) < 2 || s[0] != '/' {
			return strings.Trim(s, `"`)
		}
		sw := s[1]
		end := strings.IndexAny(s, " \t")
		if end < 0 {
			end = len(s)
		}
		s = s[end:]
		if sw == 'c' || sw == 'k' || sw == 'r' {
			return strings.Trim(strings.TrimSpace(s), `"`)
		}
	}
}

// splitCommands splits a cmd payload on &, && , | and ||, outside quotes.
func splitCommands(s string) []string {
	var out []string
	inQ := false
	start := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			inQ = !inQ
		case !inQ && (c == '&' || c == '|'):
			// "2>&1" is a redirection, not a new command.
			if c == '&' && i > 0 && s[i-1] == '>' {
				continue
			}
			out = append(out, s[start:i])
			for i+1 < len(s) && (s[i+1] == '&' || s[i+1] == '|') {
				i++
			}
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func firstWord(s string) string {
	s = strings.TrimLeft(s, " \t@")
	if strings.HasPrefix(s, `"`) {
		if j := strings.IndexByte(s[1:], '"'); j >= 0 {
			return s[:j+2]
		}
	}
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		return s[:i]
	}
	return s
}

// args returns the words after the first.
func args(s string) []string {
	f := strings.Fields(s)
	if len(f) <= 1 {
		return nil
	}
	return f[1:]
}

// add classifies one command, of tool, whose text is seg.
func (si *stepInfo) add(shell, tool, seg, cwd string) {
	a := args(seg)
	arg0 := ""
	if len(a) > 0 {
		arg0 = a[0]
	}
	has := func(s string) bool { return strings.Contains(seg, s) }
	recon := func(label string) {
		si.kinds |= stepRecon
		si.recon = append(si.recon, label)
	}
	cred := func(what string) {
		si.kinds |= stepCredSrc
		si.cred = what
		si.paths = append(si.paths, pathsIn(seg)...)
	}
	archive := func() {
		si.kinds |= stepArchive
		si.paths = append(si.paths, pathsIn(seg)...)
	}
	switch tool {
	case "systeminfo", "tasklist", "whoami", "hostname", "ipconfig", "arp", "netstat", "quser", "nltest",
		"dsquery", "ldifde", "csvde", "adfind", "nbtstat":
		recon(tool)
	case "route":
		if has("print") {
			recon("route print")
		}
	case "dnscmd":
		if has("/enum") {
			recon("dnscmd enum")
		}
	case "ping":
		recon("ping")
	case "net":
		switch arg0 {
		case "user", "group", "localgroup", "view", "share", "accounts", "session", "config", "time":
			recon("net " + arg0)
		case "start":
			if len(a) == 1 {
				recon("net start")
			}
		}
	case "wmic":
		switch {
		case has("shadowcopy") && has("create"):
			cred("shadow copy (wmic)")
		case has(" get") || has(" list") || has(" where"):
			recon("wmic query")
		}
	case "netsh":
		if has(" show") || has(" dump") {
			recon("netsh show")
		}
	case "reg":
		switch {
		case arg0 == "query":
			recon("reg query")
		case (arg0 == "save" || arg0 == "export") && savesHive(seg):
			cred("registry hive saved")
		}
	case "vssadmin":
		switch {
		case has("create shadow"):
			cred("shadow copy (vssadmin)")
		case has("list shadows"):
			recon("vssadmin list")
		}
	case "ntdsutil":
		if has("ifm") || has("ac i ntds") || has("activate instance ntds") || has("snapshot") {
			cred("ntdsutil install from media")
		}
	case "esentutl":
		if has("/vss") || has("ntds.dit") || has(`\config\sam`) || has(`\config\system`) {
			cred("esentutl copy of a locked database")
		}
	case "diskshadow":
		cred("shadow copy (diskshadow)")
	case "rundll32":
		if has("comsvcs") && has("minidump") {
			cred("LSASS dump (comsvcs)")
		}
	case "procdump":
		if has("lsass") {
			cred("LSASS dump (procdump)")
		}
	case "rar", "7z":
		if arg0 == "a" || arg0 == "u" {
			archive()
		}
	case "makecab":
		archive()
	case "tar":
		if strings.HasPrefix(arg0, "-") && strings.ContainsAny(arg0, "ca") {
			archive()
		}
	case "powershell":
		switch {
		case has("get-eventlog") || has("get-winevent"):
			recon("powershell get-eventlog")
		case has("get-wmiobject") || has("get-ciminstance") || has("gwmi "):
			recon("powershell wmi query")
		case has("get-aduser") || has("get-adcomputer") || has("get-adgroupmember") || has("get-addomain"):
			recon("powershell ad query")
		}
		if has("win32_shadowcopy") && has("create") {
			cred("shadow copy (powershell)")
		}
		if has("compress-archive") {
			archive()
		}
		if has("remove-item") {
			si.kinds |= stepCleanup
			si.clean = append(si.clean, pathsIn(seg)...)
		}
		if has("copy-item") || has("move-item") {
			si.psCopy(a, cwd)
		}
	case "dir":
		if has("/s") {
			recon("dir /s")
		}
	case "del", "rd", "sdelete":
		si.kinds |= stepCleanup
		for _, p := range a {
			if strings.HasPrefix(p, "/") || strings.HasPrefix(p, "-") {
				continue
			}
			si.clean = append(si.clean, absPath(strings.Trim(p, `"`), cwd))
		}
		return
	case "copy", "move", "xcopy", "robocopy":
		var ends []string
		for _, p := range a {
			if !strings.HasPrefix(p, "/") {
				ends = append(ends, strings.Trim(p, `"`))
			}
		}
		if len(ends) >= 2 {
			src, dst := ends[0], ends[len(ends)-1]
			if tool == "robocopy" {
				dst = ends[1]
			}
			si.copyEnds(src, dst, cwd)
		}
	case "curl":
		if has(" -t ") || has("--upload-file") || has(" -f ") || has("--form") {
			si.upload(seg)
		}
	case "ftp":
		si.upload(seg)
	}
	// Copying a database out of a shadow copy, whatever does it.
	if has("harddiskvolumeshadowcopy") && (has("ntds.dit") || has(`\config\s`)) {
		cred("copy out of a shadow copy")
	}
	if ps := stagingPaths(seg); len(ps) > 0 {
		si.kinds |= stepStage
		si.staged = append(si.staged, ps...)
	}
}

// copyEnds reads a copy from src to dst: out to another host's share
// (push), or in from one (pull).
func (si *stepInfo) copyEnds(src, dst, cwd string) {
	if h := uncHost(dst); h != "" {
		si.kinds |= stepOffHost
		si.remote, si.push, si.offPath = h, true, absPath(src, cwd)
		return
	}
	if h := uncHost(src); h != "" {
		si.kinds |= stepOffHost
		si.remote, si.push, si.offPath = h, false, localOfUNC(src)
	}
}

// psCopy reads PowerShell's Copy-Item and Move-Item: a share after
// -Destination is a push, any other a pull.
func (si *stepInfo) psCopy(args []string, cwd string) {
	var src, dst string
	for i, w := range args {
		w = strings.Trim(w, `"'`)
		switch {
		case i > 0 && strings.HasPrefix(args[i-1], "-dest"):
			dst = w
		case strings.HasPrefix(w, "-"):
		case src == "" && (strings.HasPrefix(w, `\\`) || len(w) > 2 && w[1] == ':'):
			src = w
		}
	}
	if dst != "" && src != "" {
		si.copyEnds(src, dst, cwd)
	}
}

// upload reads an upload to a URL (curl -T, ftp): a push whose local path
// is the first one the command names.
func (si *stepInfo) upload(seg string) {
	si.kinds |= stepOffHost
	si.push = true
	if ps := pathsIn(seg); len(ps) > 0 {
		si.offPath = ps[0]
	}
}

// uncHost returns the host of a UNC path that is not the local host, short
// and lower case, or "".
func uncHost(p string) string {
	if !strings.HasPrefix(p, `\\`) {
		return ""
	}
	h := p[2:]
	if i := strings.IndexByte(h, '\\'); i >= 0 {
		h = h[:i]
	}
	switch h {
	case "", "?", ".", "127.0.0.1", "localhost", "::1":
		return ""
	}
	return shortHost(h)
}

// localOfUNC turns a path on an administrative share into the path on its
// host: \\h\c$\x → c:\x, \\h\admin$\x → c:\windows\x. Other shares
// keep their UNC path.
func localOfUNC(p string) string {
	rest := p[2:]
	i := strings.IndexByte(rest, '\\')
	if i < 0 {
		return p
	}
	share, tail, _ := strings.Cut(rest[i+1:], `\`)
	switch {
	case len(share) == 2 && share[1] == '$' && isLetter(share[0]):
		return strings.TrimRight(string(share[0])+`:\`+tail, `\`)
	case share == "admin$":
		return strings.TrimRight(`c:\windows\`+tail, `\`)
	}
	return p
}

// related reports whether an off-host copy moves a chain's material: a
// file in a staging folder, next to or under what the copy or archive
// steps wrote, or a file of the kind the actor stages.
func related(p string, material []string) bool {
	if p == "" {
		return false
	}
	if i := strings.IndexByte(p, '*'); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimRight(p, `\`)
	if underStaging(p) || stagedName(p) {
		return true
	}
	dir := func(s string) string {
		if i := strings.LastIndexByte(s, '\\'); i > 0 {
			return s[:i]
		}
		return s
	}
	for _, m := range material {
		m = strings.TrimRight(m, `\`)
		if p == m || strings.HasPrefix(p, m+`\`) || strings.HasPrefix(m, p+`\`) || dir(p) == dir(m) {
			return true
		}
	}
	return false
}

// savesHive reports whether a reg save or export names a hive that holds
// credentials.
func savesHive(seg string) bool {
	for _, h := range [...]string{`hklm\sam`, `hklm\system`, `hklm\security`,
		`hkey_local_machine\sam`, `hkey_local_machine\system`, `hkey_local_machine\security`} {
		if i := strings.Index(seg, h); i >= 0 {
			rest := seg[i+len(h):]
			// HKLM\SYSTEM itself, not HKLM\SYSTEM\CurrentControlSet\...
			if rest == "" || rest[0] == ' ' || rest[0] == '"' {
				return true
			}
		}
	}
	return false
}

// stagingPaths returns the paths in seg under a staging folder.
func stagingPaths(seg string) []string {
	var out []string
	for _, root := range stagingRoots() {
		for off := 0; ; {
			i := strings.Index(seg[off:], root)
			if i < 0 {
				break
			}
			i += off
			j := i + len(root)
			for j < len(seg) && !strings.ContainsRune(" \"'<>|&,;", rune(seg[j])) {
				j++
			}
			p := strings.TrimRight(seg[i:j], `\`)
			if len(p) > len(root)-1 {
				out = append(out, p)
			}
			off = j
		}
	}
	return out
}

// pathsIn returns the absolute paths in seg, for cleanup commands.
func pathsIn(seg string) []string {
	var out []string
	for _, w := range strings.Fields(seg) {
		w = strings.Trim(w, `"'`)
		if len(w) > 3 && w[1] == ':' && w[2] == '\\' {
			out = append(out, strings.TrimRight(w, `\`))
		}
	}
	return out
}

// absPath makes a path absolute against the working directory, when it is
// relative and the directory is known.
func absPath(p, cwd string) string {
	p = strings.TrimRight(p, `\`)
	if len(p) > 2 && p[1] == ':' || strings.HasPrefix(p, `\\`) || cwd == "" {
		return p
	}
	return strings.TrimRight(strings.ToLower(cwd), `\`) + `\` + p
}

// underStaging reports whether a path is in a staging folder.
func underStaging(p string) bool {
	for _, root := range stagingRoots() {
		if strings.HasPrefix(p, root) {
			return true
		}
	}
	return false
}
