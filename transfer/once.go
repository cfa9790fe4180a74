package transfer

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"

	"github.com/hubcat/hubcat/internal/frame"
	"github.com/hubcat/hubcat/server"
)

// Once serves a single session on a listener: it accepts connections until
// one peer proves the token, runs Session with it, and turns every other
// peer away. Guessers are slowed down per network and in all, and silent
// connections hold a handshake slot for a few seconds at most (see
// [frame.Gate]). Use it for "send --listen" and "recv --listen".
type Once struct {
	// Options configure each session; Listener is set by Serve.
	Options Options
	// Session runs one side of the transfer, such as [Send] or [Receive]
	// bound to their paths.
	Session func(ctx context.Context, conn net.Conn, o Options) (Stats, error)
	// Rejected, if set, is told about each peer turned away and why:
	// a wrong token, a refusal by the backoff, a protocol error. It is
	// called from connection goroutines, one at a time.
	Rejected func(remote net.Addr, err error)

	gate frame.Gate
	mu   sync.Mutex // serialises Rejected
}

// Serve runs until the claimed session ends or ctx does, and returns that
// session's result. It closes ln.
func (s *Once) Serve(ctx context.Context, ln net.Listener) (Stats, error) {
	type outcome struct {
		st  Stats
		err error
	}
	done := make(chan outcome, 1)
	var claimed sync.Once
	handle := func(hctx context.Context, c net.Conn) {
		mine := false
		o := s.Options
		o.Listener, o.gate = true, &s.gate
		o.Claim = func() bool {
			claimed.Do(func() { mine = true })
			return mine
		}
		st, err := s.Session(hctx, c, o)
		if mine {
			done <- outcome{st, err}
			return
		}
		if err != nil && !errors.Is(err, ErrBusy) && hctx.Err() == nil && s.Rejected != nil {
			s.mu.Lock()
			s.Rejected(c.RemoteAddr(), err)
			s.mu.Unlock()
		}
	}
	srv := server.New(server.HandlerFunc(handle), server.Config{Logger: discardLogger})
	go srv.Serve(ln)
	defer srv.Close()
	select {
	case out := <-done:
		return out.st, out.err
	case <-ctx.Done():
		return Stats{}, ctx.Err()
	}
}

var discardLogger = slog.New(slog.DiscardHandler)
