package event

import (
	"math/rand"
	"testing"
	"time"
)

func TestAppendSystemValue(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{FieldProviderGUID, "54849625-5478-4994-a5ba-3e3b0328c30d", "{54849625-5478-4994-A5BA-3E3B0328C30D}"},
		{FieldProviderGUID, " {54849625-5478-4994-A5BA-3E3B0328C30D} ", "{54849625-5478-4994-A5BA-3E3B0328C30D}"},
		{FieldActivityID, "not-a-guid", "not-a-guid"},
		{FieldTimeCreated, "2016-07-08T18:12:51.681640Z", "2016-07-08T18:12:51.6816400Z"},
		{FieldTimeCreated, "2021-11-19T16:52:33.833733500Z", "2021-11-19T16:52:33.8337335Z"},
		{FieldTimeCreated, "2024-02-07 05:11:12.25 -05:00", "2024-02-07T10:11:12.2500000Z"},
		{FieldTimeCreated, "2020-10-18 07:50:06.220", "2020-10-18T07:50:06.2200000Z"},
		{FieldTimeCreated, "yesterday", "yesterday"},
		{FieldKeywords, "0x8020000000000000", "0x8020000000000000"},
		{FieldKeywords, "0X400000000000002E", "0x400000000000002e"},
		{FieldKeywords, "-9214364837600034816", "0x8020000000000000"},
		{FieldKeywords, "-9223372036854775808", "0x8000000000000000"},
		{FieldKeywords, "36028797018963968", "0x80000000000000"},
		{FieldKeywords, "-9223372036854775809", "-9223372036854775809"},
		{FieldKeywords, "99999999999999999999999", "99999999999999999999999"},
		{FieldKeywords, "0x", "0x"},
		{FieldEventID, " 4688\r\n", "4688"},
		{FieldComputer, "\n    DC01\n  ", "DC01"},
	}
	for _, tt := range tests {
		if got := string(AppendSystemValue(nil, tt.name, []byte(tt.in))); got != tt.want {
			t.Errorf("AppendSystemValue(%s, %q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestAppendGUIDMatchesCanonicalGUID(t *testing.T) {
	for _, s := range []string{
		"54849625-5478-4994-a5ba-3e3b0328c30d", "{5BBCA4A8-B209-48DC-A8C7-B23D3E5216FB}",
		"{5bbca4a8-b209-48dc-a8c7-b23d3e5216fb", "5bbca4a8b20948dca8c7b23d3e5216fb", "", "{}",
		"g4849625-5478-4994-a5ba-3e3b0328c30d", "54849625-5478-4994-a5ba-3e3b0328c30d-",
	} {
		want, wok := CanonicalGUID(s)
		got, ok := AppendGUID([]byte("x"), []byte(s))
		if ok != wok || ok && string(got) != "x"+want || !ok && string(got) != "x" {
			t.Errorf("AppendGUID(%q) = %q, %v; CanonicalGUID = %q, %v", s, got, ok, want, wok)
		}
	}
}

func TestParseTimeBytes(t *testing.T) {
	tests := []struct {
		in    string
		want  string
		zoned bool
		ok    bool
	}{
		{"2024-02-07T10:11:12.1234567Z", "2024-02-07T10:11:12.1234567Z", true, true},
		{"2024-02-07T10:11:12.123456789123Z", "2024-02-07T10:11:12.1234567Z", true, true},
		{"2024-02-07 10:11:12", "2024-02-07T10:11:12.0000000Z", false, true},
		{"2024-02-07T10:11:12+0100", "2024-02-07T09:11:12.0000000Z", true, true},
		{"2024-02-07T10:11:12-01", "2024-02-07T11:11:12.0000000Z", true, true},
		{"2024-02-07 10:11:12 UTC", "2024-02-07T10:11:12.0000000Z", true, true},
		{"2024-02-30T10:11:12Z", "", false, false},
		{"2024-13-01T10:11:12Z", "", false, false},
		{"2024-02-07T10:11:12.Z", "", false, false},
		{"2024-02-07T10:11:12+01:0", "", false, false},
		{"2024-02-07T10:11", "", false, false},
		{"2024-02-07T10:11:12 ", "", false, false},
	}
	for _, tt := range tests {
		tm, zoned, ok := ParseTimeBytes([]byte(tt.in))
		if ok != tt.ok || ok && (FormatTime(tm) != tt.want || zoned != tt.zoned) {
			t.Errorf("ParseTimeBytes(%q) = %s, %v, %v; want %s, %v, %v", tt.in, FormatTime(tm), zoned, ok, tt.want, tt.zoned, tt.ok)
		}
		// Whatever ParseTime reads, ParseTimeBytes reads the same way.
		if want, ok2 := ParseTime(tt.in); ok2 && (!ok || !tm.Equal(want)) {
			t.Errorf("ParseTimeBytes(%q) disagrees with ParseTime: %v", tt.in, want)
		}
	}
}

// TestAppendTime holds the hand-written formatter to time's own.
func TestAppendTime(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	times := []time.Time{{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(12000, 1, 1, 0, 0, 0, 0, time.UTC)}
	for range 1000 {
		times = append(times, time.Unix(r.Int63n(1<<36)-1<<35, r.Int63n(1e9)).In(time.FixedZone("x", 3600*int(r.Int63n(25)-12))))
	}
	for _, tm := range times {
		if got, want := string(AppendTime(nil, tm)), tm.UTC().Format(TimeLayout); got != want {
			t.Errorf("AppendTime(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestCanonicalChannel(t *testing.T) {
	tests := map[string]string{
		"security": "Security", "SECURITY": "Security", "Security": "Security",
		"microsoft-windows-sysmon/operational": "Microsoft-Windows-Sysmon/Operational",
		"windows powershell":                   "Windows PowerShell",
		"Custom/Log":                           "Custom/Log", "": "",
	}
	for in, want := range tests {
		if got := CanonicalChannel(in); got != want {
			t.Errorf("CanonicalChannel(%q) = %q, want %q", in, got, want)
		}
		if got := string(AppendCanonicalChannel(nil, []byte(" "+in+" "))); got != want {
			t.Errorf("AppendCanonicalChannel(%q) = %q, want %q", in, got, want)
		}
	}
}
