package network

import (
	"strings"
)

// normalizeName lower-cases a DNS name and drops a trailing dot.
func normalizeName(s string) string {
	s = strings.TrimSuffix(s, ".")
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// secondLevel are labels under which country-code registries sell names
// (example.co.uk, example.com.au): the parent domain then takes three
// labels. Without the public suffix list this covers the common cases;
// a rarer suffix only makes a parent domain one label too short.
var secondLevel = map[string]bool{
	"ac": true, "co": true, "com": true, "edu": true, "gov": true, "gob": true, "go": true,
	"mil": true, "net": true, "ne": true, "or": true, "org": true, "ltd": true, "plc": true, "nhs": true,
}

// parentDomain returns the registered domain of a name (www.example.com →
// example.com), the one a tunnel's operator controls, and false for names
// that cannot carry a tunnel: reverse lookups, local names, addresses,
// single labels.
func parentDomain(name string) (string, bool) {
	if name == "" || strings.IndexByte(name, '.') < 0 {
		return "", false
	}
	if strings.HasSuffix(name, ".arpa") || strings.HasSuffix(name, ".local") || strings.HasSuffix(name, ".localdomain") ||
		strings.HasSuffix(name, ".internal") || strings.HasSuffix(name, ".lan") {
		return "", false
	}
	if looksNumeric(name) {
		return "", false
	}
	last := strings.LastIndexByte(name, '.')
	tld := name[last+1:]
	second := strings.LastIndexByte(name[:last], '.')
	sld := name[second+1 : last]
	labels := 2
	if len(tld) == 2 && secondLevel[sld] {
		labels = 3
	}
	i := len(name)
	for n := 0; n < labels; n++ {
		j := strings.LastIndexByte(name[:i], '.')
		if j < 0 {
			return name, true
		}
		i = j
	}
	return name[i+1:], true
}

// looksNumeric reports whether a name is an address written as a name.
func looksNumeric(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= '0' && c <= '9') && c != '.' && c != ':' {
			return false
		}
	}
	return true
}

// lookupServices are the services that tell a host its public address:
// Volt Typhoon ran `curl www.ip-api.com` from servers (N7). The key is the
// registered domain, or a full name where the domain serves more.
var lookupServices = map[string]bool{
	"ip-api.com": true, "ipinfo.io": true, "ipify.org": true, "ipapi.co": true, "icanhazip.com": true,
	"ifconfig.me": true, "ifconfig.co": true, "ipecho.net": true, "ident.me": true, "myexternalip.com": true,
	"wtfismyip.com": true, "whatismyipaddress.com": true, "ip.sb": true, "ipwho.is": true, "ipwhois.app": true,
	"myip.com": true, "ip-api.io": true, "seeip.org": true, "trackip.net": true, "ip2location.io": true,
	"checkip.amazonaws.com": true, "checkip.dyndns.org": true, "myip.opendns.com": true, "api.myip.com": true,
	"ipv4.icanhazip.com": true, "httpbin.org": true, "whatismyip.akamai.com": true, "l2.io": true,
	"ipinfo.info": true, "geoiptool.com": true, "ipgeolocation.io": true, "extreme-ip-lookup.com": true,
}

// lookupService returns the IP-lookup service a name belongs to.
func lookupService(name string) (string, bool) {
	name = normalizeName(name)
	if i := strings.IndexByte(name, ':'); i >= 0 && strings.Count(name, ":") == 1 {
		name = name[:i] // an HTTP Host with a port
	}
	for n := name; n != ""; {
		if lookupServices[n] {
			return n, true
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[i+1:]
	}
	return "", false
}

// Kinds of files worth reporting when they cross SMB (N5).
const (
	fileNTDS    = "ntds.dit"
	fileHive    = "registry hive"
	fileArchive = "archive"
	fileDump    = "memory dump"
)

// sensitiveFile says whether a file name is a credential store or an
// archive, the two things Volt Typhoon moved between hosts.
func sensitiveFile(name string) (string, bool) {
	if name == "" {
		return "", false
	}
	n := strings.ToLower(name)
	if i := strings.LastIndexAny(n, `\/`); i >= 0 {
		n = n[i+1:]
	}
	switch n {
	case "ntds.dit":
		return fileNTDS, true
	case "system", "sam", "security", "system.hive", "sam.hive", "security.hive", "system.save", "sam.save",
		"security.save", "system.bak", "sam.bak":
		return fileHive, true
	case "lsass.dmp", "lsass.zip":
		return fileDump, true
	}
	for _, ext := range []string{".7z", ".zip", ".rar", ".cab", ".tar", ".tgz", ".gz", ".bz2", ".xz", ".zst"} {
		if strings.HasSuffix(n, ext) {
			return fileArchive, true
		}
	}
	// Split archives: backup.7z.001, data.r00, data.z01.
	if i := strings.LastIndexByte(n, '.'); i > 0 {
		ext := n[i+1:]
		if len(ext) == 3 && isDigits(ext) && (strings.HasSuffix(n[:i], ".7z") || strings.HasSuffix(n[:i], ".zip") ||
			strings.HasSuffix(n[:i], ".rar")) {
			return fileArchive, true
		}
		if len(ext) == 3 && (ext[0] == 'r' || ext[0] == 'z') && isDigits(ext[1:]) {
			return fileArchive, true
		}
	}
	if strings.HasSuffix(n, ".dmp") && strings.Contains(n, "lsass") {
		return fileDump, true
	}
	return "", false
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// fnv64 hashes a name: a fixed hash (FNV-1a), so that counts of distinct
// names are the same in every run.
func fnv64(s string) uint64 { return fnvString(fnvOffset, s) }

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvString adds a string and a separator to an FNV-1a hash.
func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	h ^= 0xff
	return h * fnvPrime
}

// fnvUint adds a number to an FNV-1a hash.
func fnvUint(h, v uint64) uint64 {
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}
