package report

import (
	"bufio"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/finding"
)

// csvHeader is the CSV layout. The first three columns are the ones
// Timesketch requires to import a timeline; the rest become attributes of
// each event there.
var csvHeader = [...]string{
	"datetime", "timestamp_desc", "message",
	"id", "kind", "level", "rule", "rule_id", "host", "user", "techniques", "tactics",
	"file", "record_id", "channel", "event_id", "key_field", "key_value", "summary",
}

// csvTime is ISO 8601 with microseconds and an explicit offset: what
// Timesketch's importer (Python's datetime) reads; seven fraction digits it
// does not.
const csvTime = "2006-01-02T15:04:05.000000-07:00"

// CSV writes one row per finding, in report order, in the column layout
// Timesketch imports: datetime, timestamp_desc and message, then the
// finding's fields, and the file, record and event of its first evidence.
//
// Values are made safe for spreadsheets: control characters become visible
// escapes, and a value a spreadsheet would take for a formula (starting
// with = + - @, tab or carriage return) gets a leading single quote, as
// OWASP recommends against CSV injection.
func CSV(w io.Writer, r *finding.Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	cw := csv.NewWriter(bw)
	if err := cw.Write(csvHeader[:]); err != nil {
		return err
	}
	row := make([]string, len(csvHeader))
	for _, f := range sortedFindings(r.Findings) {
		csvRow(row, f)
		for i := range row {
			row[i] = cell(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func csvRow(row []string, f *finding.Finding) {
	for i := range row {
		row[i] = ""
	}
	if !f.Time.IsZero() {
		row[0] = f.Time.UTC().Format(csvTime)
	}
	row[1] = "Event Time"
	key, val := keyField(f)
	msg := "[" + f.Level.String() + "] " + f.Rule
	if f.Host != "" {
		msg += " on " + f.Host
	}
	if f.Summary != "" && f.Summary != f.Rule {
		msg += ": " + f.Summary
	} else if val != "" {
		msg += ": " + val
	}
	row[2] = msg
	row[3] = f.ID
	row[4] = string(f.Kind)
	row[5] = f.Level.String()
	row[6] = f.Rule
	row[7] = f.RuleID
	row[8] = f.Host
	row[9] = f.User
	row[10] = strings.Join(f.Techniques, " ")
	row[11] = strings.Join(f.Tactics, " ")
	if len(f.Evidence) > 0 {
		e := &f.Evidence[0]
		row[12] = e.File
		row[13] = strconv.FormatUint(e.RecordID, 10)
		row[14] = e.Channel
		if e.EventID >= 0 {
			// -1 (no event id, as in Zeek logs) would read as a
			// formula once guarded; an empty cell says it plainly.
			row[15] = strconv.Itoa(e.EventID)
		}
		if row[0] == "" && !e.Time.IsZero() {
			row[0] = e.Time.UTC().Format(csvTime)
		}
	}
	if row[0] == "" {
		// Timesketch needs a time on every row; a finding without one is
		// placed at the epoch rather than dropped.
		row[0] = time.Unix(0, 0).UTC().Format(csvTime)
		row[1] = "No Time"
	}
	row[16] = key
	row[17] = val
	row[18] = f.Summary
}

// cell makes a value safe for a spreadsheet cell: visible control
// characters, and a leading quote on what would start a formula.
func cell(s string) string {
	s = visible(s)
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}
