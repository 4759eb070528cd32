// Package report renders a hunt's finding.Report for people and tools: a
// terminal summary, JSON lines (the findings contract of DESIGN.md), CSV for
// Timesketch, a self-contained HTML report, and an ATT&CK Navigator layer.
//
// Every renderer is deterministic: the same report gives byte-identical
// output. Text that came from logs is attacker-controlled, and each renderer
// makes it inert for where it goes: escaped for JSON, guarded against
// formulas for spreadsheets, stripped of control sequences for terminals,
// and rendered through html/template for pages.
package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/breakwater/breakwater/internal/attack"
	"github.com/breakwater/breakwater/internal/finding"
)

// Options tune the renderers; the zero value is ready to use.
type Options struct {
	// Catalog is the ATT&CK catalog to name techniques and score groups
	// with; nil means the one built into Breakwater.
	Catalog *attack.Catalog
	// Color lets the table colour levels with ANSI sequences. Set it only
	// when the output is a terminal.
	Color bool
	// Width is the table's line width in columns; 0 means 100.
	Width int
	// MaxFindings caps the lines of the table's findings (repeats of a
	// rule on a host share a line); 0 means 50.
	MaxFindings int
	// PerGroup caps the findings the HTML report shows in full for each
	// rule and host (the rest are counted); 0 means 5.
	PerGroup int
}

func (o Options) catalog() (*attack.Catalog, error) {
	if o.Catalog != nil {
		return o.Catalog, nil
	}
	c, err := attack.Embedded()
	if err != nil {
		return nil, fmt.Errorf("loading the ATT&CK catalog: %w", err)
	}
	return c, nil
}

// Formats returns the names Write accepts, the default first.
func Formats() []string {
	return []string{"table", "jsonl", "csv", "html", "navigator"}
}

// Write renders r in the named format ("table", "jsonl", "csv", "html" or
// "navigator") to w.
func Write(w io.Writer, format string, r *finding.Report, o Options) error {
	switch strings.ToLower(format) {
	case "table":
		return Table(w, r, o)
	case "jsonl", "json":
		return JSONL(w, r)
	case "csv":
		return CSV(w, r)
	case "html":
		return HTML(w, r, o)
	case "navigator":
		return Navigator(w, r, o)
	}
	return fmt.Errorf("unknown report format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// JSONL writes the findings in report order, one JSON object per line in
// the layout of the findings contract.
func JSONL(w io.Writer, r *finding.Report) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var buf []byte
	for _, f := range sortedFindings(r.Findings) {
		buf = f.AppendJSON(buf[:0])
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}
