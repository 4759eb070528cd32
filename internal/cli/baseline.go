package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/breakwater/breakwater/internal/analytics"
	"github.com/breakwater/breakwater/internal/detect"
	"github.com/breakwater/breakwater/internal/finding"
	"github.com/breakwater/breakwater/internal/hunt"
)

const baselineUsage = `
Usage: breakwater baseline build --out FILE [flags] PATH...

Learns what is normal in a network from logs you trust (a period before
any suspected intrusion): which accounts run which forms of administration
tools on which hosts, which logons go from where to where, and which
services and scheduled tasks each host has. "breakwater hunt --baseline
FILE" then reports what is new against it. PATH is read as by hunt.

Examples:
  breakwater baseline build --out normal.json logs/january/
  breakwater hunt --baseline normal.json logs/february/
`

type baselineCommand struct {
	m *Main
}

// Run builds a baseline from the paths in args.
func (c *baselineCommand) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "build" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(c.m.Stderr, strings.TrimLeft(baselineUsage, "\n"))
			return flag.ErrHelp
		}
		fmt.Fprint(c.m.Stderr, strings.TrimLeft(baselineUsage, "\n"))
		return usageError("baseline: want the subcommand build", "breakwater baseline build --out normal.json logs/")
	}
	fs := c.m.newFlagSet("baseline build", baselineUsage)
	out := fs.String("out", "", "write the baseline to `FILE` (JSON)")
	var hosts listFlag
	since := fs.String("since", "", "learn only from events at or after `TIME`")
	until := fs.String("until", "", "learn only from events at or before `TIME`")
	fs.Var(&hosts, "host", "learn only from this computer `NAME`; repeatable")
	cfgFile := fs.String("analytics-config", "", "analytics settings `FILE` (YAML), for the caps")
	workers := fs.Int("workers", 0, "number of parallel workers (default: one per CPU)")
	quiet := fs.Bool("quiet", false, "no messages but errors")
	paths, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if *out == "" {
		return usageError("baseline build: --out is required", "breakwater baseline build --out normal.json logs/")
	}
	if len(paths) == 0 {
		return usageError("baseline build: no logs given", "breakwater baseline build --out normal.json logs/")
	}
	if *workers < 0 {
		return usageError("--workers must be 0 or more", "breakwater baseline build --workers 2 --out normal.json logs/")
	}
	var opt hunt.Options
	if opt.Filter.Since, err = parseTime(*since, false); err != nil {
		return usageError("--since: "+err.Error(), "breakwater baseline build --since 2024-01-01 --out normal.json logs/")
	}
	if opt.Filter.Until, err = parseTime(*until, true); err != nil {
		return usageError("--until: "+err.Error(), "breakwater baseline build --until 2024-01-31 --out normal.json logs/")
	}
	opt.Filter.Hosts = hosts
	cfg := analytics.DefaultConfig()
	if *cfgFile != "" {
		if err := analytics.LoadConfig(*cfgFile, &cfg); err != nil {
			return &ExitError{Code: 2, Err: err}
		}
	}
	learner, err := analytics.NewLearner(cfg)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	opt.Paths, opt.Stdin, opt.Workers = paths, c.m.Stdin, *workers
	opt.Detectors = []detect.Detector{learner}
	rep, err := hunt.Run(ctx, opt)
	if err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	b := learner.Baseline()
	if b == nil {
		return &ExitError{Code: 2, Err: errors.New("baseline: nothing was learned")}
	}
	b.Built = rep.Finished
	for _, in := range rep.Inputs {
		b.Inputs = append(b.Inputs, in.Name)
	}
	if err := writeBaseline(*out, b); err != nil {
		return &ExitError{Code: 2, Err: err}
	}
	if !*quiet {
		for _, n := range rep.Notes {
			fmt.Fprintln(c.m.Stderr, n)
		}
		fmt.Fprintf(c.m.Stderr, "%d files, %d events from %s to %s: %d tool forms, %d logon paths, %d services, %d tasks in %s\n",
			len(rep.Inputs), hunt.EventCount(rep), b.From.Format(time.RFC3339), b.To.Format(time.RFC3339),
			len(b.Tools), len(b.Logons), len(b.Services), len(b.Tasks), *out)
	}
	return nil
}

// writeBaseline writes b to path through a temporary file, so that a
// failed write never leaves half a baseline behind.
func writeBaseline(path string, b *analytics.Baseline) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".baseline-*")
	if err != nil {
		return fmt.Errorf("baseline %s: %w", path, err)
	}
	werr := b.Write(tmp)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("baseline %s: %w", path, werr)
	}
	return nil
}

// huntAnalytics is what hunt's analytics flags ask for.
type huntAnalytics struct {
	list, config, baseline string
}

// addFlags declares the analytics flags of hunt.
func (a *huntAnalytics) addFlags(fs *flag.FlagSet) {
	fs.StringVar(&a.list, "analytics", "all", "behaviour analytics to run: all, none, or a comma-separated `LIST` of names ("+
		strings.Join(analytics.Names(), ", ")+")")
	fs.StringVar(&a.config, "analytics-config", "", "analytics thresholds and caps from `FILE` (YAML)")
	fs.StringVar(&a.baseline, "baseline", "", "report first-seen against the baseline `FILE` (breakwater baseline build)")
}

// detector builds the analytics detector the flags ask for; nil when all
// analytics are off.
func (a *huntAnalytics) detector() (*analytics.Detector, []finding.Setting, error) {
	cfg := analytics.DefaultConfig()
	if a.config != "" {
		if err := analytics.LoadConfig(a.config, &cfg); err != nil {
			return nil, nil, &ExitError{Code: 2, Err: err}
		}
	}
	if a.list != "all" || a.config == "" {
		// An explicit list wins over the file's enabled switches.
		if err := cfg.Select(a.list); err != nil {
			return nil, nil, usageError("--analytics: "+err.Error(), "breakwater hunt --analytics password-spray,log-cleared logs/")
		}
	}
	settings := []finding.Setting{{Name: "analytics", Value: strings.Join(cfg.EnabledNames(), ",")}}
	if !cfg.Any() {
		settings[0].Value = "none"
		return nil, settings, nil
	}
	if a.config != "" {
		settings = append(settings, finding.Setting{Name: "analytics-config", Value: a.config})
	}
	var base *analytics.Baseline
	if a.baseline != "" {
		var err error
		if base, err = analytics.LoadBaseline(a.baseline); err != nil {
			return nil, nil, &ExitError{Code: 2, Err: err}
		}
		settings = append(settings, finding.Setting{Name: "baseline", Value: a.baseline})
	}
	d, err := analytics.New(cfg, base)
	if err != nil {
		return nil, nil, &ExitError{Code: 2, Err: err}
	}
	return d, settings, nil
}
