package hub

import (
	"sync"
	"time"
)

// keepFor is how long an outbox that has gone quiet keeps its buffer: it is
// given back at the first sweep after a whole keepFor without a large batch, so
// between one and two of them after the last batch.
const keepFor = time.Second

// bufKeeper lets outboxes keep a buffer between bursts. An inline writer
// usually empties its outbox at once, so a member of a busy room gives up
// the writer role after nearly every burst; were its buffer given back each
// time, the next burst would start small and grow it again, copying as it
// goes. Instead an outbox that had a large batch (keepWhileQuiet) keeps
// its larger buffer, and a sweep takes back the buffers of outboxes that
// had no large batch since the sweep before. Only members with large
// batches within the last two keepFor hold a buffer, so an idle hub holds
// none.
type bufKeeper struct {
	mu    sync.Mutex
	held  []*Outbox   // outboxes keeping a buffer; guarded by mu
	sweep *time.Timer // runs sweepNow while held is not empty; guarded by mu
}

// add registers o, which has just begun keeping a buffer. o.mu is held.
func (k *bufKeeper) add(o *Outbox) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.held = append(k.held, o)
	if k.sweep == nil {
		k.scheduleLocked()
	}
}

// scheduleLocked makes a sweep come keepFor from now. k.mu must be held.
func (k *bufKeeper) scheduleLocked() {
	if k.sweep == nil {
		k.sweep = time.AfterFunc(keepFor, k.sweepNow)
	} else {
		k.sweep.Reset(keepFor)
	}
}

// sweepNow takes back the buffers of the outboxes that had no large batch
// since the last sweep and keeps watching the others. Sweeps may overlap
// (a test's with the timer's): each works on the outboxes it took.
func (k *bufKeeper) sweepNow() {
	k.mu.Lock()
	held := k.held
	k.held = nil
	k.mu.Unlock()

	busy := held[:0]
	for _, o := range held {
		if o.stillKeeping() {
			busy = append(busy, o)
		}
	}
	clear(held[len(busy):])

	k.mu.Lock()
	defer k.mu.Unlock()
	k.held = append(k.held, busy...)
	if len(k.held) > 0 {
		k.scheduleLocked()
	} else {
		k.sweep = nil
	}
}
