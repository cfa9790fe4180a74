package server_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/server"
)

func listen(t *testing.T, network, addr string) net.Listener {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// echoUntilCancel echoes lines and, on shutdown, says goodbye.
func echoUntilCancel(ctx context.Context, c net.Conn) {
	go func() {
		<-ctx.Done()
		io.WriteString(c, "bye\n")
		c.(interface{ CloseWrite() error }).CloseWrite()
	}()
	io.Copy(c, c)
}

func serve(t *testing.T, h server.Handler, cfg server.Config, ln net.Listener) *server.Server {
	t.Helper()
	srv := server.New(h, cfg)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return srv
}

func dial(t *testing.T, ln net.Listener) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial(ln.Addr().Network(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	return c, bufio.NewReader(c)
}

func roundTrip(t *testing.T, c net.Conn, r *bufio.Reader, line string) {
	t.Helper()
	io.WriteString(c, line+"\n")
	got, err := r.ReadString('\n')
	if err != nil || got != line+"\n" {
		t.Fatalf("echo of %q: got %q, %v", line, got, err)
	}
}

func TestServesTCPv4v6AndUnix(t *testing.T) {
	lns := []net.Listener{
		listen(t, "tcp", "127.0.0.1:0"),
		listen(t, "unix", filepath.Join(t.TempDir(), "s.sock")),
	}
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		t.Cleanup(func() { ln.Close() })
		lns = append(lns, ln)
	} else {
		t.Logf("no IPv6 loopback on this machine: %v", err)
	}
	srv := server.New(server.HandlerFunc(echoUntilCancel), server.Config{})
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	defer srv.Close()
	for _, ln := range lns {
		c, r := dial(t, ln)
		roundTrip(t, c, r, "over "+ln.Addr().Network()+" "+ln.Addr().String())
	}
}

func TestMaxConnsRejectsWithReason(t *testing.T) {
	ln := listen(t, "tcp", "127.0.0.1:0")
	cfg := server.Config{
		MaxConns: 2,
		Reject:   func(c net.Conn, why error) { io.WriteString(c, "refused: "+why.Error()+"\n") },
	}
	serve(t, server.HandlerFunc(echoUntilCancel), cfg, ln)
	c1, r1 := dial(t, ln)
	roundTrip(t, c1, r1, "one")
	c2, r2 := dial(t, ln)
	roundTrip(t, c2, r2, "two")
	_, r3 := dial(t, ln)
	got, _ := r3.ReadString('\n')
	if !strings.Contains(got, "too many connections") {
		t.Fatalf("third connection got %q, want a too-many-connections refusal", got)
	}
	if _, err := r3.ReadByte(); err != io.EOF {
		t.Fatalf("refused connection not closed: %v", err)
	}
	c1.Close()
	// After one leaves, a new client gets in. The server notices the close
	// asynchronously, so retry briefly.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c4, r4 := dial(t, ln)
		io.WriteString(c4, "four\n")
		if got, _ := r4.ReadString('\n'); got == "four\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("slot never freed after a client left")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestMaxPerIP(t *testing.T) {
	ln := listen(t, "tcp", "127.0.0.1:0")
	var rejected = make(chan error, 1)
	cfg := server.Config{MaxPerIP: 1, Reject: func(_ net.Conn, why error) { rejected <- why }}
	serve(t, server.HandlerFunc(echoUntilCancel), cfg, ln)
	c1, r1 := dial(t, ln)
	roundTrip(t, c1, r1, "first")
	dial(t, ln)
	select {
	case why := <-rejected:
		if !errors.Is(why, server.ErrTooManyFromIP) {
			t.Fatalf("rejected with %v", why)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second connection from the same address was not refused")
	}
}

func TestShutdownLetsHandlersSayGoodbye(t *testing.T) {
	ln := listen(t, "tcp", "127.0.0.1:0")
	srv := server.New(server.HandlerFunc(echoUntilCancel), server.Config{})
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	c, r := dial(t, ln)
	roundTrip(t, c, r, "hello")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	if got, _ := r.ReadString('\n'); got != "bye\n" {
		t.Fatalf("got %q, want the goodbye", got)
	}
	c.Close()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("listener still accepting after Shutdown")
	}
}

func TestShutdownDeadlineClosesStragglers(t *testing.T) {
	ln := listen(t, "tcp", "127.0.0.1:0")
	stubborn := server.HandlerFunc(func(ctx context.Context, c net.Conn) { io.Copy(io.Discard, c) })
	srv := server.New(stubborn, server.Config{})
	go srv.Serve(ln)
	_, r := dial(t, ln)
	deadline := time.Now().Add(5 * time.Second)
	for srv.Conns() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the connection was never handed to its handler")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown = %v, want deadline exceeded", err)
	}
	if _, err := r.ReadByte(); err == nil {
		t.Fatal("straggler connection left open")
	}
}

func TestPanicClosesOnlyThatConnection(t *testing.T) {
	ln := listen(t, "tcp", "127.0.0.1:0")
	h := server.HandlerFunc(func(ctx context.Context, c net.Conn) {
		line, _ := bufio.NewReader(c).ReadString('\n')
		if line == "panic\n" {
			panic("boom")
		}
		io.WriteString(c, line)
	})
	serve(t, h, server.Config{Logger: discardLogger()}, ln)
	bad, rb := dial(t, ln)
	io.WriteString(bad, "panic\n")
	if _, err := rb.ReadByte(); err == nil {
		t.Fatal("panicking handler's connection still open")
	}
	good, rg := dial(t, ln)
	roundTrip(t, good, rg, "still serving")
}
