package hub

import "sync"

// shrinkAbove is the capacity above which a drained buffer is let go, so a
// burst does not pin memory for an idle member.
const shrinkAbove = 64 << 10

// Outbox is a member's bounded queue of rendered bytes. Many goroutines
// push; one writer (the front end's) takes. Pushing copies into one
// growing buffer, so a delivery costs a memcpy and no allocation once the
// buffer has grown; taking swaps the buffer with the writer's spare.
type Outbox struct {
	mu      sync.Mutex
	buf     []byte // pending bytes; guarded by mu
	limit   int
	closed  bool          // no more pushes; guarded by mu
	dropped bool          // closed with pending bytes thrown away; guarded by mu
	wake    chan struct{} // capacity 1: "buf became non-empty or closed"
}

func newOutbox(limit int) *Outbox {
	return &Outbox{limit: limit, wake: make(chan struct{}, 1)}
}

// push appends b. It returns false, and pushes nothing, when the outbox is
// closed or b would take it past its limit.
func (o *Outbox) push(b []byte) bool {
	o.mu.Lock()
	if o.closed || len(o.buf)+len(b) > o.limit {
		o.mu.Unlock()
		return false
	}
	wasEmpty := len(o.buf) == 0
	o.buf = append(o.buf, b...)
	o.mu.Unlock()
	if wasEmpty {
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

// Next blocks until bytes are pending and returns them, handing the outbox
// spare (emptied) to fill next. After Close it returns what is left, then
// ok=false. The returned slice is the caller's until its next call.
func (o *Outbox) Next(spare []byte) (b []byte, ok bool) {
	for {
		o.mu.Lock()
		if len(o.buf) > 0 && !o.dropped {
			b = o.buf
			if cap(spare) > shrinkAbove {
				spare = nil
			}
			o.buf = spare[:0]
			o.mu.Unlock()
			return b, true
		}
		closed := o.closed
		o.mu.Unlock()
		if closed {
			return nil, false
		}
		<-o.wake
	}
}

// Close stops further pushes; bytes already queued are still returned by
// Next (a graceful close). It is safe to call more than once.
func (o *Outbox) Close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.signal()
}

// drop closes the outbox and discards what is queued.
func (o *Outbox) drop() {
	o.mu.Lock()
	o.closed, o.dropped = true, true
	o.buf = nil
	o.mu.Unlock()
	o.signal()
}

// Pending reports how many bytes wait to be written.
func (o *Outbox) Pending() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf)
}
