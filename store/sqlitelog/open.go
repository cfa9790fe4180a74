// Package sqlitelog is hubcat's durable history: a [hub.Log] kept in an
// embedded SQLite database (the pure-Go modernc.org/sqlite driver) under a
// data directory.
//
// # Durability
//
// The database runs in WAL mode with synchronous=FULL, so a commit returns
// only after the write-ahead log is synced to disk. [Log.Append] only
// queues; one writer goroutine takes everything queued, stores it in one
// transaction, commits (one sync for the whole group) and only then calls
// each done. A lone event is committed at once, with no timer delay; under
// load each sync carries every event queued while the previous one ran.
// An Append whose events are refused (a sequence number that does not
// increase, a kind that is not logged) gets its own error; the rest of its
// group is stored.
//
// # Numbering
//
// Each room keeps a high-water mark, the highest sequence number ever
// stored, which retention never lowers: [Log.Last] reports it, so the hub
// never reuses a number even after the events are gone.
//
// # One hub per directory
//
// [Open] takes an exclusive lock on a file beside the database; a second
// hub on the same directory gets [ErrLocked]. [Backup] and [Check] read a
// live database without that lock.
package sqlitelog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/hubcat/hubcat/hub"
)

// File names inside the data directory.
const (
	DBFile   = "history.db"  // the SQLite database
	LockFile = "hubcat.lock" // held by the hub that has the directory open
)

var (
	// ErrLocked means another hub holds the data directory.
	ErrLocked = errors.New("sqlitelog: data directory in use by another hub")
	// ErrClosed is returned for Appends after Close.
	ErrClosed = errors.New("sqlitelog: log closed")
	// ErrRejected wraps the reason an Append's events were refused.
	ErrRejected = errors.New("sqlitelog: event rejected")
)

// CorruptError reports a database file that cannot be used: not SQLite,
// damaged, or another application's. The hub refuses to start rather than
// reset it.
type CorruptError struct {
	Path string // the database file
	Err  error  // what was found
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("sqlitelog: %s is not a usable hubcat history database: %v", e.Path, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// Options tune a Log. The zero value keeps every event forever.
type Options struct {
	// MaxPerRoom keeps at most this many events per room (0 = no limit).
	MaxPerRoom int
	// MaxAge removes room events and private messages older than this
	// (0 = no limit).
	MaxAge time.Duration
	// RetentionEvery is how often retention runs (default 1 minute).
	RetentionEvery time.Duration
	// Logger receives write failures and retention summaries (default: discard).
	Logger *slog.Logger
	// Now is the clock retention measures age against (default time.Now).
	Now func() time.Time
}

// Log is a [hub.Log] backed by SQLite. Its methods are safe for concurrent
// use.
type Log struct {
	path string
	opt  Options
	lock *os.File
	w    *sql.DB // one connection: the writer goroutine's
	r    *sql.DB // readers

	stmts statements

	mu     sync.Mutex
	queue  []request
	stats  Stats
	closed bool
	wake   chan struct{}
	stop   chan struct{}
	done   chan struct{}

	marks map[string]uint64 // committed high-water marks; the writer's

	// commit ends a group's transaction; tests replace it to hold the sync.
	commit func(*sql.Tx) error
}

var _ hub.TrimmingLog = (*Log)(nil)

// Open opens (creating if needed) the history under dir, migrates its
// schema and starts the writer and the retention loop.
func Open(dir string, opt Options) (*Log, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sqlitelog: data directory: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, LockFile))
	if err != nil {
		return nil, err
	}
	l := &Log{path: filepath.Join(dir, DBFile), opt: opt.withDefaults(), lock: lock,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		commit: (*sql.Tx).Commit, marks: map[string]uint64{}}
	if err := l.open(); err != nil {
		l.closeDBs()
		lock.Close()
		return nil, err
	}
	go l.run()
	return l, nil
}

func (o Options) withDefaults() Options {
	if o.RetentionEvery <= 0 {
		o.RetentionEvery = time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Path reports the database file.
func (l *Log) Path() string { return l.path }

// open connects the writer and the readers, checks the file and migrates.
func (l *Log) open() error {
	var err error
	if l.w, err = openDB(l.path, false); err != nil {
		return err
	}
	l.w.SetMaxOpenConns(1)
	ctx := context.Background()
	if err := checkFile(ctx, l.w, l.path); err != nil {
		return err
	}
	if err := migrate(ctx, l.w, l.path, migrations); err != nil {
		return err
	}
	if err := l.stmts.prepare(ctx, l.w); err != nil {
		return fmt.Errorf("sqlitelog: %s: %w", l.path, err)
	}
	if l.r, err = openDB(l.path, true); err != nil {
		return err
	}
	return l.r.PingContext(ctx)
}

// statements are the writer's prepared statements.
type statements struct {
	insertRows               [insertSizes]*sql.Stmt // insertRows[i] inserts 1<<i room events, OR ROLLBACK
	insertRowsSaved          [insertSizes]*sql.Stmt // the same, undoing only itself on failure
	insertPrivate, raiseMark *sql.Stmt
}

func (s *statements) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{
		{&s.insertPrivate, `INSERT INTO private (id, origin, time, sender, recipient, text)
			VALUES (?, ?, ?, ?, ?, ?)`},
		{&s.raiseMark, `INSERT INTO rooms (name, last_seq) VALUES (?, ?)
			ON CONFLICT (name) DO UPDATE SET last_seq = max(last_seq, excluded.last_seq)`},
	} {
		var err error
		if *p.stmt, err = db.PrepareContext(ctx, p.sql); err != nil {
			return err
		}
	}
	for i := range s.insertRows {
		var err error
		if s.insertRows[i], err = db.PrepareContext(ctx, insertRowsSQL(1<<i, true)); err != nil {
			return err
		}
		if s.insertRowsSaved[i], err = db.PrepareContext(ctx, insertRowsSQL(1<<i, false)); err != nil {
			return err
		}
	}
	return nil
}

// The writer's page cache (KiB) and the WAL size (pages) that triggers a
// checkpoint; SQLite's defaults are 2 MiB and 1,000 pages.
const (
	writerCacheKiB     = 32 << 10
	walCheckpointPages = 8192
)

// openDB opens the database with hubcat's pragmas; readOnly connections
// refuse writes.
func openDB(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(full)")
	q.Add("_pragma", "foreign_keys(on)")
	// A multi-row INSERT keeps a statement journal of the pages it
	// changes; in memory it costs no system calls.
	q.Add("_pragma", "temp_store(memory)")
	if readOnly {
		q.Add("_pragma", "query_only(on)")
	} else {
		q.Set("_txlock", "immediate")
		// A group spread over many rooms dirties a page per room: a
		// cache of writerCacheKiB keeps them all without spilling or
		// reading them back, and checkpoints every walCheckpointPages
		// write each hot page once for many groups, not at every other
		// group.
		q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", writerCacheKiB))
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walCheckpointPages))
	}
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlitelog: open %s: %w", path, err)
	}
	return db, nil
}

// checkFile turns a file that is not a healthy SQLite database into a
// CorruptError, and switches it to WAL, reading the mode back.
func checkFile(ctx context.Context, db *sql.DB, path string) error {
	var mode string
	if err := db.QueryRowContext(ctx, "PRAGMA journal_mode = wal").Scan(&mode); err != nil {
		return &CorruptError{Path: path, Err: err}
	}
	if mode != "wal" {
		return fmt.Errorf("sqlitelog: %s: journal mode is %q, want wal", path, mode)
	}
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA quick_check(1)").Scan(&res); err != nil {
		return &CorruptError{Path: path, Err: err}
	}
	if res != "ok" {
		return &CorruptError{Path: path, Err: errors.New(res)}
	}
	return nil
}

// Close stores what is queued, stops the background work and releases the
// directory. Appends after Close fail with ErrClosed.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.mu.Unlock()
	close(l.stop)
	<-l.done
	err := l.closeDBs()
	if cerr := l.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *Log) closeDBs() error {
	var errs []error
	for _, db := range []*sql.DB{l.r, l.w} {
		if db != nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}
