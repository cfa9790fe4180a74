package irc_test

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc"
	"github.com/hubcat/hubcat/irc/ircmsg"
	"github.com/hubcat/hubcat/server"
)

// testNet is a hub with the IRC front end and the line front end, each on
// its own loopback listener.
type testNet struct {
	t       *testing.T
	hub     *hub.Hub
	ircAddr string
	ncAddr  string
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start serves a hub over IRC (with cfg) and the line protocol.
func start(t *testing.T, cfg irc.Config) *testNet {
	t.Helper()
	return startHub(t, cfg, hub.Config{})
}

// startHub is start with a hub configuration.
func startHub(t *testing.T, cfg irc.Config, hcfg hub.Config) *testNet {
	t.Helper()
	log := quietLogger()
	cfg.Logger = log
	if cfg.Name == "" {
		cfg.Name = "irc.test"
	}
	hcfg.Logger, hcfg.Names = log, irc.Names
	h := hub.New(hcfg)
	tn := &testNet{t: t, hub: h}
	tn.ircAddr = serve(t, irc.NewServer(h, cfg), log)
	tn.ncAddr = serve(t, chat.NewServer(h, chat.Config{Logger: log}), log)
	return tn
}

func serve(t *testing.T, h server.Handler, log *slog.Logger) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(h, server.Config{Logger: log})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// ircClient is a test peer speaking IRC.
type ircClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	nick string
}

// dial connects to the IRC listener without registering.
func (tn *testNet) dial() *ircClient {
	tn.t.Helper()
	c, err := net.Dial("tcp", tn.ircAddr)
	if err != nil {
		tn.t.Fatal(err)
	}
	tn.t.Cleanup(func() { c.Close() })
	return &ircClient{t: tn.t, conn: c, r: bufio.NewReader(c), nick: "*"}
}

// register connects and registers as nick, reading through the MOTD.
func (tn *testNet) register(nick string, caps ...string) *ircClient {
	tn.t.Helper()
	c := tn.dial()
	if len(caps) > 0 {
		c.send("CAP LS 302")
		c.expect("CAP", "*", "LS")
		c.send("CAP REQ :" + strings.Join(caps, " "))
		c.expect("CAP", "*", "ACK")
	}
	c.send("NICK "+nick, "USER u 0 * :Real "+nick)
	if len(caps) > 0 {
		c.send("CAP END")
	}
	c.expect("001", nick)
	c.nick = nick
	c.skipUntil("422", "376")
	return c
}

func (c *ircClient) send(lines ...string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, strings.Join(lines, "\r\n")+"\r\n"); err != nil {
		c.t.Fatalf("%s: send: %v", c.nick, err)
	}
}

// read returns the next message, checking the framing: CRLF, at most 512
// bytes of body, and a source on every line.
func (c *ircClient) read() ircmsg.Message {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	s, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("%s: read: %v (partial %q)", c.nick, err, s)
	}
	if !strings.HasSuffix(s, "\r\n") {
		c.t.Fatalf("%s: line without CRLF: %q", c.nick, s)
	}
	m, err := ircmsg.Parse(s)
	if err != nil {
		c.t.Fatalf("%s: bad line %q: %v", c.nick, s, err)
	}
	if m.Source == "" {
		c.t.Fatalf("%s: line without source: %q", c.nick, s)
	}
	return m
}

// expect reads one message and checks its command and first parameters.
func (c *ircClient) expect(cmd string, params ...string) ircmsg.Message {
	c.t.Helper()
	m := c.read()
	if !matches(m, cmd, params) {
		c.t.Fatalf("%s: got %q, want %s %q", c.nick, m.String(), cmd, params)
	}
	return m
}

func matches(m ircmsg.Message, cmd string, params []string) bool {
	if m.Command != cmd || len(m.Params) < len(params) {
		return false
	}
	for i, p := range params {
		if m.Params[i] != p {
			return false
		}
	}
	return true
}

// skipUntil reads until a message with one of the commands, returning it.
func (c *ircClient) skipUntil(cmds ...string) ircmsg.Message {
	c.t.Helper()
	for range 200 {
		m := c.read()
		for _, cmd := range cmds {
			if m.Command == cmd {
				return m
			}
		}
	}
	c.t.Fatalf("%s: none of %q within 200 lines", c.nick, cmds)
	return ircmsg.Message{}
}

// sync sends a PING and reads up to its PONG, returning what came before.
func (c *ircClient) sync() []ircmsg.Message {
	c.t.Helper()
	c.send("PING sync")
	var before []ircmsg.Message
	for {
		m := c.read()
		if m.Command == "PONG" && m.Param(1) == "sync" {
			return before
		}
		before = append(before, m)
	}
}

// expectClosed reads until EOF and returns what came before it.
func (c *ircClient) expectClosed() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, err := io.ReadAll(c.r)
	if err != nil {
		c.t.Fatalf("%s: want EOF, got %v after %q", c.nick, err, rest)
	}
	return string(rest)
}

// ncClient is a test peer speaking the line protocol.
type ncClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// dialNC connects a line-protocol user and reads its greeting.
func (tn *testNet) dialNC() *ncClient {
	tn.t.Helper()
	c, err := net.Dial("tcp", tn.ncAddr)
	if err != nil {
		tn.t.Fatal(err)
	}
	tn.t.Cleanup(func() { c.Close() })
	nc := &ncClient{t: tn.t, conn: c, r: bufio.NewReader(c)}
	nc.skipUntil("type /help")
	return nc
}

func (c *ncClient) send(lines ...string) {
	c.t.Helper()
	c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c.conn, strings.Join(lines, "\n")+"\n"); err != nil {
		c.t.Fatalf("nc: send: %v", err)
	}
}

// skipUntil reads lines until one contains want and returns it.
func (c *ncClient) skipUntil(want string) string {
	c.t.Helper()
	for range 200 {
		c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		s, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("nc: read: %v (partial %q), waiting for %q", err, s, want)
		}
		if strings.Contains(s, want) {
			return strings.TrimSuffix(s, "\n")
		}
		c.t.Logf("nc: skipped %q", s)
	}
	c.t.Fatalf("nc: no line containing %q", want)
	return ""
}
