package source

import (
	"context"
	"github.com/breakwater/breakwater/internal/datasets"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/finding"
)

const zeekHeader = "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"

// Zeek logs as events: the channel from the log's path, the sensor as the
// computer, every field by its Zeek name, damage and truncation reported.
func TestZeekGolden(t *testing.T) {
	tests := []struct{ name, file, input string }{
		{"tsv", "sensor/conn.00:00:00-01:00:00.log.gz", zeekHeader + "#path\tconn\n" +
			"#fields\t_node_name\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\ttunnel_parents\n" +
			"#types\tstring\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tset[string]\n" +
			"worker-eth0-1\t1713657596.834168\tCEWN1g\t73.54.23.243\t56394\t64.225.56.201\t22\ttcp\t14400.964662\t26739\t(empty)\n" +
			"worker-eth0-1\t1713657597.000000\tC2\t10.0.0.1\t5353\t10.0.0.2\t53\tudp\t-\t-\tCx1,Cx2\n" +
			"#close\t2024-04-21-01-00-00\n"},
		{"tsv_truncated", "conn.log", zeekHeader + "#path\tconn\n#fields\tts\tuid\n#types\ttime\tstring\n" +
			"1.000000\tC1\n2.0"},
		{"json", "stream.json", `{"@stream":"dns","_system_name":"sensor-7","ts":"2018-03-24T17:15:20.865716Z","uid":"Cq","id_orig_h":"10.47.1.100","query":"evil.example","answers":["1.2.3.4"]}` + "\n" +
			`{"ts":1.5,"uid":"C9","name":"bad_TCP_checksum","peer":"w1"}` + "\n" +
			`{"ts":2.5,"uid":"C10","odd":"no path known","x":"\u001b[2J"}` + "\n" +
			"not json\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := renderEvents(t, NewZeekDecoder(strings.NewReader(tt.input), tt.file), len(tt.input))
			checkGolden(t, filepath.Join("testdata", "zeek", tt.name+".golden"), got)
		})
	}
}

// readEvents discovers and reads paths, returning the events and the
// damage, and the files skipped.
func readEvents(t testing.TB, paths ...string) (events []event.Event, damage []Damage, skipped []Skipped) {
	t.Helper()
	d, err := Discover(paths, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &Reader{Workers: 2}
	err = r.Read(context.Background(), d.Inputs, func(b *Batch) error {
		events = append(events, b.Events...)
		damage = append(damage, b.Damage...)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return events, damage, d.Skipped
}

// RITA's format cases through discovery and reading, as a user running
// dump or hunt over the folder sees them.
func TestZeekRITA(t *testing.T) {
	dir := datasets.Path(t, "zeek/rita")
	events, damage, skipped := readEvents(t, filepath.Join(dir, "truncated"), filepath.Join(dir, "text_file"),
		filepath.Join(dir, "has_unknown_field"))
	var skip []string
	for _, s := range skipped {
		skip = append(skip, filepath.Base(filepath.Dir(s.Name))+"/"+filepath.Base(s.Name))
	}
	if strings.Join(skip, " ") != "truncated/conn_top.log text_file/conn.log" {
		t.Errorf("skipped %q, want the headerless tail and the text file", skip)
	}
	truncated := false
	for _, d := range damage {
		truncated = truncated || strings.HasSuffix(d.Input, "truncated/conn.log") && strings.Contains(d.Reason, "log truncated")
	}
	if !truncated {
		t.Errorf("damage %v does not report truncated/conn.log as truncated", damage)
	}
	counts := map[string]int{}
	for _, ev := range events {
		counts[filepath.Base(ev.Source.File)]++
		if ev.Provider != "zeek" || ev.EventID != -1 || ev.Time.IsZero() || ev.Source.Line == 0 {
			t.Fatalf("event %+v", ev)
		}
		if v, _ := ev.Get("_path"); ev.Channel != "zeek."+v {
			t.Fatalf("channel %q for _path %q", ev.Channel, v)
		}
	}
	want := map[string]int{"conn.log": 58, "conn_json.log": 3, "http.log": 4}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d events, want %d", k, counts[k], n)
		}
	}
	for _, ev := range events {
		if filepath.Base(ev.Source.File) == "http.log" {
			if v, _ := ev.Get("i_dont_exist"); v != "bingbong" || ev.Channel != "zeek.http" {
				t.Errorf("http event with an unknown field: channel %q, i_dont_exist %q", ev.Channel, v)
			}
		}
	}
}

// The sensor name of a log becomes the events' computer; gzip and rotated
// file names are read.
func TestZeekSensorName(t *testing.T) {
	dir := datasets.Path(t, "zeek/rita/missing_host/2024-04-21")
	events, damage, _ := readEvents(t, filepath.Join(dir, "conn.00:00:00-01:00:00.log.gz"), filepath.Join(dir, "dns.00:00:00-01:00:00.log.gz"))
	if len(damage) > 0 || len(events) == 0 {
		t.Fatalf("%d events, damage %v", len(events), damage)
	}
	chans := map[string]int{}
	for _, ev := range events {
		chans[ev.Channel]++
		// Only the conn log of this sensor carries _node_name.
		want := ""
		if ev.Channel == "zeek.conn" {
			want = "worker-eth0-1"
		}
		if ev.Computer != want {
			t.Fatalf("%s: computer %q, want %q", ev.Channel, ev.Computer, want)
		}
	}
	if chans["zeek.conn"] != 2426 || chans["zeek.dns"] == 0 || len(chans) != 2 {
		t.Errorf("channels %v", chans)
	}
}

// The TSV and the JSON copies of the same traffic give the same events,
// field for field: the same key, so that a hunt over both counts each once.
func TestZeekTSVSameAsJSON(t *testing.T) {
	dir := datasets.Path(t, "zeek/zed-sample-data")
	logs := []string{"dns", "ssl", "rdp", "ntlm", "x509", "kerberos", "smb_files", "smb_mapping", "dce_rpc", "notice", "ssh", "weird", "analyzer", "ntp"}
	if testing.Short() {
		logs = logs[:4]
	}
	for _, name := range logs {
		a, da, _ := readEvents(t, filepath.Join(dir, "zeek-default", name+".log.gz"))
		b, db, _ := readEvents(t, filepath.Join(dir, "zeek-json", name+".json.gz"))
		if len(da)+len(db) > 0 || len(a) != len(b) || len(a) == 0 {
			t.Errorf("%s: %d TSV and %d JSON events, damage %v %v", name, len(a), len(b), da, db)
			continue
		}
		diffs := 0
		for i := range a {
			x, y := &a[i], &b[i]
			if finding.EventKey(x) != finding.EventKey(y) {
				if diffs++; diffs <= 2 {
					t.Errorf("%s event %d:\nTSV  %s %s\nJSON %s %s", name, i, x.Channel, renderFields(x.Fields), y.Channel, renderFields(y.Fields))
				}
			}
		}
		if a[0].Channel != "zeek."+name || a[0].Source.Format != event.FormatZeekTSV || b[0].Source.Format != event.FormatZeekJSON {
			t.Errorf("%s: channel %q, formats %s and %s", name, a[0].Channel, a[0].Source.Format, b[0].Source.Format)
		}
	}
}

func BenchmarkZeekDecoder(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(zeekHeader + "#path\tconn\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tduration\torig_bytes\tresp_bytes\tconn_state\n" +
		"#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tinterval\tcount\tcount\tstring\n")
	const n = 10000
	for i := 0; i < n; i++ {
		sb.WriteString("1713657596.834168\tCEWN1g1rNOHkuyh63j\t10.0.0.1\t49152\t64.225.56.201\t443\ttcp\t1.000062\t1250\t1694\tSF\n")
	}
	data := sb.String()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var ev event.Event
	for b.Loop() {
		d := NewZeekDecoder(strings.NewReader(data), "conn.log")
		for {
			if err := d.Next(&ev); err != nil {
				break
			}
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
