package rexec

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

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
