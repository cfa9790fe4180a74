package main

import (
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestEcho echoes over each stream transport, byte-exact, with the write
// side closed after the client's.
func TestEcho(t *testing.T) {
	t.Parallel()
	payload := make([]byte, 1<<20)
	rand.Read(payload)
	for _, addr := range []string{"127.0.0.1:0", "unix://" + filepath.Join(t.TempDir(), "e.sock"), "tls://127.0.0.1:0"} {
		t.Run(strings.SplitN(addr, ":", 2)[0], func(t *testing.T) {
			e := start(t, nil, "echo", addr)
			where := e.listening()
			scheme, rest, _ := strings.Cut(where, "://")
			var c net.Conn
			var err error
			switch scheme {
			case "tls":
				c, err = tls.Dial("tcp", rest, &tls.Config{InsecureSkipVerify: true})
			default:
				c, err = net.Dial(scheme, rest)
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(15 * time.Second))
			go func() {
				c.Write(payload)
				c.(interface{ CloseWrite() error }).CloseWrite()
			}()
			got, err := io.ReadAll(c)
			if err != nil || !bytes.Equal(got, payload) {
				t.Fatalf("echoed %d bytes (want %d), err %v", len(got), len(payload), err)
			}
		})
	}
}

// TestEchoUDP sends datagrams back to their senders.
func TestEchoUDP(t *testing.T) {
	t.Parallel()
	e := start(t, nil, "echo", "udp://127.0.0.1:0")
	addr := e.listening()
	for i := range 3 {
		c, _ := dialUDP(t, addr)
		c.SetDeadline(time.Now().Add(10 * time.Second))
		msg := []byte(strings.Repeat("x", 1+i*700))
		c.Write(msg)
		buf := make([]byte, 2048)
		n, err := c.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], msg) {
			t.Fatalf("peer %d: got %d bytes, %v", i, n, err)
		}
	}
	e.interrupt()
	if code := e.wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, e.stderr())
	}
}
