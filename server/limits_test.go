package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/server"
)

// tlsListen listens for TLS on 127.0.0.1 with a self-signed certificate.
func tlsListen(t *testing.T) net.Listener {
	t.Helper()
	cfg, _, err := endpoint.ServerConfig(endpoint.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tls.NewListener(listen(t, "tcp", "127.0.0.1:0"), cfg)
}

// dialFrom connects to ln from the loopback address from.
func dialFrom(t *testing.T, ln net.Listener, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 15 * time.Second}
	c, err := d.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// tlsDialFrom connects from the loopback address from and completes a TLS
// handshake within a few seconds.
func tlsDialFrom(t *testing.T, ln net.Listener, from string) (*tls.Conn, error) {
	t.Helper()
	raw := dialFrom(t, ln, from)
	c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
	c.SetDeadline(time.Now().Add(15 * time.Second))
	return c, c.Handshake()
}

// waitClosed waits until the server closes c's connection.
func waitClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.Copy(io.Discard, c); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s still open", what)
	}
}

// A refused TLS peer that never sends a ClientHello used to freeze the
// accept loop: the refusal notice started a handshake on it with no
// deadline. Refusals are now told on the side, under a deadline.
func TestSilentRefusedTLSPeerDoesNotStopAccepting(t *testing.T) {
	ln := tlsListen(t)
	var refused atomic.Int32
	cfg := server.Config{
		MaxPerIP: 1,
		Logger:   discardLogger(),
		Reject: func(c net.Conn, why error) {
			refused.Add(1)
			io.WriteString(c, "refused: "+why.Error()+"\n")
		},
	}
	srv := server.New(server.HandlerFunc(echoUntilCancel), cfg)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	dialFrom(t, ln, "127.0.0.1") // admitted, never handshakes
	for range 3 {
		dialFrom(t, ln, "127.0.0.1") // refused, never handshakes
	}
	good, err := tlsDialFrom(t, ln, "127.0.0.2")
	if err != nil {
		t.Fatalf("a well-behaved client from another address was not served: %v", err)
	}
	roundTrip(t, good, bufio.NewReader(good), "still accepting")
	if refused.Load() == 0 {
		t.Fatal("no connection was refused; the test proves nothing")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go good.Close()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown with silent peers pending: %v", err)
	}
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
}

// A TLS peer that never finishes its handshake is closed after
// HandshakeTimeout and never reaches the handler; one that does is served.
func TestTLSHandshakeBeforeHandler(t *testing.T) {
	var handled atomic.Int32
	h := server.HandlerFunc(func(ctx context.Context, c net.Conn) {
		handled.Add(1)
		echoUntilCancel(ctx, c)
	})
	impatient := tlsListen(t)
	serve(t, h, server.Config{HandshakeTimeout: 100 * time.Millisecond, Logger: discardLogger()}, impatient)
	silent := dialFrom(t, impatient, "127.0.0.1")
	waitClosed(t, silent, "a peer that never sent a ClientHello")
	if n := handled.Load(); n != 0 {
		t.Fatalf("the handler ran %d times for a peer that never handshook", n)
	}
	// A busy machine may take longer than 100ms over a handshake, so the
	// well-behaved client talks to a server with the default timeout.
	patient := tlsListen(t)
	serve(t, h, server.Config{Logger: discardLogger()}, patient)
	good, err := tlsDialFrom(t, patient, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, good, bufio.NewReader(good), "handshaken")
	if n := handled.Load(); n != 1 {
		t.Fatalf("handler ran %d times, want 1", n)
	}
}

// addrConn reports a chosen remote address, to put a real connection in
// any IPv6 network.
type addrConn struct {
	net.Conn
	remote net.Addr
}

func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// MaxPerIP counts an IPv4 address, or an IPv6 /64, as one network.
func TestMaxPerIPCountsNetworks(t *testing.T) {
	ln := listen(t, "tcp", "127.0.0.1:0")
	refusals := make(chan string, 16)
	cfg := server.Config{
		MaxPerIP: 1,
		Logger:   discardLogger(),
		Reject:   func(c net.Conn, _ error) { refusals <- c.RemoteAddr().String() },
	}
	idle := server.HandlerFunc(func(ctx context.Context, _ net.Conn) { <-ctx.Done() })
	srv := server.New(idle, cfg)
	t.Cleanup(func() { srv.Close() })
	accepted := make(chan net.Conn)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	connect := func(remote string) {
		dialFrom(t, ln, "127.0.0.1")
		ap := netip.MustParseAddrPort(remote)
		srv.ServeConn(addrConn{<-accepted, net.TCPAddrFromAddrPort(ap)})
	}
	mustRefuse := func(remote string) {
		t.Helper()
		connect(remote)
		select {
		case got := <-refusals:
			if want := net.TCPAddrFromAddrPort(netip.MustParseAddrPort(remote)).String(); got != want {
				t.Fatalf("refused %s, want %s", got, remote)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s was not refused", remote)
		}
	}
	connect("[2001:db8:0:1::1]:1000")
	mustRefuse("[2001:db8:0:1::2]:1000")      // same /64
	mustRefuse("[2001:db8:0:1:ffff::9]:2000") // same /64
	connect("[2001:db8:0:2::1]:1000")         // another /64
	connect("10.0.0.1:1000")
	connect("10.0.0.2:1000") // IPv4: one address each
	mustRefuse("[::ffff:10.0.0.1]:3000")
	if len(refusals) != 0 || srv.Conns() != 4 {
		t.Fatalf("%d connections served, want 4 (unexpected refusals: %d)", srv.Conns(), len(refusals))
	}
}

// Shutdown returns when its context ends, even if a handler ignores both
// the cancellation and the closing of its connection.
func TestShutdownReturnsWhenHandlerIsStuck(t *testing.T) {
	ln := listen(t, "tcp", "127.0.0.1:0")
	release := make(chan struct{})
	started := make(chan struct{})
	stuck := server.HandlerFunc(func(context.Context, net.Conn) {
		close(started)
		<-release
	})
	srv := server.New(stuck, server.Config{})
	go srv.Serve(ln)
	t.Cleanup(func() { close(release); srv.Close() })
	dial(t, ln)
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- srv.Shutdown(ctx) }()
	select {
	case err := <-shut:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v, want deadline exceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Shutdown waited for a stuck handler past its context")
	}
}
