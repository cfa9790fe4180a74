package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// runningHub is `hubcat serve` run in-process with its log piped back.
type runningHub struct {
	addrs       []string // the "listening" addresses, in flag order
	fingerprint string   // logged when a tls:// listener is used
	logs        chan string
	cancel      context.CancelFunc
	exit        chan int
}

var (
	listeningRE = regexp.MustCompile(`msg=listening addr=(\S+)`)
	sha256RE    = regexp.MustCompile(`sha256=(\S+)`)
)

// startServe runs hubcat serve with args until the test ends.
func startServe(t *testing.T, args ...string) *runningHub {
	t.Helper()
	if !slices.Contains(args, "--web") {
		args = append([]string{"--web", "off"}, args...) // tests run many hubs; :8080 would clash
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	h := &runningHub{logs: make(chan string, 1000), cancel: cancel, exit: make(chan int, 1)}
	go func() {
		h.exit <- run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), io.Discard, pw)
		pw.Close()
	}()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case h.logs <- sc.Text():
			default: // a test that stops reading logs must not stall the hub
			}
		}
		close(h.logs)
	}()
	t.Cleanup(func() { cancel(); <-h.exit })
	want := strings.Count(strings.Join(args, " "), "--listen")
	for len(h.addrs) < want {
		select {
		case l, ok := <-h.logs:
			if !ok {
				t.Fatalf("hubcat serve exited before listening")
			}
			if m := listeningRE.FindStringSubmatch(l); m != nil {
				h.addrs = append(h.addrs, m[1])
			}
			if m := sha256RE.FindStringSubmatch(l); m != nil {
				h.fingerprint = m[1]
			}
		case <-time.After(10 * time.Second):
			t.Fatal("hubcat serve did not report its listeners")
		}
	}
	return h
}

func hostPort(addr string) string { return addr[strings.Index(addr, "://")+3:] }

func TestServeChatAndGracefulShutdown(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hub.sock")
	h := startServe(t, "--listen", "127.0.0.1:0", "--listen", "unix://"+sock)
	if h.addrs[1] != "unix://"+sock {
		t.Fatalf("unix listener reported as %q", h.addrs[1])
	}
	_, r := joinLobby(t, h.addrs[0])

	// The chat client in a pipe, over the Unix socket: it sends, half-closes
	// on EOF, and exits when the hub closes.
	var out strings.Builder
	code := run(context.Background(), []string{"chat", "unix://" + sock}, strings.NewReader("/nick bob\nhello from a pipe\n"), &out, io.Discard)
	if code != 0 {
		t.Fatalf("hubcat chat exited %d", code)
	}
	if !strings.Contains(out.String(), "*** you are now known as bob") {
		t.Fatalf("chat client output:\n%s", out.String())
	}
	readUntil(t, r, "<bob> hello from a pipe")
	readUntil(t, r, "*** bob left lobby (connection closed)")

	h.cancel() // as SIGINT would
	readUntil(t, r, "*** server shutting down")
	if code := <-h.exit; code != 0 {
		t.Fatalf("serve exited %d after shutdown", code)
	}
	h.exit <- 0 // for the cleanup
}

func TestServeTLSFingerprintPinning(t *testing.T) {
	h := startServe(t, "--listen", "tls://127.0.0.1:0")
	if len(h.fingerprint) != 95 {
		t.Fatalf("fingerprint %q not logged as 32 hex pairs", h.fingerprint)
	}
	addr := h.addrs[0]
	var out, errOut strings.Builder
	code := run(context.Background(), []string{"chat", "--fingerprint", h.fingerprint, addr}, strings.NewReader("/quit\n"), &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "*** bye") {
		t.Fatalf("pinned chat: exit %d, out %q, err %q", code, out.String(), errOut.String())
	}
	wrong := strings.Repeat("00:", 31) + "00"
	errOut.Reset()
	if code := run(context.Background(), []string{"chat", "--fingerprint", wrong, addr}, strings.NewReader(""), io.Discard, &errOut); code != exitTLS {
		t.Fatalf("wrong pin: exit %d (%s), want %d", code, errOut.String(), exitTLS)
	}
	if !strings.Contains(errOut.String(), "fingerprint mismatch") {
		t.Fatalf("wrong pin error: %q", errOut.String())
	}
	errOut.Reset()
	if code := run(context.Background(), []string{"chat", addr}, strings.NewReader(""), io.Discard, &errOut); code != exitTLS {
		t.Fatalf("unverified self-signed: exit %d (%s), want %d", code, errOut.String(), exitTLS)
	}
}

func TestServePortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var errOut strings.Builder
	code := run(context.Background(), []string{"serve", "--listen", ln.Addr().String()}, strings.NewReader(""), io.Discard, &errOut)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if code != exitInUse || !strings.Contains(errOut.String(), "port "+port+" is already in use") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}

// joinLobby connects a line client to the hub listening at addr and waits
// until it is in lobby, returning the connection (closed when the test
// ends) and its reader.
func joinLobby(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", hostPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	r := bufio.NewReader(c)
	readUntil(t, r, "*** you joined lobby")
	return c, r
}

func readUntil(t *testing.T, r *bufio.Reader, prefix string) {
	t.Helper()
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no line starting %q: %v", prefix, err)
		}
		if strings.HasPrefix(line, prefix) {
			return
		}
	}
}

func TestServeRefusesOverTheLimitWithANotice(t *testing.T) {
	h := startServe(t, "--listen", "127.0.0.1:0", "--max-clients", "1")
	addr := hostPort(h.addrs[0])
	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	first.SetDeadline(time.Now().Add(10 * time.Second))
	readUntil(t, bufio.NewReader(first), "*** you joined lobby")
	second, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetDeadline(time.Now().Add(10 * time.Second))
	got, _ := io.ReadAll(second)
	if string(got) != "*** too many connections; try again later\n" {
		t.Fatalf("second client got %q", got)
	}
}
