// Package chat serves hubcat's line protocol and its JSON event protocol
// (docs/PROTOCOL.md): it adapts a net.Conn (TCP, TLS, Unix, a WebSocket
// wrapped as a connection) into a hub.Member, reading lines and commands
// from the peer and letting the hub write the member's outbox back to it.
//
// Each connection has one goroutine that reads and runs commands. The hub
// writes to the connection inline, with one non-blocking system call per
// burst, while the peer keeps up, and otherwise on a writer goroutine that
// exists only while output is pending, with a deadline on every blocking
// write. See package hub for the fan-out and slow-consumer policy.
package chat

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"time"

	"golang.org/x/time/rate"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/internal/sockwrite"
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
	// SilentTimeout disconnects a client that has sent no line at all this
	// long after connecting, so that a socket that never speaks does not
	// hold a connection slot forever while IdleTimeout is off; zero
	// disables. Once a client has sent a line, only IdleTimeout applies.
	SilentTimeout time.Duration
	// WriteTimeout bounds each write to the client; a client that cannot
	// take a batch within it is cut off as a slow consumer. Zero means 10s.
	WriteTimeout time.Duration
	// Logger receives per-connection events; nil means slog.Default().
	Logger *slog.Logger
	// JSONOnly starts every connection in the JSON protocol, with a hello
	// and no text greeting (for WebSocket clients).
	JSONOnly bool
	// Frontend names the front end in the hub's statistics; "" means
	// "line".
	Frontend string
	// Framer, when set, frames what the connection is written for a
	// message-based transport (a WebSocket's text frames): it appends each
	// '\n'-terminated line of lines to dst as one message. Events are
	// framed as they are rendered, once per burst rather than once per
	// member, and the connection is written whole frames.
	Framer func(dst, lines []byte) []byte
}

// Server serves the line protocol for a hub. It implements server.Handler.
type Server struct {
	hub *hub.Hub
	cfg Config
	log *slog.Logger

	text, textAway, json hub.Format // the formats, framed by cfg.Framer
}

// NewServer returns a line-protocol front end for h.
func NewServer(h *hub.Hub, cfg Config) *Server {
	if cfg.MaxLine <= 0 {
		cfg.MaxLine = line.DefaultMaxLength
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	if cfg.Frontend == "" {
		cfg.Frontend = "line"
	}
	if cfg.FloodRate > 0 && cfg.FloodBurst <= 0 {
		cfg.FloodBurst = max(1, int(2*cfg.FloodRate))
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	s := &Server{hub: h, cfg: cfg, log: log, text: TextFormat, textAway: TextAwayFormat, json: JSONFormat}
	if cfg.Framer != nil {
		s.text = &framed{TextFormat, cfg.Framer}
		s.textAway = &framed{TextAwayFormat, cfg.Framer}
		s.json = &framed{JSONFormat, cfg.Framer}
	}
	return s
}

// frame frames lines the front end writes itself.
func (s *Server) frame(lines []byte) []byte {
	if s.cfg.Framer == nil {
		return lines
	}
	return s.cfg.Framer(nil, lines)
}

// session is one connection's state, owned by its reader goroutine.
type session struct {
	srv    *Server
	m      *hub.Member
	json   bool          // input lines starting with '{' are JSON commands
	budget *rate.Limiter // for expensive commands (history, who); made for the first

	// Messages read together, said as one burst (see readLoop).
	burst     []hub.Said
	burstRoom string // their room
	burstJSON bool   // they are JSON commands, each answered on its own
}

// ServeConn runs one client until it quits, breaks, is cut off, or ctx is
// cancelled (the server is shutting down, and the client is told so).
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	p := hub.Peer{
		Addr:     c.RemoteAddr().String(),
		Frontend: s.cfg.Frontend,
		Format:   s.text, AwayFormat: s.textAway,
		Write:    s.writer(c),
		TryWrite: sockwrite.TryWriter(c),
		Hangup:   func() { abort(c) },
	}
	if s.cfg.JSONOnly {
		p.Format, p.AwayFormat, p.AllPresence = s.json, nil, true
	}
	var ss *session
	var err error
	aside(func() { ss, err = s.welcome(p) })
	if err != nil {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		c.Write(s.frame([]byte("*** server shutting down\n")))
		return
	}
	m := ss.m
	stop := context.AfterFunc(ctx, func() {
		m.Notice("server shutting down")
		m.Outbox().Close()
		c.SetReadDeadline(time.Now())
	})
	reason := ss.readLoop(ctx, c)
	stop()
	m.Leave(reason)
	<-m.Outbox().Done()
	if m.CutReason() != hub.StillConnected {
		abort(c)
		return
	}
	lingeringClose(c)
}

// welcome attaches the peer to the hub and greets it: in the JSON protocol
// with a hello and the lobby, else with the text greeting.
func (s *Server) welcome(p hub.Peer) (*session, error) {
	m, err := s.hub.Attach(p)
	if err != nil {
		return nil, err
	}
	ss := &session{srv: s, m: m}
	if s.cfg.JSONOnly {
		ss.startJSON("")
		ss.jsonJoin(hub.DefaultRoom, &jsonCommand{})
	} else {
		ss.greet()
	}
	return ss, nil
}

// aside runs f on a goroutine of its own and waits for it, passing on a
// panic. The welcome's deep calls (name checks, rendering history,
// encoding JSON) then grow a stack that is freed at once, not the
// reader's: an idle client keeps that one for as long as it stays, and
// goroutine stacks only shrink when a collection finds them mostly unused.
func aside(f func()) {
	var p any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { p = recover() }()
		f()
	}()
	<-done
	if p != nil {
		panic(p)
	}
}

// Expensive commands (history, who) may run at this rate per connection,
// after a burst; beyond it they are refused, so that no client can keep
// the hub busy rendering for it.
const (
	expensiveRate  = 5
	expensiveBurst = 10
)

// expensive reports whether the member may run an expensive command now,
// telling it when it may not.
func (s *session) expensive() bool {
	if s.budget == nil {
		s.budget = rate.NewLimiter(expensiveRate, expensiveBurst)
	}
	if s.budget.Allow() {
		return true
	}
	s.m.Fail("flood", "too many history or member-list requests; wait a moment", "")
	return false
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
func (s *session) readLoop(ctx context.Context, c net.Conn) hub.CloseReason {
	cfg, m := &s.srv.cfg, s.m
	lr := line.NewReader(c, cfg.MaxLine)
	var flood *floodGate
	if cfg.FloodRate > 0 {
		flood = &floodGate{lim: rate.NewLimiter(rate.Limit(cfg.FloodRate), cfg.FloodBurst)}
	}
	defer s.sayBurst()
	silent := cfg.IdleTimeout <= 0 && cfg.SilentTimeout > 0 // until the first line
	if silent {
		c.SetReadDeadline(time.Now().Add(cfg.SilentTimeout))
	}
	for {
		if cfg.IdleTimeout > 0 {
			if ctx.Err() != nil { // do not push back the shutdown's deadline
				return hub.ServerShutdown
			}
			c.SetReadDeadline(time.Now().Add(cfg.IdleTimeout))
		}
		l, err := lr.ReadLine()
		if silent && err == nil && ctx.Err() == nil { // do not undo the shutdown's deadline
			silent = false
			c.SetReadDeadline(time.Time{})
		}
		if err != nil {
			var tooLong *line.TooLongError
			if errors.As(err, &tooLong) {
				m.Fail("too_long", tooLong.Error()+"; not sent", "")
				continue
			}
			var cut *line.IncompleteError
			if errors.As(err, &cut) && errors.Is(err, io.EOF) {
				m.Notice("your last line had no line ending, so it was not sent")
			}
			return s.srv.readFailure(ctx, m, err)
		}
		if m.CutReason() != hub.StillConnected {
			s.dropBurst()
			return m.CutReason() // what is still buffered is not run
		}
		if l.Repaired {
			m.Notice("your line had invalid UTF-8; the bad bytes were replaced with U+FFFD")
		}
		if quit := s.handle(l.Text); quit {
			return hub.ClientQuit
		}
		if lr.Buffered() == 0 || len(s.burst) >= maxBurst {
			s.sayBurst() // no more input at hand: send the burst on its way
		}
		if flood != nil && !flood.wait(ctx, m, s.sayBurst) {
			return hub.ServerShutdown
		}
	}
}

// handle runs one input line: a JSON command, a /command, or chat text
// added to the burst. It reports whether the member quit.
func (s *session) handle(text []byte) (quit bool) {
	if len(text) > 0 && text[0] == '{' && (s.json || isHello(text)) {
		return s.jsonLine(text)
	}
	cmd, chat, isCmd := line.ParseCommand(text)
	switch {
	case isCmd:
		s.sayBurst()
		return s.command(cmd)
	case len(chat) > 0:
		focus, err := s.focus()
		if err != nil {
			s.sayBurst()
			s.report(err)
			return false
		}
		s.queue(focus, false, hub.Said{Kind: hub.KindMessage, Text: string(chat)})
	}
	return false
}

// queue adds a message to the burst, saying the burst first if it is for
// another room, or of the other kind of input.
func (s *session) queue(room string, json bool, said hub.Said) {
	if len(s.burst) > 0 && (room != s.burstRoom || json != s.burstJSON) {
		s.sayBurst()
	}
	s.burstRoom, s.burstJSON = room, json
	s.burst = append(s.burst, said)
}

// sayBurst posts the burst, so that its messages reach each member in one
// write and are stored in one group, and tells the client if it failed:
// each JSON command with its own error, plain lines with one notice.
func (s *session) sayBurst() {
	if len(s.burst) == 0 {
		return
	}
	err := s.m.PostBurst(s.burstRoom, s.burst)
	switch {
	case err == nil:
	case s.burstJSON:
		for _, said := range s.burst {
			s.m.Fail(errorCode(err), err.Error(), said.ClientID)
		}
	default:
		s.report(err)
	}
	s.dropBurst()
}

// dropBurst forgets the burst.
func (s *session) dropBurst() {
	clear(s.burst)
	s.burst = s.burst[:0]
}

// isHello reports whether a text-mode line opens the JSON protocol.
func isHello(text []byte) bool {
	var c struct {
		Cmd string `json:"cmd"`
	}
	return json.Unmarshal(text, &c) == nil && c.Cmd == "hello"
}

// readFailure classifies a read error into a close reason.
func (s *Server) readFailure(ctx context.Context, m *hub.Member, err error) hub.CloseReason {
	switch {
	case ctx.Err() != nil:
		return hub.ServerShutdown
	case m.CutReason() != hub.StillConnected:
		return m.CutReason()
	case errors.Is(err, os.ErrDeadlineExceeded):
		timeout := s.cfg.IdleTimeout
		if timeout <= 0 {
			timeout = s.cfg.SilentTimeout
		}
		m.Notice("disconnected after " + timeout.String() + " without input")
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

// abort closes c at once, discarding what the kernel still holds for it:
// a member the hub gave up on must not keep megabytes of unsent data in an
// orphaned socket.
func abort(c net.Conn) {
	raw := c
	if tc, ok := c.(*tls.Conn); ok {
		raw = tc.NetConn()
	}
	if tc, ok := raw.(interface{ SetLinger(int) error }); ok {
		tc.SetLinger(0)
	}
	c.Close()
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
