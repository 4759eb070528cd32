// Package network holds Breakwater's network behaviour detectors, read from
// Zeek logs: what host logs cannot show, because it happens between hosts.
// Volt Typhoon reaches its victims through compromised routers, relays
// traffic inside the network with port proxies and FRP, and keeps long,
// quiet sessions open; a host log shows a netsh command, the network shows
// the relay itself.
//
// The analytics: beacons per (source, destination) and per (source,
// server name), scored as RITA v5 scores them; long connections (open
// sessions included) and strobes; DNS tunnels (distinct names under one
// parent domain); relays on one host (N2 in the Volt Typhoon catalogue);
// callbacks to FRP / Earthworm ports (N3); administration protocols new
// toward domain controllers (N8); ICMP sweeps (N6); IP-lookup services
// (N7); archives and credential stores moved over SMB (N5); and indicator
// lists matched against every log.
//
// All of them run as one detect.Detector. Workers reduce the Zeek records
// they see to compact observations (copying what they keep: events are
// reused) and hand them to the detector when they close; Finish sorts
// what was merged with a total order and reports, so the findings are the
// same whatever the number of workers and the order of the inputs. Every
// store is capped; a cap that is reached is reported in the hunt's notes.
package network

import (
	"fmt"
	"sync"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
)

// Info describes one analytic for reports and documentation.
type Info struct {
	Name        string // the rule id of its findings
	Title       string
	Level       finding.Level // the usual level; explanations say when a finding is raised or lowered
	Techniques  []string
	Tactics     []string
	Description string
}

// The analytics' names, which are the rule ids of their findings.
const (
	Beacon         = "beacon"
	BeaconName     = "beacon-name"
	LongConnection = "long-connection"
	Strobe         = "strobe"
	DNSTunnel      = "dns-tunnel"
	Relay          = "relay"
	Callback       = "callback-port"
	AdminToDC      = "admin-to-dc"
	ICMPSweep      = "icmp-sweep"
	IPLookup       = "ip-lookup"
	SMBTransfer    = "smb-transfer"
	Indicator      = "indicator"
)

// Catalog lists every network analytic, in a stable order.
func Catalog() []Info {
	return []Info{
		{Beacon, "Beaconing between two hosts", finding.Medium, []string{"T1071"}, []string{"command-and-control"},
			"Connections from one source to one destination at regular intervals with regular sizes over the last day, scored as RITA v5 scores beacons: timestamp skew and dispersion, data size skew and dispersion, hourly histogram, and duration; low from 0.7, medium from 0.8, high from 0.9 (RITA calls 0.7 low and 0.9 medium to high)."},
		{BeaconName, "Beaconing to a server name", finding.Medium, []string{"T1071.001"}, []string{"command-and-control"},
			"Beaconing judged per (source, TLS server name or HTTP Host) rather than per address: a beacon that moves between the addresses of a domain or a CDN."},
		{LongConnection, "Long connections", finding.Low, []string{"T1071", "T1572"}, []string{"command-and-control"},
			"Connections between two hosts (or from a host to one server name) lasting an hour or more in total over the last day, sessions still open included; medium from 4 h, high from 8 h."},
		{Strobe, "Strobe: very many short connections", finding.Low, []string{"T1071", "T1046"}, []string{"command-and-control", "discovery"},
			"A thousand or more short connections between one internal host and one external host in the last day: a tool on a tight loop, a scanner or a chatty beacon."},
		{DNSTunnel, "DNS tunnelling or C2 over DNS", finding.Low, []string{"T1071.004", "T1572"}, []string{"command-and-control", "exfiltration"},
			"Many distinct names queried under one parent domain: data or commands carried in the labels of DNS queries; medium from 800 names, high from 1000."},
		{Relay, "Host relays connections", finding.High, []string{"T1090.001"}, []string{"command-and-control"},
			"On one host, an inbound TCP session followed within a second by an outbound session to a third host with similar bytes and duration: the network face of a port proxy (netsh portproxy) or FRP (N2)."},
		{Callback, "Quiet session to an FRP / Earthworm callback port", finding.Medium, []string{"T1090", "T1571", "T1572"}, []string{"command-and-control"},
			"Long, low-rate or repeated sessions from an internal host to an external address on 7000, 8000, 8043, 8080, 8443 or 10443, the ports Volt Typhoon's FRP and Earthworm clients called back to (N3); high from a server to an address first seen after the reference period."},
		{AdminToDC, "New administration protocol toward a domain controller", finding.Medium, []string{"T1021"}, []string{"lateral-movement"},
			"RDP, SMB, WinRM, RPC or SSH from an internal host to a domain controller, first seen after the reference period (N8)."},
		{ICMPSweep, "ICMP sweep", finding.Medium, []string{"T1018"}, []string{"discovery"},
			"One host pings many internal addresses within minutes: a ping sweep (N6)."},
		{IPLookup, "Public IP lookup", finding.Low, []string{"T1016"}, []string{"discovery"},
			"A host asks a what-is-my-IP service (ip-api.com and similar) for its public address (N7); medium from a server."},
		{SMBTransfer, "Archive or credential store moved over SMB", finding.Medium, []string{"T1570", "T1039", "T1048"}, []string{"lateral-movement", "collection", "exfiltration"},
			"An archive (.7z, .zip, .rar, .cab, split parts) or a credential store (ntds.dit, registry hives, LSASS dumps) read or written over SMB (N5); high for credential stores."},
		{Indicator, "Indicator of compromise", finding.High, nil, nil,
			"An address, network or domain from the indicator list (--indicators) appears in a log."},
	}
}

// Detector runs the network analytics over a hunt.
type Detector struct {
	cfg  Config
	info map[string]Info

	mu    sync.Mutex
	st    *state
	notes []string
}

var (
	_ detect.Detector  = (*Detector)(nil)
	_ detect.Describer = (*Detector)(nil)
	_ detect.Noter     = (*Detector)(nil)
)

// New returns a detector with the given settings.
func New(cfg Config) (*Detector, error) {
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	d := &Detector{cfg: cfg, info: make(map[string]Info)}
	for _, a := range Catalog() {
		d.info[a.Name] = a
	}
	d.st = newState(&d.cfg)
	return d, nil
}

// Name implements detect.Detector.
func (d *Detector) Name() string { return "network" }

// NewWorker implements detect.Detector.
func (d *Detector) NewWorker() detect.Worker {
	return &worker{d: d, st: newState(&d.cfg)}
}

// Describe implements detect.Describer.
func (d *Detector) Describe(kind finding.Kind, ruleID string) (finding.Rule, bool) {
	if kind != finding.KindNetwork {
		return finding.Rule{}, false
	}
	a, ok := d.info[ruleID]
	if !ok {
		return finding.Rule{}, false
	}
	r := finding.Rule{ID: a.Name, Kind: finding.KindNetwork, Title: a.Title, Level: a.Level, Status: "stable",
		Description: a.Description, Author: "Breakwater", Techniques: a.Techniques, Tactics: a.Tactics}
	if a.Name == Beacon || a.Name == BeaconName {
		r.References = []string{"https://github.com/activecm/rita"}
	}
	return r, true
}

// Notes implements detect.Noter: the window beacons were scored over, and
// the caps reached.
func (d *Detector) Notes() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.notes...)
}

// Finish implements detect.Detector: every analytic reports over what all
// the workers collected.
func (d *Detector) Finish(emit func(*finding.Finding)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := newReporter(d, d.st, emit)
	r.run()
	d.notes = r.notes
	d.st = newState(&d.cfg) // what was reported is not kept
	return nil
}
