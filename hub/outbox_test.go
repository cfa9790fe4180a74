package hub

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// fakePeer records what an outbox writes through its non-blocking and
// blocking write functions, taking at most room bytes per try.
type fakePeer struct {
	mu      sync.Mutex
	got     bytes.Buffer
	room    int   // bytes a try may take; the rest would block
	tryErr  error // returned by the next try
	failed  []CloseReason
	blocked chan struct{} // closed when a blocking write happened
}

func (p *fakePeer) try(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.tryErr; err != nil {
		return 0, err
	}
	n := min(len(b), p.room)
	p.got.Write(b[:n])
	return n, nil
}

func (p *fakePeer) write(b []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got.Write(b)
	select {
	case <-p.blocked:
	default:
		close(p.blocked)
	}
	return nil
}

func (p *fakePeer) fail(r CloseReason) {
	p.mu.Lock()
	p.failed = append(p.failed, r)
	p.mu.Unlock()
}

func (p *fakePeer) outbox(limit int) *Outbox {
	// A keeper whose first timer never runs sweepNow: the tests sweep
	// themselves (once a sweep finds nothing held, later ones are real).
	k := &bufKeeper{sweep: time.NewTimer(time.Hour)}
	return newOutbox(limit, Peer{Write: p.write, TryWrite: p.try}, p.fail, k)
}

func (p *fakePeer) written() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got.String()
}

func pushAndFlush(t *testing.T, o *Outbox, s string) {
	t.Helper()
	switch o.push([]byte(s)) {
	case pushClaimed:
		o.flush()
	case pushFull, pushClosed:
		t.Fatalf("push %q refused", s)
	}
}

// A peer that takes everything is written inline, with no goroutine.
func TestOutboxWritesInline(t *testing.T) {
	p := &fakePeer{room: 1 << 20, blocked: make(chan struct{})}
	o := p.outbox(1 << 10)
	pushAndFlush(t, o, "one\n")
	pushAndFlush(t, o, "two\n")
	if got := p.written(); got != "one\ntwo\n" {
		t.Fatalf("wrote %q", got)
	}
	select {
	case <-p.blocked:
		t.Fatal("a blocking write was used for a peer that keeps up")
	default:
	}
}

// After a large batch an outbox keeps its buffer for the next one, and
// gives it back once a sweep finds it had no large batch since the one before.
// After small batches it keeps nothing, whatever the size of its buffer.
func TestOutboxKeepsItsBufferWhileBusy(t *testing.T) {
	p := &fakePeer{room: 1 << 20, blocked: make(chan struct{})}
	o := p.outbox(1 << 20)
	kept := func() []byte {
		o.mu.Lock()
		defer o.mu.Unlock()
		return o.spare
	}
	burst := strings.Repeat("x", keepWhileQuiet) + "\n"
	pushAndFlush(t, o, burst)
	first := kept()
	if cap(first) < len(burst) {
		t.Fatalf("after a %d-byte burst the outbox keeps a buffer of %d bytes", len(burst), cap(first))
	}
	pushAndFlush(t, o, burst)
	if got := kept(); unsafe.SliceData(got) != unsafe.SliceData(first) {
		t.Fatal("the second burst did not reuse the kept buffer")
	}
	o.keeper.sweepNow() // a large batch since the outbox began keeping: kept
	if kept() == nil {
		t.Fatal("the first sweep took the buffer of a busy outbox")
	}
	o.keeper.sweepNow() // no large batch since the last sweep: given back
	if kept() != nil || len(o.keeper.held) != 0 {
		t.Fatalf("a quiet outbox still keeps its buffer (%d outboxes held)", len(o.keeper.held))
	}
	if got := p.written(); got != burst+burst {
		t.Fatalf("wrote %d bytes, want %d", len(got), 2*len(burst))
	}

	small := p.outbox(1 << 20)
	pushAndFlush(t, small, "one\n")
	if small.spare != nil || len(small.keeper.held) != 0 {
		t.Fatal("an outbox keeps a buffer after a small burst")
	}
}

// Sweeps running while several rooms' bursts reach one member lose,
// reorder or duplicate nothing: each burst arrives whole, each room's in
// order.
func TestOutboxKeeperSweepsDuringBursts(t *testing.T) {
	p := &fakePeer{room: 1 << 20, blocked: make(chan struct{})}
	o := p.outbox(64 << 20)
	const rooms, bursts = 4, 100
	stop := make(chan struct{})
	sweeps := make(chan int)
	go func() {
		n := 0
		for {
			select {
			case <-stop:
				sweeps <- n
				return
			default:
				o.keeper.sweepNow()
				n++
			}
		}
	}()
	var wg sync.WaitGroup
	for r := range rooms {
		wg.Go(func() {
			for i := range bursts {
				line := fmt.Sprintf("%d %d %s\n", r, i, strings.Repeat("x", burstSize(i)))
				switch o.push([]byte(line)) {
				case pushClaimed:
					o.flush()
				case pushFull, pushClosed:
					t.Errorf("room %d: burst %d refused", r, i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	if n := <-sweeps; n == 0 {
		t.Fatal("no sweep ran during the bursts")
	}
	o.Close()
	<-o.Done()
	next := make([]int, rooms)
	for _, line := range strings.Split(strings.TrimSuffix(p.written(), "\n"), "\n") {
		var r, i int
		var pad string
		if _, err := fmt.Sscan(line, &r, &i, &pad); err != nil || r < 0 || r >= rooms {
			t.Fatalf("garbled line %.40q…: %v", line, err)
		}
		if i != next[r] || len(pad) != burstSize(i) || strings.Trim(pad, "x") != "" {
			t.Fatalf("room %d: burst %d (%d bytes) where burst %d was due", r, i, len(pad), next[r])
		}
		next[r]++
	}
	for r, n := range next {
		if n != bursts {
			t.Errorf("room %d: %d bursts arrived, want %d", r, n, bursts)
		}
	}
}

// burstSize alternates large bursts, which make an outbox keep its buffer,
// with small ones, which let a sweep take it back.
func burstSize(i int) int {
	if i%2 == 0 {
		return keepWhileQuiet + i
	}
	return 100 + i
}

// A partial write hands the rest to a writer goroutine, in order, and
// later pushes follow it.
func TestOutboxPartialWriteContinuesInOrder(t *testing.T) {
	p := &fakePeer{room: 3, blocked: make(chan struct{})}
	o := p.outbox(1 << 10)
	pushAndFlush(t, o, "abcdef\n")
	<-p.blocked
	pushAndFlush(t, o, "ghi\n")
	o.Close()
	select {
	case <-o.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("outbox never drained")
	}
	if got := p.written(); got != "abcdef\nghi\n" {
		t.Fatalf("wrote %q", got)
	}
}

// A failing non-blocking write cuts the member off once, as a write
// error, or as a slow consumer when its deadline had expired.
func TestOutboxWriteErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want CloseReason
	}{
		{errors.New("connection reset"), WriteError},
		{os.ErrDeadlineExceeded, SlowConsumer},
	} {
		p := &fakePeer{room: 1 << 20, tryErr: c.err, blocked: make(chan struct{})}
		o := p.outbox(1 << 10)
		o.fail = func(r CloseReason) { p.fail(r); o.drop() }
		pushAndFlush(t, o, "x\n")
		if len(p.failed) != 1 || p.failed[0] != c.want {
			t.Errorf("%v: failures %v, want [%v]", c.err, p.failed, c.want)
		}
		if o.push([]byte("y\n")) != pushClosed {
			t.Errorf("%v: a dropped outbox took more", c.err)
		}
	}
}

// The limit counts what the writer is writing; a closed outbox refuses
// quietly, which is not a slow consumer.
func TestOutboxLimitAndClose(t *testing.T) {
	p := &fakePeer{room: 0, blocked: make(chan struct{})}
	o := p.outbox(10)
	if o.push([]byte("0123456789ABCDEF")) != pushClaimed { // one big block is taken
		t.Fatal("one block over the limit was refused while empty")
	}
	if o.push([]byte("x")) != pushFull {
		t.Fatal("a push past the limit was taken")
	}
	o.Close()
	if o.push([]byte("x")) != pushClosed {
		t.Fatal("a closed outbox took more")
	}
}
