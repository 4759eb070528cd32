package datasets

import (
	"os"
	"testing"
)

// recorder notes how Path stops a test instead of stopping it.
type recorder struct {
	testing.TB
	failed, skipped bool
}

func (r *recorder) Helper()               {}
func (r *recorder) Fatalf(string, ...any) { r.failed = true }
func (r *recorder) Skipf(string, ...any)  { r.skipped = true }

func TestMissingData(t *testing.T) {
	for _, ci := range []string{"", "1"} {
		t.Setenv("CI", ci)
		r := &recorder{TB: t}
		Path(r, "no-such-dataset")
		if ci != "" && (!r.failed || r.skipped) {
			t.Errorf("under CI a missing dataset must fail the test (failed %v, skipped %v)", r.failed, r.skipped)
		}
		if ci == "" && (!r.skipped || r.failed) {
			t.Errorf("outside CI a missing dataset must skip the test (failed %v, skipped %v)", r.failed, r.skipped)
		}
	}
}

func TestPresentData(t *testing.T) {
	p := Path(t, "evtx-parser")
	if st, err := os.Stat(p); err != nil || !st.IsDir() {
		t.Errorf("Path gave %s: %v", p, err)
	}
}
