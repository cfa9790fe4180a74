package chat_test

import (
	"bufio"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
)

// testHub is a hub served on real listeners for one test.
type testHub struct {
	t   *testing.T
	hub *hub.Hub
	srv *server.Server
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startHub serves a hub with cfg on each listener and stops it at cleanup.
func startHub(t *testing.T, cfg chat.Config, hcfg hub.Config, lns ...net.Listener) *testHub {
	t.Helper()
	cfg.Logger = quietLogger()
	hcfg.Logger = cfg.Logger
	h := hub.New(hcfg)
	srv := server.New(chat.NewServer(h, cfg), server.Config{Logger: cfg.Logger})
	for _, ln := range lns {
		go srv.Serve(ln)
	}
	t.Cleanup(func() { srv.Close() })
	return &testHub{t: t, hub: h, srv: srv}
}

func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// client is one test peer speaking the line protocol.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	name string
}

func dialTCP(t *testing.T, ln net.Listener) net.Conn {
	t.Helper()
	c, err := net.Dial(ln.Addr().Network(), ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// join connects, reads the greeting and, when name is set, takes that name.
func join(t *testing.T, c net.Conn, name string) *client {
	t.Helper()
	cl := newClient(t, c)
	cl.expect("*** welcome to hubcat")
	cl.expect("*** type /help")
	cl.expect("*** you joined lobby")
	if name != "" {
		cl.send("/nick " + name)
		cl.expect("*** you are now known as " + name)
		cl.name = name
	}
	return cl
}

// newClient wraps c without reading anything.
func newClient(t *testing.T, c net.Conn) *client {
	t.Cleanup(func() { c.Close() })
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

func (c *client) send(lines ...string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, strings.Join(lines, "\n")+"\n"); err != nil {
		c.t.Fatalf("%s: send: %v", c.name, err)
	}
}

// readLine returns the next line, failing the test after 5s.
func (c *client) readLine() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("%s: read: %v (partial %q)", c.name, err, s)
	}
	return strings.TrimSuffix(s, "\n")
}

// expect reads one line and checks its prefix.
func (c *client) expect(prefix string) string {
	c.t.Helper()
	got := c.readLine()
	if !strings.HasPrefix(got, prefix) {
		c.t.Fatalf("%s: got %q, want a line starting %q", c.name, got, prefix)
	}
	return got
}

// expectSkipping reads lines until one contains want, failing on EOF or
// after max lines.
func (c *client) expectSkipping(want string, max int) string {
	c.t.Helper()
	for range max {
		if got := c.readLine(); strings.Contains(got, want) {
			return got
		}
	}
	c.t.Fatalf("%s: no line containing %q within %d lines", c.name, want, max)
	return ""
}

// sawJoin reads a newcomer's join (as a guest) and its rename to name.
func (c *client) sawJoin(name string) {
	c.t.Helper()
	c.expect("*** guest-")
	if got := c.readLine(); !strings.HasSuffix(got, "is now known as "+name) {
		c.t.Fatalf("%s: got %q, want the rename to %s", c.name, got, name)
	}
}

// expectQuiet checks that nothing arrives within a short wait, by sending
// a marker through the hub to ourselves.
func (c *client) expectNothingBefore(marker string) {
	c.t.Helper()
	c.send("/msg " + c.name + " " + marker)
	if got := c.readLine(); got != "*"+c.name+"* "+marker {
		c.t.Fatalf("%s: got %q before marker", c.name, got)
	}
}

// expectClosed reads until EOF, returning what came before it.
func (c *client) expectClosed() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(c.r)
	if err != nil {
		c.t.Fatalf("%s: want EOF, got %v after %q", c.name, err, rest)
	}
	return string(rest)
}

func tlsPair(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	cert, err := endpoint.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{InsecureSkipVerify: true}
}
