//go:build !windows

package cli

import (
	"io"
	"os"
)

// isTerminal reports whether w is a terminal, which on Unix systems is a
// character device that understands the ANSI sequences the progress line
// and the table's colours use.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
