// Package server is hubcat's small connection-server library, in the spirit
// of Python's socketserver and Go's net/http: a [Server] accepts connections
// from any number of listeners and hands each to a [Handler] in its own
// goroutine.
//
// # What it does for every handler
//
//   - limits: at most Config.MaxConns connections in all and Config.MaxPerIP
//     from one network (an IPv4 address, or an IPv6 /64); a refused
//     connection is offered to Config.Reject (to say why) on a goroutine of
//     its own, under a deadline, and closed — a refused peer never holds up
//     accepting;
//   - a TLS connection is handshaken, within Config.HandshakeTimeout,
//     before its handler runs: a peer that never sends a ClientHello is
//     closed without the handler ever seeing it;
//   - temporary accept errors (such as running out of file descriptors) are
//     retried with a backoff from 5 ms to 1 s instead of ending Serve;
//   - a panicking handler is logged with its stack and only its connection
//     is closed;
//   - [Server.Shutdown] stops accepting, cancels the context given to every
//     handler (so each can say goodbye), waits for them, and closes whatever
//     is left when its own context ends, returning then even if a handler
//     is stuck. [Server.Close] closes everything now.
//
// Opening listeners is not this package's job; see package endpoint.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubcat/hubcat/endpoint"
)

// Errors returned by the server.
var (
	// ErrServerClosed is returned by Serve after Shutdown or Close.
	ErrServerClosed = errors.New("server: server closed")
	// ErrTooManyConns is given to Config.Reject when MaxConns is reached.
	ErrTooManyConns = errors.New("server: too many connections")
	// ErrTooManyFromIP is given to Config.Reject when MaxPerIP is reached.
	ErrTooManyFromIP = errors.New("server: too many connections from one address")
)

// Bounds on telling refused connections why.
const (
	// rejectTimeout bounds one Config.Reject call, TLS handshake included.
	rejectTimeout = 2 * time.Second
	// maxRejecting is how many refused connections are told why at once;
	// beyond it they are closed unanswered.
	maxRejecting = 64
)

// DefaultHandshakeTimeout is Config.HandshakeTimeout's zero value.
const DefaultHandshakeTimeout = 10 * time.Second

// handshaker is a connection with a handshake to complete first, such as
// a *tls.Conn.
type handshaker interface {
	HandshakeContext(ctx context.Context) error
}

// Handler serves one connection. ServeConn owns c and should return when the
// conversation ends or ctx is cancelled (the server is shutting down); the
// server closes c after ServeConn returns.
type Handler interface {
	ServeConn(ctx context.Context, c net.Conn)
}

// HandlerFunc adapts a function to [Handler].
type HandlerFunc func(ctx context.Context, c net.Conn)

// ServeConn calls f(ctx, c).
func (f HandlerFunc) ServeConn(ctx context.Context, c net.Conn) { f(ctx, c) }

// State is a connection's stage, reported to Config.ConnState.
type State int

// Connection states.
const (
	StateNew      State = iota // accepted and admitted; handshake, then handler, about to run
	StateRejected              // refused by a limit
	StateClosed                // handler returned and the conn is closed
)

func (s State) String() string {
	switch s {
	case StateNew:
		return "new"
	case StateRejected:
		return "rejected"
	case StateClosed:
		return "closed"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Config tunes a Server. The zero value works: no limits, default logger.
type Config struct {
	// MaxConns caps concurrent connections; zero means unlimited.
	MaxConns int
	// MaxPerIP caps concurrent connections from one network: one IPv4
	// address, or one IPv6 /64 (what a single host or subscriber is
	// usually given). Zero means unlimited. Connections without an IP
	// (Unix sockets) are not counted.
	MaxPerIP int
	// Reject, if set, is called with a refused connection and the reason
	// before the server closes it, so the client can be told why. It runs
	// on its own goroutine with a deadline of a few seconds set on c (a
	// TLS handshake included); when many refusals are being told at once,
	// further ones are closed without a call.
	Reject func(c net.Conn, reason error)
	// HandshakeTimeout bounds the handshake of a connection that has one
	// (a *tls.Conn), which the server completes before the handler runs;
	// a peer that does not finish it in time is closed unseen by the
	// handler. Zero means DefaultHandshakeTimeout.
	HandshakeTimeout time.Duration
	// ConnState, if set, is called on every state change.
	ConnState func(c net.Conn, s State)
	// Logger receives accept errors, rejections and panics; nil means slog.Default().
	Logger *slog.Logger
}

// Server accepts connections and runs a Handler for each.
type Server struct {
	handler Handler
	cfg     Config
	log     *slog.Logger

	ctx    context.Context // cancelled by Shutdown and Close
	cancel context.CancelFunc
	closed atomic.Bool
	wg     sync.WaitGroup // one per running handler and per Serve loop

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{} // admitted connections
	perNet    map[netip.Prefix]int  // admitted connections per peer network
	rejecting map[net.Conn]struct{} // refused connections being told why
}

// New returns a Server that runs h for every connection.
func New(h Handler, cfg Config) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = DefaultHandshakeTimeout
	}
	return &Server{
		handler: h, cfg: cfg, log: log, ctx: ctx, cancel: cancel,
		listeners: map[net.Listener]struct{}{},
		conns:     map[net.Conn]struct{}{},
		perNet:    map[netip.Prefix]int{},
		rejecting: map[net.Conn]struct{}{},
	}
}

// Serve accepts connections on ln until the server is shut down or ln fails
// permanently. It always closes ln, and returns ErrServerClosed after
// Shutdown or Close.
func (s *Server) Serve(ln net.Listener) error {
	if !s.track(ln) {
		ln.Close()
		return ErrServerClosed
	}
	defer s.untrack(ln)
	var backoff time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.closed.Load() {
				return ErrServerClosed
			}
			if !isTemporary(err) {
				return fmt.Errorf("server: accept on %s: %w", ln.Addr(), err)
			}
			backoff = nextBackoff(backoff)
			s.log.Warn("accept failed; retrying", "listener", ln.Addr().String(), "err", err, "retry_in", backoff)
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return ErrServerClosed
			}
			continue
		}
		backoff = 0
		s.ServeConn(c)
	}
}

// ServeConn admits an already-established connection (from a custom
// listener, a websocket, a pipe) and runs the handler on it in a new
// goroutine. Limits apply as for accepted connections. It never blocks on
// the peer.
func (s *Server) ServeConn(c net.Conn) {
	if err := s.admit(c); err != nil {
		s.refuse(c, err)
		return
	}
	s.setState(c, StateNew)
	go s.run(c)
}

// refuse closes a connection turned away by a limit, first telling it why
// through Config.Reject on a goroutine of its own and under a deadline, so
// that a peer slow to read (or to finish a TLS handshake) never holds up
// the accept loop.
func (s *Server) refuse(c net.Conn, why error) {
	s.log.Info("connection refused", "remote", c.RemoteAddr().String(), "reason", why)
	s.setState(c, StateRejected)
	if s.cfg.Reject == nil || errors.Is(why, ErrServerClosed) || !s.startRejecting(c) {
		c.Close()
		return
	}
	go func() {
		defer s.stopRejecting(c)
		c.SetDeadline(time.Now().Add(rejectTimeout))
		s.cfg.Reject(c, why)
	}()
}

// startRejecting registers c as being told why it was refused, unless too
// many already are or the server is closing.
func (s *Server) startRejecting(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() || len(s.rejecting) >= maxRejecting {
		return false
	}
	s.rejecting[c] = struct{}{}
	s.wg.Add(1)
	return true
}

func (s *Server) stopRejecting(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.rejecting, c)
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Server) run(c net.Conn) {
	defer s.wg.Done()
	defer s.release(c)
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("handler panicked", "remote", c.RemoteAddr().String(), "panic", r, "stack", string(debug.Stack()))
		}
	}()
	if !s.handshake(c) {
		return
	}
	s.handler.ServeConn(s.ctx, c)
}

// handshake completes c's handshake, if it has one, within
// HandshakeTimeout, reporting whether the handler may have it.
func (s *Server) handshake(c net.Conn) bool {
	hc, ok := c.(handshaker)
	if !ok {
		return true
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.HandshakeTimeout)
	defer cancel()
	if err := hc.HandshakeContext(ctx); err != nil {
		s.log.Info("tls handshake failed", "remote", c.RemoteAddr().String(), "err", err)
		return false
	}
	return true
}

// admit applies the limits and registers c; mu is taken here.
func (s *Server) admit(c net.Conn) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return ErrServerClosed
	}
	if s.cfg.MaxConns > 0 && len(s.conns) >= s.cfg.MaxConns {
		return ErrTooManyConns
	}
	network, counted := peerNetwork(c)
	if counted && s.cfg.MaxPerIP > 0 && s.perNet[network] >= s.cfg.MaxPerIP {
		return ErrTooManyFromIP
	}
	if counted {
		s.perNet[network]++
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return nil
}

func (s *Server) release(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	if network, counted := peerNetwork(c); counted {
		if s.perNet[network]--; s.perNet[network] <= 0 {
			delete(s.perNet, network)
		}
	}
	s.mu.Unlock()
	s.setState(c, StateClosed)
}

func (s *Server) setState(c net.Conn, st State) {
	if s.cfg.ConnState != nil {
		s.cfg.ConnState(c, st)
	}
}

// Conns reports how many connections are being served.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Server) track(ln net.Listener) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return false
	}
	s.listeners[ln] = struct{}{}
	return true
}

func (s *Server) untrack(ln net.Listener) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.listeners, ln)
	ln.Close()
}

// Shutdown stops the listeners, cancels every handler's context and waits
// for the handlers to return. If ctx ends first, the remaining connections
// are closed and ctx.Err() is returned at once, without waiting for a
// handler that is stuck on something other than its connection. It is safe
// to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginClose()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeConns()
		return ctx.Err()
	}
}

// Close stops the listeners and closes every connection at once, then waits
// for the handlers to return.
func (s *Server) Close() error {
	s.beginClose()
	s.closeConns()
	s.wg.Wait()
	return nil
}

func (s *Server) beginClose() {
	s.mu.Lock()
	s.closed.Store(true)
	for ln := range s.listeners {
		ln.Close()
	}
	s.mu.Unlock()
	s.cancel()
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		c.Close()
	}
	for c := range s.rejecting {
		c.Close()
	}
}

// peerNetwork is the network MaxPerIP counts c's peer in: its IPv4
// address, or its IPv6 /64, since one host or subscriber is usually given
// a whole /64. Connections without an IP are not counted.
func peerNetwork(c net.Conn) (netip.Prefix, bool) {
	ip := endpoint.AddrIP(c.RemoteAddr())
	if !ip.IsValid() {
		return netip.Prefix{}, false
	}
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	network, err := ip.Prefix(bits)
	return network, err == nil
}

func isTemporary(err error) bool {
	var ne interface{ Temporary() bool }
	return errors.As(err, &ne) && ne.Temporary()
}

func nextBackoff(d time.Duration) time.Duration {
	if d == 0 {
		return 5 * time.Millisecond
	}
	return min(2*d, time.Second)
}
