// Package casefile keeps the outcome of hunts in a case file: an SQLite
// database holding the findings with their evidence events, the rules behind
// them, the hunts' settings, the logs read and skipped, and per host,
// channel and event id counts with their time ranges. A case renders again
// without the logs (`breakwater report CASE`), and hunting again into it
// adds what is new and keeps what is there.
//
// Findings are keyed by their deterministic ids, so the same finding saved
// twice is one finding, with the evidence of both saves. Everything a hunt
// recorded about itself (settings, inputs, skipped files, damage, counts,
// notes) is kept per hunt, as a run, and merged when the case is loaded.
//
// The driver is modernc.org/sqlite, SQLite translated to Go: no cgo, so the
// binary still cross-compiles for the Windows laptops of the people who use
// it. The tables are meant to be read with any SQLite tool as well; schema.go
// describes them.
package casefile

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	// The pure-Go SQLite driver, registered as "sqlite".
	_ "modernc.org/sqlite"
)

// ErrNotCase is the error (wrapped) for a file that is not a Breakwater
// case: not an SQLite database, or the database of another application.
var ErrNotCase = errors.New("not a Breakwater case file")

// sqliteHeader starts every SQLite database file.
const sqliteHeader = "SQLite format 3\x00"

// open opens the case file at path. With create, a missing file becomes a
// new, empty case; without, a missing file is an error (wrapping
// fs.ErrNotExist) and the file is opened read-only.
func open(path string, create bool) (*sql.DB, error) {
	info, err := os.Stat(path)
	switch {
	case err == nil && info.IsDir():
		return nil, fmt.Errorf("case file %s: is a folder", path)
	case err == nil:
		if err := checkHeader(path, info.Size()); err != nil {
			return nil, err
		}
	case errors.Is(err, os.ErrNotExist) && !create:
		return nil, fmt.Errorf("no case file at %s: %w", path, os.ErrNotExist)
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("case file: %w", err)
	}
	dsn, err := dataSource(path, create)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("opening case file %s: %w", path, err)
	}
	// One connection: a case is one user's file, and SQLite serialises
	// writers anyway; one connection also keeps the pragmas of the DSN in
	// force for every statement.
	db.SetMaxOpenConns(1)
	if err := prepare(db, path, create); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// checkHeader refuses a file that is not an SQLite database before the
// driver sees it, with a message that says so: the driver's "file is not a
// database" comes only at the first query.
func checkHeader(path string, size int64) error {
	if size == 0 {
		return nil // an empty file is an empty database
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("case file: %w", err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, []byte(sqliteHeader)) {
		return fmt.Errorf("%s: %w (not an SQLite database)", path, ErrNotCase)
	}
	return nil
}

// dataSource returns the driver's data source name for path: a file: URI,
// so that any character of a path (?, #, %) reaches SQLite as it is, with
// the pragmas every connection needs.
func dataSource(path string, create bool) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("case file %s: %w", path, err)
	}
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive: file:///C:/cases/x.case
	}
	mode := "ro"
	if create {
		mode = "rwc"
	}
	u := url.URL{Scheme: "file", Path: p}
	// Writers take the write lock when they begin (immediate), so that two
	// hunts saving into one case wait for each other instead of failing
	// half-way; busy_timeout is how long they wait.
	return u.String() + "?mode=" + mode + "&_txlock=immediate&_pragma=busy_timeout(30000)&_pragma=foreign_keys(1)", nil
}

// prepare checks that the database is a case this version can read, and
// makes a new, empty database a case when create is set.
func prepare(db *sql.DB, path string, create bool) error {
	var app, version, objects int64
	if err := db.QueryRow("PRAGMA application_id").Scan(&app); err != nil {
		return notCase(path, err)
	}
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		return notCase(path, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM sqlite_master").Scan(&objects); err != nil {
		return notCase(path, err)
	}
	switch {
	case app == applicationID && version > SchemaVersion:
		return fmt.Errorf("case file %s was written by a newer Breakwater (schema %d; this one reads up to %d)", path, version, SchemaVersion)
	case app == applicationID && version == SchemaVersion:
		return nil
	case app == applicationID:
		return fmt.Errorf("case file %s is damaged: schema version %d", path, version)
	case app == 0 && objects == 0 && create:
		return initialize(db, path)
	case app == 0 && objects == 0:
		return fmt.Errorf("%s: %w (an empty database)", path, ErrNotCase)
	}
	return fmt.Errorf("%s: %w (an SQLite database of another application)", path, ErrNotCase)
}

// notCase describes a failure of the first queries: the file looked like
// SQLite but is not a database SQLite can read.
func notCase(path string, err error) error {
	return fmt.Errorf("%s: %w (%v)", path, ErrNotCase, err)
}

// initialize creates the tables and marks the file as a case, in one
// transaction: a case is either complete or not there.
func initialize(db *sql.DB, path string) error {
	tx, err := db.Begin()
	if err != nil {
		return fmt.Errorf("creating case file %s: %w", path, err)
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		schema,
		fmt.Sprintf("PRAGMA application_id = %d", applicationID),
		fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion),
	} {
		if _, err := tx.Exec(stmt); err != nil {
			return fmt.Errorf("creating case file %s: %w", path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("creating case file %s: %w", path, err)
	}
	return nil
}
