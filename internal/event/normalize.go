package event

import (
	"strconv"
	"strings"
	"time"
)

// This file holds the renderings that readers of text exports (JSON, XML)
// share: they see System values as text, in whatever shape the exporting
// tool chose, and must turn them into the canonical rendering the EVTX reader
// produces from the binary record. The helpers work on bytes and append to a
// caller's buffer so that a reader can render a whole event without
// allocating per field.

// AppendSystemValue appends the canonical rendering of v, the text of the
// System field with canonical name name, to dst:
//   - GUIDs (Provider_Guid, Correlation_*) as {XXXXXXXX-...} in upper case,
//     with or without braces in v;
//   - TimeCreated as RFC 3339 UTC with seven fraction digits (a zone-less
//     time is taken as UTC);
//   - Keywords as 0x followed by lower-case hex digits; a decimal v, signed
//     (as NXLog writes the 64-bit mask) or not, is converted;
//   - everything else with white space trimmed on both sides, since no System
//     value has meaningful surrounding spaces and pretty-printed XML adds them.
//
// A value that does not have the expected shape is appended trimmed, so no
// information is lost.
func AppendSystemValue(dst []byte, name string, v []byte) []byte {
	v = trimSpaceBytes(v)
	switch name {
	case FieldProviderGUID, FieldActivityID, FieldRelActivityID:
		if out, ok := AppendGUID(dst, v); ok {
			return out
		}
	case FieldTimeCreated:
		if t, _, ok := ParseTimeBytes(v); ok {
			return AppendTime(dst, t)
		}
	case FieldKeywords:
		if out, ok := appendKeywords(dst, v); ok {
			return out
		}
	}
	return append(dst, v...)
}

// AppendKeywords appends the canonical rendering of a Keywords mask.
func AppendKeywords(dst []byte, mask uint64) []byte {
	dst = append(dst, "0x"...)
	return strconv.AppendUint(dst, mask, 16)
}

// appendKeywords renders a Keywords value given as hex (any case) or as a
// decimal number, signed or unsigned.
func appendKeywords(dst []byte, v []byte) ([]byte, bool) {
	if len(v) > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X') {
		n, ok := parseHex64(v[2:])
		if !ok {
			return dst, false
		}
		return AppendKeywords(dst, n), true
	}
	neg := len(v) > 0 && v[0] == '-'
	digits := v
	if neg {
		digits = v[1:]
	}
	if len(digits) == 0 || len(digits) > 20 {
		return dst, false
	}
	var n uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return dst, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return dst, false // overflow
		}
		n = n*10 + d
	}
	if neg {
		// A negative number is the two's-complement reading of the mask,
		// as NXLog and other collectors with signed integers write it.
		if n > 1<<63 {
			return dst, false
		}
		n = -n
	}
	return AppendKeywords(dst, n), true
}

func parseHex64(h []byte) (uint64, bool) {
	if len(h) == 0 || len(h) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range h {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return n, true
}

// AppendGUID appends v as Windows renders a GUID, {XXXXXXXX-XXXX-XXXX-XXXX-
// XXXXXXXXXXXX} in upper case, when v is a GUID with or without braces. It
// returns dst unchanged and false otherwise.
func AppendGUID(dst []byte, v []byte) ([]byte, bool) {
	core := v
	if len(core) == 38 && core[0] == '{' && core[37] == '}' {
		core = core[1:37]
	}
	if len(core) != 36 {
		return dst, false
	}
	var b [38]byte
	b[0], b[37] = '{', '}'
	for i, c := range core {
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return dst, false
			}
		default:
			switch {
			case '0' <= c && c <= '9', 'A' <= c && c <= 'F':
			case 'a' <= c && c <= 'f':
				c -= 'a' - 'A'
			default:
				return dst, false
			}
		}
		b[i+1] = c
	}
	return append(dst, b[:]...), true
}

// ParseTimeBytes reads the time renderings found in exports, like ParseTime,
// from bytes and without allocating: "2006-01-02T15:04:05.9999999Z",
// "2006-01-02 15:04:05.000", with any number of fraction digits (more than
// nine are truncated), and with an optional zone: Z, ±hh:mm, ±hhmm or ±hh,
// possibly after a space. zoned says whether v carried a zone; a zone-less
// time is returned as if it were UTC, and a caller that knows better (NXLog's
// collector-local times) corrects it.
func ParseTimeBytes(v []byte) (t time.Time, zoned, ok bool) {
	if len(v) < 19 || v[4] != '-' || v[7] != '-' || (v[10] != 'T' && v[10] != 't' && v[10] != ' ') ||
		v[13] != ':' || v[16] != ':' {
		return time.Time{}, false, false
	}
	year, ok1 := digits(v[0:4])
	month, ok2 := digits(v[5:7])
	day, ok3 := digits(v[8:10])
	hour, ok4 := digits(v[11:13])
	minute, ok5 := digits(v[14:16])
	sec, ok6 := digits(v[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 ||
		hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, false, false
	}
	rest := v[19:]
	nsec := 0
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		i := 1
		scale := 100000000
		for i < len(rest) && '0' <= rest[i] && rest[i] <= '9' {
			nsec += int(rest[i]-'0') * scale
			scale /= 10
			i++
		}
		if i == 1 {
			return time.Time{}, false, false
		}
		rest = rest[i:]
	}
	if len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
		if len(rest) == 0 {
			return time.Time{}, false, false
		}
	}
	offset := 0
	switch {
	case len(rest) == 0:
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
		zoned = true
	case len(rest) == 3 && string(rest) == "UTC":
		zoned = true
	case rest[0] == '+' || rest[0] == '-':
		var oh, om int
		var okh, okm bool
		switch len(rest) {
		case 3: // +hh
			oh, okh = digits(rest[1:3])
			okm = true
		case 5: // +hhmm
			oh, okh = digits(rest[1:3])
			om, okm = digits(rest[3:5])
		case 6: // +hh:mm
			if rest[3] != ':' {
				return time.Time{}, false, false
			}
			oh, okh = digits(rest[1:3])
			om, okm = digits(rest[4:6])
		}
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false, false
		}
		offset = (oh*60 + om) * 60
		if rest[0] == '-' {
			offset = -offset
		}
		zoned = true
	default:
		return time.Time{}, false, false
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 31 February and the like
		return time.Time{}, false, false
	}
	if offset != 0 {
		t = t.Add(-time.Duration(offset) * time.Second)
	}
	return t, zoned, true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func trimSpaceBytes(v []byte) []byte {
	for len(v) > 0 && isSpace(v[0]) {
		v = v[1:]
	}
	for len(v) > 0 && isSpace(v[len(v)-1]) {
		v = v[:len(v)-1]
	}
	return v
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// CanonicalChannel returns the Windows spelling of a well-known channel name
// given in any letter case ("security" → "Security"), and s itself for any
// other name. Collectors that let users type channel names (NXLog, Winlogbeat)
// pass the user's spelling on; rules and the EVTX reader see Windows' own.
func CanonicalChannel(s string) string {
	for _, c := range wellKnownChannels {
		if len(c) == len(s) && strings.EqualFold(c, s) {
			return c
		}
	}
	return s
}

// AppendCanonicalChannel appends the channel name v, trimmed, with the
// spelling of CanonicalChannel.
func AppendCanonicalChannel(dst, v []byte) []byte {
	v = trimSpaceBytes(v)
	for _, c := range wellKnownChannels {
		if len(c) == len(v) && equalFoldASCII(c, v) {
			return append(dst, c...)
		}
	}
	return append(dst, v...)
}

func equalFoldASCII(s string, b []byte) bool {
	for i := 0; i < len(s); i++ {
		x, y := s[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// wellKnownChannels is read-only: the channels the public rule sets name,
// spelled as Windows spells them.
var wellKnownChannels = [...]string{
	"Security",
	"System",
	"Application",
	"Setup",
	"ForwardedEvents",
	"Windows PowerShell",
	"PowerShellCore/Operational",
	"Microsoft-Windows-Sysmon/Operational",
	"Microsoft-Windows-PowerShell/Operational",
	"Microsoft-Windows-TaskScheduler/Operational",
	"Microsoft-Windows-Windows Defender/Operational",
	"Microsoft-Windows-WMI-Activity/Operational",
	"Microsoft-Windows-TerminalServices-LocalSessionManager/Operational",
	"Microsoft-Windows-TerminalServices-RemoteConnectionManager/Operational",
	"Microsoft-Windows-RemoteDesktopServices-RdpCoreTS/Operational",
	"Microsoft-Windows-Bits-Client/Operational",
	"Microsoft-Windows-DNS-Client/Operational",
	"Microsoft-Windows-DNSServer/Audit",
	"DNS Server",
	"Directory Service",
	"Microsoft-Windows-CodeIntegrity/Operational",
	"Microsoft-Windows-AppLocker/EXE and DLL",
	"Microsoft-Windows-AppLocker/MSI and Script",
	"Microsoft-Windows-NTLM/Operational",
	"Microsoft-Windows-Windows Firewall With Advanced Security/Firewall",
	"Microsoft-Windows-DriverFrameworks-UserMode/Operational",
	"Microsoft-Windows-PrintService/Operational",
	"Microsoft-Windows-PrintService/Admin",
	"Microsoft-Windows-SMBClient/Security",
	"Microsoft-Windows-SMBServer/Security",
	"Microsoft-Windows-Security-Mitigations/KernelMode",
	"Microsoft-Windows-Shell-Core/Operational",
	"Microsoft-Windows-OpenSSH/Operational",
	"Microsoft-Windows-WinRM/Operational",
	"Microsoft-Windows-LSA/Operational",
	"Microsoft-Windows-CAPI2/Operational",
	"Microsoft-Windows-Kernel-PnP/Configuration",
	"Microsoft-Windows-Diagnosis-Scripted/Operational",
	"Microsoft-Windows-Ntfs/Operational",
	"Microsoft-Windows-VHDMP/Operational",
	"Microsoft-Windows-AppXDeploymentServer/Operational",
}
