// Package chat serves hubcat's line protocol: it adapts a net.Conn (TCP,
// TLS, Unix, or anything else) into a hub.Member, reading lines and
// commands from the peer and writing the member's outbox back to it.
//
// Each connection has one goroutine that reads and runs commands. Writes
// happen on the hub's outbox writer, a goroutine that exists only while
// output is pending and is the only one writing to the connection, in
// batches with a deadline on every write. See package hub for the fan-out
// and slow-consumer policy.
package chat

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"golang.org/x/time/rate"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/line"
)

// Config tunes the line front end. The zero value works.
type Config struct {
	// MaxLine is the longest line accepted, in bytes; zero means
	// line.DefaultMaxLength. Longer lines are refused with a notice and
	// the connection is kept.
	MaxLine int
	// FloodRate is the sustained lines per second one client may send;
	// zero disables flood control. Lines beyond it are delayed, not lost.
	FloodRate float64
	// FloodBurst is how many lines may come at once; zero means 2×FloodRate.
	FloodBurst int
	// IdleTimeout disconnects a client silent for this long; zero disables.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write to the client; a client that cannot
	// take a batch within it is cut off as a slow consumer. Zero means 10s.
	WriteTimeout time.Duration
	// Logger receives per-connection events; nil means slog.Default().
	Logger *slog.Logger
}

// Server serves the line protocol for a hub. It implements server.Handler.
type Server struct {
	hub *hub.Hub
	cfg Config
	log *slog.Logger
}

// NewServer returns a line-protocol front end for h.
func NewServer(h *hub.Hub, cfg Config) *Server {
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = line.DefaultMaxLength
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.FloodRate > 0 && cfg.FloodBurst <= 0 {
		cfg.FloodBurst = max(1, int(2*cfg.FloodRate))
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Server{hub: h, cfg: cfg, log: log}
}

// ServeConn runs one client until it quits, breaks, is cut off, or ctx is
// cancelled (the server is shutting down, and the client is told so).
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	m, err := s.hub.Attach(hub.Peer{
		Addr:     c.RemoteAddr().String(),
		Format:   TextFormat,
		Write:    s.writer(c),
		TryWrite: tryWriter(c),
		Hangup:   func() { c.Close() },
	})
	if err != nil {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		io.WriteString(c, "*** server shutting down\n")
		return
	}
	stop := context.AfterFunc(ctx, func() {
		m.Notice("server shutting down")
		m.Outbox().Close()
		c.SetReadDeadline(time.Now())
	})
	s.greet(m)
	reason := s.readLoop(ctx, c, m)
	stop()
	m.Leave(reason)
	<-m.Outbox().Done()
	lingeringClose(c)
}

// writer returns the hub's write function for c: one write per batch,
// each under the write deadline. The deadline is cleared after the write:
// left to expire, it would fail the next inline write (which the runtime
// also checks against it) long after the member had caught up.
func (s *Server) writer(c net.Conn) hub.WriteFunc {
	return func(b []byte) error {
		c.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		_, err := c.Write(b)
		c.SetWriteDeadline(time.Time{})
		return err
	}
}

// maxBurst bounds how many lines are handed to the hub at once.
const maxBurst = 64

// readLoop reads and handles lines until the client goes, returning why.
// Consecutive chat lines already read are said as one burst, so they reach
// each member in one write.
func (s *Server) readLoop(ctx context.Context, c net.Conn, m *hub.Member) hub.CloseReason {
	lr := line.NewReader(c, s.cfg.MaxLine)
	var flood *floodGate
	if s.cfg.FloodRate > 0 {
		flood = &floodGate{lim: rate.NewLimiter(rate.Limit(s.cfg.FloodRate), s.cfg.FloodBurst)}
	}
	var burst []string
	say := func() {
		s.report(m, m.Say(burst...))
		clear(burst)
		burst = burst[:0]
	}
	defer say()
	for {
		if s.cfg.IdleTimeout > 0 {
			if ctx.Err() != nil { // do not push back the shutdown's deadline
				return hub.ServerShutdown
			}
			c.SetReadDeadline(time.Now().Add(s.cfg.IdleTimeout))
		}
		l, err := lr.ReadLine()
		if err != nil {
			var tooLong *line.TooLongError
			if errors.As(err, &tooLong) {
				m.Notice(tooLong.Error() + "; not sent")
				continue
			}
			return s.readFailure(ctx, m, err)
		}
		if l.Repaired {
			m.Notice("your line had invalid UTF-8; the bad bytes were replaced with U+FFFD")
		}
		cmd, text, isCmd := line.ParseCommand(l.Text)
		switch {
		case isCmd:
			say()
			if quit := s.command(m, cmd); quit {
				return hub.ClientQuit
			}
		case len(text) > 0:
			burst = append(burst, string(text))
		}
		if lr.Buffered() == 0 || len(burst) == maxBurst {
			say() // no more input at hand: send the burst on its way
		}
		if flood != nil && !flood.wait(ctx, m, say) {
			return hub.ServerShutdown
		}
	}
}

// readFailure classifies a read error into a close reason.
func (s *Server) readFailure(ctx context.Context, m *hub.Member, err error) hub.CloseReason {
	switch {
	case ctx.Err() != nil:
		return hub.ServerShutdown
	case m.CutReason() != hub.StillConnected:
		return m.CutReason()
	case errors.Is(err, os.ErrDeadlineExceeded):
		m.Notice("disconnected after " + s.cfg.IdleTimeout.String() + " without input")
		return hub.IdleTimeout
	case errors.Is(err, io.EOF):
		return hub.ClientClosed
	default:
		return hub.ReadError
	}
}

// floodGate delays a client that sends faster than the flood rate and
// tells it so, once per episode.
type floodGate struct {
	lim    *rate.Limiter
	warned bool
}

// wait blocks until the client may send another line; false if ctx ended.
// Before it waits it says what the client has already sent.
func (g *floodGate) wait(ctx context.Context, m *hub.Member, say func()) bool {
	if g.lim.Allow() {
		g.warned = false
		return true
	}
	if !g.warned {
		g.warned = true
		m.Notice("flood control: you are sending too fast; your lines are being delayed")
	}
	say()
	return g.lim.Wait(ctx) == nil
}

// lingeringClose half-closes c and reads briefly before closing, so that a
// client's unread input does not turn the close into a reset that would
// destroy the last lines we sent.
func lingeringClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.SetReadDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, io.LimitReader(c, 1<<20))
	}
	c.Close()
}
