package hub

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// counters are the hub's running totals, read by Stats.
type counters struct {
	messagesIn  atomic.Uint64
	deliveries  atomic.Uint64
	bytesQueued atomic.Uint64
	slowCuts    atomic.Uint64
	logPending  atomic.Int64
	logFailures atomic.Uint64
	refused     sync.Map // error code → *atomic.Uint64: requests refused, by reason
}

// refuse counts one request refused with code.
func (c *counters) refuse(code string) {
	n, ok := c.refused.Load(code)
	if !ok {
		n, _ = c.refused.LoadOrStore(code, new(atomic.Uint64))
	}
	n.(*atomic.Uint64).Add(1)
}

// Stats is a snapshot of the hub's activity, for /metrics.
type Stats struct {
	Members          map[string]int // attached members by front end
	Rooms            int
	MessagesIn       uint64 // messages and actions accepted from members
	Deliveries       uint64 // events queued to members
	BytesQueued      uint64 // bytes queued to members
	SlowConsumerCuts uint64
	LogPending       int               // events handed to the Log, not yet durable
	LogFailures      uint64            // batches the Log refused
	Refused          map[string]uint64 // inputs refused with an error, by its code (see ErrorCode)
}

// Stats returns the hub's counters.
func (h *Hub) Stats() Stats {
	s := Stats{
		Members:          map[string]int{},
		MessagesIn:       h.stats.messagesIn.Load(),
		Deliveries:       h.stats.deliveries.Load(),
		BytesQueued:      h.stats.bytesQueued.Load(),
		SlowConsumerCuts: h.stats.slowCuts.Load(),
		LogPending:       int(max(0, h.stats.logPending.Load())),
		LogFailures:      h.stats.logFailures.Load(),
		Refused:          map[string]uint64{},
	}
	h.stats.refused.Range(func(code, n any) bool {
		s.Refused[code.(string)] = n.(*atomic.Uint64).Load()
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	s.Rooms = len(h.rooms)
	for _, m := range h.members {
		s.Members[m.frontend]++
	}
	return s
}

// The safe* helpers call pluggable code (the Log, formats) so that a panic
// in it fails one call, logged, instead of wedging a room or the hub.

func (h *Hub) safeLast(room string) (last uint64, err error) {
	defer h.recoverInto(&err, "log Last")
	return h.cfg.Log.Last(room)
}

// safeSince reads events after a resume point, and whether the Log still
// holds all of them (always, unless it is a TrimmingLog).
func (h *Hub) safeSince(room string, after uint64, limit int) (evs []Event, complete bool, err error) {
	defer h.recoverInto(&err, "log Since")
	if tl, ok := h.cfg.Log.(TrimmingLog); ok {
		return tl.SinceComplete(room, after, limit)
	}
	evs, err = h.cfg.Log.Since(room, after, limit)
	return evs, true, err
}

func (h *Hub) safeBefore(room string, before uint64, limit int) (evs []Event, err error) {
	defer h.recoverInto(&err, "log Before")
	return h.cfg.Log.Before(room, before, limit)
}

// safeAppend hands events to the Log; done is called once whatever
// happens.
func (h *Hub) safeAppend(events []Event, done func(error)) {
	var once atomic.Bool
	call := func(err error) {
		if once.CompareAndSwap(false, true) {
			done(err)
		}
	}
	var err error
	func() {
		defer h.recoverInto(&err, "log Append")
		h.cfg.Log.Append(events, call)
	}()
	if err != nil {
		call(err)
	}
}

// safeOrder hands events to the Sequencer; done is called on failure.
func (h *Hub) safeOrder(events []Event, done func(error)) {
	var err error
	func() {
		defer h.recoverInto(&err, "sequencer Order")
		h.cfg.Sequencer.Order(events, done)
	}()
	if err != nil {
		done(err)
	}
}

// recoverInto turns a panic into *err and a log line.
func (h *Hub) recoverInto(err *error, what string) {
	if p := recover(); p != nil {
		h.log.Error("panic in pluggable code", "in", what, "panic", fmt.Sprint(p))
		*err = fmt.Errorf("%s: panic: %v", what, p)
	}
}

// render appends ev in f, or nothing if f panics.
func (h *Hub) render(f Format, dst []byte, ev *Event) (out []byte) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("panic in format", "kind", ev.Kind.String(), "panic", fmt.Sprint(p))
			out = dst
		}
	}()
	return f.Append(dst, ev)
}

// renderTo appends ev in a personal format, or nothing if it panics.
func (h *Hub) renderTo(f PersonalFormat, dst []byte, ev *Event, to *Member) (out []byte) {
	defer func() {
		if p := recover(); p != nil {
			h.log.Error("panic in format", "kind", ev.Kind.String(), "panic", fmt.Sprint(p))
			out = dst
		}
	}()
	return f.AppendTo(dst, ev, to)
}

// noLimit is a query limit meaning "as many as allowed".
const noLimit = math.MaxInt
