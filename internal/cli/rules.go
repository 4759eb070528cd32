package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/hunt"
	"github.com/breakwater/breakwater/internal/report"
	"github.com/breakwater/breakwater/internal/rules"
	"github.com/breakwater/breakwater/internal/source"
	"github.com/breakwater/breakwater/sigma"
)

const rulesUsage = `
Usage: breakwater rules list
       breakwater rules check [flags] PATH...
       breakwater rules explain --rule FILE [flags] LOGFILE...

list shows the built-in rules (the Volt Typhoon pack), which hunt runs unless
--no-builtin is given: behaviour, level, kind, title, ATT&CK techniques.

check loads Sigma rules (files or folders, recursively) and prints one line
per rule that cannot run, with the reason, then the line
"N rules, M usable, K unusable".

explain shows, for every event of the logs given, whether each rule of FILE
matches it and which selections and field/value pairs matched or failed.

Examples:
  breakwater rules check sigma/rules
  breakwater rules explain --rule proc_creation_win_whoami.yml Sysmon.evtx
`

type rulesCommand struct {
	m *Main
}

// Run dispatches the rules subcommands.
func (c *rulesCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return usageError("rules needs a subcommand: list, check or explain", "breakwater rules check sigma/rules")
	}
	switch args[0] {
	case "list":
		return c.list()
	case "check":
		return c.check(args[1:])
	case "explain":
		return c.explain(ctx, args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprint(c.m.Stderr, strings.TrimLeft(rulesUsage, "\n"))
		return nil
	}
	return usageError(fmt.Sprintf("unknown rules subcommand %q: want list, check or explain", args[0]), "breakwater rules check sigma/rules")
}

func (c *rulesCommand) list() error {
	infos, err := rules.List()
	if err != nil {
		return fmt.Errorf("built-in rules: %w", err)
	}
	w := bufio.NewWriter(c.m.Stdout)
	for _, in := range infos {
		fmt.Fprintf(w, "%-4s %-13s %-11s %s  [%s]\n", in.Behaviour, in.Level, in.Kind, in.Title, strings.Join(in.Techniques, " "))
	}
	fmt.Fprintf(w, "%d built-in rules (%s)\n", len(infos), rules.Pack)
	return w.Flush()
}

func (c *rulesCommand) check(args []string) error {
	fs := c.m.newFlagSet("rules check", rulesUsage)
	var filterPaths listFlag
	fs.Var(&filterPaths, "filters", "Sigma filter `PATH` to check against the rules; repeatable")
	mappings := fs.String("mappings", "", "logsource mapping `FILE` that adds to or overrides the built-in one")
	placeholders := fs.String("placeholders", "", "`FILE` of values for rule placeholders (the expand modifier)")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return usageError("no rules given", "breakwater rules check sigma/rules")
	}
	rules, err := hunt.LoadRules(hunt.RuleOptions{Paths: paths, Mappings: *mappings, Placeholders: *placeholders, Filters: filterPaths})
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	w := bufio.NewWriter(c.m.Stdout)
	for _, p := range rules.Problems {
		if p.NeedsValues {
			fmt.Fprintf(w, "%s: needs values: %s (give them with --placeholders FILE)\n", report.Visible(p.File), report.Visible(p.Reason))
			continue
		}
		fmt.Fprintf(w, "%s: %s\n", report.Visible(p.File), report.Visible(p.Reason))
	}
	unusable := rules.Documents - rules.Usable()
	fmt.Fprintf(w, "%d rules, %d usable, %d unusable", rules.Documents, rules.Usable(), unusable)
	if n := rules.NeedValues(); n > 0 {
		fmt.Fprintf(w, " (%d of the usable run once their placeholder values are given)", n)
	}
	fmt.Fprintln(w)
	if err := w.Flush(); err != nil {
		return err
	}
	if rules.Documents > 0 && rules.Usable() == 0 {
		return &ExitError{Code: 2, Err: errors.New("no usable rule")}
	}
	return nil
}

func (c *rulesCommand) explain(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("rules explain", rulesUsage)
	var rulePaths listFlag
	fs.Var(&rulePaths, "rule", "Sigma rule `FILE` (or folder) to explain; repeatable")
	onlyMatches := fs.Bool("matches", false, "show only the events a rule matches")
	mappings := fs.String("mappings", "", "logsource mapping `FILE` that adds to or overrides the built-in one")
	placeholders := fs.String("placeholders", "", "`FILE` of values for rule placeholders")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rulePaths) == 0 || len(paths) == 0 {
		return usageError("explain needs --rule FILE and a log file", "breakwater rules explain --rule rule.yml Security.evtx")
	}
	rules, err := hunt.LoadRules(hunt.RuleOptions{Paths: rulePaths, Mappings: *mappings, Placeholders: *placeholders})
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	for _, p := range rules.Problems {
		fmt.Fprintf(c.m.Stderr, "%s\n", report.Visible(p.String()))
	}
	rs := rules.Set
	if rs.Len() == 0 {
		return &ExitError{Code: 2, Err: errors.New("no usable rule to explain")}
	}
	found, err := source.Discover(paths, source.Options{Stdin: c.m.Stdin})
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	for _, s := range found.Skipped {
		fmt.Fprintf(c.m.Stderr, "skipped %s: %s\n", report.Visible(s.Name), report.Visible(s.Reason))
	}
	if len(found.Inputs) == 0 {
		return &ExitError{Code: 2, Err: fmt.Errorf("no logs to read in %s", strings.Join(paths, " "))}
	}
	w := bufio.NewWriter(c.m.Stdout)
	n := 0
	r := source.Reader{Workers: 1}
	err = r.Read(ctx, found.Inputs, func(b *source.Batch) error {
		for _, d := range b.Damage {
			fmt.Fprintf(c.m.Stderr, "damaged: %s\n", report.Visible(d.String()))
		}
		for i := range b.Events {
			ev := &b.Events[i]
			n++
			header := false
			for ri := 0; ri < rs.Len(); ri++ {
				ex := rs.Explain(ri, detect.View{E: ev})
				if *onlyMatches && !ex.Matched {
					continue
				}
				if !header {
					where := fmt.Sprintf("offset %d", ev.Source.Offset)
					if ev.Source.Line > 0 {
						where = fmt.Sprintf("line %d", ev.Source.Line)
					}
					fmt.Fprintf(w, "event %d: %s %s, %s event %d, record %d, %s\n", n, report.Visible(ev.Source.File), where,
						report.Visible(ev.Channel), ev.EventID, ev.RecordID, report.Visible(ev.Computer))
					header = true
				}
				for _, line := range strings.SplitAfter(strings.TrimRight(ex.String(), "\n"), "\n") {
					fmt.Fprintf(w, "  %s", report.Visible(strings.TrimRight(line, "\n")))
					fmt.Fprintln(w)
				}
			}
		}
		return nil
	})
	if err == nil && rules.Correlations != nil && rules.Correlations.Len() > 0 {
		err = c.explainCorrelations(ctx, w, rules, paths)
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	return err
}

// explainCorrelations runs the correlation rules of a file over the logs,
// as a hunt would, and shows for each correlation what it measured for
// every group and window that fired, and the events behind it; the
// per-event explanations above show which events its rules matched.
func (c *rulesCommand) explainCorrelations(ctx context.Context, w io.Writer, rules *hunt.Rules, paths []string) error {
	rep, err := hunt.Run(ctx, hunt.Options{Paths: paths, Stdin: c.m.Stdin, Workers: 1, MinLevel: finding.Informational,
		Detectors: []detect.Detector{rules.Detector(sigma.Limits{})}})
	if err != nil {
		return err
	}
	cs := rules.Correlations
	fmt.Fprintf(w, "correlations: %d\n", cs.Len())
	fired := map[string]int{}
	for _, f := range rep.Findings {
		if f.Kind != finding.KindCorrelation {
			continue
		}
		fired[f.RuleID]++
		fmt.Fprintf(w, "  + %s: %s\n", report.Visible(f.Rule), report.Visible(f.Explain.Text))
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "      %s record %d, %s event %d, %s\n", report.Visible(e.File), e.RecordID,
				report.Visible(e.Channel), e.EventID, e.Time.UTC().Format(time.RFC3339))
		}
		if f.EvidenceTotal > len(f.Evidence) {
			fmt.Fprintf(w, "      ... %d events in all\n", f.EvidenceTotal)
		}
	}
	for i := 0; i < cs.Len(); i++ {
		corr := cs.Correlation(i)
		if fired[corr.Ident()] == 0 {
			fmt.Fprintf(w, "  - %s: its condition was not met by any group of events in these logs\n", report.Visible(corr.Title))
		}
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "  note: %s\n", report.Visible(n))
	}
	return nil
}
