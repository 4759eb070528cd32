package network

import (
	"context"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/source"
)

// find returns the finding of a rule whose summary contains all of parts.
func find(t *testing.T, fs []*finding.Finding, rule string, parts ...string) *finding.Finding {
	t.Helper()
next:
	for _, f := range byRule(fs, rule) {
		for _, p := range parts {
			if !strings.Contains(f.Summary, p) {
				continue next
			}
		}
		return f
	}
	t.Fatalf("no %s finding with %q in:\n%s", rule, parts, summaries(fs))
	return nil
}

// floatValue reads a numeric explanation value.
func floatValue(t *testing.T, f *finding.Finding, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(value(f, name), 64)
	if err != nil {
		t.Fatalf("%s: value %s: %v", f.Summary, name, err)
	}
	return v
}

// TestRITAMissingHost holds the analytics to the facts of RITA's
// missing_host data (datasets/README.md): the HTTP beacon without a Host
// header and the SSH session open for three days.
func TestRITAMissingHost(t *testing.T) {
	fs, notes := huntPaths(t, newDetector(t, nil), 2, dataset(t, "zeek/rita/missing_host"))

	b := find(t, fs, Beacon, "73.54.23.243 -> 64.225.56.201")
	if got := floatValue(t, b, "score"); math.Abs(got-0.963) > 0.01 {
		t.Errorf("beacon score %.3f, want RITA's 0.963 within 0.01", got)
	}
	if b.Level != finding.High {
		t.Errorf("beacon level %s, want high", b.Level)
	}
	for name, want := range map[string]string{
		"connections": "331", "ts_score": "0.852", "ds_score": "1.000", "hist_score": "1.000", "dur_score": "1.000",
		"missing_host": "331", "user_agents": "Modzilla/0.0001 (Atari 7800)", "ports": "80/tcp/http",
	} {
		if got := value(b, name); got != want {
			t.Errorf("beacon %s = %q, want %q", name, got, want)
		}
	}
	if b.EvidenceTotal != 331 || len(b.Evidence) == 0 {
		t.Errorf("beacon evidence %d of %d, want some of 331", len(b.Evidence), b.EvidenceTotal)
	}
	for _, e := range b.Evidence {
		got := map[string]bool{}
		for _, f := range e.Fields {
			got[f.Name] = f.Value != ""
		}
		for _, n := range []string{"uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto"} {
			if !got[n] {
				t.Errorf("beacon evidence lacks %s: %+v", n, e)
			}
		}
	}

	l := find(t, fs, LongConnection, "73.54.23.243 -> 64.225.56.201")
	if got := floatValue(t, l, "total_duration"); math.Abs(got-270036.63) > 0.005 {
		t.Errorf("long connection total %.6f s, want 270,036.63", got)
	}
	if got := value(l, "total_bytes"); got != "1679442" {
		t.Errorf("long connection bytes %s, want 1,679,442", got)
	}
	if value(l, "open_sessions") != "1" || l.Level != finding.High {
		t.Errorf("long connection: %s open sessions, level %s; want the SSH session open, high", value(l, "open_sessions"), l.Level)
	}
	if len(notes) == 0 || !strings.Contains(notes[0], "2024-04-20T23:00:00") {
		t.Errorf("notes do not give the window: %q", notes)
	}
}

// TestRITAOpenSNI: the long open connections of open_sni, per server name
// and per address.
func TestRITAOpenSNI(t *testing.T) {
	fs, _ := huntPaths(t, newDetector(t, nil), 2, dataset(t, "zeek/rita/open_sni"))
	for _, tt := range []struct {
		subject string
		total   float64
	}{
		{"10.0.0.238 -> ce7.stearns.org (8443/tcp/ssl)", 14737.06},
		{"10.0.0.238 -> ce7.stearns.org:8000 (8000/tcp/http)", 7376.72},
		{"10.0.0.238 -> 34.222.122.143 (64590/tcp)", 7200.40},
		{"10.0.0.238 -> 52.33.59.39 (64004/tcp)", 7200.17},
	} {
		f := find(t, fs, LongConnection, tt.subject)
		if got := floatValue(t, f, "total_duration"); math.Abs(got-tt.total) > 0.005 {
			t.Errorf("%s: %.2f s, want %.2f", tt.subject, got, tt.total)
		}
	}
	// The sessions named by open_ssl and open_http are judged under their
	// name, not again under their address.
	for _, f := range byRule(fs, LongConnection) {
		if strings.Contains(f.Summary, "-> 104.131.28.214") {
			t.Errorf("a named session reported under its address too: %s", f.Summary)
		}
	}
}

// TestRITAProxyRolling: the strobe of proxy_rolling, and the proxied
// connections to one server name.
func TestRITAProxyRolling(t *testing.T) {
	p := dataset(t, "zeek/rita/proxy_rolling")
	fs, _ := huntPaths(t, newDetector(t, nil), 2, p)
	s := find(t, fs, Strobe, "10.0.0.238 -> 75.75.75.75")
	for name, want := range map[string]string{"connections": "1160", "total_bytes": "319107", "total_duration": "595.72"} {
		if got := value(s, name); !strings.HasPrefix(got, want) {
			t.Errorf("strobe %s = %s, want %s", name, got, want)
		}
	}
	// The proxy relays its client's sessions: reported, but low, as a
	// forward proxy.
	r := find(t, fs, Relay, "10.0.0.238 relays port 3128 from 10.0.0.111")
	if r.Level != finding.Low {
		t.Errorf("a web proxy's relaying is %s, want low: %s", r.Level, r.Explain.Text)
	}

	// 10.0.0.111 -> safebrowsing.googleapis.com:443 through the proxy:
	// 46 connections, 308,421 bytes.
	d := newDetector(t, nil)
	feed(t, d, p)
	rep := newReporter(d, d.st, func(*finding.Finding) {})
	rep.prepare()
	var g *nameGroup
	for _, x := range rep.nameGroups() {
		if x.src.String() == "10.0.0.111" && x.name == "safebrowsing.googleapis.com:443" {
			g = x
		}
	}
	if g == nil {
		t.Fatal("no (10.0.0.111, safebrowsing.googleapis.com:443) group")
	}
	if st := g.s.stats(); st.count != 46 || st.bytes != 308421 {
		t.Errorf("safebrowsing: %d connections, %d bytes; want 46, 308,421", st.count, st.bytes)
	}
}

// feed shows every event of a path to a detector's workers and closes
// them, without finishing: tests then look into the merged state.
func feed(t *testing.T, d *Detector, paths ...string) {
	t.Helper()
	found, err := source.Discover(paths, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ws := []detect.Worker{d.NewWorker(), d.NewWorker()}
	r := source.Reader{Workers: 2, Process: func(w int, b *source.Batch) {
		for i := range b.Events {
			ws[w].Observe(&b.Events[i], nil)
		}
	}}
	if err := r.Read(context.Background(), found.Inputs, func(*source.Batch) error { return nil }); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		w.Close()
	}
}

// TestRITAWorkers: the same findings whatever the number of workers.
func TestRITAWorkers(t *testing.T) {
	p := dataset(t, "zeek/rita/proxy_rolling")
	one, _ := huntPaths(t, newDetector(t, nil), 1, p)
	three, _ := huntPaths(t, newDetector(t, nil), 3, p)
	if a, b := jsonLines(one), jsonLines(three); a != b {
		t.Errorf("3 workers differ from 1:\n%s\nwant:\n%s", summaries(three), summaries(one))
	}
}

// TestZedCopies: the TSV and JSON copies of zed-sample-data's traffic,
// hunted together, give what one copy gives.
func TestZedCopies(t *testing.T) {
	tsv := dataset(t, "zeek/zed-sample-data/zeek-default")
	js := dataset(t, "zeek/zed-sample-data/zeek-json")
	one, _ := huntPaths(t, newDetector(t, nil), 2, tsv)
	both, _ := huntPaths(t, newDetector(t, nil), 2, tsv, js)
	strip := func(fs []*finding.Finding) string {
		for _, f := range fs {
			f.Evidence, f.EvidenceTotal = nil, 0
		}
		return summaries(fs)
	}
	if a, b := strip(one), strip(both); a != b || a == "" {
		t.Errorf("both copies:\n%s\nwant as one:\n%s", b, a)
	}
}

// TestRITAAll: RITA's test data hunted in one go, its samples from
// different days side by side, gives each sample's facts: each stretch of
// logs is judged over its own last day, as RITA judges each import.
func TestRITAAll(t *testing.T) {
	fs, notes := huntPaths(t, newDetector(t, nil), 2, dataset(t, "zeek/rita"))
	b := find(t, fs, Beacon, "73.54.23.243 -> 64.225.56.201")
	if value(b, "score") != "0.963" || value(b, "connections") != "331" || value(b, "latest_window") != "true" {
		t.Errorf("beacon: score %s over %s connections (latest window %s), want 0.963 over 331 in the latest",
			value(b, "score"), value(b, "connections"), value(b, "latest_window"))
	}
	l := find(t, fs, LongConnection, "73.54.23.243 -> 64.225.56.201")
	if value(l, "total_bytes") != "1679442" {
		t.Errorf("SSH session: %s bytes, want 1,679,442", value(l, "total_bytes"))
	}
	find(t, fs, Strobe, "10.0.0.238 -> 75.75.75.75", "1,160 connections, 319,107 bytes")
	find(t, fs, LongConnection, "10.0.0.238 -> ce7.stearns.org (8443/tcp/ssl)", "14737.06 s")
	if len(notes) == 0 || !strings.Contains(notes[0], "stretches of logs") {
		t.Errorf("the notes do not say the logs came in stretches: %q", notes)
	}
}
