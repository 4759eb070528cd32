package casefile

import (
	"database/sql"
	"fmt"
	"time"

	"github.com/breakwater/breakwater/internal/finding"
)

// querier is what loading reads through: the database, or the transaction
// of a save.
type querier interface {
	Query(query string, args ...any) (*sql.Rows, error)
}

// run is one hunt saved into the case.
type run struct {
	id                int64
	started, finished time.Time
	damageTotal       int
	reread            bool
}

// Load reads the case file at path and returns the report of all the hunts
// saved into it, merged: every finding once, with all its evidence; the
// rules behind them; the logs read and skipped, each once; counts summed
// over the hunts that read new logs; the settings of the last hunt. A case
// of one hunt loads as the report that was saved, so that rendering it
// gives what the hunt gave.
//
// A missing file is an error wrapping fs.ErrNotExist; a file that is not a
// case, one wrapping ErrNotCase. The file is opened read-only.
func Load(path string) (*finding.Report, error) {
	db, err := open(path, false)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	r, err := load(db)
	if err != nil {
		return nil, fmt.Errorf("reading case file %s: %w", path, err)
	}
	return r, nil
}

func load(db querier) (*finding.Report, error) {
	runs, err := loadRuns(db)
	if err != nil {
		return nil, err
	}
	r := &finding.Report{}
	if len(runs) == 0 {
		return r, nil
	}
	first, last := runs[0], runs[len(runs)-1]
	r.Started, r.Finished = first.started, last.finished
	for _, rn := range runs {
		if !rn.reread {
			r.DamageTotal += rn.damageTotal
		}
	}
	steps := []func(querier, *finding.Report, []run) error{
		loadSettings, loadInputs, loadSkipped, loadDamage, loadCounts, loadNotes, loadRules, loadFindings,
	}
	for _, step := range steps {
		if err := step(db, r, runs); err != nil {
			return nil, err
		}
	}
	if len(runs) > 1 {
		r.Notes = append(r.Notes, fmt.Sprintf("This case holds %d hunts, from %s to %s; the settings shown are those of the last.",
			len(runs), when(first.started), when(last.finished)))
	}
	return r, nil
}

func when(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func loadRuns(db querier) ([]run, error) {
	rows, err := db.Query(`SELECT id, started, finished, damage_total, reread FROM runs ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	defer rows.Close()
	var runs []run
	for rows.Next() {
		var rn run
		var started, finished string
		if err := rows.Scan(&rn.id, &started, &finished, &rn.damageTotal, &rn.reread); err != nil {
			return nil, fmt.Errorf("runs: %w", err)
		}
		if rn.started, err = decodeTime(started); err != nil {
			return nil, fmt.Errorf("run %d: %w", rn.id, err)
		}
		if rn.finished, err = decodeTime(finished); err != nil {
			return nil, fmt.Errorf("run %d: %w", rn.id, err)
		}
		runs = append(runs, rn)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("runs: %w", err)
	}
	return runs, nil
}

// each runs query and calls scan for every row, with the table's name in
// any error.
func each(db querier, table, query string, scan func(*sql.Rows) error, args ...any) error {
	rows, err := db.Query(query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	return nil
}

func loadSettings(db querier, r *finding.Report, runs []run) error {
	return each(db, "settings", `SELECT name, value FROM settings WHERE run = ? ORDER BY seq`, func(rows *sql.Rows) error {
		var s finding.Setting
		if err := rows.Scan(&s.Name, &s.Value); err != nil {
			return err
		}
		r.Settings = append(r.Settings, s)
		return nil
	}, runs[len(runs)-1].id)
}

// loadInputs lists every log once, as the first hunt that read it saw it.
func loadInputs(db querier, r *finding.Report, _ []run) error {
	type key struct {
		name, format string
		size         int64
	}
	seen := make(map[key]bool)
	return each(db, "inputs", `SELECT name, format, size, events, damaged FROM inputs ORDER BY run, seq`, func(rows *sql.Rows) error {
		var in finding.Input
		if err := rows.Scan(&in.Name, &in.Format, &in.Size, &in.Events, &in.Damaged); err != nil {
			return err
		}
		k := key{in.Name, in.Format, in.Size}
		if !seen[k] {
			seen[k] = true
			r.Inputs = append(r.Inputs, in)
		}
		return nil
	})
}

func loadSkipped(db querier, r *finding.Report, _ []run) error {
	seen := make(map[finding.Skipped]bool)
	return each(db, "skipped", `SELECT name, reason FROM skipped ORDER BY run, seq`, func(rows *sql.Rows) error {
		var s finding.Skipped
		if err := rows.Scan(&s.Name, &s.Reason); err != nil {
			return err
		}
		if !seen[s] {
			seen[s] = true
			r.Skipped = append(r.Skipped, s)
		}
		return nil
	})
}

func loadDamage(db querier, r *finding.Report, _ []run) error {
	seen := make(map[string]bool)
	return each(db, "damage", `SELECT text FROM damage ORDER BY run, seq`, func(rows *sql.Rows) error {
		var d string
		if err := rows.Scan(&d); err != nil {
			return err
		}
		if !seen[d] {
			seen[d] = true
			r.Damage = append(r.Damage, d)
		}
		return nil
	})
}

func loadNotes(db querier, r *finding.Report, _ []run) error {
	seen := make(map[string]bool)
	return each(db, "notes", `SELECT text FROM notes ORDER BY run, seq`, func(rows *sql.Rows) error {
		var n string
		if err := rows.Scan(&n); err != nil {
			return err
		}
		if !seen[n] {
			seen[n] = true
			r.Notes = append(r.Notes, n)
		}
		return nil
	})
}

// loadCounts sums the counts of each host, channel and event id over the
// hunts that read new logs, with the widest time range; a hunt that only
// read logs the case had already counted adds nothing.
func loadCounts(db querier, r *finding.Report, _ []run) error {
	type key struct {
		host, channel string
		id            int
	}
	idx := make(map[key]int)
	return each(db, "counts", `SELECT c.host, c.channel, c.event_id, c.events, c.first, c.last
		FROM counts c JOIN runs r ON r.id = c.run WHERE r.reread = 0 ORDER BY c.run, c.seq`, func(rows *sql.Rows) error {
		var c finding.Count
		var first, last string
		if err := rows.Scan(&c.Host, &c.Channel, &c.EventID, &c.Events, &first, &last); err != nil {
			return err
		}
		var err error
		if c.First, err = decodeTime(first); err != nil {
			return err
		}
		if c.Last, err = decodeTime(last); err != nil {
			return err
		}
		k := key{c.Host, c.Channel, c.EventID}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(r.Counts)
			r.Counts = append(r.Counts, c)
			return nil
		}
		have := &r.Counts[i]
		have.Events += c.Events
		if !c.First.IsZero() && (have.First.IsZero() || c.First.Before(have.First)) {
			have.First = c.First
		}
		if c.Last.After(have.Last) {
			have.Last = c.Last
		}
		return nil
	})
}

func loadRules(db querier, r *finding.Report, _ []run) error {
	return each(db, "rules", `SELECT kind, id, title, level, status, description, author, refs, false_positives,
		techniques, tactics, path FROM rules ORDER BY seq`, func(rows *sql.Rows) error {
		var ru finding.Rule
		var kind string
		var level int
		var lists [4]string
		if err := rows.Scan(&kind, &ru.ID, &ru.Title, &level, &ru.Status, &ru.Description, &ru.Author,
			&lists[0], &lists[1], &lists[2], &lists[3], &ru.Path); err != nil {
			return err
		}
		ru.Kind, ru.Level = finding.Kind(kind), finding.Level(level)
		for i, dst := range []*[]string{&ru.References, &ru.FalsePositives, &ru.Techniques, &ru.Tactics} {
			var err error
			if *dst, err = decodeStrings(lists[i]); err != nil {
				return fmt.Errorf("rule %s: %w", ru.ID, err)
			}
		}
		r.Rules = append(r.Rules, ru)
		return nil
	})
}

func loadFindings(db querier, r *finding.Report, _ []run) error {
	byID := make(map[string]*finding.Finding)
	err := each(db, "findings", `SELECT id, kind, rule_id, rule, level, time, host, user, techniques, tactics, summary,
		evidence_total, explain FROM findings ORDER BY time, host, rule_id, id`, func(rows *sql.Rows) error {
		f := &finding.Finding{}
		var kind, tm, techniques, tactics, explain string
		var level int
		if err := rows.Scan(&f.ID, &kind, &f.RuleID, &f.Rule, &level, &tm, &f.Host, &f.User, &techniques, &tactics,
			&f.Summary, &f.EvidenceTotal, &explain); err != nil {
			return err
		}
		f.Kind, f.Level = finding.Kind(kind), finding.Level(level)
		var err error
		if f.Time, err = decodeTime(tm); err != nil {
			return fmt.Errorf("finding %s: %w", f.ID, err)
		}
		if f.Techniques, err = decodeStrings(techniques); err != nil {
			return fmt.Errorf("finding %s: techniques: %w", f.ID, err)
		}
		if f.Tactics, err = decodeStrings(tactics); err != nil {
			return fmt.Errorf("finding %s: tactics: %w", f.ID, err)
		}
		if f.Explain, err = decodeExplain(explain); err != nil {
			return fmt.Errorf("finding %s: explain: %w", f.ID, err)
		}
		byID[f.ID] = f
		r.Findings = append(r.Findings, f)
		return nil
	})
	if err != nil {
		return err
	}
	err = each(db, "evidence", `SELECT finding, file, record_id, offset, line, channel, event_id, time, fields
		FROM evidence ORDER BY finding, seq`, func(rows *sql.Rows) error {
		var id string
		e, err := scanEvidence(rows, &id)
		if err != nil {
			return err
		}
		f, ok := byID[id]
		if !ok {
			return fmt.Errorf("evidence of finding %s, which the case does not hold", id)
		}
		f.Evidence = append(f.Evidence, e)
		return nil
	})
	if err != nil {
		return err
	}
	// The report order of finding.Sort, which the SQL order above
	// approximates; zero times and ties settle here.
	finding.Sort(r.Findings)
	return nil
}

// loadEvidence reads the evidence of one finding, in its order.
func loadEvidence(db querier, id string) ([]finding.Evidence, error) {
	var out []finding.Evidence
	err := each(db, "evidence", `SELECT finding, file, record_id, offset, line, channel, event_id, time, fields
		FROM evidence WHERE finding = ? ORDER BY seq`, func(rows *sql.Rows) error {
		var fid string
		e, err := scanEvidence(rows, &fid)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	}, id)
	return out, err
}

func scanEvidence(rows *sql.Rows, id *string) (finding.Evidence, error) {
	var e finding.Evidence
	var record int64
	var tm, fields string
	if err := rows.Scan(id, &e.File, &record, &e.Offset, &e.Line, &e.Channel, &e.EventID, &tm, &fields); err != nil {
		return e, err
	}
	e.RecordID = uint64(record)
	var err error
	if e.Time, err = decodeTime(tm); err != nil {
		return e, fmt.Errorf("finding %s: evidence: %w", *id, err)
	}
	if e.Fields, err = decodeFields(fields); err != nil {
		return e, fmt.Errorf("finding %s: evidence fields: %w", *id, err)
	}
	return e, nil
}
