package hub

import (
	"errors"
	"os"
	"sync"
	"time"
)

// Arenas hold the bytes an outbox copies (pushCopy): acks, personal
// renderings, a front end's own lines. Each is at least arenaMin bytes and
// grows by doubling up to arenaMax; a full one is left to the segments
// that point into it and a fresh one taken.
const (
	arenaMin = 1 << 10
	arenaMax = 64 << 10
)

// freeList is a bounded list of free buffers shared by all outboxes: what
// a quiet outbox gives back waits there for the next busy one, and what
// does not fit is left to the collector.
type freeList[T any] chan T

// get returns a free buffer, or the zero value when there is none.
func (l freeList[T]) get() (v T) {
	select {
	case v = <-l:
	default:
	}
	return v
}

// put offers v to the list.
func (l freeList[T]) put(v T) {
	select {
	case l <- v:
	default:
	}
}

// Free arenas: at most 64, of up to arenaMax bytes (4 MiB held idle at
// most). An outbox gives its arena back when it goes quiet, so tens of
// thousands of quiet members cost no buffers.
var freeArenas = make(freeList[[]byte], 64)

// getArena returns an empty arena with room for n bytes: a free one when
// it is big enough, else a new one of size (at least n).
func getArena(n, size int) []byte {
	if b := freeArenas.get(); cap(b) >= n {
		return b
	}
	return make([]byte, 0, max(n, size))
}

// putArena offers an arena no segment points into any more to the free
// list.
func putArena(b []byte) {
	if cap(b) >= arenaMin && cap(b) <= arenaMax {
		freeArenas.put(b[:0])
	}
}

// Free segment lists: at most 256, of up to maxFreeSegs segments (6 MiB at
// most, far less in practice). A quiet outbox gives its lists back, so an
// idle member holds none, and a busy one does not grow a new list for every
// burst.
const maxFreeSegs = 1024

var freeSegLists = make(freeList[[][]byte], 256)

// putSegs offers an empty (cleared) segment list to the free list.
func putSegs(s [][]byte) {
	if cap(s) > 0 && cap(s) <= maxFreeSegs {
		freeSegLists.put(s[:0])
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

// TryWriteFunc writes as much of bufs, in order, as the peer takes at once
// (one writev(2) where it can), without blocking, and reports how many
// bytes that was; less than all with a nil error means the peer would
// block. Each buffer holds whole events. It is called under the same rules
// as WriteFunc.
type TryWriteFunc func(bufs [][]byte) (n int, err error)

// Outbox is a member's bounded queue of rendered bytes, kept as a list of
// segments. A room renders a burst once per format and pushes that same
// rendering, unchanged from then on, into every member's outbox: a
// delivery costs one slice header, not a copy, and the bytes are shared
// until the last member has written them. Bytes that are the member's
// alone (its acks, a personal rendering, a front end's own lines) are
// copied into the outbox's arena.
//
// Exactly one party holds the writer role at a time. Whoever pushes into an
// outbox with no writer takes the role and flushes it after leaving the
// room lock — once per burst of lines (see Member.Say), so many lines leave
// in one system call. With a TryWriteFunc the flush is inline and never
// blocks: a line reaches a reading member with one writev and no goroutine
// switch. When the peer would block, or has no TryWriteFunc, a writer
// goroutine takes over, writes batch after batch (pushes go on meanwhile)
// and ends once the outbox has stayed empty for a while (congestedLinger,
// or writerLinger without inline writes). An idle member costs no
// goroutine and no buffer.
type Outbox struct {
	write WriteFunc
	try   TryWriteFunc
	fail  func(CloseReason)
	limit int
	done  chan struct{} // closed when the outbox is closed and drained
	wake  chan struct{} // capacity 1: output arrived for a lingering writer

	taken []byte // the arena of the batch being written; owned by the writer role
	flat  []byte // drain's buffer for a batch of several segments; owned by the writer role

	mu       sync.Mutex
	segs     [][]byte // pending bytes, in order; guarded by mu
	spare    [][]byte // the next segment list, empty; guarded by mu
	size     int      // bytes in segs; guarded by mu
	arena    []byte   // where pushCopy copies to; segs may point into it; guarded by mu
	writing  bool     // someone holds the writer role; guarded by mu
	closed   bool     // no more pushes; guarded by mu
	dropped  bool     // pending bytes thrown away; guarded by mu
	finished bool     // done is closed; guarded by mu
	inflight int      // bytes taken by the writer, not yet written; guarded by mu
}

func newOutbox(limit int, p Peer, fail func(CloseReason)) *Outbox {
	return &Outbox{
		write: p.Write, try: p.TryWrite, fail: fail, limit: limit,
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

// push queues b itself, which must not change from now on: it may be
// shared with other outboxes and is written after push returns. The limit
// counts what is queued and what a writer is writing, so a stalled member
// holds at most about limit bytes; a single block larger than the limit is
// still taken when nothing else is queued, so one large burst never cuts
// off a healthy reader.
func (o *Outbox) push(b []byte) pushResult { return o.add(b, false) }

// pushCopy is push for bytes the caller goes on using: they are copied.
func (o *Outbox) pushCopy(b []byte) pushResult { return o.add(b, true) }

func (o *Outbox) add(b []byte, copied bool) pushResult {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return pushClosed
	}
	held := o.size + o.inflight
	if held > 0 && held+len(b) > o.limit {
		o.mu.Unlock()
		return pushFull
	}
	if len(b) == 0 {
		o.mu.Unlock()
		return pushQueued
	}
	wasEmpty := o.size == 0
	if copied {
		b = o.copyLocked(b)
	}
	if o.segs == nil {
		o.segs = freeSegLists.get()
	}
	o.segs = append(o.segs, b)
	o.size += len(b)
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

// copyLocked copies b to the arena and returns the copy. A full arena is
// replaced, not grown: segments point into it. o.mu must be held.
func (o *Outbox) copyLocked(b []byte) []byte {
	if cap(o.arena)-len(o.arena) < len(b) {
		o.arena = getArena(len(b), min(max(2*cap(o.arena), arenaMin), arenaMax))
	}
	start := len(o.arena)
	o.arena = append(o.arena, b...)
	return o.arena[start:len(o.arena):len(o.arena)]
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
	segs, ok := o.take()
	for ok {
		n, err := o.try(segs)
		if err != nil {
			o.fail(writeFailure(err))
			segs, ok = o.take() // take sees the drop and gives up the role
			continue
		}
		if rest := skip(segs, n); len(rest) > 0 { // the peer is full: a goroutine waits for it
			clear(segs[:len(segs)-len(rest)]) // written: hold on to none of it
			go o.drain(rest)
			return
		}
		segs, ok = o.next(segs)
	}
}

// skip returns what of segs is left after its first n bytes.
func skip(segs [][]byte, n int) [][]byte {
	for len(segs) > 0 && n >= len(segs[0]) {
		n -= len(segs[0])
		segs = segs[1:]
	}
	if len(segs) > 0 {
		segs[0] = segs[0][n:]
	}
	return segs
}

// take swaps out the pending segments for the writer, with the arena they
// point into. When there are none it gives up the writer role and returns
// ok=false.
func (o *Outbox) take() (segs [][]byte, ok bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.takeLocked()
}

// next is recycle and take under one lock: the writer, done with a batch,
// takes the next one.
func (o *Outbox) next(done [][]byte) (segs [][]byte, ok bool) {
	clear(done)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recycleLocked(done[:0])
	return o.takeLocked()
}

// takeLocked is take with o.mu held.
func (o *Outbox) takeLocked() (segs [][]byte, ok bool) {
	o.inflight = 0
	if o.size == 0 || o.dropped {
		o.writing = false
		o.quietLocked()
		o.finishLocked()
		return nil, false
	}
	segs, o.segs, o.spare = o.segs, o.spare, nil
	o.taken, o.arena = o.arena, nil
	o.inflight, o.size = o.size, 0
	return segs, true
}

// quietLocked is the writer giving up its role with nothing pending: the
// arena and the segment lists go to the free lists. o.mu must be held.
func (o *Outbox) quietLocked() {
	putArena(o.arena)
	o.arena, o.taken = nil, nil
	if !o.dropped { // a dropped outbox's lists may still hold segments
		putSegs(o.segs)
		putSegs(o.spare)
	}
	o.segs, o.spare, o.flat = nil, nil, nil
}

// recycle is the writer done with a batch: it no longer counts against the
// limit, its arena may take the next copies, and its list becomes the
// spare, emptied so that it holds on to nothing written.
func (o *Outbox) recycle(segs [][]byte) {
	clear(segs)
	o.mu.Lock()
	defer o.mu.Unlock()
	o.recycleLocked(segs[:0])
}

// recycleLocked is recycle with o.mu held and segs emptied.
func (o *Outbox) recycleLocked(segs [][]byte) {
	o.inflight = 0
	if o.arena == nil { // no copies since take: nothing points into the taken arena any more
		o.arena = o.taken[:0]
	} else {
		putArena(o.taken)
	}
	o.taken = nil
	if o.segs == nil {
		o.segs = segs
	} else {
		o.spare = segs
	}
}

// drain is the writer goroutine: it writes first (the unwritten rest of
// an inline write), then batches, blocking as needed, until the outbox has
// been empty for its linger, or is closed and empty, or is dropped.
func (o *Outbox) drain(first [][]byte) {
	if len(first) > 0 {
		o.writeAll(first)
		o.recycle(first)
	}
	var linger *time.Timer
	for {
		if !o.waitForOutput(&linger) {
			continue
		}
		segs, ok := o.take()
		if !ok {
			return
		}
		o.writeAll(segs)
		o.recycle(segs)
	}
}

// writeAll writes a batch with one blocking write: several segments are
// first copied into one buffer, so that a TLS connection, say, sends
// records as large as it can. An error drops the outbox; take then ends
// the writer.
func (o *Outbox) writeAll(segs [][]byte) {
	b := segs[0]
	if len(segs) > 1 {
		o.flat = o.flat[:0]
		for _, s := range segs {
			o.flat = append(o.flat, s...)
		}
		b = o.flat
	}
	if err := o.write(b); err != nil {
		o.fail(writeFailure(err))
	}
}

// waitForOutput lingers while the outbox is empty and open. It returns
// false when woken by new output (check again), true when the writer should
// proceed to take (output, close, drop, or the linger ran out).
func (o *Outbox) waitForOutput(linger **time.Timer) bool {
	o.mu.Lock()
	idle := o.size == 0 && !o.closed && !o.dropped
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
	o.segs, o.size = nil, 0
	o.finishLocked()
	o.mu.Unlock()
	o.signal()
}

// Done is closed when the outbox is closed and everything queued has been
// written (or dropped).
func (o *Outbox) Done() <-chan struct{} { return o.done }
