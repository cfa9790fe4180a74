package sqlitelog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// appID marks a SQLite file as hubcat's history ("hubc"); a file carrying
// another application's ID is refused.
const appID = 0x68756263

// migrations are the schema, one script per version: migrations[i] takes
// the database from version i to i+1 (PRAGMA user_version). The list is
// append-only: never edit a script that has shipped.
var migrations = []string{
	// 1: room events, keyed by room and sequence number, and each room's
	// high-water mark.
	`CREATE TABLE rooms (
		name     TEXT PRIMARY KEY,
		last_seq INTEGER NOT NULL
	) WITHOUT ROWID;
	CREATE TABLE events (
		room   TEXT NOT NULL,
		seq    INTEGER NOT NULL,
		kind   INTEGER NOT NULL,
		id     TEXT NOT NULL,
		origin TEXT NOT NULL,
		time   INTEGER NOT NULL, -- Unix nanoseconds
		sender TEXT NOT NULL,
		text   TEXT NOT NULL,
		reason INTEGER NOT NULL,
		PRIMARY KEY (room, seq)
	) WITHOUT ROWID;`,
	// 2: private messages, found by either party.
	`CREATE TABLE private (
		n         INTEGER PRIMARY KEY,
		id        TEXT NOT NULL,
		origin    TEXT NOT NULL,
		time      INTEGER NOT NULL,
		sender    TEXT NOT NULL,
		recipient TEXT NOT NULL,
		text      TEXT NOT NULL
	);
	CREATE INDEX private_sender ON private (sender, n);
	CREATE INDEX private_recipient ON private (recipient, n);
	CREATE INDEX private_time ON private (time);`,
	// 3: each room's retention mark, the highest sequence number removed,
	// so a resume from before it is known to have a gap. Rooms stored
	// before it are taken to have lost what precedes their oldest event.
	`ALTER TABLE rooms ADD COLUMN trimmed INTEGER NOT NULL DEFAULT 0;
	UPDATE rooms SET trimmed = coalesce((SELECT min(seq) - 1 FROM events WHERE room = rooms.name), last_seq);`,
}

// migrate brings the database at path up to len(steps), each step and its
// version bump in one transaction, so a crash never leaves half a step. It
// refuses another application's file and a schema newer than this build.
func migrate(ctx context.Context, db *sql.DB, path string, steps []string) error {
	version, err := schemaVersion(ctx, db, path)
	if err != nil {
		return err
	}
	if version > len(steps) {
		return fmt.Errorf("sqlitelog: %s has schema version %d, newer than this hubcat knows (%d); upgrade hubcat", path, version, len(steps))
	}
	for v := version; v < len(steps); v++ {
		if err := migrateStep(ctx, db, v, steps[v]); err != nil {
			return fmt.Errorf("sqlitelog: %s: migrate to schema version %d: %w", path, v+1, err)
		}
	}
	return nil
}

// schemaVersion reads user_version after checking the application ID; an
// unmarked file must be empty to be taken.
func schemaVersion(ctx context.Context, db *sql.DB, path string) (int, error) {
	var id, version, tables int
	if err := db.QueryRowContext(ctx, "PRAGMA application_id").Scan(&id); err != nil {
		return 0, &CorruptError{Path: path, Err: err}
	}
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return 0, &CorruptError{Path: path, Err: err}
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&tables); err != nil {
		return 0, &CorruptError{Path: path, Err: err}
	}
	switch {
	case id == appID:
		return version, nil
	case id == 0 && version == 0 && tables == 0:
		return 0, nil
	default:
		return 0, &CorruptError{Path: path, Err: errors.New("the database belongs to another application")}
	}
}

func migrateStep(ctx context.Context, db *sql.DB, from int, script string) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if from == 0 {
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA application_id = %d", appID)); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, script); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", from+1)); err != nil {
		return err
	}
	return tx.Commit()
}
