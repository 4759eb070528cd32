package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run runs the command line and returns its output, error output and exit
// status.
func run(t *testing.T, stdin io.Reader, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdin: stdin, Stdout: &out, Stderr: &errOut, IsTerminal: func(io.Writer) bool { return false }}
	err := m.Run(context.Background(), args)
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), ExitCode(err)
}

const sample = "../../testdata/sample"

func TestDumpSample(t *testing.T) {
	out, errOut, code := run(t, nil, "dump", sample)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 10 {
		t.Fatalf("%d lines, want the sample's 10 events", len(lines))
	}
	for _, l := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatalf("not JSON: %s", l)
		}
		if e["Computer"] != "DC01.corp.example" || e["@format"] != "evtx" {
			t.Errorf("event %v", e)
		}
	}
	if !strings.Contains(errOut, "2 files, 10 records, 0 damaged records, 0 skipped") {
		t.Errorf("summary line missing: %q", errOut)
	}
	// Flags after the paths work too, and XML is one event per line.
	out, _, code = run(t, nil, "dump", sample, "--format", "xml", "--quiet")
	if code != 0 || strings.Count(out, "<Event ") != 10 || strings.Count(out, "\n") != 10 {
		t.Errorf("xml: exit %d, %d events", code, strings.Count(out, "<Event "))
	}
}

func TestDumpStdin(t *testing.T) {
	f, err := os.Open(filepath.Join(sample, "Sysmon.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out, errOut, code := run(t, f, "dump", "-")
	if code != 0 || strings.Count(out, "\n") != 7 {
		t.Errorf("exit %d, %d lines: %s", code, strings.Count(out, "\n"), errOut)
	}
}

func TestDumpErrors(t *testing.T) {
	empty := t.TempDir()
	os.WriteFile(filepath.Join(empty, "notes.txt"), []byte("hello"), 0o644)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"frobnicate"}, "unknown command"},
		{"no paths", []string{"dump"}, "no log files given"},
		{"missing path", []string{"dump", "/no/such/file.evtx"}, "no such file"},
		{"folder without logs", []string{"dump", empty}, "no logs to read"},
		{"bad format", []string{"dump", "--format", "yaml", sample}, "unknown format"},
		{"bad flag", []string{"dump", "--frob", sample}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := run(t, nil, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want 2 and %q", code, errOut, tt.want)
			}
		})
	}
}

// Damaged records go to standard error with file and offset; the good ones
// still come out and the exit status stays 0.
func TestDumpDamage(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(sample, "Sysmon.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.evtx")
	raw[4096+512+24+10+3] = 0x7f // the first record's template offset now points outside the chunk
	os.WriteFile(bad, raw, 0o644)
	out, errOut, code := run(t, nil, "dump", bad)
	if code != 0 || strings.Count(out, "\n") != 6 {
		t.Errorf("exit %d, %d events", code, strings.Count(out, "\n"))
	}
	if !strings.Contains(errOut, "damaged: "+bad+": offset 4608: record 1") || !strings.Contains(errOut, "1 damaged records") {
		t.Errorf("stderr: %s", errOut)
	}
}
