package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/breakwater/breakwater/internal/simulate"
)

// runSimulate runs the simulate command (not yet routed by Main.Run) and
// returns its output, error output and exit status.
func runSimulate(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errOut, IsTerminal: func(io.Writer) bool { return false }}
	err := (&simulateCommand{m: m}).Run(context.Background(), args)
	if err != nil {
		errOut.WriteString(err.Error())
	}
	return out.String(), errOut.String(), ExitCode(err)
}

func TestSimulateWritesScenario(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "scenario")
	out, errOut, code := runSimulate(t, "volt-typhoon", "--out", dir, "--seed", "3", "--hosts", "5", "--days", "2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(out, "5 hosts over 2 days") || !strings.Contains(out, "breakwater hunt "+dir) {
		t.Errorf("summary: %q", out)
	}
	for _, f := range []string{"DC01/Security.evtx", "DC01/Microsoft-Windows-Sysmon%4Operational.evtx", "MON01/System.evtx", "WS01/Application.evtx", simulate.TruthFile} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f))); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	f, err := os.Open(filepath.Join(dir, simulate.TruthFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	steps, err := simulate.ReadTruth(f)
	if err != nil || len(steps) < 30 {
		t.Fatalf("%d steps, %v", len(steps), err)
	}

	// The same seed again, in another folder, gives the same truth; flags
	// may come before the scenario's name.
	again := filepath.Join(t.TempDir(), "again")
	if _, errOut, code := runSimulate(t, "--seed", "3", "--hosts", "5", "--days", "2", "--out", again, "volt-typhoon"); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	a, _ := os.ReadFile(filepath.Join(dir, simulate.TruthFile))
	b, _ := os.ReadFile(filepath.Join(again, simulate.TruthFile))
	if !bytes.Equal(a, b) {
		t.Errorf("same seed, different truth")
	}
}

func TestSimulateUsageErrors(t *testing.T) {
	full := t.TempDir()
	if err := os.WriteFile(filepath.Join(full, "Security.evtx"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "new")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no scenario", []string{"--out", fresh}, "no scenario named"},
		{"unknown scenario", []string{"apt29", "--out", fresh}, `unknown scenario "apt29"`},
		{"no output", []string{"volt-typhoon"}, "no output folder"},
		{"too few hosts", []string{"volt-typhoon", "--out", fresh, "--hosts", "3"}, "--hosts 3"},
		{"too many days", []string{"volt-typhoon", "--out", fresh, "--days", "99"}, "--days 99"},
		{"folder in use", []string{"volt-typhoon", "--out", full}, "is not empty"},
		{"bad number", []string{"volt-typhoon", "--out", fresh, "--seed", "x"}, "invalid value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errOut, code := runSimulate(t, tt.args...)
			if code != 2 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q", code, errOut, tt.want)
			}
		})
	}
	if _, err := os.Stat(fresh); err == nil {
		t.Errorf("a failed command wrote %s", fresh)
	}
}
