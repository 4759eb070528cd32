package simulate

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the bundled sample in testdata/sample")

// The sample in the repository is exactly what WriteSample writes, so the
// README's first command shows what the code does today.
func TestBundledSampleIsCurrent(t *testing.T) {
	bundled := filepath.Join("..", "..", "testdata", "sample")
	if *update {
		if err := WriteSample(bundled); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if err := WriteSample(dir); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Security.evtx", "Sysmon.evtx"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(bundled, name))
		if err != nil {
			t.Fatalf("%v (run go test ./internal/simulate -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what WriteSample writes now (run go test ./internal/simulate -update)", name)
		}
	}
}
