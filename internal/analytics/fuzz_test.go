package analytics

import (
	"strconv"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/event"
)

// FuzzObserve feeds events of every kind the analytics read, with values
// from the fuzzer (records ids, times, names, command lines), through
// Observe and Finish: nothing may panic, whatever a hostile log holds.
func FuzzObserve(f *testing.F) {
	f.Add("4625", "18446744073709551615", "2024-02-07T10:00:00Z", "Administrator", "10.0.0.1", `cmd /c whoami`)
	f.Add("1102", "9223372036854775809", "", "x", "::ffff:127.0.0.1", "")
	f.Add("104", "1", "1601-01-01T00:00:00Z", "", "-", `\\`)
	f.Add("1", "2", "9999-12-31T23:59:59Z", "a\x00b", "", `vssadmin create shadow & 7z a \\h\c$\x & rd /s c:\windows\temp\x`)
	f.Fuzz(func(t *testing.T, id, rec, when, name, addr, cmd string) {
		b := newLog("fuzz")
		var evs []event.Event
		for _, spec := range [][3]string{
			{"Security", "Microsoft-Windows-Security-Auditing", id},
			{"System", "Microsoft-Windows-Eventlog", id},
			{"System", "Service Control Manager", id},
			{channelSysmon, "Microsoft-Windows-Sysmon", id},
		} {
			n, _ := strconv.Atoi(spec[2])
			ev := b.event(day1, "H"+name, spec[0], spec[1], n,
				"TargetUserName", name, "IpAddress", addr, "Workstation", addr, "Status", "0xc000006d", "LogonType", "10",
				"Param3", addr, "SubjectUserName", name, "TargetSid", name, "MemberSid", name,
				"Image", cmd, "CommandLine", cmd, "ParentImage", cmd, "User", name, "LogonId", addr,
				"TargetFilename", cmd, "TargetObject", cmd, "param1", "Windows Event Log", "param2", "stopped",
				"param3", "disabled", "param4", "EventLog", "Channel", name, "ServiceName", name, "ImagePath", cmd, "TaskName", name)
			for i := range ev.Fields {
				switch ev.Fields[i].Name {
				case event.FieldRecordID:
					ev.Fields[i].Value = rec
				case event.FieldTimeCreated:
					ev.Fields[i].Value = when
				}
			}
			ev.Normalize()
			evs = append(evs, ev, ev)
		}
		for _, eid := range []int{1, 4688, 4624, 4625, 4648, 4720, 4732, 1102, 104, 7040, 7045, 4698, 11, 13, 26, 1149} {
			ev := evs[0]
			ev.EventID = eid
			if eid == 1 || eid == 11 || eid == 13 || eid == 26 {
				ev.Channel = channelSysmon
			}
			if strings.HasPrefix(strconv.Itoa(eid), "7") || eid == 104 {
				ev.Channel = "System"
			}
			evs = append(evs, ev)
		}
		run(t, newDetector(t, nil), evs, 2)
	})
}
