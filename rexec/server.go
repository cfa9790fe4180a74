package rexec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/hubcat/hubcat/internal/frame"
)

// handshakeTimeout bounds authentication and the request.
const handshakeTimeout = 15 * time.Second

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

	backoff frame.Backoff
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
	ip := remoteIP(c)
	r, w := frame.NewReader(c, maxFrame), frame.NewWriter(c)
	c.SetDeadline(time.Now().Add(handshakeTimeout))
	if !s.allowed(ip) {
		s.log().Warn("exec connection refused: address not in --allow", "remote", ip)
		w.SendError("your address is not allowed")
		return
	}
	if d := s.backoff.Wait(ip.String()); d > 0 {
		w.SendError(fmt.Sprintf("too many failed authentications; retry in %s", d.Round(time.Millisecond)))
		return
	}
	peer, err := frame.Handshake(r, w, frame.HandshakeConfig{Proto: proto, Version: Version, Role: "server", Token: s.Token, Listener: true})
	if errors.Is(err, frame.ErrAuth) {
		d := s.backoff.Fail(ip.String())
		s.log().Warn("exec authentication failed", "remote", ip, "retry_in", d)
		return
	}
	if err != nil {
		s.log().Info("exec handshake failed", "remote", ip, "err", err)
		return
	}
	s.backoff.Success(ip.String())
	if peer.Role != "client" {
		w.SendError("this is an exec server; connect with hubcat exec ADDR -- CMD")
		return
	}
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
	run(ctx, c, r, w, req)
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
func run(ctx context.Context, c net.Conn, r *frame.Reader, w *frame.Writer, req Request) {
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
	go readClient(r, p, cancel)
	err = p.wait()
	exit := exitOf(p.cmd.ProcessState)
	if p.cmd.ProcessState == nil {
		exit = Exit{Code: 127, Message: err.Error()}
	}
	exit.TimedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	w.SendJSON(typeExit, exit)
}

// readClient applies the client's frames to the process; when the client
// goes away it cancels the session, which kills the process group.
func readClient(r *frame.Reader, p *process, cancel context.CancelFunc) {
	defer cancel()
	stdin := make(chan []byte, 16)
	go func(in <-chan []byte) {
		for b := range in {
			p.stdin.Write(b)
		}
		p.closeStdin()
	}(stdin)
	defer func() {
		if stdin != nil {
			close(stdin)
		}
	}()
	for {
		typ, payload, err := r.Next()
		if err != nil {
			return
		}
		switch typ {
		case typeStdin:
			if stdin != nil {
				stdin <- payload
			}
		case typeStdinEOF:
			if stdin != nil {
				close(stdin)
				stdin = nil
			}
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
