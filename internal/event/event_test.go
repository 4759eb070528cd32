package event

import (
	"encoding/json"
	"encoding/xml"
	"strings"
	"testing"
	"testing/quick"
	"time"
)

func TestNormalizeFirstFieldWins(t *testing.T) {
	// Event 104 of the System log: the cleared log's name is in UserData.
	e := Event{Fields: []Field{
		{FieldProvider, "Microsoft-Windows-Eventlog"}, {FieldEventID, "104"},
		{FieldTimeCreated, "2019-03-19T23:34:25.2753528Z"}, {FieldRecordID, "27"},
		{FieldChannel, "System"}, {FieldComputer, "WIN-77LTAPHIQ1R.example.corp"},
		{"SubjectUserName", "admin"}, {FieldChannel, "Microsoft-Windows-Sysmon/Operational"},
	}}
	e.Normalize()
	want := time.Date(2019, 3, 19, 23, 34, 25, 275352800, time.UTC)
	if e.Channel != "System" || e.EventID != 104 || e.RecordID != 27 || !e.Time.Equal(want) ||
		e.Provider != "Microsoft-Windows-Eventlog" || e.Computer != "WIN-77LTAPHIQ1R.example.corp" {
		t.Errorf("header %+v", e)
	}
	var none Event
	none.Normalize()
	if none.EventID != -1 || !none.Time.IsZero() {
		t.Errorf("empty event: EventID %d, time %v", none.EventID, none.Time)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2020, 10, 18, 7, 50, 6, 220000000, time.UTC)
	for _, s := range []string{
		"2020-10-18T07:50:06.2200000Z", "2020-10-18T07:50:06.22Z", "2020-10-18 07:50:06.220",
		"2020-10-18T07:50:06.220", "2020-10-18T09:50:06.220+02:00", "2020-10-18T07:50:06.220000000Z",
	} {
		got, ok := ParseTime(s)
		if !ok || !got.Equal(want) {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "yesterday", "2020-13-18T07:50:06Z", "2020-10-18"} {
		if _, ok := ParseTime(s); ok {
			t.Errorf("ParseTime(%q) accepted", s)
		}
	}
	if got := FormatTime(want); got != "2020-10-18T07:50:06.2200000Z" {
		t.Errorf("FormatTime = %s", got)
	}
}

func TestCanonicalGUID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"{b34bc01c-22ae-5f69-b600-000000000900}", "{B34BC01C-22AE-5F69-B600-000000000900}"},
		{"0197231E-9BE6-6934-5301-000000000B00", "{0197231E-9BE6-6934-5301-000000000B00}"},
		{"{0197231E-9BE6-6934-5301-000000000B00}", "{0197231E-9BE6-6934-5301-000000000B00}"},
		{"0197231E_9BE6-6934-5301-000000000B00", ""},
		{"{0197231E-9BE6-6934-5301-000000000B0G}", ""},
		{"not a guid", ""},
	}
	for _, tt := range tests {
		got, ok := CanonicalGUID(tt.in)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("CanonicalGUID(%q) = %q, %v; want %q", tt.in, got, ok, tt.want)
		}
	}
}

// Attacker-controlled values survive JSON and XML encoding: the output
// parses, and decodes to the value.
func TestEncodingsEscape(t *testing.T) {
	hostile := "<script>alert(\"x\")</script>\x1b[31m\x00\u2028'&\xff\\"
	e := Event{Fields: []Field{
		{FieldEventID, "1"}, {FieldChannel, "Security"}, {"CommandLine", hostile},
		{"Data", "one"}, {"Data", "two"}, {"Na\"me", "v"},
	}, Source: Source{File: "C:\\logs\\a\".evtx", Format: FormatEVTX, Offset: 4608}}
	var obj map[string]any
	js := e.AppendJSON(nil)
	if err := json.Unmarshal(js, &obj); err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	if got := obj["CommandLine"].(string); got != strings.ToValidUTF8(hostile, "\uFFFD") {
		t.Errorf("CommandLine round trip: %q", got)
	}
	if d, ok := obj["Data"].([]any); !ok || len(d) != 2 || d[0] != "one" || d[1] != "two" {
		t.Errorf("repeated names: %v", obj["Data"])
	}
	if obj["@file"] != "C:\\logs\\a\".evtx" || obj["@offset"] != float64(4608) {
		t.Errorf("source: %v %v", obj["@file"], obj["@offset"])
	}
	x := e.AppendXML(nil)
	d := xml.NewDecoder(strings.NewReader(string(x)))
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Errorf("XML output does not parse: %v\n%s", err, x)
			}
			break
		}
	}
	if strings.Contains(string(x), "<script>") {
		t.Error("XML output carries markup from a value")
	}
}

func TestJSONStringRoundTrip(t *testing.T) {
	f := func(s string) bool {
		var back string
		if err := json.Unmarshal(AppendJSONString(nil, s), &back); err != nil {
			return false
		}
		return back == strings.ToValidUTF8(s, "\uFFFD")
	}
	if err := quick.Check(f, &quick.Config{MaxCount: 5000}); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	e := Event{Fields: []Field{
		{FieldProvider, "Microsoft-Windows-Sysmon"}, {FieldEventID, "1"}, {FieldTimeCreated, "2024-02-07T10:11:12.1234567Z"},
		{FieldChannel, "Microsoft-Windows-Sysmon/Operational"}, {FieldComputer, "DC01.corp.example"},
		{"Image", `C:\Windows\System32\ntdsutil.exe`}, {"CommandLine", `ntdsutil "ac i ntds" ifm "create full C:\Windows\Temp\Pro" q q`},
		{"ParentImage", `C:\Windows\System32\cmd.exe`}, {"User", `CORP\j.doe`}, {"Hashes", "SHA256=1B48A4F8D20026E6C56E3AB4CC4788FA6425C8A75F8D91C2869FA533DE6B209E"},
	}, Source: Source{File: "Sysmon.evtx", Format: FormatEVTX, Offset: 4608}}
	var buf []byte
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = e.AppendJSON(buf[:0])
	}
	b.SetBytes(int64(len(buf)))
}
