package simulate

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/event"
	"github.com/breakwater/breakwater/internal/source"
)

// readEvents reads every event under dir through the path a hunt takes,
// rendered one per line without its place in the file, sorted.
func readEvents(t *testing.T, dir string) (map[string][]string, int) {
	t.Helper()
	found, err := source.Discover([]string{dir}, source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	damaged := 0
	r := source.Reader{Workers: 1}
	err = r.Read(context.Background(), found.Inputs, func(b *source.Batch) error {
		damaged += len(b.Damage)
		for i := range b.Events {
			out[filepath.Base(b.Input.Name)] = append(out[filepath.Base(b.Input.Name)], render(&b.Events[i]))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out {
		slices.Sort(v)
	}
	return out, damaged
}

func render(e *event.Event) string {
	var b strings.Builder
	b.WriteString(e.Time.Format("2006-01-02T15:04:05.0000000Z") + " " + e.Channel + " " + e.Provider)
	for _, f := range e.Fields {
		b.WriteString(" " + f.Name + "=" + f.Value)
	}
	return b.String()
}

// The TSV and the JSON copies of the scenario's Zeek logs give the same
// events, undamaged; every log is there and closed, and the connections
// use the addresses of the hosts whose logs name them.
func TestScenarioZeekCopies(t *testing.T) {
	dir := t.TempDir()
	if err := VoltTyphoon(dir, Options{Seed: 5, Hosts: 7, Days: 3}); err != nil {
		t.Fatal(err)
	}
	tsv, dt := readEvents(t, filepath.Join(dir, ZeekDir))
	js, dj := readEvents(t, filepath.Join(dir, ZeekJSONDir))
	if dt+dj > 0 {
		t.Errorf("damaged records: %d in TSV, %d in JSON", dt, dj)
	}
	total := 0
	for _, p := range zeekLogOrder {
		name := p + ".log"
		a, b := tsv[name], js[name]
		total += len(a)
		if len(a) == 0 {
			t.Errorf("%s: no records", name)
		}
		if len(a) != len(b) {
			t.Errorf("%s: %d events from TSV, %d from JSON", name, len(a), len(b))
			continue
		}
		for i := range a {
			if a[i] != b[i] {
				t.Errorf("%s: TSV and JSON differ:\n tsv %s\njson %s", name, a[i], b[i])
				break
			}
		}
		data, err := os.ReadFile(filepath.Join(dir, ZeekDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), "\n#close\t") {
			t.Errorf("%s has no #close line", name)
		}
	}
	t.Logf("%d Zeek records", total)
	// Every internal address in conn.log is one of the network's hosts,
	// or one a ping sweep tried.
	hosts := map[string]bool{}
	for _, h := range []string{"10.0.1.10", "10.0.1.20", "10.0.1.30", "10.0.1.40", "10.0.2.21", "10.0.2.22", "10.0.2.23"} {
		hosts[h] = true
	}
	for _, line := range tsv["conn.log"] {
		for _, f := range strings.Fields(line) {
			name, v, _ := strings.Cut(f, "=")
			if (name == "id.orig_h" || name == "id.resp_h") && strings.HasPrefix(v, "10.") && !hosts[v] && !strings.Contains(line, "proto=icmp") {
				t.Errorf("unknown internal address %s: %s", v, line)
			}
		}
	}
}
