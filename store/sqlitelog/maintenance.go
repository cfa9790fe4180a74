package sqlitelog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the history under dir to dst (which
// must not exist), while a hub may be writing to it: VACUUM INTO reads one
// snapshot of the database. The copy is synced before Backup returns.
func Backup(ctx context.Context, dir, dst string) error {
	db, path, err := openExisting(ctx, dir)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := os.Lstat(dst); err == nil {
		return fmt.Errorf("sqlitelog: backup: %s already exists", dst)
	}
	abs, err := filepath.Abs(dst)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", abs); err != nil {
		return fmt.Errorf("sqlitelog: back up %s to %s: %w", path, dst, err)
	}
	return syncFile(abs)
}

// Check runs SQLite's integrity check on the history under dir, which a hub
// may be using, and returns the problems it finds (none when healthy).
func Check(ctx context.Context, dir string) ([]string, error) {
	db, path, err := openExisting(ctx, dir)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, &CorruptError{Path: path, Err: err}
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, &CorruptError{Path: path, Err: err}
	}
	return problems, nil
}

// openExisting opens the history database under dir without taking the
// hub's lock (SQLite's own locking keeps a live hub and this connection
// apart), refusing a missing file or another application's. It is not
// query_only: VACUUM INTO writes, if only to another file.
func openExisting(ctx context.Context, dir string) (*sql.DB, string, error) {
	path := filepath.Join(dir, DBFile)
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, path, fmt.Errorf("sqlitelog: no history at %s", path)
		}
		return nil, path, fmt.Errorf("sqlitelog: %w", err)
	}
	db, err := openDB(path, false)
	if err != nil {
		return nil, path, err
	}
	if _, err := schemaVersion(ctx, db, path); err != nil {
		db.Close()
		return nil, path, err
	}
	return db, path, nil
}

// syncFile flushes a file to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
