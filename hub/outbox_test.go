package hub

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
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
	tries   []*byte       // where each buffer given to try starts
}

func (p *fakePeer) try(bufs [][]byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.tryErr; err != nil {
		return 0, err
	}
	n := 0
	for _, b := range bufs {
		if len(b) > 0 {
			p.tries = append(p.tries, unsafe.SliceData(b))
		}
		k := min(len(b), p.room-n)
		p.got.Write(b[:k])
		n += k
	}
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
	return newOutbox(limit, Peer{Write: p.write, TryWrite: p.try}, p.fail)
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

// A pushed rendering is written as it is, by every outbox it went to,
// with no copy; bytes pushed for copying are copied, so the caller may
// reuse its buffer at once.
func TestOutboxSharesPushesAndCopiesCopies(t *testing.T) {
	shared := []byte("to everyone\n")
	var peers [2]*fakePeer
	for i := range peers {
		peers[i] = &fakePeer{room: 1 << 20, blocked: make(chan struct{})}
		o := peers[i].outbox(1 << 10)
		mine := []byte("ack\n")
		if o.pushCopy(mine) != pushClaimed {
			t.Fatal("first push did not claim the writer role")
		}
		copy(mine, "XXX\n")
		o.push(shared)
		o.flush()
		if got := peers[i].written(); got != "ack\nto everyone\n" {
			t.Fatalf("peer %d got %q", i, got)
		}
		tries := peers[i].tries
		if len(tries) != 2 || tries[1] != unsafe.SliceData(shared) {
			t.Fatalf("peer %d: the shared rendering was copied", i)
		}
		if tries[0] == unsafe.SliceData(mine) {
			t.Fatalf("peer %d: bytes pushed for copying were not copied", i)
		}
	}
}

// Bursts from several rooms reach one member whole and each room's in
// order, whether pushed as they are or copied from a buffer the pusher
// reuses at once, whether the peer takes everything or only a little at a
// time (the writer goroutine taking over).
func TestOutboxBurstsFromManyRooms(t *testing.T) {
	for _, room := range []int{1 << 20, 5000} {
		t.Run(fmt.Sprint(room), func(t *testing.T) {
			p := &fakePeer{room: room, blocked: make(chan struct{})}
			o := p.outbox(64 << 20)
			const rooms, bursts = 4, 100
			var wg sync.WaitGroup
			for r := range rooms {
				wg.Go(func() {
					var reused []byte
					for i := range bursts {
						line := fmt.Appendf(reused[:0], "%d %d %s\n", r, i, strings.Repeat("x", burstSize(i)))
						var res pushResult
						if i%2 == 0 {
							res = o.push(bytes.Clone(line))
						} else {
							res = o.pushCopy(line)
						}
						reused = line
						clear(reused) // what was copied must not change
						switch res {
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
			o.Close()
			select {
			case <-o.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("outbox never drained")
			}
			next := make([]int, rooms)
			for _, line := range strings.Split(strings.TrimSuffix(p.written(), "\n"), "\n") {
				rs, rest, _ := strings.Cut(line, " ")
				is, pad, _ := strings.Cut(rest, " ")
				r, err1 := strconv.Atoi(rs)
				i, err2 := strconv.Atoi(is)
				if err1 != nil || err2 != nil || r < 0 || r >= rooms {
					t.Fatalf("garbled line %.40q…", line)
				}
				if i != next[r] || len(pad) != burstSize(i) || strings.Count(pad, "x") != len(pad) {
					t.Fatalf("room %d: burst %d (%d bytes) where burst %d was due", r, i, len(pad), next[r])
				}
				next[r]++
			}
			for r, n := range next {
				if n != bursts {
					t.Errorf("room %d: %d bursts arrived, want %d", r, n, bursts)
				}
			}
		})
	}
}

// burstSize varies bursts from a few bytes to more than an arena holds.
func burstSize(i int) int {
	switch i % 3 {
	case 0:
		return 10 + i
	case 1:
		return 900 + i
	}
	return arenaMax + i
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
