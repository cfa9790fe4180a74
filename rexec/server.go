package rexec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/hubcat/hubcat/internal/frame"
)

// handshakeTimeout bounds the client's authentication and the request.
const handshakeTimeout = 15 * time.Second

// requestTimeout bounds the server's wait for the request once the client
// is authenticated.
const requestTimeout = 5 * time.Second

// Server runs commands for clients that pass authentication. Use it as
// the handler of a server.Server. Fields must not change once serving.
type Server struct {
	// Token is the shared secret clients must prove; empty means none
	// (the caller vouches for clients some other way: TLS client
	// certificates, an allow list, or a loopback-only address).
	Token string
	// Allow, when not empty, lists the only source prefixes admitted.
	Allow []netip.Prefix
	// Logger receives failed authentications and sessions; nil means slog.Default().
	Logger *slog.Logger

	// gate bounds and slows down clients that have not authenticated;
	// its zero value applies the defaults of [frame.Gate].
	gate frame.Gate
}

func (s *Server) log() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// ServeConn authenticates c, runs the requested command and reports its
// exit. The process group dies with the connection or ctx.
func (s *Server) ServeConn(ctx context.Context, c net.Conn) {
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	ip := remoteIP(c)
	if !s.allowed(ip) {
		s.log().Warn("exec connection refused: address not in --allow", "remote", ip)
		c.SetWriteDeadline(time.Now().Add(time.Second))
		frame.NewWriter(c).SendError("your address is not allowed")
		return
	}
	sc, peer, err := s.gate.Accept(c, frame.HandshakeConfig{Proto: proto, Version: Version, Role: "server", Token: s.Token})
	var ae *frame.AuthError
	switch {
	case errors.As(err, &ae):
		s.log().Warn("exec authentication failed", "remote", ip, "retry_in", ae.Wait)
		return
	case err != nil:
		s.log().Info("exec connection refused", "remote", ip, "err", err)
		return
	}
	r, w := frame.NewReader(sc, maxFrame), frame.NewWriter(sc)
	if peer.Role != "client" {
		w.SendError("this is an exec server; connect with hubcat exec ADDR -- CMD")
		return
	}
	c.SetDeadline(time.Now().Add(requestTimeout))
	var req Request
	if err := r.ExpectJSON(typeRequest, &req); err != nil {
		return
	}
	if len(req.Argv) == 0 || req.Argv[0] == "" {
		w.SendError(ErrEmptyCommand.Error())
		return
	}
	c.SetDeadline(time.Time{})
	s.log().Info("exec", "remote", ip, "argv", req.Argv, "shell", req.Shell, "pty", req.PTY)
	run(ctx, r, w, req)
}

func (s *Server) allowed(ip netip.Addr) bool {
	if len(s.Allow) == 0 {
		return true
	}
	for _, p := range s.Allow {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}

// run executes req and streams it over the connection until it exits.
func run(ctx context.Context, r *frame.Reader, w *frame.Writer, req Request) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if req.TimeoutMS > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, time.Duration(req.TimeoutMS)*time.Millisecond)
		defer stop()
	}
	// 'A' goes first: the process may write before start returns.
	w.SendJSON(typeStarted, struct{}{})
	p, err := start(command(ctx, req), req, frameWriter{w, typeStdout}, frameWriter{w, typeStderr})
	if err != nil {
		w.SendJSON(typeExit, Exit{Code: 127, Message: fmt.Sprintf("cannot run %s: %v", req.Argv[0], err)})
		return
	}
	in := newStdinQueue()
	go in.feed(p, w)
	go readClient(r, p, in, cancel)
	err = p.wait()
	in.close()
	exit := exitOf(p.cmd.ProcessState)
	if p.cmd.ProcessState == nil {
		exit = Exit{Code: 127, Message: err.Error()}
	}
	exit.TimedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	w.SendJSON(typeExit, exit)
}

// readClient applies the client's frames to the process. It never waits
// for the program: stdin goes to a queue that the client's window bounds.
// When the client goes away, or breaks the protocol, it cancels the
// session, which kills the process group.
func readClient(r *frame.Reader, p *process, in *stdinQueue, cancel context.CancelFunc) {
	defer cancel()
	for {
		typ, payload, err := r.Next()
		if err != nil {
			return
		}
		switch typ {
		case typeStdin:
			if !in.push(payload) {
				return // more than the window allows
			}
		case typeStdinEOF:
			in.eof()
		case typeInterrupt:
			p.interrupt()
		case typeResize:
			var ws winsize
			if err := decodeJSON(payload, &ws); err == nil {
				p.resize(ws)
			}
		}
	}
}

// stdinQueue holds stdin bytes the program has not read yet, at most
// stdinWindow of them.
type stdinQueue struct {
	mu      sync.Mutex
	chunks  [][]byte // guarded by mu
	queued  int      // bytes in chunks; guarded by mu
	ended   bool     // the client sent EOF; guarded by mu
	stopped bool     // the program is gone; guarded by mu
	wake    chan struct{}
}

func newStdinQueue() *stdinQueue { return &stdinQueue{wake: make(chan struct{}, 1)} }

// push queues b; it reports false when the client overran its window.
func (q *stdinQueue) push(b []byte) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ended || q.queued+len(b) > stdinWindow {
		return false
	}
	q.chunks = append(q.chunks, b)
	q.queued += len(b)
	q.notify()
	return true
}

func (q *stdinQueue) eof() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ended = true
	q.notify()
}

func (q *stdinQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	q.notify()
}

// notify wakes feed; q.mu must be held.
func (q *stdinQueue) notify() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// feed writes the queue to the program's stdin, returning credit to the
// client for each chunk the program took, and closes stdin after EOF.
func (q *stdinQueue) feed(p *process, w *frame.Writer) {
	for {
		q.mu.Lock()
		var b []byte
		if len(q.chunks) > 0 {
			b = q.chunks[0]
			q.chunks = q.chunks[1:]
		}
		ended, stopped := q.ended && b == nil, q.stopped
		q.mu.Unlock()
		switch {
		case stopped:
			return
		case ended:
			p.closeStdin()
			return
		case b == nil:
			<-q.wake
			continue
		}
		if _, err := p.stdin.Write(b); err != nil {
			return // the program closed its stdin; the rest is dropped
		}
		q.mu.Lock()
		q.queued -= len(b)
		q.mu.Unlock()
		var credit [4]byte
		binary.BigEndian.PutUint32(credit[:], uint32(len(b)))
		w.Send(typeCredit, credit[:])
	}
}

// frameWriter sends what the process writes as frames of one type.
type frameWriter struct {
	w   *frame.Writer
	typ byte
}

func (f frameWriter) Write(b []byte) (int, error) {
	n := len(b)
	for len(b) > 0 {
		k := min(len(b), chunk)
		if err := f.w.Send(f.typ, b[:k]); err != nil {
			return 0, err
		}
		b = b[k:]
	}
	return n, nil
}

var _ io.Writer = frameWriter{}

func remoteIP(c net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(c.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
