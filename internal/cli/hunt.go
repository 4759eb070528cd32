package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/casefile"
	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/hunt"
	"github.com/breakwater/breakwater/internal/network"
	"github.com/breakwater/breakwater/internal/report"
	"github.com/breakwater/breakwater/internal/rules"
	"github.com/breakwater/breakwater/internal/source"
	"github.com/breakwater/breakwater/sigma"
)

const huntUsage = `
Usage: breakwater hunt [flags] PATH...

Hunts the logs given for intrusions: every event is checked against the
built-in Volt Typhoon rules and any Sigma rules you add, and the findings are
reported. PATH is a file, a folder (read recursively), a glob, a .gz or .zip
file, or - for standard input; formats are recognised from the content
(EVTX, evtx_dump JSON, Winlogbeat/ECS, NXLog, Windows XML, Zeek).

On a terminal it prints a summary table; on a pipe, one JSON object per
finding. Exit status: 0 done, 1 a finding reached --fail-on, 2 bad usage or
nothing readable.

Examples:
  breakwater hunt C:\Logs
  breakwater hunt --rules sigma/rules --format html --output report.html logs/
  breakwater hunt --no-builtin --rules my-rule.yml --format jsonl Security.evtx
  breakwater hunt --since 2024-02-01 --min-level high --fail-on high logs/*.evtx
  breakwater hunt --baseline normal.json --analytics-config analytics.yml logs/
`

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

type huntCommand struct {
	m *Main
}

// Run hunts the paths in args.
func (c *huntCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("hunt", huntUsage)
	var rulePaths, formats, outputs, hosts listFlag
	fs.Var(&rulePaths, "rules", "Sigma rule `PATH` (a file or a folder); repeatable")
	var filterPaths listFlag
	fs.Var(&filterPaths, "filters", "Sigma filter `PATH` (a file or a folder of filters that exclude events from the rules they name); repeatable")
	noBuiltin := fs.Bool("no-builtin", false, "run only the rules given with --rules, not the built-in pack")
	fs.Var(&formats, "format", "output `FORMAT`: table, jsonl, csv, html or navigator; repeatable, or comma-separated (default table on a terminal, else jsonl)")
	fs.Var(&outputs, "output", "write the report to `FILE` instead of standard output; repeatable, one per --format in order")
	caseFile := fs.String("case", "", "also save the hunt into the case `FILE` (a SQLite database; findings are added to what it holds)")
	minLevel := fs.String("min-level", "low", "report findings of at least this `LEVEL`: informational, low, medium, high, critical")
	failOn := fs.String("fail-on", "", "exit with status 1 when a finding of at least this `LEVEL` is made")
	since := fs.String("since", "", "ignore events before `TIME` (RFC 3339, or a date such as 2024-02-01)")
	until := fs.String("until", "", "ignore events after `TIME` (RFC 3339, or a date: the whole day counts)")
	fs.Var(&hosts, "host", "look only at events of this computer `NAME`; repeatable")
	workers := fs.Int("workers", 0, "number of parallel workers (default: one per CPU)")
	mappings := fs.String("mappings", "", "logsource mapping `FILE` that adds to or overrides the built-in one")
	placeholders := fs.String("placeholders", "", "`FILE` of values for rule placeholders (the expand modifier)")
	var lim sigma.Limits
	fs.IntVar(&lim.MaxKeys, "correlation-keys", sigma.DefaultLimits().MaxKeys, "correlation rules: the group keys one rule follows at most (the rest are dropped and reported)")
	fs.IntVar(&lim.MaxValues, "correlation-values", sigma.DefaultLimits().MaxValues, "correlation rules: the matches one group key keeps at most")
	fs.IntVar(&lim.MaxRecords, "correlation-matches", sigma.DefaultLimits().MaxRecords, "correlation rules: the matches one rule keeps at most over all its keys")
	quiet := fs.Bool("quiet", false, "no progress display and no messages but errors")
	var an huntAnalytics
	an.addFlags(fs)
	indicators := fs.String("indicators", "", "match every log against the indicator list `FILE` (IP addresses, CIDR networks and domains, one per line; # comments)")
	internalNets := fs.String("internal", "", "the internal networks, as a comma-separated `CIDR` list (default: the private ranges)")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError("no logs given", "breakwater hunt C:\\Logs")
	}
	var opt hunt.Options
	if opt.MinLevel, err = finding.ParseLevel(*minLevel); err != nil {
		return usageError("--min-level: "+err.Error(), "breakwater hunt --min-level high logs/")
	}
	fail := finding.Level(-1)
	if *failOn != "" {
		if fail, err = finding.ParseLevel(*failOn); err != nil {
			return usageError("--fail-on: "+err.Error(), "breakwater hunt --fail-on high logs/")
		}
	}
	if opt.Filter.Since, err = parseTime(*since, false); err != nil {
		return usageError("--since: "+err.Error(), "breakwater hunt --since 2024-02-01T08:00:00Z logs/")
	}
	if opt.Filter.Until, err = parseTime(*until, true); err != nil {
		return usageError("--until: "+err.Error(), "breakwater hunt --until 2024-02-07 logs/")
	}
	opt.Filter.Hosts = hosts
	if lim.MaxKeys < 1 || lim.MaxValues < 1 || lim.MaxRecords < 1 {
		return usageError("--correlation-keys, --correlation-values and --correlation-matches must be at least 1",
			"breakwater hunt --correlation-keys 200000 logs/")
	}
	if *workers < 0 {
		return usageError("--workers must be 0 or more", "breakwater hunt --workers 2 logs/")
	}
	sinks, err := c.sinks(formats, outputs)
	if err != nil {
		return err
	}

	ro := hunt.RuleOptions{Paths: rulePaths, Mappings: *mappings, Placeholders: *placeholders, Filters: filterPaths}
	if !*noBuiltin {
		ro.Builtin = rules.FS()
	}
	anDet, anSettings, err := an.detector()
	if err != nil {
		return err
	}
	if *noBuiltin && len(rulePaths) == 0 && anDet == nil {
		return usageError("--no-builtin leaves no rules: give some with --rules", "breakwater hunt --no-builtin --rules sigma/rules logs/")
	}
	loaded, err := hunt.LoadRules(ro)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if loaded.Set.Len() == 0 && (anDet == nil || len(rulePaths) > 0) {
		msg := "no usable rule"
		if len(loaded.Problems) > 0 {
			msg += ": " + loaded.Problems[0].String()
		}
		return &ExitError{Code: 2, Err: errors.New(msg + " (see breakwater rules check)")}
	}
	if !*quiet && len(loaded.Problems) > 0 {
		fmt.Fprintf(c.m.Stderr, "%d of %d rules cannot run (breakwater rules check lists them)\n",
			len(loaded.Problems), loaded.Documents)
	}

	opt.Paths = paths
	opt.Stdin = c.m.Stdin
	opt.Workers = *workers
	if loaded.Set.Len() > 0 {
		opt.Detectors = []detect.Detector{loaded.Detector(lim)}
	}
	opt.Settings = settings(rulePaths, !*noBuiltin, *minLevel, *since, *until, hosts)
	for _, f := range filterPaths {
		opt.Settings = append(opt.Settings, finding.Setting{Name: "filters", Value: f})
	}
	if anDet != nil {
		opt.Detectors = append(opt.Detectors, anDet)
	}
	opt.Settings = append(opt.Settings, anSettings...)
	netCfg := network.DefaultConfig()
	if *internalNets != "" {
		if netCfg.Internal, err = network.ParseInternal(*internalNets); err != nil {
			return usageError("--internal: "+err.Error(), "breakwater hunt --internal 10.0.0.0/8,203.0.113.0/24 logs/")
		}
		opt.Settings = append(opt.Settings, finding.Setting{Name: "internal", Value: *internalNets})
	}
	if *indicators != "" {
		if netCfg.Indicators, err = network.LoadIndicators(*indicators); err != nil {
			return &ExitError{Code: 2, Err: err}
		}
		opt.Settings = append(opt.Settings, finding.Setting{Name: "indicators", Value: *indicators})
	}
	netDet, err := network.New(netCfg)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	opt.Detectors = append(opt.Detectors, netDet)
	var prog *progress
	opt.Found = func(d *source.Discovery) {
		if !*quiet {
			for _, s := range d.Skipped {
				fmt.Fprintf(c.m.Stderr, "skipped %s: %s\n", report.Visible(s.Name), report.Visible(s.Reason))
			}
		}
		prog = newProgress(c.m.Stderr, c.m.IsTerminal(c.m.Stderr) && !*quiet, d.Inputs)
	}
	seen := 0
	opt.Progress = func(b *source.Batch, findings int) {
		prog.add(b, findings-seen)
		seen = findings
	}
	opt.Damage = func(d source.Damage) {
		if !*quiet {
			prog.printf("damaged: %s\n", report.Visible(d.String()))
		}
	}
	rep, err := hunt.Run(ctx, opt)
	if prog != nil {
		prog.stop()
	}
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if *caseFile != "" {
		if err := casefile.Save(*caseFile, rep); err != nil {
			return &ExitError{Code: 2, Err: fmt.Errorf("case %s: %w", *caseFile, err)}
		}
	}
	for _, s := range sinks {
		if err := s.write(rep, c.m); err != nil {
			return &ExitError{Code: 2, Err: err}
		}
		if s.path != "" && !*quiet {
			fmt.Fprintf(c.m.Stderr, "wrote the %s report to %s\n", s.format, report.Visible(s.path))
		}
	}
	if *caseFile != "" && !*quiet {
		fmt.Fprintf(c.m.Stderr, "saved the hunt in the case file %s (breakwater report %s renders it again)\n",
			report.Visible(*caseFile), report.Visible(*caseFile))
	}
	if !*quiet {
		fmt.Fprintf(c.m.Stderr, "%d files, %d events, %d damaged records, %d skipped, %d findings in %s\n",
			len(rep.Inputs), hunt.EventCount(rep), rep.DamageTotal, len(rep.Skipped), len(rep.Findings),
			rep.Finished.Sub(rep.Started).Round(time.Millisecond))
	}
	if fail >= 0 {
		for _, f := range rep.Findings {
			if f.Level >= fail {
				return &ExitError{Code: 1, Err: fmt.Errorf("findings at level %s or above", fail)}
			}
		}
	}
	return nil
}

// sink is one report to write: a format and where to.
type sink struct {
	format string
	path   string // "" for standard output
}

func (c *huntCommand) sinks(formats, outputs listFlag) ([]sink, error) {
	var fmts []string
	for _, f := range formats {
		for _, p := range strings.Split(f, ",") {
			if p = strings.TrimSpace(strings.ToLower(p)); p != "" {
				fmts = append(fmts, p)
			}
		}
	}
	if len(fmts) == 0 {
		if c.m.IsTerminal(c.m.Stdout) || (len(outputs) == 1 && strings.HasSuffix(strings.ToLower(outputs[0]), ".html")) {
			fmts = []string{"table"}
			if len(outputs) == 1 {
				fmts = []string{formatOf(outputs[0])}
			}
		} else {
			fmts = []string{"jsonl"}
			if len(outputs) == 1 {
				fmts = []string{formatOf(outputs[0])}
			}
		}
	}
	known := report.Formats()
	for _, f := range fmts {
		if indexOf(known, f) < 0 && f != "json" {
			return nil, usageError(fmt.Sprintf("unknown format %q: want one of %s", f, strings.Join(known, ", ")),
				"breakwater hunt --format html --output report.html logs/")
		}
	}
	if len(outputs) > len(fmts) {
		return nil, usageError("more --output files than formats: give one --format per --output",
			"breakwater hunt --format jsonl --output f.jsonl --format html --output r.html logs/")
	}
	out := make([]sink, len(fmts))
	stdout := 0
	for i, f := range fmts {
		out[i].format = f
		if i < len(outputs) && outputs[i] != "-" {
			out[i].path = outputs[i]
		} else {
			stdout++
		}
	}
	if stdout > 1 {
		return nil, usageError("only one format can go to standard output: give --output for the others",
			"breakwater hunt --format table --format html --output r.html logs/")
	}
	return out, nil
}

// formatOf guesses a report format from a file name.
func formatOf(name string) string {
	n := strings.ToLower(name)
	for _, f := range []string{"html", "csv", "jsonl", "json"} {
		if strings.HasSuffix(n, "."+f) {
			return f
		}
	}
	return "jsonl"
}

func (s sink) write(rep *finding.Report, m *Main) error {
	var w io.Writer = m.Stdout
	var f *os.File
	if s.path != "" {
		var err error
		if f, err = os.Create(s.path); err != nil {
			return err
		}
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	o := report.Options{}
	if s.path == "" && s.format == "table" {
		o.Color = m.IsTerminal(m.Stdout)
	}
	err := report.Write(bw, s.format, rep, o)
	if err == nil {
		err = bw.Flush()
	}
	if f != nil {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("writing the %s report: %w", s.format, err)
	}
	return nil
}

// parseTime reads an RFC 3339 time or a date. A date as an upper bound
// means the end of that day.
func parseTime(s string, end bool) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.Add(24*time.Hour - time.Nanosecond)
		}
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: want RFC 3339 (2024-02-07T10:00:00Z) or a date (2024-02-07)", s)
}

func settings(rules []string, builtin bool, minLevel, since, until string, hosts []string) []finding.Setting {
	s := []finding.Setting{{Name: "builtin", Value: strconv.FormatBool(builtin)}}
	for _, r := range rules {
		s = append(s, finding.Setting{Name: "rules", Value: r})
	}
	s = append(s, finding.Setting{Name: "min-level", Value: minLevel})
	if since != "" {
		s = append(s, finding.Setting{Name: "since", Value: since})
	}
	if until != "" {
		s = append(s, finding.Setting{Name: "until", Value: until})
	}
	for _, h := range hosts {
		s = append(s, finding.Setting{Name: "host", Value: h})
	}
	return s
}

var _ flag.Value = (*listFlag)(nil)
