package source

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/event"
)

func TestSniff(t *testing.T) {
	cutWinlog := `{"@timestamp":"2024-01-01T00:00:00Z","message":"` + strings.Repeat("m", 1000) + `","winlog":{"chan`
	cutEnvelope := `{"@timestamp":"2024-01-01T00:00:00Z","agent":{"type":"winlogbeat"},"ecs":{"version":"8.0.0"},"message":"` +
		strings.Repeat("m", SniffLen) + `","winlog":{"channel":"Security"}}`
	tests := []struct {
		name string
		head string
		want event.Format
	}{
		{"evtx", "ElfFile\x00\x00\x00\x00", event.FormatEVTX},
		{"evtx_dump object", "{\n  \"Event\": {\n    \"#attributes\": {", event.FormatEVTXJSON},
		{"evtx_dump separate attributes", `{"Event_attributes":{"xmlns":"x"},"Event":{}}`, event.FormatEVTXJSON},
		{"evtx_dump after a BOM", "\xEF\xBB\xBF{\"Event\":{\"System\":{}}}", event.FormatEVTXJSON},
		{"ecs nested", `{"@timestamp":"x","agent":{},"winlog":{"channel":"Security"}}`, event.FormatECS},
		{"ecs dotted", `{"@timestamp":"x","winlog.channel":"Security","winlog.event_id":1}`, event.FormatECS},
		{"ecs array", "[\n  {\n    \"winlog\": {}\n  }\n]", event.FormatECS},
		{"ecs cut inside winlog", cutWinlog, event.FormatECS},
		{"ecs winlog key beyond the head", cutEnvelope, event.FormatECS},
		{"winlogbeat 6", `{"@timestamp":"x","log_name":"Security","event_id":4624,"source_name":"y"}`, event.FormatECS},
		{"nxlog", `{"EventTime":"2020-01-01 00:00:00","Hostname":"h","EventID":4624,"SourceName":"x"}`, event.FormatNXLog},
		{"nxlog after a garbage line", "garbage\n{\"EventID\":1,\"Channel\":\"Security\"}\n", event.FormatNXLog},
		{"nxlog after a foreign object", "{\"a\":1}\n{\"EventID\":1,\"Channel\":\"Security\"}\n", event.FormatNXLog},
		{"xml wevtutil", "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>", event.FormatXML},
		{"xml declaration and root", "<?xml version=\"1.0\"?>\r\n<!-- export -->\r\n<Events>\r\n<Event>", event.FormatXML},
		{"xml evtx_dump", "Record 1\n<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Event xmlns=\"x\">", event.FormatXML},
		{"xml utf-16le", string(append([]byte{0xFF, 0xFE}, toUTF16("<Events><Event>", false)...)), event.FormatXML},
		{"xml utf-16be no bom", string(toUTF16("<Event><System>", true)), event.FormatXML},
		{"other xml", "<?xml version=\"1.0\"?><html><body>", ""},
		{"zeek json", `{"ts":1600000000.1,"uid":"C1","id.orig_h":"10.0.0.1","_path":"conn"}`, event.FormatZeekJSON},
		{"zeek json without a path", `{"ts":"2018-03-24T17:15:20.865716Z","uid":"C1","query":"a.example"}`, event.FormatZeekJSON},
		{"zeek tsv", "#separator \\x09\n#set_separator\t,\n", event.FormatZeekTSV},
		{"zeek tsv without #separator", "#fields\tts\tuid\n#types\ttime\tstring\n", event.FormatZeekTSV},
		{"other json with ts", `{"level":"info","ts":1600000000.1,"msg":"started"}`, ""},
		{"tsv without a zeek header", "1517336042.090842\tCi85EB2YjUI9a2eql6\t10.55.182.100\n", ""},
		{"text", "hello world\n", ""},
		{"empty", "", ""},
		{"blank", " \r\n\t", ""},
	}
	for _, tt := range tests {
		if got := Sniff([]byte(tt.head)); got != tt.want {
			t.Errorf("%s: Sniff = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestSniffTestdata(t *testing.T) {
	want := map[string]event.Format{
		"4688.xml": event.FormatXML, "4688.evtx.json": event.FormatEVTXJSON,
		"4688.ecs.json": event.FormatECS, "4688.nxlog.json": event.FormatNXLog,
	}
	for name, f := range want {
		data, err := os.ReadFile(filepath.Join("testdata/cross", name))
		if err != nil {
			t.Fatal(err)
		}
		if got := Sniff(data); got != f {
			t.Errorf("%s: Sniff = %q, want %q", name, got, f)
		}
	}
}

func FuzzSniff(f *testing.F) {
	for _, pat := range []string{"testdata/*/*.json*", "testdata/*/*.xml"} {
		files, _ := filepath.Glob(pat)
		for _, p := range files {
			if data, err := os.ReadFile(p); err == nil && !strings.HasSuffix(p, ".golden") {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("ElfFile\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := Sniff(data)
		if len(data) > SniffLen && Sniff(data[:SniffLen]) != got {
			t.Fatalf("Sniff looked beyond SniffLen")
		}
		if got == event.FormatEVTX && !bytes.HasPrefix(data, evtxMagic) {
			t.Fatalf("evtx without the magic")
		}
	})
}
