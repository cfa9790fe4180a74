package hub

import (
	"errors"
	"os"
	"sync"
	"time"
)

// keepWhileBusy caps the buffer a writer keeps for its next batch. An
// outbox that has gone quiet keeps no buffer at all (see bufKeeper) — it
// goes to a shared free list for the next member that needs one — so tens
// of thousands of quiet connections cost no buffers and busy ones do not
// allocate a fresh buffer for every burst.
const keepWhileBusy = 256 << 10

// keepWhileQuiet is the smallest batch after which an outbox keeps its
// buffer (see bufKeeper): smaller buffers cost little to grow again, and a
// hub with tens of thousands of members receiving a few events each should
// not keep a buffer for each.
const keepWhileQuiet = 16 << 10

// Free output buffers, shared by all outboxes. Only buffers of a useful
// size are kept, and only so many, which bounds the memory held idle (4
// MiB): busy members keep their own (bufKeeper), so the list only passes
// buffers between members that have a burst now and then.
const (
	freeBufMin = 1 << 10
	freeBufMax = 64 << 10
)

var freeBufs = make(chan []byte, 64)

// getBuf returns an empty buffer from the free list, or nil.
func getBuf() []byte {
	select {
	case b := <-freeBufs:
		return b
	default:
		return nil
	}
}

// putBuf offers b to the free list.
func putBuf(b []byte) {
	if cap(b) < freeBufMin || cap(b) > freeBufMax {
		return
	}
	select {
	case freeBufs <- b[:0]:
	default:
	}
}

// writerLinger is how long a writer goroutine of a peer without inline
// writes waits for more output before it ends: long enough that a member of
// a busy room keeps one writer, short enough that a quiet one soon costs
// none.
const writerLinger = 200 * time.Millisecond

// congestedLinger is how long a writer goroutine started because a peer's
// socket was full keeps batching before inline writes take over again.
const congestedLinger = 20 * time.Millisecond

// WriteFunc writes one batch of rendered bytes to a member's peer, blocking
// as needed. The hub calls it from one goroutine at a time and never under
// a hub lock; an error cuts the member off (a deadline error as
// SlowConsumer).
type WriteFunc func(b []byte) error

// TryWriteFunc writes as much of b as the peer takes at once, without
// blocking, and reports how much that was; n < len(b) with a nil error
// means the peer would block. It is called under the same rules as
// WriteFunc.
type TryWriteFunc func(b []byte) (n int, err error)

// Outbox is a member's bounded queue of rendered bytes. Pushing copies into
// one growing buffer, so a delivery costs a memcpy and no allocation once
// the buffer has grown.
//
// Exactly one party holds the writer role at a time. Whoever pushes into an
// outbox with no writer takes the role and flushes it after leaving the
// room lock — once per burst of lines (see Member.Say), so many lines leave
// in one write. With a TryWriteFunc the flush is inline and never blocks: a line reaches a
// reading member with one system call and no goroutine switch. When the
// peer would block, or has no TryWriteFunc, a writer goroutine takes over,
// writes batch after batch (swapping buffers, so pushes go on meanwhile)
// and ends once the outbox has stayed empty for a while (congestedLinger,
// or writerLinger without inline writes). An idle member costs no
// goroutine.
type Outbox struct {
	write  WriteFunc
	try    TryWriteFunc
	fail   func(CloseReason)
	limit  int
	keeper *bufKeeper
	done   chan struct{} // closed when the outbox is closed and drained
	wake   chan struct{} // capacity 1: output arrived for a lingering writer

	spare []byte // the next buffer; owned by the writer role, or guarded by mu while no one writes

	mu       sync.Mutex
	buf      []byte // pending bytes; guarded by mu
	writing  bool   // someone holds the writer role; guarded by mu
	closed   bool   // no more pushes; guarded by mu
	dropped  bool   // pending bytes thrown away; guarded by mu
	finished bool   // done is closed; guarded by mu
	inflight int    // bytes taken by the writer, not yet written; guarded by mu
	kept     bool   // spare is kept while no one writes, and keeper knows; guarded by mu
	busy     bool   // a batch of keepWhileQuiet bytes or more was taken since the keeper's last sweep; guarded by mu
}

func newOutbox(limit int, p Peer, fail func(CloseReason), k *bufKeeper) *Outbox {
	return &Outbox{
		write: p.Write, try: p.TryWrite, fail: fail, limit: limit, keeper: k,
		done: make(chan struct{}), wake: make(chan struct{}, 1),
	}
}

// pushResult says what became of a push.
type pushResult uint8

const (
	pushQueued  pushResult = iota // queued; a writer is already on it
	pushClaimed                   // queued, and the caller now holds the writer role: it must call flush after releasing its locks
	pushFull                      // refused: the outbox is over its limit (a slow consumer)
	pushClosed                    // refused: the outbox is closed; not an error
)

// push appends b. The limit counts what is queued and what a writer is
// writing, so a stalled member holds at most about limit bytes; a single
// block larger than the limit is still taken when nothing else is queued,
// so one large burst never cuts off a healthy reader.
func (o *Outbox) push(b []byte) pushResult {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return pushClosed
	}
	held := len(o.buf) + o.inflight
	if held > 0 && held+len(b) > o.limit {
		o.mu.Unlock()
		return pushFull
	}
	wasEmpty := len(o.buf) == 0
	if o.buf == nil {
		o.buf = o.nextBufLocked()
	}
	o.buf = append(o.buf, b...)
	claimed := !o.writing
	o.writing = true
	o.mu.Unlock()
	if claimed {
		return pushClaimed
	}
	if wasEmpty {
		o.signal() // a lingering writer goroutine may be waiting
	}
	return pushQueued
}

func (o *Outbox) signal() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// flush writes what is pending; the caller holds the writer role.
func (o *Outbox) flush() {
	if o.try == nil {
		go o.drain(nil)
		return
	}
	for {
		b, ok := o.take()
		if !ok {
			return
		}
		n, err := o.try(b)
		if err != nil {
			o.fail(writeFailure(err))
			continue // take sees the drop and gives up the role
		}
		if n < len(b) { // the peer is full: a goroutine waits for it
			go o.drain(b[n:])
			return
		}
		o.recycle(b)
	}
}

// take swaps out the pending bytes for the writer. When there are none it
// gives up the writer role and returns ok=false.
func (o *Outbox) take() (b []byte, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.inflight = 0
	if len(o.buf) == 0 || o.dropped {
		o.writing = false
		o.keepLocked()
		o.finishLocked()
		return nil, false
	}
	b, o.buf = o.buf, o.spare[:0]
	o.spare = nil
	o.inflight = len(b)
	o.busy = o.busy || len(b) >= keepWhileQuiet
	return b, true
}

// nextBufLocked returns the buffer for the next pushes: the kept one when
// no one writes (a writer owns spare), or one from the free list. o.mu
// must be held.
func (o *Outbox) nextBufLocked() []byte {
	if o.writing || o.spare == nil {
		return getBuf()
	}
	b := o.spare[:0]
	o.spare = nil
	return b
}

// keepLocked is the writer giving up its role. When the outbox has had
// large batches lately and is not closed, the larger of its two buffers
// stays as spare, watched by the keeper; the rest goes to the free list.
// o.mu must be held.
func (o *Outbox) keepLocked() {
	keep, free := o.spare, o.buf
	if cap(free) > cap(keep) {
		keep, free = free, keep
	}
	putBuf(free)
	o.buf, o.spare = nil, nil
	if o.closed || !o.busy {
		putBuf(keep)
		return
	}
	o.spare = keep[:0]
	if !o.kept {
		o.kept = true
		o.keeper.add(o)
	}
}

// stillKeeping is the keeper's sweep: it gives the kept buffer back when
// the outbox had no large batch since the last sweep and reports whether
// the outbox still keeps one.
func (o *Outbox) stillKeeping() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.writing || (o.busy && !o.closed) {
		o.busy = false
		return true
	}
	if o.spare != nil {
		putBuf(o.spare)
		o.spare = nil
	}
	o.kept = false
	return false
}

// recycle keeps a written buffer as the next one, unless it grew too big,
// and stops counting it against the limit.
func (o *Outbox) recycle(b []byte) {
	o.mu.Lock()
	o.inflight = 0
	o.mu.Unlock()
	if cap(b) <= keepWhileBusy {
		o.spare = b
	}
}

// drain is the writer goroutine: it writes first (the unwritten rest of
// an inline write), then batches, blocking as needed, until the outbox has
// been empty for its linger, or is closed and empty, or is dropped.
func (o *Outbox) drain(first []byte) {
	if len(first) > 0 {
		if err := o.write(first); err != nil {
			o.fail(writeFailure(err))
		}
	}
	var linger *time.Timer
	for {
		if !o.waitForOutput(&linger) {
			continue
		}
		b, ok := o.take()
		if !ok {
			return
		}
		if err := o.write(b); err != nil {
			o.fail(writeFailure(err)) // drops the outbox; take then ends the writer
		}
		o.recycle(b)
	}
}

// waitForOutput lingers while the outbox is empty and open. It returns
// false when woken by new output (check again), true when the writer should
// proceed to take (output, close, drop, or the linger ran out).
func (o *Outbox) waitForOutput(linger **time.Timer) bool {
	o.mu.Lock()
	idle := len(o.buf) == 0 && !o.closed && !o.dropped
	o.mu.Unlock()
	if !idle {
		return true
	}
	d := writerLinger
	if o.try != nil {
		d = congestedLinger
	}
	if *linger == nil {
		*linger = time.NewTimer(d)
	} else {
		(*linger).Reset(d)
	}
	select {
	case <-o.wake:
		return false
	case <-(*linger).C:
		return true
	}
}

func writeFailure(err error) CloseReason {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return SlowConsumer
	}
	return WriteError
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
