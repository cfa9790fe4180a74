// Package server is hubcat's small connection-server library, in the spirit
// of Python's socketserver and Go's net/http: a [Server] accepts connections
// from any number of listeners and hands each to a [Handler] in its own
// goroutine.
//
// # What it does for every handler
//
//   - limits: at most Config.MaxConns connections in all and Config.MaxPerIP
//     from one IP address; a refused connection is offered to Config.Reject
//     (to say why) and closed;
//   - temporary accept errors (such as running out of file descriptors) are
//     retried with a backoff from 5 ms to 1 s instead of ending Serve;
//   - a panicking handler is logged with its stack and only its connection
//     is closed;
//   - [Server.Shutdown] stops accepting, cancels the context given to every
//     handler (so each can say goodbye), waits for them, and closes whatever
//     is left when its own context ends. [Server.Close] closes everything now.
//
// Opening listeners is not this package's job; see package endpoint.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
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
	StateNew      State = iota // accepted and admitted, handler about to run
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
	// MaxPerIP caps concurrent connections from one IP; zero means unlimited.
	// Connections without an IP (Unix sockets) are not counted.
	MaxPerIP int
	// Reject, if set, is called with a refused connection and the reason
	// before the server closes it, so the client can be told why.
	Reject func(c net.Conn, reason error)
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
	conns     map[net.Conn]struct{}
	perIP     map[string]int
}

// New returns a Server that runs h for every connection.
func New(h Handler, cfg Config) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Server{
		handler: h, cfg: cfg, log: log, ctx: ctx, cancel: cancel,
		listeners: map[net.Listener]struct{}{},
		conns:     map[net.Conn]struct{}{},
		perIP:     map[string]int{},
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
// goroutine. Limits apply as for accepted connections.
func (s *Server) ServeConn(c net.Conn) {
	if err := s.admit(c); err != nil {
		s.log.Info("connection refused", "remote", c.RemoteAddr().String(), "reason", err)
		s.setState(c, StateRejected)
		if s.cfg.Reject != nil && !errors.Is(err, ErrServerClosed) {
			c.SetWriteDeadline(time.Now().Add(time.Second))
			s.cfg.Reject(c, err)
		}
		c.Close()
		return
	}
	s.setState(c, StateNew)
	go s.run(c)
}

func (s *Server) run(c net.Conn) {
	defer s.wg.Done()
	defer s.release(c)
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("handler panicked", "remote", c.RemoteAddr().String(), "panic", r, "stack", string(debug.Stack()))
		}
	}()
	s.handler.ServeConn(s.ctx, c)
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
	ip := remoteIP(c)
	if ip != "" && s.cfg.MaxPerIP > 0 && s.perIP[ip] >= s.cfg.MaxPerIP {
		return ErrTooManyFromIP
	}
	if ip != "" {
		s.perIP[ip]++
	}
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	return nil
}

func (s *Server) release(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	if ip := remoteIP(c); ip != "" {
		if s.perIP[ip]--; s.perIP[ip] <= 0 {
			delete(s.perIP, ip)
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
// are closed and ctx.Err() is returned. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.beginClose()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		s.closeConns()
		<-done
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
}

func remoteIP(c net.Conn) string {
	switch a := c.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case *net.UDPAddr:
		return a.IP.String()
	}
	return ""
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
