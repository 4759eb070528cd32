package source

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDiscoverLinks: a link to a log in a folder is read like the log; a
// link to a folder is listed as skipped, not followed (no loops); a broken
// link is skipped with its reason.
func TestDiscoverLinks(t *testing.T) {
	sample, err := filepath.Abs(filepath.Join("..", "..", "testdata", "sample", "Sysmon.evtx"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, l := range []struct{ name, to string }{
		{"a.evtx", sample},
		{"b.evtx", sample},
		{"loop", dir},
		{"gone.evtx", filepath.Join(dir, "missing")},
	} {
		if err := os.Symlink(l.to, filepath.Join(dir, l.name)); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	d, err := Discover([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Inputs) != 2 {
		t.Errorf("inputs %+v, want the two links to the log", d.Inputs)
	}
	if len(d.Skipped) != 2 {
		t.Errorf("skipped %+v, want the folder link and the broken link", d.Skipped)
	}
}
