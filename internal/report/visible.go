package report

// Visible renders attacker-controlled text for a terminal, with control,
// invisible and reordering characters shown as escapes (see visible). The
// command line uses it for the messages it prints itself.
func Visible(s string) string { return visible(s) }
