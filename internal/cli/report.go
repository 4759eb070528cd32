package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/breakwater/breakwater/internal/casefile"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/report"
)

const reportUsage = `
Usage: breakwater report [flags] CASE

Renders the findings of a case file again, without the logs: the case is
what "breakwater hunt --case CASE" saved, with every hunt saved into it
merged (each finding once, with all its evidence).

On a terminal it prints the summary table; on a pipe, one JSON object per
finding. With --output and no --format, the format follows the file's
extension (.html, .csv, .jsonl).

Examples:
  breakwater report utility.case
  breakwater report --format html --output report.html utility.case
  breakwater report --format csv --min-level high utility.case > timeline.csv
`

type reportCommand struct {
	m *Main
}

// Run renders the case named in args.
func (c *reportCommand) Run(_ context.Context, args []string) error {
	fs := c.m.newFlagSet("report", reportUsage)
	format := fs.String("format", "", "output `FORMAT`: "+strings.Join(report.Formats(), ", ")+" (default table on a terminal, else jsonl)")
	output := fs.String("output", "", "write the report to `FILE` instead of standard output")
	minLevel := fs.String("min-level", "", "report only findings of at least this `LEVEL`: informational, low, medium, high, critical")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usageError("no case file given", "breakwater report utility.case")
	case len(pos) > 1:
		return usageError(fmt.Sprintf("one case file at a time, not %d", len(pos)), "breakwater report utility.case")
	}
	out := sink{format: strings.ToLower(strings.TrimSpace(*format)), path: *output}
	if out.path == "-" {
		out.path = ""
	}
	switch {
	case out.format != "":
	case out.path != "":
		out.format = formatOf(out.path)
	case c.m.IsTerminal(c.m.Stdout):
		out.format = "table"
	default:
		out.format = "jsonl"
	}
	if indexOf(report.Formats(), out.format) < 0 && out.format != "json" {
		return usageError(fmt.Sprintf("unknown format %q: want one of %s", out.format, strings.Join(report.Formats(), ", ")),
			"breakwater report --format html --output report.html utility.case")
	}
	least := finding.Informational
	if *minLevel != "" {
		if least, err = finding.ParseLevel(*minLevel); err != nil {
			return usageError("--min-level: "+err.Error(), "breakwater report --min-level high utility.case")
		}
	}

	rep, err := casefile.Load(pos[0])
	if err != nil {
		return &ExitError{Code: 2, Err: caseError(pos[0], err)}
	}
	if least > finding.Informational {
		kept := rep.Findings[:0]
		for _, f := range rep.Findings {
			if f.Level >= least {
				kept = append(kept, f)
			}
		}
		rep.Findings = kept
	}
	return out.write(rep, c.m)
}

// caseError says what to do about a case that cannot be read.
func caseError(path string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w\n  a case file is made by a hunt, for example: breakwater hunt --case %s logs/", err, report.Visible(path))
	case errors.Is(err, casefile.ErrNotCase):
		return fmt.Errorf("%w\n  give the file that \"breakwater hunt --case FILE\" wrote", err)
	}
	return err
}
