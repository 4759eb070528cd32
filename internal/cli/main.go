// Package cli is Breakwater's command line: one file per subcommand, each
// parsing its flags and wiring the packages that do the work. Only the main
// package decides the process's exit status, from the error Run returns.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// Main is the breakwater command.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// IsTerminal reports whether w is an interactive terminal: progress
	// and colours go only there.
	IsTerminal func(w io.Writer) bool
}

// New returns the command wired to the process's standard streams.
func New() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, IsTerminal: isTerminal}
}

const usage = `Breakwater finds living-off-the-land intrusions (Volt Typhoon and the like)
in Windows event logs, their exports and Zeek network logs.

Usage:
  breakwater COMMAND [flags] [PATH...]

Commands:
  hunt       hunt logs for intrusions and report the findings
  rules      check Sigma rules, or explain why a rule matches an event
  report     render a saved case file again (table, jsonl, csv, html)
  baseline   learn what is normal from logs you trust (baseline build), for hunt --baseline
  simulate   write the logs of a simulated Volt Typhoon intrusion, with its ground truth
  dump       print every event as the detectors see it (JSON lines or XML)
  version    print the version

Start with:
  breakwater hunt C:\Logs                      summary on the terminal
  breakwater hunt --output report.html C:\Logs  a report to open in a browser

Run "breakwater COMMAND -h" for the flags of a command.
`

// Run runs the command line args (without the program name).
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return usageError("no command given", "breakwater hunt C:\\Logs")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "hunt":
		return (&huntCommand{m: m}).Run(ctx, rest)
	case "dump":
		return (&dumpCommand{m: m}).Run(ctx, rest)
	case "rules":
		return (&rulesCommand{m: m}).Run(ctx, rest)
	case "report":
		return (&reportCommand{m: m}).Run(ctx, rest)
	case "simulate":
		return (&simulateCommand{m: m}).Run(ctx, rest)
	case "baseline":
		return (&baselineCommand{m: m}).Run(ctx, rest)
	case "version", "--version":
		fmt.Fprintln(m.Stdout, "breakwater", Version)
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(m.Stdout, usage)
		return nil
	}
	fmt.Fprint(m.Stderr, usage)
	return usageError(fmt.Sprintf("unknown command %q", cmd), "breakwater dump Security.evtx")
}

// Version is the version of this build, set with
// -ldflags "-X github.com/breakwater/breakwater/internal/cli.Version=...".
var Version = "dev"

// ExitError carries the exit status an error should end the process with.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// usageError is a mistake in the command line: exit status 2, with an
// example that works.
func usageError(msg, example string) error {
	if example != "" {
		msg += "\n  for example: " + example
	}
	return &ExitError{Code: 2, Err: errors.New(msg)}
}

// ExitCode is the process exit status for an error Run returned: 0 for
// none (or a request for help), the code of an *ExitError, and 2 for any
// other error, which means the job could not be done.
func ExitCode(err error) int {
	var ee *ExitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ee):
		return ee.Code
	}
	return 2
}

// parseFlags parses flags that may come before, between or after the
// positional arguments ("breakwater dump a.evtx --format xml" works, as
// users expect); "--" ends the flags.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, &ExitError{Code: 2, Err: err}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if i := indexOf(args, "--"); i == 0 {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// newFlagSet returns a flag set that prints its usage text on -h.
func (m *Main) newFlagSet(name, text string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprint(m.Stderr, strings.TrimLeft(text, "\n"))
		fmt.Fprintln(m.Stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}
