package main

import (
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubcat/hubcat/server"
)

func serve(t *testing.T, network, addr string) (net.Listener, *server.Server) {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.HandlerFunc(answer), server.Config{})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln, srv
}

func TestAskAnswer(t *testing.T) {
	for _, tc := range [][2]string{{"tcp", "127.0.0.1:0"}, {"tcp6", "[::1]:0"}, {"unix", filepath.Join(t.TempDir(), "rr.sock")}} {
		ln, _ := serve(t, tc[0], tc[1])
		got, err := ask(tc[0], ln.Addr().String(), "ping", 5*time.Second)
		if err != nil || got != "echo: ping" {
			t.Fatalf("%s: got %q, %v", tc[0], got, err)
		}
	}
}

// TestRebindAfterRestart closes a server that still has a connection
// (the server closes first, so its side enters TIME_WAIT) and binds the
// same port again at once, as seed 004's SO_REUSEADDR is for.
func TestRebindAfterRestart(t *testing.T) {
	ln, srv := serve(t, "tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("hello\n"))
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	c.Read(make([]byte, 64))
	srv.Close() // server side closes the live connection first
	_, _ = serve(t, "tcp", addr)
	if got, err := ask("tcp", addr, "again", 5*time.Second); err != nil || got != "echo: again" {
		t.Fatalf("after restart: %q, %v", got, err)
	}
}
