package sqlitelog

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/hubcat/hubcat/hub"
)

const eventColumns = "seq, kind, id, origin, time, sender, text, reason"

const sinceSQL = `SELECT ` + eventColumns + ` FROM events WHERE room = ? AND seq > ? ORDER BY seq LIMIT ?`

// Since returns up to limit events of room with Seq > after, oldest first.
func (l *Log) Since(room string, after uint64, limit int) ([]hub.Event, error) {
	if limit <= 0 || after >= math.MaxInt64 {
		return nil, nil
	}
	rows, err := l.r.Query(sinceSQL, room, int64(after), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitelog: since: %w", err)
	}
	return scanEvents(rows, room, limit)
}

// SinceComplete is Since, also reporting whether the events are all there
// were after `after`: false when retention removed some (the room's
// retention mark is above after). Both are read in one transaction.
func (l *Log) SinceComplete(room string, after uint64, limit int) (evs []hub.Event, complete bool, err error) {
	tx, err := l.r.Begin()
	if err != nil {
		return nil, false, fmt.Errorf("sqlitelog: since: %w", err)
	}
	defer tx.Rollback() // read only: nothing to commit
	var trimmed int64
	err = tx.QueryRow(`SELECT trimmed FROM rooms WHERE name = ?`, room).Scan(&trimmed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, false, fmt.Errorf("sqlitelog: since: %w", err)
	}
	complete = after >= uint64(trimmed)
	if limit <= 0 || after >= math.MaxInt64 {
		return nil, complete, nil
	}
	rows, err := tx.Query(sinceSQL, room, int64(after), limit)
	if err != nil {
		return nil, false, fmt.Errorf("sqlitelog: since: %w", err)
	}
	evs, err = scanEvents(rows, room, limit)
	return evs, complete, err
}

// Before returns the latest limit events of room with Seq < before, oldest
// first. before 0 means no bound: the latest events.
func (l *Log) Before(room string, before uint64, limit int) ([]hub.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	if before == 0 || before > math.MaxInt64 {
		before = math.MaxInt64
	}
	rows, err := l.r.Query(`SELECT `+eventColumns+` FROM events
		WHERE room = ? AND seq < ? ORDER BY seq DESC LIMIT ?`, room, int64(before), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitelog: before: %w", err)
	}
	evs, err := scanEvents(rows, room, limit)
	slices.Reverse(evs)
	return evs, err
}

// Last reports the highest sequence number ever stored for room (0 if
// none), even when retention has removed that event.
func (l *Log) Last(room string) (uint64, error) {
	return lastSeq(l.r, room)
}

// Private returns the latest limit private messages that name sent or
// received, oldest first. Names are matched exactly as the hub gave them.
func (l *Log) Private(name string, limit int) ([]hub.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := l.r.Query(`SELECT id, origin, time, sender, recipient, text FROM private
		WHERE n IN (SELECT n FROM private WHERE sender = ?1 ORDER BY n DESC LIMIT ?2)
		   OR n IN (SELECT n FROM private WHERE recipient = ?1 ORDER BY n DESC LIMIT ?2)
		ORDER BY n DESC LIMIT ?2`, name, limit)
	if err != nil {
		return nil, fmt.Errorf("sqlitelog: private: %w", err)
	}
	defer rows.Close()
	evs := make([]hub.Event, 0, min(limit, 64))
	for rows.Next() {
		ev := hub.Event{Kind: hub.KindPrivate}
		var t int64
		if err := rows.Scan(&ev.ID, &ev.Origin, &t, &ev.From, &ev.To, &ev.Text); err != nil {
			return nil, fmt.Errorf("sqlitelog: private: %w", err)
		}
		ev.Time = fromUnixNano(t)
		evs = append(evs, ev)
	}
	slices.Reverse(evs)
	return evs, rows.Err()
}

// querier is what lastSeq needs of a *sql.DB or *sql.Tx.
type querier interface {
	QueryRow(query string, args ...any) *sql.Row
}

// lastSeq reads room's high-water mark: its latest stored event, or the
// mark kept in rooms.last_seq when retention removed that event.
func lastSeq(q querier, room string) (uint64, error) {
	var seq int64
	err := q.QueryRow(`SELECT max(last_seq, coalesce((SELECT max(seq) FROM events WHERE room = ?1), 0))
		FROM rooms WHERE name = ?1`, room).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlitelog: last: %w", err)
	}
	return uint64(seq), nil
}

// scratchEvents are reusable buffers rows are read into before the result
// is copied out at its exact size: a long read neither grows its slice
// step by step nor holds a buffer sized for its limit.
var scratchEvents = sync.Pool{New: func() any { return new([]hub.Event) }}

// scanEvents reads rows of eventColumns into events of room.
func scanEvents(rows *sql.Rows, room string, limit int) ([]hub.Event, error) {
	defer rows.Close()
	scratch := scratchEvents.Get().(*[]hub.Event)
	evs := (*scratch)[:0]
	defer func() {
		clear(evs) // drop the strings; keep the array
		*scratch = evs[:0]
		scratchEvents.Put(scratch)
	}()
	for rows.Next() {
		ev := hub.Event{Room: room}
		var seq, kind, t, reason int64
		if err := rows.Scan(&seq, &kind, &ev.ID, &ev.Origin, &t, &ev.From, &ev.Text, &reason); err != nil {
			return nil, fmt.Errorf("sqlitelog: read event: %w", err)
		}
		ev.Seq, ev.Kind, ev.Time, ev.Reason = uint64(seq), hub.Kind(kind), fromUnixNano(t), hub.CloseReason(reason)
		evs = append(evs, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlitelog: read events: %w", err)
	}
	if len(evs) == 0 {
		return nil, nil
	}
	return slices.Clone(evs), nil
}
