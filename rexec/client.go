package rexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
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
	r, w := frame.NewReader(conn, maxFrame), frame.NewWriter(conn)
	conn.SetDeadline(time.Now().Add(handshakeTimeout))
	peer, err := frame.Handshake(r, w, frame.HandshakeConfig{Proto: proto, Version: Version, Role: "client", Token: o.Token})
	if err != nil {
		return Exit{}, err
	}
	if peer.Role != "server" {
		return Exit{}, fmt.Errorf("the peer is not an exec server")
	}
	if err := w.SendJSON(typeRequest, req); err != nil {
		return Exit{}, err
	}
	if _, err := r.Expect(typeStarted); err != nil {
		return Exit{}, err
	}
	conn.SetDeadline(time.Time{})
	done := make(chan struct{})
	defer close(done)
	go forwardStdin(w, o.Stdin)
	go forwardControl(w, o, done)
	return receive(r, o)
}

// receive writes the remote output until the exit frame.
func receive(r *frame.Reader, o Options) (Exit, error) {
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
		case typeExit:
			var e Exit
			if err := decodeJSON(payload, &e); err != nil {
				return Exit{}, err
			}
			return e, nil
		}
	}
}

func forwardStdin(w *frame.Writer, in io.Reader) {
	if in != nil {
		buf := make([]byte, chunk)
		for {
			n, err := in.Read(buf)
			if n > 0 {
				if w.Send(typeStdin, buf[:n]) != nil {
					return
				}
			}
			if err != nil {
				break
			}
		}
	}
	w.Send(typeStdinEOF, nil)
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
