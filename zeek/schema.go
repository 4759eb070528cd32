package zeek

import "strings"

// knownType returns the Zeek type of a field that has the same type in
// every log that has it. JSON carries no #types line, so the reader takes
// types from here: it matters for times written as epoch numbers, which
// look like any other number, and for intervals written as whole numbers.
// Names whose type differs between logs (version, host) are left out and
// their type is inferred from the JSON value.
func knownType(name string) (Type, bool) {
	switch name {
	case "ts", "_write_ts",
		"certificate.not_valid_before", "certificate.not_valid_after",
		"times.modified", "times.accessed", "times.created", "times.changed",
		"from", "till", // kerberos; smtp's "from" is a string, which the reader notices
		"ref_time", "org_time", "rec_time", "xmt_time",
		"thisUpdate", "nextUpdate", "revoketime":
		return Type{Kind: KindTime}, true
	case "duration", "rtt", "suppress_for", "ts_delta", "poll", "root_delay", "root_disp",
		"lease_time", "pkt_lag", "precision":
		return Type{Kind: KindInterval}, true
	case "TTLs":
		return Type{Container: Vector, Kind: KindInterval}, true
	case "percent_lost", "remote_location.latitude", "remote_location.longitude":
		return Type{Kind: KindDouble}, true
	case "id.orig_h", "id.resp_h", "src", "dst":
		return Type{Kind: KindAddr}, true
	case "tx_hosts", "rx_hosts":
		return Type{Container: Set, Kind: KindAddr}, true
	case "san.ip":
		return Type{Container: Vector, Kind: KindAddr}, true
	case "id.orig_p", "id.resp_p", "p", "port_num":
		return Type{Kind: KindPort}, true
	case "orig_bytes", "resp_bytes", "missed_bytes", "orig_pkts", "orig_ip_bytes", "resp_pkts",
		"resp_ip_bytes", "trans_id", "qclass", "qtype", "rcode", "Z", "trans_depth",
		"request_body_len", "response_body_len", "status_code", "info_code", "seen_bytes",
		"total_bytes", "missing_bytes", "overflow_bytes", "depth", "size",
		"certificate.version", "certificate.key_length", "basic_constraints.path_len",
		"auth_attempts", "n", "cert_count", "desktop_width", "desktop_height":
		return Type{Kind: KindCount}, true
	case "AA", "TC", "RD", "RA", "rejected", "local_orig", "local_resp", "resumed", "established",
		"sni_matches_cert", "is_orig", "timedout", "basic_constraints.ca", "host_cert",
		"client_cert", "auth_success", "success", "forwardable", "renewable", "cert_permanent":
		return Type{Kind: KindBool}, true
	case "proto", "note", "action", "source":
		return Type{Kind: KindEnum}, true
	case "answers", "cert_chain_fps", "cert_chain_fuids", "client_cert_chain_fps",
		"client_cert_chain_fuids", "orig_fuids", "orig_filenames", "orig_mime_types",
		"resp_fuids", "resp_filenames", "resp_mime_types", "san.dns", "san.uri", "san.email",
		"client_channels":
		return Type{Container: Vector, Kind: KindString}, true
	case "tags", "actions":
		return Type{Container: Set, Kind: KindEnum}, true
	case "proxied", "analyzers", "conn_uids", "tunnel_parents", "email_dest":
		return Type{Container: Set, Kind: KindString}, true
	}
	return Type{}, false
}

// Signature fields for inferring a log's path from its field names.
const (
	sigProto uint32 = 1 << iota
	sigConnState
	sigQuery
	sigQtypeName
	sigRcodeName
	sigMethod
	sigURI
	sigCipher
	sigServerName
	sigEstablished
	sigSSLHistory
	sigFingerprint
	sigCertificate
	sigFuid
	sigSeenBytes
	sigNote
	sigMsg
	sigCookie
	sigSecurityProtocol
	sigResult
	sigAuthAttempts
	sigHostKeyAlg
	sigAction
	sigTimes
	sigPrevName
	sigShareType
	sigEndpoint
	sigOperation
	sigServerNB
	sigRequestType
	sigWeird // addl, notice or peer, with name
)

// signature returns the signature bit of a field name.
func signature(name string) uint32 {
	switch name {
	case "proto":
		return sigProto
	case "conn_state":
		return sigConnState
	case "query":
		return sigQuery
	case "qtype_name":
		return sigQtypeName
	case "rcode_name":
		return sigRcodeName
	case "method":
		return sigMethod
	case "uri":
		return sigURI
	case "cipher":
		return sigCipher
	case "server_name":
		return sigServerName
	case "established":
		return sigEstablished
	case "ssl_history":
		return sigSSLHistory
	case "fingerprint":
		return sigFingerprint
	case "fuid":
		return sigFuid
	case "seen_bytes":
		return sigSeenBytes
	case "note":
		return sigNote
	case "msg":
		return sigMsg
	case "cookie":
		return sigCookie
	case "security_protocol":
		return sigSecurityProtocol
	case "result":
		return sigResult
	case "auth_attempts":
		return sigAuthAttempts
	case "host_key_alg":
		return sigHostKeyAlg
	case "action":
		return sigAction
	case "prev_name":
		return sigPrevName
	case "share_type":
		return sigShareType
	case "endpoint":
		return sigEndpoint
	case "operation":
		return sigOperation
	case "server_nb_computer_name":
		return sigServerNB
	case "request_type":
		return sigRequestType
	case "addl", "notice", "peer":
		return sigWeird
	}
	switch {
	case strings.HasPrefix(name, "certificate."):
		return sigCertificate
	case strings.HasPrefix(name, "times."):
		return sigTimes
	}
	return 0
}

// inferPath tells a log's path from the names of its fields, by the
// signatures documented on Record.Path. It returns "" when no signature
// matches. Signatures are tested from the most specific, so a log that
// happens to share one field with another is not mistaken for it.
func inferPath(names func(yield func(string) bool)) string {
	var bits uint32
	dhu := 0 // domainname, hostname, username: ntlm has all three
	hasName := false
	for n := range names {
		bits |= signature(n)
		switch n {
		case "domainname", "hostname", "username":
			dhu++
		case "name":
			hasName = true
		}
	}
	all := func(m uint32) bool { return bits&m == m }
	some := func(m uint32) bool { return bits&m != 0 }
	switch {
	case all(sigProto | sigConnState):
		return "conn"
	case all(sigQuery) && some(sigQtypeName|sigRcodeName):
		return "dns"
	case all(sigMethod | sigURI):
		return "http"
	case some(sigCipher|sigServerName) && some(sigEstablished|sigSSLHistory):
		return "ssl"
	case all(sigFingerprint | sigCertificate):
		return "x509"
	case all(sigFuid | sigSeenBytes):
		return "files"
	case all(sigNote | sigMsg):
		return "notice"
	case all(sigCookie) && some(sigSecurityProtocol|sigResult):
		return "rdp"
	case some(sigAuthAttempts | sigHostKeyAlg):
		return "ssh"
	case all(sigAction) && some(sigTimes|sigPrevName):
		return "smb_files"
	case all(sigShareType):
		return "smb_mapping"
	case all(sigEndpoint | sigOperation):
		return "dce_rpc"
	case all(sigServerNB) || dhu == 3:
		return "ntlm"
	case all(sigRequestType):
		return "kerberos"
	case hasName && some(sigWeird):
		return "weird"
	}
	return ""
}
