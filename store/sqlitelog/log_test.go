package sqlitelog

import (
	"database/sql"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/store/storetest"
)

// openTest opens a log in a fresh directory, closed at cleanup.
func openTest(t *testing.T, dir string, opt Options) *Log {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	l, err := Open(dir, opt)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hub.Log { return openTest(t, "", Options{}) })
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []hub.Event{storetest.Msg("r", 1), storetest.Msg("r", 2)}
	priv := hub.Event{Kind: hub.KindPrivate, ID: "h1-p", Origin: "h1", Time: time.Unix(9, 0), From: "alice", To: "bob", Text: "psst"}
	if err := storetest.AppendWait(l, append(want, priv)...); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l = openTest(t, dir, Options{})
	got, err := l.Since("r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := storetest.Same(got, want); d != "" {
		t.Fatal(d)
	}
	for _, who := range []string{"alice", "bob"} {
		got, err := l.Private(who, 10)
		if err != nil {
			t.Fatal(err)
		}
		if d := storetest.Same(got, []hub.Event{priv}); d != "" {
			t.Fatalf("Private(%s): %s", who, d)
		}
	}
	if got, _ := l.Private("carol", 10); len(got) != 0 {
		t.Fatalf("a third party sees private messages: %v", got)
	}
	if got, _ := l.Since("", 0, 10); len(got) != 0 {
		t.Fatalf("private messages leak into a room: %v", got)
	}
	if err := storetest.AppendWait(l, storetest.Msg("r", 2)); !errors.Is(err, ErrRejected) {
		t.Fatalf("reusing seq 2 after reopen: %v, want ErrRejected", err)
	}
}

// TestNoDoneBeforeSync holds the commit (where SQLite syncs the WAL) and
// checks that no done is called until it has returned.
func TestNoDoneBeforeSync(t *testing.T) {
	l := openTest(t, "", Options{})
	entered := make(chan struct{}, 10)
	release := make(chan struct{})
	var committed atomic.Int32
	l.commit = func(tx *sql.Tx) error {
		entered <- struct{}{}
		<-release
		err := tx.Commit()
		committed.Add(1)
		return err
	}
	var calls atomic.Int32
	doneCh := make(chan int32, 10)
	for seq := uint64(1); seq <= 5; seq++ {
		l.Append([]hub.Event{storetest.Msg("r", seq)}, func(err error) {
			if err != nil {
				t.Errorf("seq %d: %v", seq, err)
			}
			calls.Add(1)
			doneCh <- committed.Load()
		})
		if seq == 1 {
			<-entered // the first group is committing; the rest queue behind it
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("%d done calls while the commit is held", n)
	}
	if s := l.Stats(); s.Pending != 5 {
		t.Fatalf("Pending = %d, want 5", s.Pending)
	}
	close(release)
	for range 5 {
		if c := <-doneCh; c == 0 {
			t.Fatal("done called before its commit returned")
		}
	}
	if s := l.Stats(); s.Commits != 2 || s.Events != 5 || s.Pending != 0 {
		t.Fatalf("Stats = %+v, want 2 commits (1 lone, then the 4 queued together), 5 events", s)
	}
}

// holdFirstCommit makes the log's first commit wait for release, and
// returns a channel that receives when that commit has begun.
func holdFirstCommit(l *Log, release <-chan struct{}) <-chan struct{} {
	entered := make(chan struct{})
	var once sync.Once
	l.commit = func(tx *sql.Tx) error {
		once.Do(func() { close(entered); <-release })
		return tx.Commit()
	}
	return entered
}

// TestBadEventFailsAlone puts invalid Appends in the same group as good
// ones: only the invalid ones fail.
func TestBadEventFailsAlone(t *testing.T) {
	l := openTest(t, "", Options{})
	// A row the high-water mark does not know of: seq 10 passes validation
	// but fails in SQL, which takes the per-request savepoint path.
	if _, err := l.w.Exec(`INSERT INTO events VALUES ('r', 10, 0, 'x', 'h1', 0, 'a', 'planted', 0)`); err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	entered := holdFirstCommit(l, release)
	var wg sync.WaitGroup
	results := make([]error, 7)
	appendAt := func(i int, evs ...hub.Event) {
		wg.Add(1)
		l.Append(evs, func(err error) { results[i] = err; wg.Done() })
	}
	appendAt(0, storetest.Msg("r", 1))
	<-entered // the rest queue into one group
	appendAt(1, storetest.Msg("r", 2))
	appendAt(2, storetest.Msg("r", 2))                              // seq not increasing
	appendAt(3, hub.Event{Kind: hub.KindNotice, Room: "r", Seq: 9}) // not logged
	appendAt(4, hub.Event{Kind: hub.KindPrivate, From: "a"})        // no recipient
	appendAt(5, storetest.Msg("r", 3))
	appendAt(6, storetest.Msg("r", 10)) // clashes with the planted row
	close(release)
	wg.Wait()
	for i, want := range []error{nil, nil, ErrRejected, ErrRejected, ErrRejected, nil} {
		if want == nil && results[i] != nil || want != nil && !errors.Is(results[i], want) {
			t.Errorf("append %d: err %v, want %v", i, results[i], want)
		}
	}
	if results[6] == nil || !strings.Contains(results[6].Error(), "UNIQUE") {
		t.Errorf("append 6: err %v, want a UNIQUE constraint failure", results[6])
	}
	got, err := l.Since("r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[2].Seq != 3 || got[3].Text != "planted" {
		t.Fatalf("stored %+v, want seqs 1, 2, 3 and the planted 10", got)
	}
	// The mark follows what is stored: the planted 10, so numbering goes
	// on above it; the failed append's events are not there.
	if last, _ := l.Last("r"); last != 10 {
		t.Fatalf("Last = %d, want 10 (the planted row)", last)
	}
}
