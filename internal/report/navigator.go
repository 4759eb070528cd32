package report

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/breakwater/breakwater/internal/finding"
)

// Navigator writes an ATT&CK Navigator layer (format 4.5) of the techniques
// the findings carry, each scored with its number of findings, for sharing
// with other teams and comparing with threat reports.
func Navigator(w io.Writer, r *finding.Report, o Options) error {
	cat, err := o.catalog()
	if err != nil {
		return err
	}
	fs := sortedFindings(r.Findings)
	desc := fmt.Sprintf("Techniques of %s found by Breakwater; score = number of findings.", plural(len(fs), "finding"))
	if !r.Started.IsZero() {
		desc += " Hunt of " + r.Started.UTC().Format("2006-01-02 15:04 UTC") + "."
	}
	l := cat.Layer("Breakwater hunt", desc, cat.Observe(fs))
	// Rule titles and unknown technique ids come from rule files and
	// reach the Navigator's page and whoever reads the JSON in a terminal:
	// make them as inert as the table's text.
	for i := range l.Techniques {
		l.Techniques[i].Comment = visible(l.Techniques[i].Comment)
	}
	for i := range l.Metadata {
		l.Metadata[i].Value = visible(l.Metadata[i].Value)
	}
	b, err := json.MarshalIndent(l, "", "  ")
	if err != nil {
		return fmt.Errorf("navigator layer: %w", err)
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}
