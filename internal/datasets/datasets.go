// Package datasets gives tests the shared public test data: logs and rules
// nobody here wrote, kept in ../shared/datasets beside the repository. A
// test that needs data that is missing is skipped on a developer's machine
// and fails under CI (the CI environment variable set), so that CI never
// passes by not testing.
package datasets

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns the path of a dataset file or folder (parts joined under
// the datasets folder), or stops the test when it is missing.
func Path(tb testing.TB, parts ...string) string {
	tb.Helper()
	root, err := root()
	p := filepath.Join(append([]string{root}, parts...)...)
	if err == nil {
		_, err = os.Stat(p)
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("dataset %s missing (required under CI): %v", p, err)
		} else {
			tb.Skipf("dataset %s missing: %v", p, err)
		}
	}
	return p
}

// root finds the datasets folder from the working directory, which for a
// test is its package's folder: beside the module's root.
func root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return rel(filepath.Join(dir, "..", "shared", "datasets")), nil
		}
		up := filepath.Dir(dir)
		if up == dir {
			return "", os.ErrNotExist
		}
		dir = up
	}
}

// rel makes a path relative to the working directory when it can, so that
// the file names tests see (and findings report) stay short.
func rel(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil {
		return r
	}
	return p
}
