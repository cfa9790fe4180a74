package tui

import (
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
)

// TestRunEchoesAndQuits runs the real program without a terminal: it
// connects, echoes what is typed, sends it on Enter, and ctrl+c ends Run
// without an error.
func TestRunEchoesAndQuits(t *testing.T) {
	addr := realHub(t)
	inR, inW := io.Pipe()
	defer inW.Close()
	out := &echoWatch{}
	done := make(chan error, 1)
	dial := func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	}
	go func() {
		done <- Run(context.Background(), dial, Config{Addr: addr, Nick: "zoe", NoColor: true},
			tea.WithInput(inR), tea.WithOutput(out), tea.WithWindowSize(80, 20))
	}()
	out.waitFor(t, "online")
	peer := dialJSON(t, addr, "yves", "lobby")
	mark := out.mark()
	inW.Write([]byte("Z")) // one character: a frame may split a longer echo
	out.waitSince(t, mark, "Z")
	inW.Write([]byte("ebra\r"))
	if ev := peer.untilText(t, "Zebra"); ev.From != "zoe" {
		t.Fatalf("from %q", ev.From)
	}
	inW.Write([]byte{0x03}) // ctrl+c
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not end on ctrl+c")
	}
}

// echoWatch is the program's output, searched for what it wrote.
type echoWatch struct {
	mu   sync.Mutex
	buf  []byte
	cond *sync.Cond
}

func (e *echoWatch) Write(p []byte) (int, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cond == nil {
		e.cond = sync.NewCond(&e.mu)
	}
	e.buf = append(e.buf, p...)
	if len(e.buf) > 1<<20 { // keep the tail only
		e.buf = append(e.buf[:0], e.buf[len(e.buf)-1<<16:]...)
	}
	e.cond.Broadcast()
	return len(p), nil
}

func (e *echoWatch) mark() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.buf)
}

func (e *echoWatch) waitFor(b testing.TB, s string) { e.waitSince(b, 0, s) }

// waitSince waits until s appears in what was written after mark.
func (e *echoWatch) waitSince(b testing.TB, mark int, s string) {
	deadline := time.AfterFunc(10*time.Second, func() {
		e.mu.Lock()
		defer e.mu.Unlock()
		e.buf = append(e.buf, "\x00timeout"...)
		if e.cond != nil {
			e.cond.Broadcast()
		}
	})
	defer deadline.Stop()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.cond == nil {
		e.cond = sync.NewCond(&e.mu)
	}
	for {
		if mark > len(e.buf) {
			mark = 0 // trimmed
		}
		tail := string(e.buf[mark:])
		if strings.Contains(tail, s) {
			return
		}
		if strings.Contains(tail, "\x00timeout") {
			b.Fatalf("no %q on the screen", s)
		}
		e.cond.Wait()
	}
}
