package sqlitelog

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/hubcat/hubcat/hub"
)

// request is one Append waiting for the writer.
type request struct {
	events []hub.Event
	done   func(error)
}

// Stats are the log's counters.
type Stats struct {
	Pending int    // events queued or being committed
	Commits uint64 // groups committed (one sync each)
	Events  uint64 // events committed
	Trimmed uint64 // events and private messages removed by retention
	Passes  uint64 // retention passes completed
}

// Append queues events for the writer and returns at once; done is called,
// on the log's notifier goroutine, after the transaction holding them is
// committed and synced, or with the error that kept them out. Appends queued while a
// commit runs share the next transaction: concurrent callers are grouped
// into one sync, and a lone Append is committed immediately. An Append
// whose events are invalid (see [ErrRejected]) fails alone: the rest of its
// group is stored. done calls follow the order of the Appends. While the
// notifier calls one group's dones the writer commits the next group; done
// must not block for long, or the writer waits once a few groups are
// waiting to be reported.
func (l *Log) Append(events []hub.Event, done func(error)) {
	r := request{events: slices.Clone(events), done: done}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		done(ErrClosed)
		return
	}
	l.queue = append(l.queue, r)
	l.stats.Pending += len(r.events)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Stats reports the log's counters.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// take removes and returns everything queued.
func (l *Log) take() []request {
	l.mu.Lock()
	defer l.mu.Unlock()
	q := l.queue
	l.queue = nil
	return q
}

// notifyDepth is how many committed groups may wait for the notifier
// before the writer waits for it.
const notifyDepth = 4

// committed is a group whose outcome the notifier reports.
type committed struct {
	reqs []request
	errs []error
}

// notify calls the dones of committed groups in order, so the writer can
// commit the next group meanwhile.
func (l *Log) notify(groups <-chan committed) {
	defer close(l.done)
	for g := range groups {
		for i, r := range g.reqs {
			r.done(g.errs[i])
		}
	}
}

// run is the writer: it commits queued groups as they come, hands them to
// the notifier, and trims old events in small steps when it has time.
func (l *Log) run() {
	groups := make(chan committed, notifyDepth)
	defer close(groups)
	go l.notify(groups)
	tick := time.NewTicker(l.opt.RetentionEvery)
	defer tick.Stop()
	ret := &retention{l: l}
	ret.start() // a hub restarted with tighter limits applies them at once
	for {
		select {
		case <-l.stop:
			l.store(l.take(), groups)
			return
		case <-tick.C:
			ret.start()
		default:
		}
		if reqs := l.take(); len(reqs) > 0 {
			l.store(reqs, groups)
			if ret.due() {
				ret.step()
			}
			continue
		}
		if ret.active() {
			ret.step()
			continue
		}
		select {
		case <-l.wake:
		case <-tick.C:
			ret.start()
		case <-l.stop:
			l.store(l.take(), groups)
			return
		}
	}
}

// store commits one group and hands it to the notifier.
func (l *Log) store(reqs []request, groups chan<- committed) {
	if len(reqs) == 0 {
		return
	}
	start := time.Now()
	errs := make([]error, len(reqs))
	marks := l.validate(reqs, errs)
	err := l.commitGroup(reqs, errs, marks, false)
	var stmtErr *statementError
	if errors.As(err, &stmtErr) {
		// Something in the group failed in SQL: redo it with a savepoint
		// per request, so only the requests that fail are refused.
		marks = nil
		err = l.commitGroup(reqs, errs, marks, true)
	}
	n := 0
	for i, r := range reqs {
		n += len(r.events)
		if err != nil && errs[i] == nil {
			errs[i] = err
		}
	}
	if err != nil {
		l.opt.Logger.Error("history write failed; events refused", "db", l.path, "events", n, "err", err)
	}
	l.mu.Lock()
	l.stats.Pending -= n
	if err == nil {
		l.stats.Commits++
		for i, r := range reqs {
			if errs[i] == nil {
				l.stats.Events += uint64(len(r.events))
			}
		}
	}
	l.mu.Unlock()
	l.opt.Logger.Debug("history group", "appends", len(reqs), "events", n, "took", time.Since(start))
	groups <- committed{reqs, errs}
}

// statementError is a failure of one request's statements (as opposed to
// the group's begin or commit).
type statementError struct{ err error }

func (e *statementError) Error() string { return e.err.Error() }
func (e *statementError) Unwrap() error { return e.err }

// validate refuses requests whose events cannot be stored, setting their
// errs, and returns the high-water marks the valid ones raise.
func (l *Log) validate(reqs []request, errs []error) map[string]uint64 {
	marks := map[string]uint64{}
	for i, r := range reqs {
		raised, err := l.check(r.events, marks)
		if err != nil {
			errs[i] = fmt.Errorf("%w: %v", ErrRejected, err)
			continue
		}
		for room, seq := range raised {
			marks[room] = seq
		}
	}
	return marks
}

// check validates one request's events against the marks so far (the
// group's, then the committed ones) and returns the marks it would raise.
func (l *Log) check(evs []hub.Event, marks map[string]uint64) (map[string]uint64, error) {
	raised := map[string]uint64{}
	for i := range evs {
		ev := &evs[i]
		switch {
		case !ev.Kind.Logged():
			return nil, fmt.Errorf("%s events are not logged", ev.Kind)
		case ev.Kind == hub.KindPrivate:
			if ev.Room != "" || ev.Seq != 0 || ev.From == "" || ev.To == "" {
				return nil, errors.New("a private message needs From and To, and no Room or Seq")
			}
			continue
		case ev.Room == "" || ev.Seq == 0 || ev.Seq > math.MaxInt64:
			return nil, fmt.Errorf("%s event needs a room and a sequence number", ev.Kind)
		}
		prev, ok := raised[ev.Room]
		if !ok {
			prev, ok = marks[ev.Room]
		}
		if !ok {
			var err error
			if prev, err = l.committedMark(ev.Room); err != nil {
				return nil, err
			}
		}
		if ev.Seq <= prev {
			return nil, fmt.Errorf("room %q: sequence number %d is not above %d", ev.Room, ev.Seq, prev)
		}
		raised[ev.Room] = ev.Seq
	}
	return raised, nil
}

// committedMark reads a room's high-water mark, caching it: only the
// writer changes it.
func (l *Log) committedMark(room string) (uint64, error) {
	if seq, ok := l.marks[room]; ok {
		return seq, nil
	}
	seq, err := lastSeq(l.w, room)
	if err != nil {
		return 0, err
	}
	l.marks[room] = seq
	return seq, nil
}

// commitGroup stores the requests not yet refused in one transaction and
// commits it. With savepoints each request is its own savepoint and a
// failing one is refused alone (marks is then recomputed from the stored
// ones); without, the first failure aborts the group as a statementError.
func (l *Log) commitGroup(reqs []request, errs []error, marks map[string]uint64, savepoints bool) (err error) {
	tx, err := l.w.Begin()
	if err != nil {
		return fmt.Errorf("sqlitelog: begin: %w", err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	if savepoints {
		marks = map[string]uint64{}
	}
	ins := &inserter{stmts: &l.stmts, tx: tx, saved: savepoints}
	for i, r := range reqs {
		if errs[i] != nil {
			continue
		}
		if !savepoints {
			if err := ins.add(r.events); err != nil {
				return &statementError{err}
			}
			continue
		}
		if err := insertSaved(tx, ins, r.events); err != nil {
			errs[i] = err
			continue
		}
		for _, ev := range r.events {
			if ev.Room != "" {
				marks[ev.Room] = max(marks[ev.Room], ev.Seq)
			}
		}
	}
	if err := ins.flush(); err != nil {
		return &statementError{err}
	}
	// A room's mark is its latest event (see lastSeq): only a room new to
	// the database gets its row here, so a group spread over many rooms
	// costs no statement per room.
	up := tx.Stmt(l.stmts.raiseMark)
	for room, seq := range marks {
		if l.marks[room] != 0 {
			continue
		}
		if _, err := up.Exec(room, int64(seq)); err != nil {
			return fmt.Errorf("sqlitelog: high-water mark: %w", err)
		}
	}
	if err := l.commit(tx); err != nil {
		return fmt.Errorf("sqlitelog: commit: %w", err)
	}
	for room, seq := range marks {
		l.marks[room] = seq
	}
	return nil
}

// insertSaved inserts one request's events inside a savepoint, undoing
// them alone if one fails.
func insertSaved(tx *sql.Tx, ins *inserter, evs []hub.Event) error {
	if _, err := tx.Exec("SAVEPOINT req"); err != nil {
		return err
	}
	err := ins.add(evs)
	if err == nil {
		err = ins.flush()
	}
	if err != nil {
		ins.rows = ins.rows[:0]
		if _, rerr := tx.Exec("ROLLBACK TO req"); rerr != nil {
			return errors.Join(err, rerr)
		}
	}
	if _, rerr := tx.Exec("RELEASE req"); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// insertSizes is how many multi-row INSERT statements are prepared: for
// 1, 2, 4, … 1<<(insertSizes-1) rows.
const insertSizes = 7

// maxRows is the most room events one INSERT carries.
const maxRows = 1 << (insertSizes - 1)

// insertRowsSQL is an INSERT of n room events. A failing OR ROLLBACK
// insert ends the whole transaction, which spares SQLite the statement
// journal (a copy of every page the statement changes) that undoing the
// statement alone needs: the group path uses it, and the savepoint path,
// which must undo one request alone, uses the plain INSERT.
func insertRowsSQL(n int, orRollback bool) string {
	var b strings.Builder
	b.WriteString("INSERT ")
	if orRollback {
		b.WriteString("OR ROLLBACK ")
	}
	b.WriteString("INTO events (room, seq, kind, id, origin, time, sender, text, reason) VALUES ")
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?)")
	}
	return b.String()
}

// inserter stores room events in multi-row INSERTs, which cost SQLite far
// less per row than one statement each; private messages go one by one.
type inserter struct {
	stmts *statements
	tx    *sql.Tx
	saved bool         // inside savepoints: a failure must undo one statement only
	rows  []*hub.Event // room events not yet inserted
	args  []any
}

// add queues evs, inserting whenever maxRows are waiting.
func (w *inserter) add(evs []hub.Event) error {
	for i := range evs {
		ev := &evs[i]
		if ev.Kind == hub.KindPrivate {
			_, err := w.tx.Stmt(w.stmts.insertPrivate).Exec(ev.ID, ev.Origin, unixNano(ev.Time), ev.From, ev.To, ev.Text)
			if err != nil {
				return fmt.Errorf("sqlitelog: store private message %s: %w", ev.ID, err)
			}
			continue
		}
		w.rows = append(w.rows, ev)
		if len(w.rows) == maxRows {
			if err := w.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush inserts every queued room event, in chunks of prepared sizes.
func (w *inserter) flush() error {
	for len(w.rows) > 0 {
		size := bits.Len(uint(len(w.rows))) - 1 // the largest power of two that fits
		n := 1 << size
		w.args = w.args[:0]
		for _, ev := range w.rows[:n] {
			w.args = append(w.args, ev.Room, int64(ev.Seq), int64(ev.Kind), ev.ID, ev.Origin,
				unixNano(ev.Time), ev.From, ev.Text, int64(ev.Reason))
		}
		stmt := w.stmts.insertRows[size]
		if w.saved {
			stmt = w.stmts.insertRowsSaved[size]
		}
		if _, err := w.tx.Stmt(stmt).Exec(w.args...); err != nil {
			first := w.rows[0]
			w.rows = w.rows[:0]
			return fmt.Errorf("sqlitelog: store events %s…: %w", first.ID, err)
		}
		w.rows = w.rows[n:]
	}
	w.rows = w.rows[:0]
	return nil
}

// unixNano stores a time; the zero time is 0.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano reads a stored time back.
func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
