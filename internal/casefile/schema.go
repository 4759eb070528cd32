package casefile

// applicationID marks an SQLite file as a Breakwater case in the file's
// header ("BWCF"), so that a case is told from any other database without
// reading its tables, and `file` and sqlite3 tools can say what it is.
const applicationID = 0x42574346

// SchemaVersion is the version of the tables this package writes, kept in
// the file's user_version. A case of a newer version is refused rather than
// misread; an older one is upgraded when one exists.
const SchemaVersion = 1

// schema creates the tables of a case. Times are TEXT in UTC with nine
// fraction digits ("2024-02-07T10:11:12.123456700Z", fixed width, so that
// they sort as text) or "" when unknown; levels are 0 (informational) to 4
// (critical); lists and event fields are JSON (fields as [name, value]
// pairs, because names repeat and their order matters). Rows of a hunt name
// their run; findings and rules, which several hunts share, are keyed by
// their deterministic ids.
//
// Record ids are unsigned 64-bit numbers stored in SQLite's signed integers:
// the few above 2^63 read back negative in SQL and exactly in Go.
const schema = `
CREATE TABLE runs (
	id INTEGER PRIMARY KEY,
	started TEXT NOT NULL,
	finished TEXT NOT NULL,
	damage_total INTEGER NOT NULL,
	-- 1 when every input of the hunt had been read by an earlier one: its
	-- counts are the same events counted again and are not added.
	reread INTEGER NOT NULL
);
CREATE TABLE settings (
	run INTEGER NOT NULL REFERENCES runs(id),
	seq INTEGER NOT NULL,
	name TEXT NOT NULL,
	value TEXT NOT NULL,
	PRIMARY KEY (run, seq)
);
CREATE TABLE inputs (
	run INTEGER NOT NULL REFERENCES runs(id),
	seq INTEGER NOT NULL,
	name TEXT NOT NULL,
	format TEXT NOT NULL,
	size INTEGER NOT NULL,
	events INTEGER NOT NULL,
	damaged INTEGER NOT NULL,
	PRIMARY KEY (run, seq)
);
CREATE INDEX inputs_name ON inputs (name, format, size);
CREATE TABLE skipped (
	run INTEGER NOT NULL REFERENCES runs(id),
	seq INTEGER NOT NULL,
	name TEXT NOT NULL,
	reason TEXT NOT NULL,
	PRIMARY KEY (run, seq)
);
CREATE TABLE damage (
	run INTEGER NOT NULL REFERENCES runs(id),
	seq INTEGER NOT NULL,
	text TEXT NOT NULL,
	PRIMARY KEY (run, seq)
);
CREATE TABLE counts (
	run INTEGER NOT NULL REFERENCES runs(id),
	seq INTEGER NOT NULL,
	host TEXT NOT NULL,
	channel TEXT NOT NULL,
	event_id INTEGER NOT NULL,
	events INTEGER NOT NULL,
	first TEXT NOT NULL,
	last TEXT NOT NULL,
	PRIMARY KEY (run, seq)
);
CREATE TABLE notes (
	run INTEGER NOT NULL REFERENCES runs(id),
	seq INTEGER NOT NULL,
	text TEXT NOT NULL,
	PRIMARY KEY (run, seq)
);
CREATE TABLE rules (
	kind TEXT NOT NULL,
	id TEXT NOT NULL,
	-- the order rules were first saved in, and the hunt that last saved it
	seq INTEGER NOT NULL,
	run INTEGER NOT NULL REFERENCES runs(id),
	title TEXT NOT NULL,
	level INTEGER NOT NULL,
	status TEXT NOT NULL,
	description TEXT NOT NULL,
	author TEXT NOT NULL,
	refs TEXT NOT NULL,
	false_positives TEXT NOT NULL,
	techniques TEXT NOT NULL,
	tactics TEXT NOT NULL,
	path TEXT NOT NULL,
	PRIMARY KEY (kind, id)
);
CREATE TABLE findings (
	id TEXT PRIMARY KEY,
	-- the hunt that first found it
	run INTEGER NOT NULL REFERENCES runs(id),
	kind TEXT NOT NULL,
	rule_id TEXT NOT NULL,
	rule TEXT NOT NULL,
	level INTEGER NOT NULL,
	time TEXT NOT NULL,
	host TEXT NOT NULL,
	user TEXT NOT NULL,
	techniques TEXT NOT NULL,
	tactics TEXT NOT NULL,
	summary TEXT NOT NULL,
	evidence_total INTEGER NOT NULL,
	explain TEXT NOT NULL
);
CREATE INDEX findings_order ON findings (time, host, rule_id, id);
CREATE INDEX findings_host ON findings (host, level);
CREATE TABLE evidence (
	finding TEXT NOT NULL REFERENCES findings(id),
	seq INTEGER NOT NULL,
	file TEXT NOT NULL,
	record_id INTEGER NOT NULL,
	offset INTEGER NOT NULL,
	line INTEGER NOT NULL,
	channel TEXT NOT NULL,
	event_id INTEGER NOT NULL,
	time TEXT NOT NULL,
	fields TEXT NOT NULL,
	PRIMARY KEY (finding, seq)
);
`
