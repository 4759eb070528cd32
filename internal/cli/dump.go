package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/breakwater/breakwater/internal/report"
	"github.com/breakwater/breakwater/internal/source"
)

const dumpUsage = `
Usage: breakwater dump [flags] PATH...

Prints every event of the logs given, one per line, with the field names and
values the detectors see. PATH is a file, a folder (read recursively), a glob,
a .gz or .zip file, or - for standard input; formats are recognised from the
content: EVTX, evtx_dump JSON, Winlogbeat/ECS JSON, NXLog JSON, Windows XML.
Damaged records are reported on standard error and skipped; a last line on
standard error sums up.

Examples:
  breakwater dump Security.evtx
  breakwater dump --format xml logs/ > events.xml
  gzip -dc export.json.gz | breakwater dump -
`

type dumpCommand struct {
	m *Main
}

// Run prints the events of the paths in args.
func (c *dumpCommand) Run(ctx context.Context, args []string) error {
	fs := c.m.newFlagSet("dump", dumpUsage)
	format := fs.String("format", "jsonl", "output `format`: jsonl (one JSON object per event) or xml (one <Event> per line)")
	output := fs.String("output", "", "write the events to `FILE` instead of standard output")
	workers := fs.Int("workers", 0, "number of parallel readers (default: one per CPU)")
	quiet := fs.Bool("quiet", false, "print no progress and no summary, only damage")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *format != "jsonl" && *format != "xml" && *format != "json" {
		return usageError(fmt.Sprintf("unknown format %q: want jsonl or xml", *format), "breakwater dump --format xml Security.evtx")
	}
	if len(paths) == 0 {
		return usageError("no log files given", "breakwater dump Security.evtx")
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

	var out io.Writer = c.m.Stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			return &ExitError{Code: 2, Err: err}
		}
		defer f.Close()
		out = f
	}
	w := bufio.NewWriterSize(out, 1<<20)
	xml := *format == "xml"

	prog := newProgress(c.m.Stderr, c.m.IsTerminal(c.m.Stderr) && !*quiet, found.Inputs)
	defer prog.stop()
	var records, damaged int
	// Output buffers go back to a pool once written: a batch renders to
	// megabytes, and growing a new buffer for each costs more than the
	// rendering.
	var pool sync.Pool
	r := source.Reader{
		Workers:   *workers,
		Transient: true, // each batch is rendered in Process and forgotten
		Process: func(_ int, b *source.Batch) {
			var buf []byte
			if p, ok := pool.Get().(*[]byte); ok {
				buf = (*p)[:0]
			}
			for i := range b.Events {
				if xml {
					buf = b.Events[i].AppendXML(buf)
				} else {
					buf = b.Events[i].AppendJSON(buf)
				}
				buf = append(buf, '\n')
			}
			b.Value = buf
		},
	}
	err = r.Read(ctx, found.Inputs, func(b *source.Batch) error {
		records += len(b.Events)
		damaged += len(b.Damage)
		for _, d := range b.Damage {
			prog.printf("damaged: %s\n", report.Visible(d.String()))
		}
		prog.add(b, 0)
		buf := b.Value.([]byte)
		_, err := w.Write(buf)
		pool.Put(&buf)
		return err
	})
	if err == nil {
		err = w.Flush()
	}
	prog.stop()
	if err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintf(c.m.Stderr, "%d files, %d records, %d damaged records, %d skipped\n",
			len(found.Inputs), records, damaged, len(found.Skipped))
	}
	return nil
}
