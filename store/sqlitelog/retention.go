package sqlitelog

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// retentionChunk bounds the rows one retention step reads or deletes, so a
// step holds the writer for a few milliseconds at most.
const retentionChunk = 1000

// retentionPause is the least time between two steps while appends keep
// the writer busy: retention then takes a small share of it.
const retentionPause = 50 * time.Millisecond

// retention trims each room to Options.MaxPerRoom events and removes events
// older than Options.MaxAge, a chunk at a time, on the writer goroutine
// between groups: appends wait at most one step. It removes a prefix of a
// room's events in sequence order, so an event is kept while any older
// one must be, and raises the room's retention mark (rooms.trimmed) with
// it. The rooms table (the high-water marks) is never trimmed.
type retention struct {
	l       *Log
	rooms   []string  // rooms left in this pass
	private bool      // private messages still to trim in this pass
	room    roomTrim  // the room being trimmed
	last    time.Time // when the last step ran
	removed int64     // rows removed this pass
}

// roomTrim is the plan for one room: remove events up to countCut, and
// those before ageCut (Unix ns) from the oldest on.
type roomTrim struct {
	name     string
	planned  bool
	countCut int64
	ageCut   int64
}

// start begins a pass unless one is running or nothing is to be trimmed.
func (r *retention) start() {
	o := r.l.opt
	if r.active() || (o.MaxPerRoom <= 0 && o.MaxAge <= 0) {
		return
	}
	rows, err := r.l.r.Query(`SELECT name FROM rooms`)
	if err != nil {
		r.fail(err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			r.fail(err)
			return
		}
		r.rooms = append(r.rooms, name)
	}
	if err := rows.Err(); err != nil {
		r.fail(err)
		return
	}
	r.private = o.MaxAge > 0
	r.removed = 0
	if !r.active() {
		r.finish()
	}
}

// active reports whether a pass has work left.
func (r *retention) active() bool { return len(r.rooms) > 0 || r.private }

// due reports whether a step may run between two groups.
func (r *retention) due() bool {
	return r.active() && time.Since(r.last) >= retentionPause
}

// step does one bounded piece of the pass.
func (r *retention) step() {
	r.last = time.Now()
	var finished bool
	var err error
	if len(r.rooms) > 0 {
		finished, err = r.trimRoom(r.rooms[0])
		if finished || err != nil {
			r.rooms = r.rooms[1:]
			r.room = roomTrim{}
		}
	} else {
		finished, err = r.trimPrivate()
		r.private = r.private && !finished && err == nil
	}
	if err != nil {
		r.l.opt.Logger.Warn("history retention step failed", "db", r.l.path, "err", err)
	}
	if !r.active() {
		r.finish()
	}
}

// finish records a completed pass.
func (r *retention) finish() {
	r.l.mu.Lock()
	r.l.stats.Passes++
	r.l.stats.Trimmed += uint64(r.removed)
	r.l.mu.Unlock()
	if r.removed > 0 {
		r.l.opt.Logger.Info("history retention", "db", r.l.path, "removed", r.removed)
	}
}

func (r *retention) fail(err error) {
	r.rooms, r.private = nil, false
	r.l.opt.Logger.Warn("history retention failed", "db", r.l.path, "err", err)
}

// trimRoom removes up to one chunk of the room's oldest events that are
// over the count or the age, and reports whether the room is done.
func (r *retention) trimRoom(name string) (finished bool, err error) {
	if !r.room.planned || r.room.name != name {
		if r.room, err = r.plan(name); err != nil {
			return true, err
		}
	}
	rows, err := r.l.w.Query(`SELECT seq, time FROM events WHERE room = ? ORDER BY seq LIMIT ?`, name, retentionChunk)
	if err != nil {
		return true, err
	}
	var end int64
	seen, doomed := 0, 0
	for rows.Next() {
		var seq, t int64
		if err := rows.Scan(&seq, &t); err != nil {
			rows.Close()
			return true, err
		}
		seen++
		if seq > r.room.countCut && t >= r.room.ageCut {
			break
		}
		end, doomed = seq, doomed+1
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return true, err
	}
	if doomed > 0 {
		n, err := r.remove(name, end)
		if err != nil {
			return true, err
		}
		r.removed += n
	}
	return doomed < retentionChunk || seen < retentionChunk, nil
}

// remove deletes the room's events up to end and raises its retention
// mark to end, in one transaction, so a reader sees either both or
// neither.
func (r *retention) remove(name string, end int64) (n int64, err error) {
	tx, err := r.l.w.Begin()
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	// The high-water mark is the latest event while it is stored: keep it
	// in rooms.last_seq before removing events, in case that one goes too.
	if _, err = tx.Exec(`UPDATE rooms SET trimmed = max(trimmed, ?2),
		last_seq = max(last_seq, coalesce((SELECT max(seq) FROM events WHERE room = ?1), 0))
		WHERE name = ?1`, name, end); err != nil {
		return 0, err
	}
	res, err := tx.Exec(`DELETE FROM events WHERE room = ? AND seq <= ?`, name, end)
	if err != nil {
		return 0, err
	}
	n, _ = res.RowsAffected()
	return n, tx.Commit()
}

// plan works out a room's cut-offs once per pass.
func (r *retention) plan(name string) (roomTrim, error) {
	o := r.l.opt
	p := roomTrim{name: name, planned: true}
	if o.MaxAge > 0 {
		p.ageCut = o.Now().Add(-o.MaxAge).UnixNano()
	}
	if o.MaxPerRoom > 0 {
		err := r.l.w.QueryRow(`SELECT seq FROM events WHERE room = ? ORDER BY seq DESC LIMIT 1 OFFSET ?`,
			name, o.MaxPerRoom).Scan(&p.countCut)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return p, fmt.Errorf("room %q: %w", name, err)
		}
	}
	return p, nil
}

// trimPrivate removes up to one chunk of private messages older than
// MaxAge and reports whether none are left.
func (r *retention) trimPrivate() (finished bool, err error) {
	cut := r.l.opt.Now().Add(-r.l.opt.MaxAge).UnixNano()
	res, err := r.l.w.Exec(`DELETE FROM private WHERE n IN
		(SELECT n FROM private WHERE time < ? ORDER BY time LIMIT ?)`, cut, retentionChunk)
	if err != nil {
		return true, err
	}
	n, _ := res.RowsAffected()
	r.removed += n
	return n < retentionChunk, nil
}
