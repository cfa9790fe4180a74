package hub

import (
	"errors"
	"os"
	"sync"
	"time"
)

// keepWhileBusy caps the capacity a writer keeps for the next batch; when
// the writer ends, the outbox keeps no buffer at all, so tens of thousands
// of quiet connections stay cheap.
const keepWhileBusy = 64 << 10

// writerLinger is how long a writer goroutine waits for more output before
// it ends: long enough that a member of a busy room keeps one writer, short
// enough that a quiet member soon costs none.
const writerLinger = 200 * time.Millisecond

// WriteFunc writes one batch of rendered bytes to a member's peer. The hub
// calls it from one goroutine at a time and never under a hub lock; an
// error cuts the member off (a deadline error as SlowConsumer).
type WriteFunc func(b []byte) error

// Outbox is a member's bounded queue of rendered bytes. Pushing copies into
// one growing buffer, so a delivery costs a memcpy and no allocation once
// the buffer has grown. A writer goroutine exists only while the member is
// active: the first push starts one, which drains batch after batch
// (swapping buffers, so pushes continue while it writes) and ends after
// writerLinger without output. An idle member costs no goroutine.
type Outbox struct {
	write WriteFunc
	fail  func(CloseReason)
	limit int
	done  chan struct{} // closed when the outbox is closed and drained
	wake  chan struct{} // capacity 1: output arrived for a lingering writer

	mu       sync.Mutex
	buf      []byte // pending bytes; guarded by mu
	writing  bool   // a writer goroutine runs; guarded by mu
	closed   bool   // no more pushes; guarded by mu
	dropped  bool   // pending bytes thrown away; guarded by mu
	finished bool   // done is closed; guarded by mu
}

func newOutbox(limit int, write WriteFunc, fail func(CloseReason)) *Outbox {
	return &Outbox{write: write, fail: fail, limit: limit, done: make(chan struct{}), wake: make(chan struct{}, 1)}
}

// push appends b, starting a writer if none runs. It returns false, and
// pushes nothing, when the outbox is closed or b would take it past its
// limit.
func (o *Outbox) push(b []byte) bool {
	o.mu.Lock()
	if o.closed || len(o.buf)+len(b) > o.limit {
		o.mu.Unlock()
		return false
	}
	wasEmpty := len(o.buf) == 0
	o.buf = append(o.buf, b...)
	start := !o.writing
	o.writing = true
	o.mu.Unlock()
	switch {
	case start:
		go o.drain()
	case wasEmpty:
		o.signal()
	}
	return true
}

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// drain is the writer goroutine: it writes batches until the outbox has
// been empty for writerLinger, or is closed and empty, or is dropped.
func (o *Outbox) drain() {
	var spare []byte
	var linger *time.Timer
	for {
		o.mu.Lock()
		if len(o.buf) == 0 && !o.closed && !o.dropped {
			o.mu.Unlock()
			if linger == nil {
				linger = time.NewTimer(writerLinger)
			} else {
				linger.Reset(writerLinger)
			}
			select {
			case <-o.wake:
				continue
			case <-linger.C:
			}
			o.mu.Lock()
		}
		if len(o.buf) == 0 || o.dropped {
			o.writing = false
			o.buf = nil
			o.finishLocked()
			o.mu.Unlock()
			return
		}
		b := o.buf
		if cap(spare) > keepWhileBusy {
			spare = nil
		}
		o.buf = spare[:0]
		o.mu.Unlock()
		if err := o.write(b); err != nil {
			reason := WriteError
			if errors.Is(err, os.ErrDeadlineExceeded) {
				reason = SlowConsumer
			}
			o.fail(reason) // drops the outbox; the next pass ends the writer
		}
		spare = b
	}
}

// finishLocked closes done once the outbox is closed and no writer runs.
// o.mu must be held.
func (o *Outbox) finishLocked() {
	if o.closed && !o.writing && !o.finished {
		o.finished = true
		close(o.done)
	}
}

// Close stops further pushes; bytes already queued are still written (a
// graceful close). Done reports when they have been. Safe to call again.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closed = true
	o.finishLocked()
	o.mu.Unlock()
	o.signal()
}

// drop closes the outbox and discards what is queued.
func (o *Outbox) drop() {
	o.mu.Lock()
	o.closed, o.dropped = true, true
	o.buf = nil
	o.finishLocked()
	o.mu.Unlock()
	o.signal()
}

// Done is closed when the outbox is closed and everything queued has been
// written (or dropped).
func (o *Outbox) Done() <-chan struct{} { return o.done }

// Pending reports how many bytes wait to be written.
func (o *Outbox) Pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf)
}
