package zeek

import (
	"net/netip"
	"slices"
	"strconv"
	"time"
)

// The typed views below read the fields of the logs that matter most for
// hunting into structs, in one pass over the record's fields. They read by
// field name whatever the record's Path, so a log renamed by a shipper
// still reads. A field the record does not have, or whose value does not
// parse as its type, is left at its zero value: use Record.Has to tell "0"
// from "absent" where that matters (a conn duration is unset for
// connections that never completed a handshake). Lists are copies that
// outlive the record. Fields that changed between Zeek versions are read in
// both spellings, as their comments say.

// ConnID is the 5-tuple of a connection, less the protocol, as every
// connection-based log carries it in its id.* fields.
type ConnID struct {
	OrigH netip.Addr // the originator (client)
	OrigP uint16
	RespH netip.Addr // the responder (server)
	RespP uint16
}

// set reads one id.* field into id; it reports whether name was one.
func (id *ConnID) set(f *Field) bool {
	switch f.Name {
	case "id.orig_h":
		id.OrigH = toAddr(f.Value)
	case "id.orig_p":
		id.OrigP = toPort(f.Value)
	case "id.resp_h":
		id.RespH = toAddr(f.Value)
	case "id.resp_p":
		id.RespP = toPort(f.Value)
	default:
		return false
	}
	return true
}

// Conn is a record of conn.log: one connection, or the part of it seen so
// far when the log is written before it ends.
type Conn struct {
	Time          time.Time
	UID           string
	ID            ConnID
	Proto         string // tcp, udp, icmp
	Service       string // the protocols detected, "ssl,http"
	Duration      time.Duration
	OrigBytes     uint64 // payload bytes
	RespBytes     uint64
	ConnState     string // S0, SF, REJ, ...
	LocalOrig     bool
	LocalResp     bool
	MissedBytes   uint64
	History       string
	OrigPkts      uint64
	OrigIPBytes   uint64
	RespPkts      uint64
	RespIPBytes   uint64
	TunnelParents []string
	OrigL2Addr    string
	RespL2Addr    string
	CommunityID   string
}

// Conn reads the record as a conn.log record.
func (r *Record) Conn() Conn {
	c := Conn{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if c.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			c.UID = f.Value
		case "proto":
			c.Proto = f.Value
		case "service":
			c.Service = f.Value
		case "duration":
			c.Duration = toDuration(f.Value)
		case "orig_bytes":
			c.OrigBytes = toUint(f.Value)
		case "resp_bytes":
			c.RespBytes = toUint(f.Value)
		case "conn_state":
			c.ConnState = f.Value
		case "local_orig":
			c.LocalOrig = f.Value == "true"
		case "local_resp":
			c.LocalResp = f.Value == "true"
		case "missed_bytes":
			c.MissedBytes = toUint(f.Value)
		case "history":
			c.History = f.Value
		case "orig_pkts":
			c.OrigPkts = toUint(f.Value)
		case "orig_ip_bytes":
			c.OrigIPBytes = toUint(f.Value)
		case "resp_pkts":
			c.RespPkts = toUint(f.Value)
		case "resp_ip_bytes":
			c.RespIPBytes = toUint(f.Value)
		case "tunnel_parents":
			c.TunnelParents = toList(f)
		case "orig_l2_addr":
			c.OrigL2Addr = f.Value
		case "resp_l2_addr":
			c.RespL2Addr = f.Value
		case "community_id":
			c.CommunityID = f.Value
		}
	}
	return c
}

// DNS is a record of dns.log: one query and its answer.
type DNS struct {
	Time       time.Time
	UID        string
	ID         ConnID
	Proto      string
	TransID    uint64
	RTT        time.Duration
	Query      string
	QClass     uint64
	QClassName string
	QType      uint64
	QTypeName  string // A, AAAA, TXT, ...
	RCode      uint64
	RCodeName  string // NOERROR, NXDOMAIN, ...
	AA, TC     bool
	RD, RA     bool
	Z          uint64
	Answers    []string
	TTLs       []time.Duration
	Rejected   bool
}

// DNS reads the record as a dns.log record.
func (r *Record) DNS() DNS {
	d := DNS{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if d.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			d.UID = f.Value
		case "proto":
			d.Proto = f.Value
		case "trans_id":
			d.TransID = toUint(f.Value)
		case "rtt":
			d.RTT = toDuration(f.Value)
		case "query":
			d.Query = f.Value
		case "qclass":
			d.QClass = toUint(f.Value)
		case "qclass_name":
			d.QClassName = f.Value
		case "qtype":
			d.QType = toUint(f.Value)
		case "qtype_name":
			d.QTypeName = f.Value
		case "rcode":
			d.RCode = toUint(f.Value)
		case "rcode_name":
			d.RCodeName = f.Value
		case "AA":
			d.AA = f.Value == "true"
		case "TC":
			d.TC = f.Value == "true"
		case "RD":
			d.RD = f.Value == "true"
		case "RA":
			d.RA = f.Value == "true"
		case "Z":
			d.Z = toUint(f.Value)
		case "answers":
			d.Answers = toList(f)
		case "TTLs":
			for _, s := range listOf(f) {
				d.TTLs = append(d.TTLs, toDuration(s))
			}
		case "rejected":
			d.Rejected = f.Value == "true"
		}
	}
	return d
}

// HTTP is a record of http.log: one request and its response.
type HTTP struct {
	Time            time.Time
	UID             string
	ID              ConnID
	TransDepth      uint64
	Method          string
	Host            string // the Host header; empty when the request had none
	URI             string
	Referrer        string
	Version         string
	UserAgent       string
	Origin          string
	RequestBodyLen  uint64
	ResponseBodyLen uint64
	StatusCode      uint64
	StatusMsg       string
	Username        string
	Tags            []string
	Proxied         []string // the proxy headers of the request
	OrigFUIDs       []string
	OrigFilenames   []string
	OrigMimeTypes   []string
	RespFUIDs       []string
	RespFilenames   []string
	RespMimeTypes   []string
}

// HTTP reads the record as an http.log record.
func (r *Record) HTTP() HTTP {
	h := HTTP{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if h.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			h.UID = f.Value
		case "trans_depth":
			h.TransDepth = toUint(f.Value)
		case "method":
			h.Method = f.Value
		case "host":
			h.Host = f.Value
		case "uri":
			h.URI = f.Value
		case "referrer":
			h.Referrer = f.Value
		case "version":
			h.Version = f.Value
		case "user_agent":
			h.UserAgent = f.Value
		case "origin":
			h.Origin = f.Value
		case "request_body_len":
			h.RequestBodyLen = toUint(f.Value)
		case "response_body_len":
			h.ResponseBodyLen = toUint(f.Value)
		case "status_code":
			h.StatusCode = toUint(f.Value)
		case "status_msg":
			h.StatusMsg = f.Value
		case "username":
			h.Username = f.Value
		case "tags":
			h.Tags = toList(f)
		case "proxied":
			h.Proxied = toList(f)
		case "orig_fuids":
			h.OrigFUIDs = toList(f)
		case "orig_filenames":
			h.OrigFilenames = toList(f)
		case "orig_mime_types":
			h.OrigMimeTypes = toList(f)
		case "resp_fuids":
			h.RespFUIDs = toList(f)
		case "resp_filenames":
			h.RespFilenames = toList(f)
		case "resp_mime_types":
			h.RespMimeTypes = toList(f)
		}
	}
	return h
}

// SSL is a record of ssl.log: one TLS (or DTLS) session.
type SSL struct {
	Time             time.Time
	UID              string
	ID               ConnID
	Version          string // TLSv12, TLSv13, ...
	Cipher           string
	Curve            string
	ServerName       string // the SNI
	Resumed          bool
	NextProtocol     string
	Established      bool
	SSLHistory       string
	CertChainFps     []string // fingerprints of the server's chain (Zeek 4.2+)
	ClientCertFps    []string
	CertChainFUIDs   []string // file ids of the server's chain (before Zeek 4.2)
	ClientCertFUIDs  []string
	Subject          string
	Issuer           string
	ClientSubject    string
	ClientIssuer     string
	SNIMatchesCert   bool
	ValidationStatus string
	JA3, JA3S        string // from the widely used ja3 package, when loaded
}

// SSL reads the record as an ssl.log record.
func (r *Record) SSL() SSL {
	s := SSL{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if s.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			s.UID = f.Value
		case "version":
			s.Version = f.Value
		case "cipher":
			s.Cipher = f.Value
		case "curve":
			s.Curve = f.Value
		case "server_name":
			s.ServerName = f.Value
		case "resumed":
			s.Resumed = f.Value == "true"
		case "next_protocol":
			s.NextProtocol = f.Value
		case "established":
			s.Established = f.Value == "true"
		case "ssl_history":
			s.SSLHistory = f.Value
		case "cert_chain_fps":
			s.CertChainFps = toList(f)
		case "client_cert_chain_fps":
			s.ClientCertFps = toList(f)
		case "cert_chain_fuids":
			s.CertChainFUIDs = toList(f)
		case "client_cert_chain_fuids":
			s.ClientCertFUIDs = toList(f)
		case "subject":
			s.Subject = f.Value
		case "issuer":
			s.Issuer = f.Value
		case "client_subject":
			s.ClientSubject = f.Value
		case "client_issuer":
			s.ClientIssuer = f.Value
		case "sni_matches_cert":
			s.SNIMatchesCert = f.Value == "true"
		case "validation_status":
			s.ValidationStatus = f.Value
		case "ja3":
			s.JA3 = f.Value
		case "ja3s":
			s.JA3S = f.Value
		}
	}
	return s
}

// X509 is a record of x509.log: one certificate seen.
type X509 struct {
	Time time.Time
	// FileID is the certificate's file id; Zeek before 4.2 wrote it in
	// the id field, later versions write fingerprint instead.
	FileID         string
	Fingerprint    string
	Version        uint64
	Serial         string
	Subject        string
	Issuer         string
	NotValidBefore time.Time
	NotValidAfter  time.Time
	KeyAlg         string
	SigAlg         string
	KeyType        string
	KeyLength      uint64
	Exponent       string
	Curve          string
	SANDNS         []string
	SANURI         []string
	SANEmail       []string
	SANIP          []string
	CA             bool // basic_constraints.ca
	HostCert       bool
	ClientCert     bool
}

// X509 reads the record as an x509.log record.
func (r *Record) X509() X509 {
	x := X509{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		switch f.Name {
		case "id":
			x.FileID = f.Value
		case "fingerprint":
			x.Fingerprint = f.Value
		case "certificate.version":
			x.Version = toUint(f.Value)
		case "certificate.serial":
			x.Serial = f.Value
		case "certificate.subject":
			x.Subject = f.Value
		case "certificate.issuer":
			x.Issuer = f.Value
		case "certificate.not_valid_before":
			x.NotValidBefore = toTime(f.Value)
		case "certificate.not_valid_after":
			x.NotValidAfter = toTime(f.Value)
		case "certificate.key_alg":
			x.KeyAlg = f.Value
		case "certificate.sig_alg":
			x.SigAlg = f.Value
		case "certificate.key_type":
			x.KeyType = f.Value
		case "certificate.key_length":
			x.KeyLength = toUint(f.Value)
		case "certificate.exponent":
			x.Exponent = f.Value
		case "certificate.curve":
			x.Curve = f.Value
		case "san.dns":
			x.SANDNS = toList(f)
		case "san.uri":
			x.SANURI = toList(f)
		case "san.email":
			x.SANEmail = toList(f)
		case "san.ip":
			x.SANIP = toList(f)
		case "basic_constraints.ca":
			x.CA = f.Value == "true"
		case "host_cert":
			x.HostCert = f.Value == "true"
		case "client_cert":
			x.ClientCert = f.Value == "true"
		}
	}
	return x
}

// Files is a record of files.log: one file seen in traffic.
type Files struct {
	Time time.Time
	FUID string
	// UID and ID name the connection (Zeek 5.1+); earlier versions wrote
	// the sets ConnUIDs, TxHosts and RxHosts instead.
	UID           string
	ID            ConnID
	ConnUIDs      []string
	TxHosts       []string
	RxHosts       []string
	Source        string // the protocol: HTTP, SMB, ...
	Depth         uint64
	Analyzers     []string
	MimeType      string
	Filename      string
	Duration      time.Duration
	LocalOrig     bool
	IsOrig        bool
	SeenBytes     uint64
	TotalBytes    uint64
	MissingBytes  uint64
	OverflowBytes uint64
	TimedOut      bool
	ParentFUID    string
	MD5           string
	SHA1          string
	SHA256        string
	Extracted     string
}

// Files reads the record as a files.log record.
func (r *Record) Files() Files {
	x := Files{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if x.ID.set(f) {
			continue
		}
		switch f.Name {
		case "fuid":
			x.FUID = f.Value
		case "uid":
			x.UID = f.Value
		case "conn_uids":
			x.ConnUIDs = toList(f)
		case "tx_hosts":
			x.TxHosts = toList(f)
		case "rx_hosts":
			x.RxHosts = toList(f)
		case "source":
			x.Source = f.Value
		case "depth":
			x.Depth = toUint(f.Value)
		case "analyzers":
			x.Analyzers = toList(f)
		case "mime_type":
			x.MimeType = f.Value
		case "filename":
			x.Filename = f.Value
		case "duration":
			x.Duration = toDuration(f.Value)
		case "local_orig":
			x.LocalOrig = f.Value == "true"
		case "is_orig":
			x.IsOrig = f.Value == "true"
		case "seen_bytes":
			x.SeenBytes = toUint(f.Value)
		case "total_bytes":
			x.TotalBytes = toUint(f.Value)
		case "missing_bytes":
			x.MissingBytes = toUint(f.Value)
		case "overflow_bytes":
			x.OverflowBytes = toUint(f.Value)
		case "timedout":
			x.TimedOut = f.Value == "true"
		case "parent_fuid":
			x.ParentFUID = f.Value
		case "md5":
			x.MD5 = f.Value
		case "sha1":
			x.SHA1 = f.Value
		case "sha256":
			x.SHA256 = f.Value
		case "extracted":
			x.Extracted = f.Value
		}
	}
	return x
}

// Notice is a record of notice.log: something a Zeek script found worth
// telling.
type Notice struct {
	Time        time.Time
	UID         string
	ID          ConnID
	FUID        string
	Proto       string
	Note        string // the notice type, "Scan::Port_Scan"
	Msg         string
	Sub         string
	Src, Dst    netip.Addr
	P           uint16
	N           uint64
	PeerDescr   string
	Actions     []string
	SuppressFor time.Duration
}

// Notice reads the record as a notice.log record.
func (r *Record) Notice() Notice {
	n := Notice{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if n.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			n.UID = f.Value
		case "fuid":
			n.FUID = f.Value
		case "proto":
			n.Proto = f.Value
		case "note":
			n.Note = f.Value
		case "msg":
			n.Msg = f.Value
		case "sub":
			n.Sub = f.Value
		case "src":
			n.Src = toAddr(f.Value)
		case "dst":
			n.Dst = toAddr(f.Value)
		case "p":
			n.P = toPort(f.Value)
		case "n":
			n.N = toUint(f.Value)
		case "peer_descr":
			n.PeerDescr = f.Value
		case "actions":
			n.Actions = toList(f)
		case "suppress_for":
			n.SuppressFor = toDuration(f.Value)
		}
	}
	return n
}

// RDP is a record of rdp.log: one Remote Desktop session set-up.
type RDP struct {
	Time                time.Time
	UID                 string
	ID                  ConnID
	Cookie              string // the user name the client offered
	Result              string
	SecurityProtocol    string
	ClientChannels      []string
	KeyboardLayout      string
	ClientBuild         string
	ClientName          string
	ClientDigProductID  string
	DesktopWidth        uint64
	DesktopHeight       uint64
	RequestedColorDepth string
	CertType            string
	CertCount           uint64
	CertPermanent       bool
	EncryptionLevel     string
	EncryptionMethod    string
}

// RDP reads the record as an rdp.log record.
func (r *Record) RDP() RDP {
	x := RDP{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if x.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			x.UID = f.Value
		case "cookie":
			x.Cookie = f.Value
		case "result":
			x.Result = f.Value
		case "security_protocol":
			x.SecurityProtocol = f.Value
		case "client_channels":
			x.ClientChannels = toList(f)
		case "keyboard_layout":
			x.KeyboardLayout = f.Value
		case "client_build":
			x.ClientBuild = f.Value
		case "client_name":
			x.ClientName = f.Value
		case "client_dig_product_id":
			x.ClientDigProductID = f.Value
		case "desktop_width":
			x.DesktopWidth = toUint(f.Value)
		case "desktop_height":
			x.DesktopHeight = toUint(f.Value)
		case "requested_color_depth":
			x.RequestedColorDepth = f.Value
		case "cert_type":
			x.CertType = f.Value
		case "cert_count":
			x.CertCount = toUint(f.Value)
		case "cert_permanent":
			x.CertPermanent = f.Value == "true"
		case "encryption_level":
			x.EncryptionLevel = f.Value
		case "encryption_method":
			x.EncryptionMethod = f.Value
		}
	}
	return x
}

// SSH is a record of ssh.log: one SSH session set-up.
type SSH struct {
	Time time.Time
	UID  string
	ID   ConnID
	// Version is the protocol's major version (1 or 2); Zeek before 3.0
	// wrote a status field instead, read into AuthSuccess.
	Version        uint64
	AuthSuccess    bool
	AuthAttempts   uint64
	Direction      string
	Client         string
	Server         string
	CipherAlg      string
	MACAlg         string
	CompressionAlg string
	KexAlg         string
	HostKeyAlg     string
	HostKey        string
	HASSH          string // from the widely used hassh package, when loaded
	HASSHServer    string
}

// SSH reads the record as an ssh.log record.
func (r *Record) SSH() SSH {
	x := SSH{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if x.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			x.UID = f.Value
		case "version":
			x.Version = toUint(f.Value)
		case "auth_success":
			x.AuthSuccess = f.Value == "true"
		case "status":
			x.AuthSuccess = f.Value == "success"
		case "auth_attempts":
			x.AuthAttempts = toUint(f.Value)
		case "direction":
			x.Direction = f.Value
		case "client":
			x.Client = f.Value
		case "server":
			x.Server = f.Value
		case "cipher_alg":
			x.CipherAlg = f.Value
		case "mac_alg":
			x.MACAlg = f.Value
		case "compression_alg":
			x.CompressionAlg = f.Value
		case "kex_alg":
			x.KexAlg = f.Value
		case "host_key_alg":
			x.HostKeyAlg = f.Value
		case "host_key":
			x.HostKey = f.Value
		case "hassh":
			x.HASSH = f.Value
		case "hasshServer":
			x.HASSHServer = f.Value
		}
	}
	return x
}

// SMBFiles is a record of smb_files.log: one action on a file over SMB.
type SMBFiles struct {
	Time          time.Time
	UID           string
	ID            ConnID
	FUID          string
	Action        string // SMB::FILE_OPEN, SMB::FILE_READ, SMB::FILE_WRITE, ...
	Path          string // the share, \\host\share
	Name          string // the file within the share
	Size          uint64
	PrevName      string
	Modified      time.Time
	Accessed      time.Time
	Created       time.Time
	Changed       time.Time
	DataOffsetReq uint64
	DataLenReq    uint64
	DataLenRsp    uint64
}

// SMBFiles reads the record as an smb_files.log record.
func (r *Record) SMBFiles() SMBFiles {
	x := SMBFiles{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if x.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			x.UID = f.Value
		case "fuid":
			x.FUID = f.Value
		case "action":
			x.Action = f.Value
		case "path":
			x.Path = f.Value
		case "name":
			x.Name = f.Value
		case "size":
			x.Size = toUint(f.Value)
		case "prev_name":
			x.PrevName = f.Value
		case "times.modified":
			x.Modified = toTime(f.Value)
		case "times.accessed":
			x.Accessed = toTime(f.Value)
		case "times.created":
			x.Created = toTime(f.Value)
		case "times.changed":
			x.Changed = toTime(f.Value)
		case "data_offset_req":
			x.DataOffsetReq = toUint(f.Value)
		case "data_len_req":
			x.DataLenReq = toUint(f.Value)
		case "data_len_rsp":
			x.DataLenRsp = toUint(f.Value)
		}
	}
	return x
}

// SMBMapping is a record of smb_mapping.log: one share mapped (a tree
// connect).
type SMBMapping struct {
	Time             time.Time
	UID              string
	ID               ConnID
	Path             string // \\host\share
	Service          string
	NativeFileSystem string
	ShareType        string // DISK, PIPE, PRINT
}

// SMBMapping reads the record as an smb_mapping.log record.
func (r *Record) SMBMapping() SMBMapping {
	x := SMBMapping{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if x.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			x.UID = f.Value
		case "path":
			x.Path = f.Value
		case "service":
			x.Service = f.Value
		case "native_file_system":
			x.NativeFileSystem = f.Value
		case "share_type":
			x.ShareType = f.Value
		}
	}
	return x
}

// DCERPC is a record of dce_rpc.log: one remote procedure call.
type DCERPC struct {
	Time      time.Time
	UID       string
	ID        ConnID
	RTT       time.Duration
	NamedPipe string
	Endpoint  string // the interface: drsuapi, svcctl, samr, ...
	Operation string // DRSGetNCChanges, CreateServiceW, ...
}

// DCERPC reads the record as a dce_rpc.log record.
func (r *Record) DCERPC() DCERPC {
	x := DCERPC{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if x.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			x.UID = f.Value
		case "rtt":
			x.RTT = toDuration(f.Value)
		case "named_pipe":
			x.NamedPipe = f.Value
		case "endpoint":
			x.Endpoint = f.Value
		case "operation":
			x.Operation = f.Value
		}
	}
	return x
}

// NTLM is a record of ntlm.log: one NTLM authentication.
type NTLM struct {
	Time                  time.Time
	UID                   string
	ID                    ConnID
	Username              string
	Hostname              string
	DomainName            string
	ServerNBComputerName  string
	ServerDNSComputerName string
	ServerTreeName        string
	// Success is the outcome (Zeek 2.6+); Status is the textual status
	// that earlier versions wrote, "SUCCESS" when it succeeded.
	Success bool
	Status  string
}

// NTLM reads the record as an ntlm.log record.
func (r *Record) NTLM() NTLM {
	x := NTLM{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if x.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			x.UID = f.Value
		case "username":
			x.Username = f.Value
		case "hostname":
			x.Hostname = f.Value
		case "domainname":
			x.DomainName = f.Value
		case "server_nb_computer_name":
			x.ServerNBComputerName = f.Value
		case "server_dns_computer_name":
			x.ServerDNSComputerName = f.Value
		case "server_tree_name":
			x.ServerTreeName = f.Value
		case "success":
			x.Success = f.Value == "true"
		case "status":
			x.Status = f.Value
			if f.Value == "SUCCESS" {
				x.Success = true
			}
		}
	}
	return x
}

// Kerberos is a record of kerberos.log: one Kerberos request (AS or TGS)
// and its reply.
type Kerberos struct {
	Time              time.Time
	UID               string
	ID                ConnID
	RequestType       string // AS, TGS
	Client            string
	Service           string
	Success           bool
	ErrorMsg          string
	From, Till        time.Time
	Cipher            string // the ticket's encryption type: rc4-hmac is a Kerberoasting sign
	Forwardable       bool
	Renewable         bool
	ClientCertSubject string
	ClientCertFUID    string
	ServerCertSubject string
	ServerCertFUID    string
}

// Kerberos reads the record as a kerberos.log record.
func (r *Record) Kerberos() Kerberos {
	x := Kerberos{Time: r.Time}
	for i := range r.Fields {
		f := &r.Fields[i]
		if x.ID.set(f) {
			continue
		}
		switch f.Name {
		case "uid":
			x.UID = f.Value
		case "request_type":
			x.RequestType = f.Value
		case "client":
			x.Client = f.Value
		case "service":
			x.Service = f.Value
		case "success":
			x.Success = f.Value == "true"
		case "error_msg":
			x.ErrorMsg = f.Value
		case "from":
			x.From = toTime(f.Value)
		case "till":
			x.Till = toTime(f.Value)
		case "cipher":
			x.Cipher = f.Value
		case "forwardable":
			x.Forwardable = f.Value == "true"
		case "renewable":
			x.Renewable = f.Value == "true"
		case "client_cert_subject":
			x.ClientCertSubject = f.Value
		case "client_cert_fuid":
			x.ClientCertFUID = f.Value
		case "server_cert_subject":
			x.ServerCertSubject = f.Value
		case "server_cert_fuid":
			x.ServerCertFUID = f.Value
		}
	}
	return x
}

// Conversions of canonical values; a value that does not parse gives the
// zero value, as the views document.

func toUint(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}

func toPort(s string) uint16 {
	n, _ := strconv.ParseUint(s, 10, 16)
	return uint16(n)
}

func toAddr(s string) netip.Addr {
	a, _ := netip.ParseAddr(s)
	return a
}

func toDuration(s string) time.Duration {
	d, _ := parseSeconds(s)
	return d
}

func toTime(s string) time.Time {
	t, _ := parseCanonTime(s)
	return t
}

// listOf returns the elements of a field, which is a single value when the
// log did not type it as a list.
func listOf(f *Field) []string {
	if f.Type.IsList() {
		return f.Items
	}
	return []string{f.Value}
}

// toList copies the elements of a field, nil for an empty list, so that the
// view outlives the record.
func toList(f *Field) []string {
	l := listOf(f)
	if len(l) == 0 {
		return nil
	}
	return slices.Clone(l)
}
