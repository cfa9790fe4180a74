package rexec

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/internal/yes"
	"github.com/hubcat/hubcat/server"
)

// serve runs an exec Server on a loopback port and returns its address.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	srv := server.New(s, server.Config{Logger: s.Logger})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

func runAt(t *testing.T, addr string, req Request, o Options) (Exit, error) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Run(ctx, c, req, o)
}

func TestRunStreams(t *testing.T) {
	addr := serve(t, &Server{Token: "k"})
	var out, errb bytes.Buffer
	exit, err := runAt(t, addr, Request{Argv: []string{"sh", "-c", "cat; echo oops >&2; exit 5"}},
		Options{Token: "k", Stdin: strings.NewReader("in"), Stdout: &out, Stderr: &errb})
	if err != nil || exit.Code != 5 || out.String() != "in" || errb.String() != "oops\n" {
		t.Fatalf("exit %+v err %v stdout %q stderr %q", exit, err, out.String(), errb.String())
	}
}

func TestFailedAuthenticationsAreSlowedDown(t *testing.T) {
	addr := serve(t, &Server{Token: "k"})
	var err error
	for range 5 { // three free failures, a fourth that imposes a delay, one refused
		_, err = runAt(t, addr, Request{Argv: []string{"true"}}, Options{Token: "wrong"})
	}
	if err == nil || !strings.Contains(err.Error(), "too many failed authentications") {
		t.Fatalf("after repeated failures got %v", err)
	}
}

func TestAllowList(t *testing.T) {
	addr := serve(t, &Server{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}})
	_, err := runAt(t, addr, Request{Argv: []string{"true"}}, Options{})
	if err == nil || !strings.Contains(err.Error(), "not allowed") {
		t.Fatalf("got %v, want refusal", err)
	}
	addr = serve(t, &Server{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if exit, err := runAt(t, addr, Request{Argv: []string{"true"}}, Options{}); err != nil || exit.Code != 0 {
		t.Fatalf("allowed client: %+v %v", exit, err)
	}
}

func TestDisconnectKillsProcessGroup(t *testing.T) {
	addr := serve(t, &Server{})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go Run(context.Background(), c, Request{Argv: []string{"sh", "-c", "sleep 60 & echo $!; wait"}}, Options{Stdout: pw, Stdin: blockingReader{}})
	line := make([]byte, 32)
	n, _ := pr.Read(line)
	pid := strings.TrimSpace(string(line[:n]))
	c.Close()
	deadline := time.Now().Add(5 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("grandchild %s survived the disconnect", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// alive reports whether pid exists and is not a zombie.
func alive(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return false
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// blockingReader never returns, like a terminal nobody types into.
type blockingReader struct{}

func (blockingReader) Read([]byte) (int, error) { select {} }

// swapRelay sits between client and server. Client-to-server, it passes
// the hello and the Noise message of each session, then hands each
// encrypted record to change before forwarding it.
func swapRelay(t *testing.T, target string, change func(session, n int, rec []byte) []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for session := 0; ; session++ {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", target)
			if err != nil {
				in.Close()
				return
			}
			go func() { io.Copy(in, out); in.Close() }()
			go func() {
				defer out.Close()
				br := bufio.NewReader(in)
				for range 2 { // 'H' and 'N' frames: type, u32 length, payload
					hdr := make([]byte, 5)
					if _, err := io.ReadFull(br, hdr); err != nil {
						return
					}
					body := make([]byte, binary.BigEndian.Uint32(hdr[1:]))
					if _, err := io.ReadFull(br, body); err != nil {
						return
					}
					out.Write(append(hdr, body...))
				}
				for n := 0; ; n++ { // records: u16 length, ciphertext
					hdr := make([]byte, 2)
					if _, err := io.ReadFull(br, hdr); err != nil {
						return
					}
					rec := make([]byte, 2+int(binary.BigEndian.Uint16(hdr)))
					copy(rec, hdr)
					if _, err := io.ReadFull(br, rec[2:]); err != nil {
						return
					}
					if _, err := out.Write(change(session, n, rec)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// A relay that passes the handshake through and then puts another
// session's request in place of this one's gets nothing run.
func TestRelayCannotSwapRequest(t *testing.T) {
	const token = "k-0123456789abcdef"
	log := filepath.Join(t.TempDir(), "ran")
	var first []byte
	relay := swapRelay(t, serve(t, &Server{Token: token}), func(session, n int, rec []byte) []byte {
		switch {
		case n != 0:
		case session == 0:
			first = rec
		case session == 1:
			return first
		}
		return rec
	})
	req := Request{Argv: []string{"sh", "-c", "echo ran >> " + log}}
	if exit, err := runAt(t, relay, req, Options{Token: token}); err != nil || exit.Code != 0 {
		t.Fatalf("first session: %+v %v", exit, err)
	}
	if _, err := runAt(t, relay, Request{Argv: []string{"df", "-h"}}, Options{Token: token}); err == nil {
		t.Fatal("the session with a swapped request succeeded")
	}
	if b, _ := os.ReadFile(log); string(b) != "ran\n" {
		t.Fatalf("the server ran the first request again: %q", b)
	}
}

// An interrupt reaches a program that never reads the stdin flooding in.
func TestInterruptWhileStdinBacksUp(t *testing.T) {
	addr := serve(t, &Server{})
	pr, pw := io.Pipe()
	intr := make(chan struct{}, 1)
	res := make(chan Exit, 1)
	in := new(yes.Reader)
	go func() {
		exit, _ := runAt(t, addr, Request{Argv: []string{"sh", "-c", `trap 'exit 7' INT; echo ready; while :; do sleep 0.05; done`}},
			Options{Stdin: in, Stdout: pw, Interrupt: intr})
		pw.Close()
		res <- exit
	}()
	if line, _ := bufio.NewReader(pr).ReadString('\n'); line != "ready\n" {
		t.Fatalf("got %q", line)
	}
	go io.Copy(io.Discard, pr)
	in.BackedUp(t)
	intr <- struct{}{}
	select {
	case exit := <-res:
		if exit.Code != 7 {
			t.Fatalf("exit %+v, want the trap's 7", exit)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the interrupt never reached the program")
	}
}
