package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/breakwater/breakwater/internal/simulate"
)

const simulateUsage = `
Usage: breakwater simulate volt-typhoon --out DIR [--seed N] [--hosts N] [--days N]

Writes a synthetic intrusion to DIR, for demonstrations, tests and training:
the Windows event logs (Security, System, Application, Sysmon, PowerShell) of a
small network - a domain controller, file, web and monitoring servers and
workstations - over several days of ordinary work, with one intrusion in the
manner of the Volt Typhoon advisories woven in. DIR/<HOST>/ holds each host's
EVTX files; DIR/truth.jsonl lists every step of the intrusion with its time,
host, ATT&CK technique and the records that are its evidence. The same seed
writes the same bytes. DIR must be new or empty.

Examples:
  breakwater simulate volt-typhoon --out scenario
  breakwater simulate volt-typhoon --out big --seed 7 --hosts 12 --days 5
  breakwater hunt scenario
`

type simulateCommand struct {
	m *Main
}

// Run writes the scenario named in args.
func (c *simulateCommand) Run(ctx context.Context, args []string) error {
	flags := c.m.newFlagSet("simulate", simulateUsage)
	out := flags.String("out", "", "write the scenario to folder `DIR` (new or empty)")
	seed := flags.Int64("seed", 1, "random `seed`: the same seed writes the same scenario")
	hosts := flags.Int("hosts", simulate.DefaultHosts, fmt.Sprintf("number of `hosts`, %d to %d: four servers and the rest workstations", simulate.MinHosts, simulate.MaxHosts))
	days := flags.Int("days", simulate.DefaultDays, fmt.Sprintf("number of `days`, %d to %d; the intrusion starts on the second", simulate.MinDays, simulate.MaxDays))
	pos, err := parseFlags(flags, args)
	if err != nil {
		return err
	}
	const example = "breakwater simulate volt-typhoon --out scenario"
	switch {
	case len(pos) == 0:
		return usageError("no scenario named", example)
	case len(pos) > 1:
		return usageError(fmt.Sprintf("one scenario at a time, not %d", len(pos)), example)
	case pos[0] != "volt-typhoon":
		return usageError(fmt.Sprintf("unknown scenario %q: the one scenario is volt-typhoon", pos[0]), example)
	case *out == "":
		return usageError("no output folder: give one with --out", example)
	case *hosts < simulate.MinHosts || *hosts > simulate.MaxHosts:
		return usageError(fmt.Sprintf("--hosts %d: want %d to %d", *hosts, simulate.MinHosts, simulate.MaxHosts), "breakwater simulate volt-typhoon --out scenario --hosts 8")
	case *days < simulate.MinDays || *days > simulate.MaxDays:
		return usageError(fmt.Sprintf("--days %d: want %d to %d", *days, simulate.MinDays, simulate.MaxDays), "breakwater simulate volt-typhoon --out scenario --days 4")
	}
	// Writing into a folder that holds other logs would mix scenarios, and
	// a hunt over it would find both.
	entries, err := os.ReadDir(*out)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return &ExitError{Code: 2, Err: err}
	case len(entries) > 0:
		return usageError(fmt.Sprintf("%s is not empty: choose a new folder", *out), "breakwater simulate volt-typhoon --out scenario-2")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	opts := simulate.Options{Seed: *seed, Hosts: *hosts, Days: *days}
	if err := simulate.VoltTyphoon(*out, opts); err != nil {
		return fmt.Errorf("simulate volt-typhoon: %w", err)
	}
	f, err := os.Open(filepath.Join(*out, simulate.TruthFile))
	if err != nil {
		return fmt.Errorf("simulate volt-typhoon: %w", err)
	}
	defer f.Close()
	steps, err := simulate.ReadTruth(f)
	if err != nil {
		return fmt.Errorf("simulate volt-typhoon: %w", err)
	}
	hostNames := map[string]bool{}
	for _, s := range steps {
		hostNames[s.Host] = true
	}
	fmt.Fprintf(c.m.Stdout, "wrote %s: %d hosts over %d days, an intrusion of %d steps on %d hosts (seed %d)\n",
		*out, *hosts, *days, len(steps), len(hostNames), *seed)
	fmt.Fprintf(c.m.Stdout, "ground truth: %s\nnext: breakwater hunt %s\n", filepath.Join(*out, simulate.TruthFile), *out)
	return nil
}
