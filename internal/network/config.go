package network

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Config sets the thresholds and caps of the network analytics. Start from
// DefaultConfig: the zero Config is not useful.
type Config struct {
	// Internal lists the networks that are the operator's own; an address
	// outside them is external. DefaultConfig gives the private ranges.
	Internal []netip.Prefix
	// Indicators are matched against every log; nil means none.
	Indicators *Indicators

	Beacon   BeaconConfig
	Long     LongConfig
	DNS      DNSConfig
	Relay    RelayConfig
	Callback CallbackConfig
	Sweep    SweepConfig
	// Reference is how much of the start of the network logs serves as
	// what is normal for the first-seen analytics (admin protocols toward
	// domain controllers, callbacks to new addresses).
	Reference time.Duration
	Caps      Caps
}

// BeaconConfig tunes beacon scoring. The defaults are RITA v5's, so that
// scores can be compared with RITA's.
type BeaconConfig struct {
	// Window is the span, ending at the last connection of the input,
	// whose connections are scored; it starts at the top of an hour.
	Window time.Duration
	// MinUniqueTimes is how many distinct connection seconds a pair needs
	// to be scored.
	MinUniqueTimes int
	// MaxConnections: a pair with this many connections in the window is
	// not scored (RITA calls it a strobe).
	MaxConnections int
	// Weights of the timestamp, data size, duration and histogram
	// sub-scores; they sum to 1.
	TSWeight, DSWeight, DurWeight, HistWeight float64
	// Bins is the number of bars of the connection histogram over the
	// window (one per hour for 24 h).
	Bins int
	// DurMinHours: the duration score needs connections in at least this
	// many bins; DurIdealHours consecutive bins make consistency 1.
	DurMinHours, DurIdealHours int
	// HistModeSensitivity is the share of the tallest bar within which
	// bars count as the same height; HistOutliers bars may stray from the
	// two modes; HistBimodalMinHours bars are needed to judge bimodality.
	HistModeSensitivity float64
	HistOutliers        int
	HistBimodalMinHours int
	// MinScore is the lowest score reported (RITA's "base" threshold);
	// MediumScore and HighScore raise the level.
	MinScore, MediumScore, HighScore float64
}

// LongConfig tunes long connections and strobes.
type LongConfig struct {
	// MinDuration is the total connection time of a pair that makes it a
	// long connection; MediumDuration and HighDuration raise the level.
	MinDuration, MediumDuration, HighDuration time.Duration
	// StrobeConnections in the window make a pair with an external end a
	// strobe when the median connection lasts at most StrobeMaxMedian.
	StrobeConnections int
	StrobeMaxMedian   time.Duration
}

// DNSConfig tunes the DNS tunnelling analytic.
type DNSConfig struct {
	// MinSubdomains distinct names under one parent domain make a finding;
	// MediumSubdomains and HighSubdomains raise the level (RITA's 100, 800,
	// 1000).
	MinSubdomains, MediumSubdomains, HighSubdomains int
}

// RelayConfig tunes relay detection (N2).
type RelayConfig struct {
	// MaxDelay is the longest time between an inbound session's start and
	// the start of the outbound session it is relayed to.
	MaxDelay time.Duration
	// Tolerance is how far the two sessions' bytes and durations may
	// differ, as a share of the larger; MinBytes of payload are needed so
	// that empty probes do not pair up by chance.
	Tolerance float64
	MinBytes  int64
}

// CallbackConfig tunes FRP / Earthworm callbacks (N3).
type CallbackConfig struct {
	// Ports are the callback ports the advisories name.
	Ports []uint16
	// MinDuration of sessions to one address, or MinConnections to it,
	// make a pair worth reporting; MaxRate bytes per second keep it quiet.
	MinDuration    time.Duration
	MinConnections int
	MaxRate        float64
}

// SweepConfig tunes ICMP fan-out (N6).
type SweepConfig struct {
	// MinTargets distinct internal addresses pinged by one host within
	// Window make a sweep.
	MinTargets int
	Window     time.Duration
}

// Caps bound the memory of the analytics whatever the input; reaching one
// is reported in the hunt's notes.
type Caps struct {
	// Conns is how many connections are kept; past it the oldest are
	// dropped, so the newest (the beacon windows) stay. A connection costs
	// about 280 bytes; each reader worker may hold up to 1.25 times the
	// cap before handing its share over, so the worst case is about
	// 350 bytes × Conns × workers (350 MB for 500,000 on two workers).
	Conns int
	// Names is how many TLS server names, HTTP hosts and DNS answers are
	// kept for (source, name) beacons, Open how many still-open sessions.
	Names, Open int
	// Domains is how many parent domains are counted, Subdomains how many
	// distinct names are counted for one domain and for all together.
	Domains, Subdomains, SubdomainsTotal int
	// Items caps every other store: indicator hits, files, admin edges,
	// ICMP targets, IP-lookup queries.
	Items int
	// Evidence is how many events a finding lists.
	Evidence int
}

// DefaultConfig is every analytic with the thresholds the documentation
// describes.
func DefaultConfig() Config {
	return Config{
		Internal: DefaultInternal(),
		Beacon: BeaconConfig{
			Window: 24 * time.Hour, MinUniqueTimes: 4, MaxConnections: 86400,
			TSWeight: 0.25, DSWeight: 0.25, DurWeight: 0.25, HistWeight: 0.25,
			Bins: 24, DurMinHours: 6, DurIdealHours: 12,
			HistModeSensitivity: 0.05, HistOutliers: 1, HistBimodalMinHours: 11,
			MinScore: 0.7, MediumScore: 0.8, HighScore: 0.9,
		},
		Long: LongConfig{MinDuration: time.Hour, MediumDuration: 4 * time.Hour, HighDuration: 8 * time.Hour,
			StrobeConnections: 1000, StrobeMaxMedian: time.Minute},
		DNS:   DNSConfig{MinSubdomains: 100, MediumSubdomains: 800, HighSubdomains: 1000},
		Relay: RelayConfig{MaxDelay: time.Second, Tolerance: 0.2, MinBytes: 64},
		Callback: CallbackConfig{Ports: []uint16{7000, 8000, 8043, 8080, 8443, 10443},
			MinDuration: 10 * time.Minute, MinConnections: 4, MaxRate: 2048},
		Sweep:     SweepConfig{MinTargets: 20, Window: 10 * time.Minute},
		Reference: 48 * time.Hour,
		Caps: Caps{Conns: 500_000, Names: 500_000, Open: 100_000, Domains: 200_000,
			Subdomains: 10_000, SubdomainsTotal: 2_000_000, Items: 100_000, Evidence: 5},
	}
}

// DefaultInternal returns the private ranges: RFC 1918, the IPv6 unique
// local addresses, and the shared address space of carrier-grade NAT.
func DefaultInternal() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

// ParseInternal reads a comma-separated list of networks (CIDR) or single
// addresses, as --internal takes it.
func ParseInternal(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		p, err := parsePrefix(part)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("no network given")
	}
	return out, nil
}

// parsePrefix reads a CIDR or a single address, masked.
func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not a network: want CIDR such as 10.0.0.0/8", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or a network: want CIDR such as 10.0.0.0/8", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// check reports settings that cannot work.
func (c *Config) check() error {
	b := &c.Beacon
	sum := b.TSWeight + b.DSWeight + b.DurWeight + b.HistWeight
	switch {
	case b.Window <= 0 || b.Bins <= 0:
		return errors.New("beacon window and bins must be positive")
	case sum < 0.999 || sum > 1.001:
		return fmt.Errorf("beacon weights sum to %.3f, not 1", sum)
	case b.DurMinHours < 1 || b.DurIdealHours < 1:
		return errors.New("beacon duration hours must be at least 1")
	case b.MinUniqueTimes < 4:
		return errors.New("beacon scoring needs at least 4 distinct connection times")
	case c.Caps.Conns <= 0 || c.Caps.Names <= 0 || c.Caps.Open <= 0 || c.Caps.Domains <= 0 ||
		c.Caps.Subdomains <= 0 || c.Caps.SubdomainsTotal <= 0 || c.Caps.Items <= 0 || c.Caps.Evidence <= 0:
		return errors.New("every cap must be positive")
	case c.Relay.Tolerance < 0 || c.Relay.Tolerance >= 1:
		return errors.New("relay tolerance must be in [0, 1)")
	}
	return nil
}
