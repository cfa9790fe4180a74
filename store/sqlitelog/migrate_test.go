package sqlitelog

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/store/storetest"
)

// pragmaInt reads an integer pragma of the log's database.
func pragmaInt(t *testing.T, l *Log, name string) int {
	t.Helper()
	var v int
	if err := l.r.QueryRow("PRAGMA " + name).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrateFromEmpty(t *testing.T) {
	l := openTest(t, "", Options{})
	if v := pragmaInt(t, l, "user_version"); v != len(migrations) {
		t.Fatalf("user_version = %d, want %d", v, len(migrations))
	}
	if id := pragmaInt(t, l, "application_id"); id != appID {
		t.Fatalf("application_id = %#x, want %#x", id, appID)
	}
	var mode string
	if err := l.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	var sync int
	if err := l.w.QueryRow("PRAGMA synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Fatalf("writer synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
}

// TestMigrateFromPrevious builds a database at the previous schema
// version with room history in it, and opens it with this build.
func TestMigrateFromPrevious(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	db, err := openDB(path, false)
	if err != nil {
		t.Fatal(err)
	}
	prev := len(migrations) - 1
	if err := migrate(context.Background(), db, path, migrations[:prev]); err != nil {
		t.Fatal(err)
	}
	// Room r holds its whole history; room q lost events 1..4 to
	// retention, and room e all of them.
	if _, err := db.Exec(`INSERT INTO events VALUES ('r', 1, 0, 'h1-1', 'h1', 1000, 'alice', 'old', 0);
		INSERT INTO events VALUES ('q', 5, 0, 'h1-5', 'h1', 1000, 'alice', 'kept', 0);
		INSERT INTO rooms VALUES ('r', 1), ('q', 5), ('e', 7)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	l := openTest(t, dir, Options{})
	if v := pragmaInt(t, l, "user_version"); v != len(migrations) {
		t.Fatalf("user_version = %d, want %d", v, len(migrations))
	}
	got, err := l.Since("r", 0, 10)
	if err != nil || len(got) != 1 || got[0].Text != "old" {
		t.Fatalf("old history after migration: %+v, %v", got, err)
	}
	if last, _ := l.Last("r"); last != 1 {
		t.Fatalf("Last = %d, want 1", last)
	}
	for _, c := range []struct {
		room     string
		after    uint64
		complete bool
	}{{"r", 0, true}, {"q", 3, false}, {"q", 4, true}, {"e", 6, false}, {"e", 7, true}} {
		if _, complete, err := l.SinceComplete(c.room, c.after, 10); err != nil || complete != c.complete {
			t.Errorf("after migration, SinceComplete(%s, %d): complete=%v, %v; want %v", c.room, c.after, complete, err, c.complete)
		}
	}
	priv := hub.Event{Kind: hub.KindPrivate, ID: "p", Origin: "h1", Time: time.Unix(3, 0), From: "a", To: "b", Text: "new table"}
	if err := storetest.AppendWait(l, storetest.Msg("r", 2), priv); err != nil {
		t.Fatalf("append after migration: %v", err)
	}
	if got, err := l.Private("b", 5); err != nil || len(got) != 1 {
		t.Fatalf("Private after migration: %v, %v", got, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir, Options{})
	if _, err := l.w.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	l.Close()
	_, err := Open(dir, Options{})
	if err == nil || !strings.Contains(err.Error(), "schema version 99") || !strings.Contains(err.Error(), DBFile) {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestForeignDatabaseRefused(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	db, err := openDB(path, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE TABLE accounts (id INTEGER)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(dir, Options{})
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Path != path || !strings.Contains(err.Error(), "another application") {
		t.Fatalf("Open of another application's database: %v", err)
	}
}

func TestCorruptFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, DBFile)
	junk := []byte(strings.Repeat("this is not a database\n", 400))
	if err := os.WriteFile(path, junk, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dir, Options{})
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Path != path || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a corrupt file: %v, want a CorruptError naming %s", err, path)
	}
	if got, _ := os.ReadFile(path); string(got) != string(junk) {
		t.Fatal("the corrupt file was changed")
	}
	// The lock was released: a later Open gets the same clear error, not ErrLocked.
	if _, err := Open(dir, Options{}); !errors.As(err, &ce) {
		t.Fatalf("second Open: %v", err)
	}
}

func TestLockedDirectory(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir, Options{})
	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), filepath.Join(dir, LockFile)) {
		t.Fatalf("second Open: %v, want ErrLocked naming the lock file", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	l2.Close()
}
