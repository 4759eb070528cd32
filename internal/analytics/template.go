package analytics

import (
	"strings"
)

// maxTemplate bounds the length of a command-line template: past a few
// hundred bytes two command lines are the same form or are not worth
// stacking.
const maxTemplate = 300

// Template abstracts a command line into the form that stacking compares:
// the program becomes the tool's name, and what changes from one run of the
// same form to the next is replaced by a placeholder — quoted strings by
// "<s>", GUIDs by <guid>, file paths and URLs by <path>, numbers (and so
// addresses, process ids, ports) by <n>, long base64 blobs by <b64>. The
// rest is lower-cased and its spaces collapsed. Registry keys stay: which
// hive is read is what tells "reg save HKLM\SAM" from "reg query HKCU\...".
func Template(tool, cmdline string) string {
	out := make([]byte, 0, min(len(cmdline)+8, maxTemplate+8))
	out = append(out, tool...)
	s := cmdline[skipProgram(cmdline):]
	for i := 0; i < len(s) && len(out) < maxTemplate; {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if len(out) > 0 && out[len(out)-1] != ' ' {
				out = append(out, ' ')
			}
			i++
		case c == '"' || c == '\'':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				i = len(s)
			} else {
				i += j + 2
			}
			out = append(out, `"<s>"`...)
		case strings.HasPrefix(s[i:], "\u201c") || strings.HasPrefix(s[i:], "\u201d") || strings.HasPrefix(s[i:], "\u2018") || strings.HasPrefix(s[i:], "\u2019"):
			// Typographic quotes: the advisories' ntdsutil lines have them.
			i += 3
			j := i
			for j < len(s) && !strings.HasPrefix(s[j:], "\u201c") && !strings.HasPrefix(s[j:], "\u201d") &&
				!strings.HasPrefix(s[j:], "\u2018") && !strings.HasPrefix(s[j:], "\u2019") {
				j++
			}
			i = min(j+3, len(s))
			out = append(out, `"<s>"`...)
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n' && s[j] != '"' && s[j] != '\'' {
				j++
			}
			out = appendToken(out, s[i:j])
			i = j
		}
	}
	for len(out) > 0 && out[len(out)-1] == ' ' {
		out = out[:len(out)-1]
	}
	if len(out) > maxTemplate {
		out = out[:maxTemplate]
	}
	return string(out)
}

// skipProgram returns the index after the program at the start of a
// command line: a quoted path, or the first word.
func skipProgram(s string) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && s[i] == '"' {
		if j := strings.IndexByte(s[i+1:], '"'); j >= 0 {
			return i + j + 2
		}
		return len(s)
	}
	for i < len(s) && s[i] != ' ' && s[i] != '\t' {
		i++
	}
	return i
}

// appendToken appends the template of one unquoted word.
func appendToken(out []byte, tok string) []byte {
	// A switch or assignment with a value: keep the name, abstract the
	// value ("/node:10.0.0.5", "listenport=9999", "-f:C:\x").
	if k := valueStart(tok); k > 0 && k < len(tok) {
		out = appendLowerDigits(out, tok[:k])
		return appendValue(out, tok[k:])
	}
	return appendValue(out, tok)
}

// valueStart returns the index of the value in "name=value", "/name:value"
// or "-name:value", or 0 when tok is not one.
func valueStart(tok string) int {
	if i := strings.IndexByte(tok, '='); i > 0 {
		return i + 1
	}
	if len(tok) > 2 && (tok[0] == '/' || tok[0] == '-') {
		if i := strings.IndexByte(tok, ':'); i > 1 {
			return i + 1
		}
	}
	return 0
}

func appendValue(out []byte, v string) []byte {
	switch {
	case isGUID(v):
		return append(out, "<guid>"...)
	case isRegistryKey(v):
		return appendLowerDigits(out, v)
	case isPath(v):
		return append(out, "<path>"...)
	case isBase64(v):
		return append(out, "<b64>"...)
	}
	return appendLowerDigits(out, v)
}

// appendLowerDigits appends s in lower case with each number (a run of
// digits, or 0x and hexadecimal digits) as <n>. Digits that follow a letter
// are part of a name ("v4tov4", "win32_process", "x64") and stay.
func appendLowerDigits(out []byte, s string) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= '0' && c <= '9' {
			j := i + 1
			if i > 0 && isLetter(s[i-1]) {
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				out = append(out, s[i:j]...)
				i = j
				continue
			}
			if c == '0' && j < len(s) && (s[j] == 'x' || s[j] == 'X') {
				j++
				for j < len(s) && isHex(s[j]) {
					j++
				}
			}
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			out = append(out, "<n>"...)
			i = j
			continue
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		out = append(out, c)
		i++
	}
	return out
}

func isLetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// isGUID reports whether v is a GUID, with or without braces.
func isGUID(v string) bool {
	v = strings.TrimSuffix(strings.TrimPrefix(v, "{"), "}")
	if len(v) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		switch i {
		case 8, 13, 18, 23:
			if v[i] != '-' {
				return false
			}
		default:
			if !isHex(v[i]) {
				return false
			}
		}
	}
	return true
}

// isRegistryKey reports whether v names a registry key.
func isRegistryKey(v string) bool {
	l := len(v)
	for _, p := range [...]string{"hklm", "hkcu", "hku\\", "hkcr", "hkey_", "registry::"} {
		if l >= len(p) && strings.EqualFold(v[:len(p)], p) {
			return true
		}
	}
	return false
}

// isPath reports whether v is a file path, a share, or a URL.
func isPath(v string) bool {
	if strings.ContainsAny(v, `\`) {
		return true
	}
	if len(v) >= 2 && v[1] == ':' && (v[0]|0x20 >= 'a' && v[0]|0x20 <= 'z') {
		return true
	}
	if i := strings.Index(v, "://"); i > 0 {
		return true
	}
	if strings.HasPrefix(v, "%") && strings.Count(v, "%") >= 2 {
		return true // %TEMP%, %SystemRoot%...
	}
	return false
}

// isBase64 reports whether v is a long run of base64 characters, as an
// encoded PowerShell command is.
func isBase64(v string) bool {
	if len(v) < 40 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '=') {
			return false
		}
	}
	return true
}
