package main

import (
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubcat/hubcat/internal/frame"
)

// impostor listens like a hubcat peer of proto and role that does not
// know the token: it answers the dialer's hello claiming a token (or,
// with claimToken false, claiming none), replies to the dialer's Noise
// message with random bytes, and reports everything the dialer sent after
// that.
func impostor(t *testing.T, proto, role string, claimToken bool) (addr string, leaked <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan []byte, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			out <- nil
			return
		}
		defer c.Close()
		r, w := frame.NewReader(c, 0), frame.NewWriter(c)
		w.SendJSON(frame.TypeHello, frame.Hello{Proto: proto, Version: 2, Role: role, Token: claimToken})
		r.Expect(frame.TypeHello)
		if claimToken {
			r.Expect(frame.TypeNoise)
			fake := make([]byte, 48)
			rand.Read(fake)
			w.Send(frame.TypeNoise, fake)
		}
		rest, _ := io.ReadAll(r.Raw())
		out <- rest
	}()
	return ln.Addr().String(), out
}

// The dialing side of send, recv and exec refuses a listener that cannot
// prove the token, whether it claims one or not, and gives it nothing.
func TestDialerRefusesImpostor(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(src, []byte("do not leak"), 0o644); err != nil {
		t.Fatal(err)
	}
	const token = "the-real-token-0123"
	for _, claim := range []bool{true, false} {
		name := map[bool]string{true: "claims a token", false: "claims none"}[claim]
		t.Run("send/"+name, func(t *testing.T) {
			addr, leaked := impostor(t, "hubcat-transfer", "recv", claim)
			out, errOut, code := runHubcat(t, nil, "send", "--token", token, src, addr)
			if code != exitDenied || out != "" || !strings.Contains(errOut, "authentication failed") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if b := <-leaked; len(b) > 0 {
				t.Fatalf("the impostor received %d bytes after the handshake", len(b))
			}
		})
		t.Run("recv/"+name, func(t *testing.T) {
			addr, leaked := impostor(t, "hubcat-transfer", "send", claim)
			inbox := filepath.Join(t.TempDir(), "inbox")
			_, errOut, code := runHubcat(t, nil, "recv", "--token", token, addr, inbox)
			if code != exitDenied || !strings.Contains(errOut, "authentication failed") {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			if b := <-leaked; len(b) > 0 {
				t.Fatalf("the impostor received %d bytes after the handshake", len(b))
			}
			if ents, _ := os.ReadDir(inbox); len(ents) > 0 {
				t.Fatalf("recv wrote %d entries from an impostor", len(ents))
			}
		})
		t.Run("exec/"+name, func(t *testing.T) {
			addr, leaked := impostor(t, "hubcat-exec", "server", claim)
			out, errOut, code := execRun(t, "stdin that must not leak", "exec", "--token", token, addr, "--", "df", "-h")
			if code != exitDenied || out != "" || !strings.Contains(errOut, "authentication failed") {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if b := <-leaked; len(b) > 0 {
				t.Fatalf("the impostor received %d bytes after the handshake", len(b))
			}
		})
	}
}

// A peer's error message reaches the terminal with its control
// characters escaped, on the dialing side and in the listener's log.
func TestPeerTextEscaped(t *testing.T) {
	const evil = "\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07pwned"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			frame.NewWriter(c).SendError(evil)
			c.Close()
		}
	}()
	for _, args := range [][]string{
		{"send", "--token", "the-real-token-0123", "impostor_test.go", ln.Addr().String()},
		{"recv", "--token", "the-real-token-0123", ln.Addr().String(), t.TempDir()},
		{"exec", "--token", "the-real-token-0123", ln.Addr().String(), "--", "true"},
	} {
		_, errOut, code := runHubcat(t, nil, args...)
		if code == 0 || strings.ContainsAny(errOut, "\x1b\x07") || !strings.Contains(errOut, `\x1b[2J\x1b]52;c;cm0gLXJmIH4=\x07pwned`) {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
	}

	// The listener's log of a rejected peer.
	src := filepath.Join(t.TempDir(), "f")
	os.WriteFile(src, []byte("x"), 0o644)
	send, addr := listening(t, "send", "--listen", "127.0.0.1:0", "--token", "the-real-token-0123", src)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	frame.NewWriter(c).SendError(evil)
	c.Close()
	line := send.waitLine(`^hubcat: rejected connection from 127\.0\.0\.1.*$`)[0]
	if strings.ContainsAny(line, "\x1b\x07") || !strings.Contains(line, `\x1b[2J`) {
		t.Fatalf("log line %q", line)
	}
}
