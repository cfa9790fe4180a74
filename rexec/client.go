package rexec

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/hubcat/hubcat/internal/frame"
)

// Options are the client's side of a session.
type Options struct {
	// Token is proved to a server that requires one.
	Token string
	// Stdin is forwarded until EOF, which is forwarded too; nil sends EOF at once.
	Stdin io.Reader
	// Stdout and Stderr receive the remote streams; nil discards.
	Stdout, Stderr io.Writer
	// Interrupt forwards SIGINT to the remote process group on each receive.
	Interrupt <-chan struct{}
	// Resize forwards terminal size changes (with a pty).
	Resize <-chan Winsize
}

// Winsize is a terminal size.
type Winsize struct{ Rows, Cols uint16 }

// ErrConnLost is returned when the connection ends before the exit status.
var ErrConnLost = errors.New("rexec: connection lost before the command finished")

// Run asks the server at the other end of conn to run req and streams the
// session until the remote process exits. The caller closes conn.
func Run(ctx context.Context, conn net.Conn, req Request, o Options) (Exit, error) {
	if len(req.Argv) == 0 {
		return Exit{}, ErrEmptyCommand
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	conn.SetDeadline(time.Now().Add(handshakeTimeout))
	sc, peer, err := frame.Dial(conn, frame.HandshakeConfig{Proto: proto, Version: Version, Role: "client", Token: o.Token})
	if err != nil {
		return Exit{}, err
	}
	if peer.Role != "server" {
		return Exit{}, fmt.Errorf("the peer is not an exec server")
	}
	r, w := frame.NewReader(sc, maxFrame), frame.NewWriter(sc)
	if err := w.SendJSON(typeRequest, req); err != nil {
		return Exit{}, err
	}
	if _, err := r.Expect(typeStarted); err != nil {
		return Exit{}, err
	}
	conn.SetDeadline(time.Time{})
	done := make(chan struct{})
	defer close(done)
	win := newWindow()
	defer win.close()
	go forwardStdin(w, o.Stdin, win)
	go forwardControl(w, o, done)
	return receive(r, o, win)
}

// receive writes the remote output until the exit frame.
func receive(r *frame.Reader, o Options, win *window) (Exit, error) {
	stdout, stderr := orDiscard(o.Stdout), orDiscard(o.Stderr)
	for {
		typ, payload, err := r.Next()
		if err != nil {
			var re *frame.RemoteError
			if errors.As(err, &re) {
				return Exit{}, err
			}
			return Exit{}, fmt.Errorf("%w: %v", ErrConnLost, err)
		}
		switch typ {
		case typeStdout:
			stdout.Write(payload)
		case typeStderr:
			stderr.Write(payload)
		case typeCredit:
			if len(payload) != 4 {
				return Exit{}, fmt.Errorf("rexec: bad credit frame of %d bytes", len(payload))
			}
			win.grant(int(binary.BigEndian.Uint32(payload)))
		case typeExit:
			var e Exit
			if err := decodeJSON(payload, &e); err != nil {
				return Exit{}, err
			}
			return e, nil
		}
	}
}

// forwardStdin sends in to the server, never more than the server's
// window ahead of what the remote program consumed, then the EOF.
func forwardStdin(w *frame.Writer, in io.Reader, win *window) {
	if in != nil {
		buf := make([]byte, chunk)
		for {
			room := win.take(chunk)
			if room == 0 {
				return // the session ended
			}
			n, err := in.Read(buf[:room])
			win.grant(room - n)
			if n > 0 && w.Send(typeStdin, buf[:n]) != nil {
				return
			}
			if err != nil {
				break
			}
		}
	}
	w.Send(typeStdinEOF, nil)
}

// window counts the stdin bytes the client may still send.
type window struct {
	mu     sync.Mutex
	cond   *sync.Cond
	room   int  // guarded by mu
	closed bool // guarded by mu
}

func newWindow() *window {
	w := &window{room: stdinWindow}
	w.cond = sync.NewCond(&w.mu)
	return w
}

// take waits for room and takes up to max bytes of it; 0 means closed.
func (w *window) take(max int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.room == 0 && !w.closed {
		w.cond.Wait()
	}
	if w.closed {
		return 0
	}
	n := min(max, w.room)
	w.room -= n
	return n
}

func (w *window) grant(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.room += n
	w.cond.Broadcast()
}

func (w *window) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	w.cond.Broadcast()
}

func forwardControl(w *frame.Writer, o Options, done <-chan struct{}) {
	for {
		select {
		case <-o.Interrupt:
			w.Send(typeInterrupt, nil)
		case ws := <-o.Resize:
			w.SendJSON(typeResize, winsize{Rows: ws.Rows, Cols: ws.Cols})
		case <-done:
			return
		}
	}
}

func orDiscard(w io.Writer) io.Writer {
	if w == nil {
		return io.Discard
	}
	return w
}

func decodeJSON(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("rexec: bad frame: %w", err)
	}
	return nil
}
