package evtx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeFile writes events to a file in a temporary folder and returns its
// path.
func writeFile(t testing.TB, events []Event) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "test.evtx")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

var when = time.Date(2024, 2, 7, 10, 11, 12, 123456700, time.UTC)

func sysmonProcess(i int) Event {
	return Event{
		Provider: "Microsoft-Windows-Sysmon", ProviderGUID: MustGUID("{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"),
		EventID: 1, Version: 5, Level: 4, Task: 1, Keywords: 0x8000000000000000,
		Time: when.Add(time.Duration(i) * time.Second), ProcessID: 3000, ThreadID: 4000,
		Channel: "Microsoft-Windows-Sysmon/Operational", Computer: "DC01.corp.local", UserID: "S-1-5-18",
		Data: []Data{
			{"RuleName", "-"},
			{"UtcTime", "2024-02-07 10:11:12.123"},
			{"ProcessGuid", MustGUID("{0197231e-9be6-6934-5301-000000000b00}")},
			{"ProcessId", uint32(4711 + i)},
			{"Image", `C:\Windows\System32\ntdsutil.exe`},
			{"CommandLine", fmt.Sprintf(`ntdsutil "ac i ntds" ifm "create full C:\Windows\Temp\%d" q q   `, i)},
			{"LogonId", Hex64(0x3e7)},
		},
	}
}

// Every value type the writer knows renders as Windows renders it.
func TestWriterRoundTrip(t *testing.T) {
	events := []Event{
		sysmonProcess(0),
		{
			Provider: "Test", EventID: 4242, Time: when, Channel: "Test/Operational", Computer: "WS1",
			ActivityID: MustGUID("{6B3DFF46-F4E6-4CDA-983B-76B101728AA5}"),
			Data: []Data{
				{"S", "a <b> & \"c\" é 😀"},
				{"I8", int8(-5)}, {"U8", uint8(250)}, {"I16", int16(-300)}, {"U16", uint16(65000)},
				{"I32", int32(-70000)}, {"U32", uint32(4000000000)}, {"I64", int64(-1 << 40)}, {"U64", uint64(1 << 63)},
				{"F", 1.5}, {"T", true}, {"Fa", false}, {"H32", Hex32(0xdeadbeef)}, {"H64", Hex64(0)},
				{"FT", time.Date(2019, 4, 30, 19, 27, 2, 100, time.UTC)},
				{"G", MustGUID("{00000000-0000-0000-0000-000000000000}")},
				{"Sid", SID("S-1-5-21-1223297778-3299746493-1462173606-500")},
				{"B", []byte{0x00, 0xab, 0x10}},
				{"Arr", []string{"one", "two", ""}},
				{"N", nil},
				{"", "unnamed 1"}, {"", "unnamed 2"},
			},
		},
		{
			Provider: "Microsoft-Windows-Eventlog", EventID: 1102, Time: when, Channel: "Security", Computer: "DC01",
			UserData: &UserData{Name: "LogFileCleared", Namespace: "http://manifests.microsoft.com/win/2004/08/windows/eventlog",
				Fields: []Data{{"SubjectUserSid", SID("S-1-5-21-1-2-3-500")}, {"SubjectUserName", "admin"}, {"SubjectLogonId", Hex64(0x1d2c3)}}},
		},
	}
	res := readFile(t, writeFile(t, events))
	if len(res.damage) > 0 || len(res.records) != 3 {
		t.Fatalf("%d records, damage %v", len(res.records), res.damage)
	}
	tests := []struct {
		rec   int
		field string
		want  string
	}{
		{0, "Provider_Name", "Microsoft-Windows-Sysmon"},
		{0, "Provider_Guid", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"},
		{0, "EventID", "1"},
		{0, "Keywords", "0x8000000000000000"},
		{0, "TimeCreated", "2024-02-07T10:11:12.1234567Z"},
		{0, "EventRecordID", "1"},
		{0, "Execution_ProcessID", "3000"},
		{0, "Security_UserID", "S-1-5-18"},
		{0, "ProcessGuid", "{0197231E-9BE6-6934-5301-000000000B00}"},
		{0, "ProcessId", "4711"},
		{0, "CommandLine", `ntdsutil "ac i ntds" ifm "create full C:\Windows\Temp\0" q q`}, // trailing spaces trimmed
		{0, "LogonId", "0x3e7"},
		{1, "S", "a <b> & \"c\" é 😀"},
		{1, "I8", "-5"}, {1, "U8", "250"}, {1, "I16", "-300"}, {1, "U16", "65000"},
		{1, "I32", "-70000"}, {1, "U32", "4000000000"}, {1, "I64", "-1099511627776"}, {1, "U64", "9223372036854775808"},
		{1, "F", "1.5"}, {1, "T", "true"}, {1, "Fa", "false"}, {1, "H32", "0xdeadbeef"}, {1, "H64", "0x0"},
		{1, "FT", "2019-04-30T19:27:02.0000001Z"},
		{1, "G", "{00000000-0000-0000-0000-000000000000}"},
		{1, "Sid", "S-1-5-21-1223297778-3299746493-1462173606-500"},
		{1, "B", "00AB10"},
		{1, "Arr", "one|two|"},
		{1, "N", ""},
		{1, "Data", "unnamed 1|unnamed 2"},
		{1, "Correlation_ActivityID", "{6B3DFF46-F4E6-4CDA-983B-76B101728AA5}"},
		{2, "SubjectUserSid", "S-1-5-21-1-2-3-500"},
		{2, "SubjectUserName", "admin"},
		{2, "SubjectLogonId", "0x1d2c3"},
		{2, "EventRecordID", "3"},
	}
	for _, tt := range tests {
		got, ok := res.records[tt.rec][tt.field]
		if !ok {
			t.Errorf("record %d: no field %s", tt.rec, tt.field)
			continue
		}
		if g := strings.Join(got, "|"); g != tt.want {
			t.Errorf("record %d: %s = %q, want %q", tt.rec, tt.field, g, tt.want)
		}
	}
	for _, absent := range []string{"Provider_Guid", "Security_UserID", "Correlation_ActivityID"} {
		if _, ok := res.records[2][absent]; ok {
			t.Errorf("record 2: %s present though the event has none", absent)
		}
	}
	wantXML := `<UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog"><SubjectUserSid>S-1-5-21-1-2-3-500</SubjectUserSid>`
	if !strings.Contains(res.xml[2], wantXML) {
		t.Errorf("UserData XML:\n%s\nwant it to contain\n%s", res.xml[2], wantXML)
	}
	if !strings.Contains(res.xml[1], `<Data Name="S">a &lt;b&gt; &amp; "c" é 😀</Data>`) {
		t.Errorf("escaping in XML: %s", res.xml[1])
	}
}

// Thousands of events span several chunks; templates are defined once per
// chunk and every record comes back in order.
func TestWriterManyChunks(t *testing.T) {
	var events []Event
	for i := 0; i < 3000; i++ {
		events = append(events, sysmonProcess(i))
	}
	path := writeFile(t, events)
	st, _ := os.Stat(path)
	if st.Size() < FileHeaderSize+3*ChunkSize {
		t.Fatalf("file of %d bytes: expected several chunks", st.Size())
	}
	res := readFile(t, path)
	if len(res.records) != 3000 || len(res.damage) != 0 {
		t.Fatalf("%d records, damage %v", len(res.records), res.damage)
	}
	for i, r := range res.records {
		if want := fmt.Sprint(i + 1); r["EventRecordID"][0] != want {
			t.Fatalf("record %d has id %s", i, r["EventRecordID"][0])
		}
	}
}

// Damage in one record or chunk is reported and skipped; every good record
// around it is returned.
func TestDamageIsContained(t *testing.T) {
	var events []Event
	for i := 0; i < 1500; i++ {
		events = append(events, sysmonProcess(i))
	}
	clean, err := os.ReadFile(writeFile(t, events))
	if err != nil {
		t.Fatal(err)
	}
	firstRecord := FileHeaderSize + chunkHeaderSize
	tests := []struct {
		name       string
		corrupt    func(b []byte) []byte
		minRecords int
		damage     int
	}{
		{"intact", func(b []byte) []byte { return b }, 1500, 0},
		{"bad chunk signature", func(b []byte) []byte { copy(b[FileHeaderSize+ChunkSize:], "BADCHUNK"); return b }, 1000, 1},
		{"zeroed chunk", func(b []byte) []byte { clear(b[FileHeaderSize+ChunkSize : FileHeaderSize+2*ChunkSize]); return b }, 1000, 0},
		{"broken BinXML token in a later record", func(b []byte) []byte {
			// The second record's substitution values are intact but its
			// template instance token is not.
			second := firstRecord + int(le32(b[firstRecord+4:]))
			b[second+recordHeaderLen+4] = 0x77
			return b
		}, 1499, 1},
		{"record size past the chunk", func(b []byte) []byte {
			second := firstRecord + int(le32(b[firstRecord+4:]))
			b[second+4], b[second+5], b[second+6] = 0xff, 0xff, 0x00
			return b
		}, 1000, 1},
		{"truncated mid-chunk", func(b []byte) []byte { return b[:FileHeaderSize+2*ChunkSize+1500] }, 200, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := tt.corrupt(bytes.Clone(clean))
			ef, err := Open(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			res := readChunks(t, ef)
			if ef.Missing() > 0 {
				res.damage = append(res.damage, fmt.Errorf("%d bytes missing", ef.Missing()))
			}
			if len(res.records) < tt.minRecords || len(res.damage) != tt.damage {
				t.Errorf("%d records, %d damaged (%v); want at least %d records and %d damaged",
					len(res.records), len(res.damage), res.damage, tt.minRecords, tt.damage)
			}
		})
	}
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func TestOpenRejectsOtherFiles(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{0}, 5000), append([]byte("ElfFile\x00"), make([]byte, 100)...)} {
		_, err := Open(bytes.NewReader(b), int64(len(b)))
		if err == nil {
			t.Errorf("Open(%d bytes) accepted it", len(b))
			continue
		}
		if !errors.Is(err, ErrFormat) && !errors.Is(err, ErrTruncated) {
			t.Errorf("Open(%d bytes): %v, want ErrFormat or ErrTruncated", len(b), err)
		}
	}
}

func TestStreamMatchesFile(t *testing.T) {
	var events []Event
	for i := 0; i < 800; i++ {
		events = append(events, sysmonProcess(i))
	}
	b, err := os.ReadFile(writeFile(t, events))
	if err != nil {
		t.Fatal(err)
	}
	b = b[:FileHeaderSize+2*ChunkSize+1500] // a copy cut short
	s, err := NewStream(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	p := NewParser()
	buf := make([]byte, ChunkSize)
	n, cut, truncated := 0, 0, false
	for {
		data, i, err := s.Next(buf)
		if errors.Is(err, ErrTruncated) {
			truncated = true
		} else if err != nil {
			break
		}
		c, err := p.Chunk(data, ChunkOffset(i))
		if err != nil || c == nil {
			t.Fatal(err)
		}
		for {
			_, err := c.Next()
			if err == io.EOF {
				break
			}
			if errors.Is(err, ErrTruncated) {
				cut++
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	if !truncated || cut != 1 || n < 200 || n >= 800 {
		t.Errorf("stream: %d records, %d cut, truncated=%v; want the records before the cut, the cut record and the chunk reported", n, cut, truncated)
	}
}
