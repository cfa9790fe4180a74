package irc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/internal/sockwrite"
)

// Config tunes the IRC front end. The zero value works.
type Config struct {
	// Name is the server name every server line starts with; "" means
	// "hubcat".
	Name string
	// Network is the network name announced in 005 NETWORK; "" means Name.
	Network string
	// MOTD is the message of the day, one entry per line; empty means none
	// (clients get 422).
	MOTD []string
	// PingInterval is how long a client may stay silent before the server
	// pings it, and how long it has to register; zero means 90s.
	PingInterval time.Duration
	// PingTimeout is how long a pinged client has to answer before it is
	// dropped with ERROR; zero means 60s.
	PingTimeout time.Duration
	// JoinHistory is how many recent messages a client gets on JOIN
	// (tagged with their time for clients with server-time); zero means
	// 20, negative none.
	JoinHistory int
	// FloodRate is the sustained commands per second one client may send;
	// zero disables flood control. Commands beyond it are delayed.
	FloodRate float64
	// FloodBurst is how many commands may come at once; zero means
	// 2×FloodRate.
	FloodBurst int
	// WriteTimeout bounds each write to the client; a client that cannot
	// take a batch within it is cut off as a slow consumer. Zero means 10s.
	WriteTimeout time.Duration
	// Logger receives per-connection events; nil means slog.Default().
	Logger *slog.Logger
}

// Server serves IRC clients for a hub. It implements server.Handler.
type Server struct {
	hub     *hub.Hub
	cfg     Config
	log     *slog.Logger
	created time.Time
	support []string      // the 005 tokens, computed once
	batches atomic.Uint64 // numbers BATCH references

	mu      sync.Mutex
	clients map[string]*client // registered IRC clients by folded nick; guarded by mu
}

// NewServer returns an IRC front end for h.
func NewServer(h *hub.Hub, cfg Config) *Server {
	if cfg.Name == "" {
		cfg.Name = "hubcat"
	}
	if cfg.Network == "" {
		cfg.Network = cfg.Name
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 90 * time.Second
	}
	if cfg.PingTimeout <= 0 {
		cfg.PingTimeout = 60 * time.Second
	}
	if cfg.JoinHistory == 0 {
		cfg.JoinHistory = 20
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
	s := &Server{hub: h, cfg: cfg, log: log, created: time.Now(), clients: map[string]*client{}}
	s.support = isupport(cfg)
	return s
}

// ServeConn runs one IRC client until it quits, breaks, is cut off, or ctx
// is cancelled (the server is shutting down, and the client is told so).
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	cl := newClient(s, c)
	m, err := s.hub.Attach(hub.Peer{
		Addr:        c.RemoteAddr().String(),
		Frontend:    "irc",
		Format:      cl.fmt,
		Write:       s.writer(c),
		TryWrite:    sockwrite.TryWriter(c),
		Hangup:      func() { c.Close() },
		AllPresence: true, // IRC clients keep member lists
	})
	if err != nil {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		c.Write(cl.rb.errorLine("Server shutting down"))
		return
	}
	cl.m = m
	stop := context.AfterFunc(ctx, func() {
		cl.queue(cl.rb.errorLine("Server shutting down"))
		m.Outbox().Close()
		c.SetReadDeadline(time.Now())
	})
	reason := cl.readLoop(ctx)
	stop()
	s.forget(cl)
	m.Leave(reason)
	<-m.Outbox().Done()
	lingeringClose(c)
}

// writer returns the hub's write function for c: one write per batch,
// under the write deadline, cleared afterwards.
func (s *Server) writer(c net.Conn) hub.WriteFunc {
	return func(b []byte) error {
		c.SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
		_, err := c.Write(b)
		c.SetWriteDeadline(time.Time{})
		return err
	}
}

// lookup returns the registered IRC client called nick, or nil.
func (s *Server) lookup(nick string) *client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[fold(nick)]
}

// remember indexes cl under its nick, replacing old (its previous nick).
func (s *Server) remember(cl *client, old, nick string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old != "" && s.clients[fold(old)] == cl {
		delete(s.clients, fold(old))
	}
	s.clients[fold(nick)] = cl
}

// forget removes cl from the index.
func (s *Server) forget(cl *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := fold(cl.nickNow()); s.clients[k] == cl {
		delete(s.clients, k)
	}
}

// readFailure classifies a read error into a close reason.
func (cl *client) readFailure(ctx context.Context, err error) hub.CloseReason {
	switch {
	case ctx.Err() != nil:
		return hub.ServerShutdown
	case cl.m.CutReason() != hub.StillConnected:
		return cl.m.CutReason()
	case errors.Is(err, io.EOF):
		return hub.ClientClosed
	default:
		return hub.ReadError
	}
}

// isTimeout reports whether err is a read deadline passing.
func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// lingeringClose half-closes c and reads briefly before closing, so that
// unread input does not turn the close into a reset that would destroy the
// last lines sent (the ERROR line, above all).
func lingeringClose(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok && cw.CloseWrite() == nil {
		c.SetReadDeadline(time.Now().Add(time.Second))
		io.Copy(io.Discard, io.LimitReader(c, 1<<20))
	}
	c.Close()
}

// fold is the key under which this front end compares names: Names.Fold.
func fold(s string) string { return Names.Fold(s) }

// foldName is IRC's rfc1459 casemapping: ASCII letters and []\~ fold to
// lower case and {}|^.
func foldName(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' || strings.ContainsRune("[]\\~", r) }) < 0 {
		return s // the common case, without allocating
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		case r == '[':
			return '{'
		case r == ']':
			return '}'
		case r == '\\':
			return '|'
		case r == '~':
			return '^'
		}
		return r
	}, s)
}
