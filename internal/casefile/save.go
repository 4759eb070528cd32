package casefile

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/breakwater/breakwater/internal/finding"
)

// Save adds the report of a hunt to the case file at path, creating the file
// when there is none. The hunt becomes a new run of the case; findings the
// case already holds (the same id) keep what the case says of them and gain
// the evidence events they did not have; new findings and rules are added.
// All of it is one transaction: a failed save leaves the case as it was.
func Save(path string, r *finding.Report) error {
	db, err := open(path, true)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("saving to case file %s: %w", path, err)
	}
	defer tx.Rollback()
	s := &saver{tx: tx}
	if err := s.save(r); err != nil {
		return fmt.Errorf("saving to case file %s: %w", path, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("saving to case file %s: %w", path, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("closing case file %s: %w", path, err)
	}
	return nil
}

// saver writes one report in one transaction.
type saver struct {
	tx  *sql.Tx
	run int64
}

func (s *saver) save(r *finding.Report) error {
	reread, err := s.reread(r.Inputs)
	if err != nil {
		return err
	}
	res, err := s.tx.Exec(`INSERT INTO runs (started, finished, damage_total, reread) VALUES (?, ?, ?, ?)`,
		encodeTime(r.Started), encodeTime(r.Finished), r.DamageTotal, reread)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if s.run, err = res.LastInsertId(); err != nil {
		return fmt.Errorf("run: %w", err)
	}
	if err := s.perRun(r); err != nil {
		return err
	}
	if err := s.rules(r.Rules); err != nil {
		return err
	}
	return s.findings(r.Findings)
}

// reread reports whether every input was read by an earlier run of the
// case (same name, format and size): then the hunt counted the same events
// again, and its counts must not be added to theirs.
func (s *saver) reread(inputs []finding.Input) (bool, error) {
	if len(inputs) == 0 {
		return false, nil
	}
	stmt, err := s.tx.Prepare(`SELECT 1 FROM inputs WHERE name = ? AND format = ? AND size = ? LIMIT 1`)
	if err != nil {
		return false, fmt.Errorf("inputs: %w", err)
	}
	defer stmt.Close()
	for _, in := range inputs {
		var one int
		err := stmt.QueryRow(in.Name, in.Format, in.Size).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("inputs: %w", err)
		}
	}
	return true, nil
}

// perRun writes what the hunt recorded about itself, each list in its
// order.
func (s *saver) perRun(r *finding.Report) error {
	type table struct {
		name, insert string
		n            int
		row          func(i int) []any
	}
	tables := []table{
		{"settings", `INSERT INTO settings (run, seq, name, value) VALUES (?, ?, ?, ?)`, len(r.Settings),
			func(i int) []any { return []any{r.Settings[i].Name, r.Settings[i].Value} }},
		{"inputs", `INSERT INTO inputs (run, seq, name, format, size, events, damaged) VALUES (?, ?, ?, ?, ?, ?, ?)`, len(r.Inputs),
			func(i int) []any {
				in := r.Inputs[i]
				return []any{in.Name, in.Format, in.Size, in.Events, in.Damaged}
			}},
		{"skipped", `INSERT INTO skipped (run, seq, name, reason) VALUES (?, ?, ?, ?)`, len(r.Skipped),
			func(i int) []any { return []any{r.Skipped[i].Name, r.Skipped[i].Reason} }},
		{"damage", `INSERT INTO damage (run, seq, text) VALUES (?, ?, ?)`, len(r.Damage),
			func(i int) []any { return []any{r.Damage[i]} }},
		{"counts", `INSERT INTO counts (run, seq, host, channel, event_id, events, first, last) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, len(r.Counts),
			func(i int) []any {
				c := r.Counts[i]
				return []any{c.Host, c.Channel, c.EventID, c.Events, encodeTime(c.First), encodeTime(c.Last)}
			}},
		{"notes", `INSERT INTO notes (run, seq, text) VALUES (?, ?, ?)`, len(r.Notes),
			func(i int) []any { return []any{r.Notes[i]} }},
	}
	for _, t := range tables {
		if t.n == 0 {
			continue
		}
		stmt, err := s.tx.Prepare(t.insert)
		if err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
		for i := 0; i < t.n; i++ {
			if _, err := stmt.Exec(append([]any{s.run, i}, t.row(i)...)...); err != nil {
				stmt.Close()
				return fmt.Errorf("%s: %w", t.name, err)
			}
		}
		stmt.Close()
	}
	return nil
}

// rules adds new rules and updates those the case has: a rule's latest
// description is the one worth showing. A rule keeps its place in the
// order it was first saved in.
func (s *saver) rules(rules []finding.Rule) error {
	if len(rules) == 0 {
		return nil
	}
	var next int64
	if err := s.tx.QueryRow(`SELECT coalesce(max(seq), 0) + 1 FROM rules`).Scan(&next); err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	stmt, err := s.tx.Prepare(`INSERT INTO rules
		(kind, id, seq, run, title, level, status, description, author, refs, false_positives, techniques, tactics, path)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET run = excluded.run, title = excluded.title, level = excluded.level,
			status = excluded.status, description = excluded.description, author = excluded.author,
			refs = excluded.refs, false_positives = excluded.false_positives, techniques = excluded.techniques,
			tactics = excluded.tactics, path = excluded.path`)
	if err != nil {
		return fmt.Errorf("rules: %w", err)
	}
	defer stmt.Close()
	for i := range rules {
		ru := &rules[i]
		lists := make([]any, 4)
		for j, l := range [][]string{ru.References, ru.FalsePositives, ru.Techniques, ru.Tactics} {
			if lists[j], err = encodeJSON(l); err != nil {
				return fmt.Errorf("rule %s: %w", ru.ID, err)
			}
		}
		if _, err := stmt.Exec(string(ru.Kind), ru.ID, next, s.run, ru.Title, int(ru.Level), ru.Status, ru.Description,
			ru.Author, lists[0], lists[1], lists[2], lists[3], ru.Path); err != nil {
			return fmt.Errorf("rule %s: %w", ru.ID, err)
		}
		next++
	}
	return nil
}

// findings adds new findings with their evidence, and merges the evidence
// of findings the case already holds.
func (s *saver) findings(fs []*finding.Finding) error {
	exists, err := s.tx.Prepare(`SELECT evidence_total FROM findings WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("findings: %w", err)
	}
	defer exists.Close()
	insert, err := s.tx.Prepare(`INSERT INTO findings
		(id, run, kind, rule_id, rule, level, time, host, user, techniques, tactics, summary, evidence_total, explain)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("findings: %w", err)
	}
	defer insert.Close()
	ev, err := s.tx.Prepare(`INSERT INTO evidence
		(finding, seq, file, record_id, offset, line, channel, event_id, time, fields)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	defer ev.Close()

	for _, f := range fs {
		if f == nil {
			continue
		}
		var total int
		err := exists.QueryRow(f.ID).Scan(&total)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if err := s.insertFinding(insert, f); err != nil {
				return err
			}
			if err := insertEvidence(ev, f.ID, f.Evidence); err != nil {
				return err
			}
		case err != nil:
			return fmt.Errorf("finding %s: %w", f.ID, err)
		default:
			if err := s.mergeFinding(ev, f, total); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *saver) insertFinding(stmt *sql.Stmt, f *finding.Finding) error {
	techniques, err := encodeJSON(f.Techniques)
	if err != nil {
		return fmt.Errorf("finding %s: %w", f.ID, err)
	}
	tactics, err := encodeJSON(f.Tactics)
	if err != nil {
		return fmt.Errorf("finding %s: %w", f.ID, err)
	}
	explain, err := encodeExplain(&f.Explain)
	if err != nil {
		return fmt.Errorf("finding %s: %w", f.ID, err)
	}
	if _, err := stmt.Exec(f.ID, s.run, string(f.Kind), f.RuleID, f.Rule, int(f.Level), encodeTime(f.Time), f.Host, f.User,
		techniques, tactics, f.Summary, f.EvidenceTotal, explain); err != nil {
		return fmt.Errorf("finding %s: %w", f.ID, err)
	}
	return nil
}

// mergeFinding merges f into a finding the case holds, with finding.Merge,
// as a hunt that read both copies of a log would, so that a case built in
// two hunts holds what one hunt over both would.
func (s *saver) mergeFinding(ev *sql.Stmt, f *finding.Finding, total int) error {
	have, err := loadEvidence(s.tx, f.ID)
	if err != nil {
		return err
	}
	merged := finding.Finding{Evidence: slices.Clone(have), EvidenceTotal: total}
	merged.Merge(f)
	if !slices.EqualFunc(merged.Evidence, have, sameEvidence) {
		if _, err := s.tx.Exec(`DELETE FROM evidence WHERE finding = ?`, f.ID); err != nil {
			return fmt.Errorf("finding %s: %w", f.ID, err)
		}
		if err := insertEvidence(ev, f.ID, merged.Evidence); err != nil {
			return err
		}
	}
	if merged.EvidenceTotal != total {
		if _, err := s.tx.Exec(`UPDATE findings SET evidence_total = ? WHERE id = ?`, merged.EvidenceTotal, f.ID); err != nil {
			return fmt.Errorf("finding %s: %w", f.ID, err)
		}
	}
	return nil
}

// sameEvidence reports whether two evidence entries name the same place
// and carry the same fields.
func sameEvidence(a, b finding.Evidence) bool {
	return a.File == b.File && a.Offset == b.Offset && a.Line == b.Line &&
		slices.Equal(a.Fields, b.Fields)
}

func insertEvidence(stmt *sql.Stmt, id string, evidence []finding.Evidence) error {
	for i := range evidence {
		e := &evidence[i]
		fields, err := encodeFields(e.Fields)
		if err != nil {
			return fmt.Errorf("finding %s: evidence: %w", id, err)
		}
		// Record ids are unsigned; SQLite integers are signed. The cast
		// keeps every bit, and loading casts back.
		if _, err := stmt.Exec(id, i, e.File, int64(e.RecordID), e.Offset, e.Line, e.Channel, e.EventID,
			encodeTime(e.Time), fields); err != nil {
			return fmt.Errorf("finding %s: evidence: %w", id, err)
		}
	}
	return nil
}
