package irc_test

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc"
	"github.com/hubcat/hubcat/server"
)

func TestRegistrationWelcome(t *testing.T) {
	tn := start(t, irc.Config{Network: "TestNet", MOTD: []string{"hello there", "be nice"}})
	c := tn.dial()
	c.send("NICK alice", "USER a 0 * :Alice Liddell")
	m := c.expect("001", "alice")
	if m.Source != "irc.test" || !strings.Contains(m.Param(1), "alice!") {
		t.Fatalf("001 = %q", m.String())
	}
	c.expect("002", "alice")
	c.expect("003", "alice")
	c.expect("004", "alice", "irc.test")
	var tokens []string
	for {
		m = c.read()
		if m.Command != "005" {
			break
		}
		tokens = append(tokens, m.Params[1:len(m.Params)-1]...)
	}
	all := " " + strings.Join(tokens, " ") + " "
	for _, want := range []string{"CHANTYPES=#", "PREFIX=", "CASEMAPPING=rfc1459", "NICKLEN=", "CHANNELLEN=", "NETWORK=TestNet"} {
		if !strings.Contains(all, " "+want) {
			t.Errorf("005 lacks %s: %s", want, all)
		}
	}
	if m.Command != "251" {
		t.Fatalf("after 005: %q, want 251", m.String())
	}
	c.expect("254", "alice")
	c.expect("255", "alice")
	c.expect("375", "alice")
	c.expect("372", "alice", "- hello there")
	c.expect("372", "alice", "- be nice")
	c.expect("376", "alice")
}

func TestNoMOTD(t *testing.T) {
	tn := start(t, irc.Config{})
	c := tn.dial()
	c.send("USER a 0 * :A", "NICK bob") // USER first works too
	c.expect("001", "bob")
	c.skipUntil("422")
	c.send("MOTD")
	c.expect("422", "bob")
}

// LF alone ends a line as well as CRLF; replies always end in CRLF (read
// checks it).
func TestBareLF(t *testing.T) {
	tn := start(t, irc.Config{})
	c := tn.dial()
	io.WriteString(c.conn, "NICK carol\nUSER c 0 * :C\n")
	c.expect("001", "carol")
}

func TestRegistrationErrors(t *testing.T) {
	tn := start(t, irc.Config{})
	tn.register("taken")
	c := tn.dial()
	c.send("JOIN #x")
	c.expect("451", "*")
	c.send("FOO")
	c.expect("451", "*")
	c.send("NICK")
	c.expect("431", "*")
	c.send("NICK 9lives")
	c.expect("432", "*", "9lives")
	c.send("NICK bad!nick")
	c.expect("432", "*", "bad!nick")
	c.send("NICK TAKEN")
	c.expect("433", "*", "TAKEN")
	c.send("USER onlyone")
	c.expect("461", "*", "USER")
	c.send("NICK free", "USER f 0 * :F")
	c.expect("001", "free")
	c.skipUntil("422")
	c.send("USER f 0 * :F")
	c.expect("462", "free")
	c.send("PASS secret")
	c.expect("462", "free")
	c.send("FROB x")
	c.expect("421", "free", "FROB")
	c.send("PRIVMSG")
	c.expect("411", "free")
	c.send("PRIVMSG taken")
	c.expect("412", "free")
	c.send("WHOIS")
	c.expect("461", "free", "WHOIS")
}

// IRC casemapping: [ ] \ ~ are the upper case of { } | ^.
func TestNickCasemapping(t *testing.T) {
	tn := start(t, irc.Config{})
	tn.register("nick")
	c := tn.dial()
	c.send("NICK NICK")
	c.expect("433", "*", "NICK")
}

func TestPingAnyTime(t *testing.T) {
	tn := start(t, irc.Config{})
	c := tn.dial()
	c.send("PING :abc def")
	c.expect("PONG", "irc.test", "abc def")
	c.send("NICK d", "USER d 0 * :D")
	c.skipUntil("422")
	c.send("PING x")
	c.expect("PONG", "irc.test", "x")
}

func TestCapHoldsRegistration(t *testing.T) {
	tn := start(t, irc.Config{})
	c := tn.dial()
	c.send("CAP LS 302")
	m := c.expect("CAP", "*", "LS")
	for _, want := range []string{"server-time", "message-tags", "echo-message", "batch", "multi-prefix"} {
		if !strings.Contains(" "+m.Param(2)+" ", " "+want+" ") {
			t.Errorf("CAP LS lacks %s: %q", want, m.Param(2))
		}
	}
	c.send("NICK e", "USER e 0 * :E", "CAP REQ :server-time bogus")
	c.expect("CAP", "*", "NAK", "server-time bogus") // no 001 before: registration held
	c.send("CAP REQ :server-time echo-message")
	c.expect("CAP", "*", "ACK", "server-time echo-message")
	c.send("CAP LIST")
	if m := c.expect("CAP", "*", "LIST"); !strings.Contains(m.Param(2), "echo-message") {
		t.Fatalf("CAP LIST = %q", m.String())
	}
	c.send("CAP FROB")
	c.expect("410", "*", "FROB")
	c.send("CAP END")
	c.expect("001", "e")
	c.skipUntil("422")
	c.send("CAP REQ :-echo-message")
	c.expect("CAP", "e", "ACK", "-echo-message")
}

func TestQuit(t *testing.T) {
	tn := start(t, irc.Config{})
	c := tn.register("quitter")
	c.send("QUIT :gone fishing")
	rest := c.expectClosed()
	if !strings.HasPrefix(rest, ":irc.test ERROR :Closing Link: ") || !strings.Contains(rest, "gone fishing") {
		t.Fatalf("after QUIT: %q", rest)
	}
}

// A client that does not register in time is dropped.
func TestRegistrationTimeout(t *testing.T) {
	tn := start(t, irc.Config{PingInterval: 100 * time.Millisecond})
	c := tn.dial()
	c.send("NICK slow")
	if rest := c.expectClosed(); rest != ":irc.test ERROR :Registration timed out\r\n" {
		t.Fatalf("got %q", rest)
	}
}

// A silent client is pinged, and dropped with ERROR if it does not answer.
func TestIdlePing(t *testing.T) {
	tn := start(t, irc.Config{PingInterval: 100 * time.Millisecond, PingTimeout: 100 * time.Millisecond})
	c := tn.register("sleepy")
	c.expect("PING", "irc.test")
	c.send("PONG irc.test")
	c.expect("PING", "irc.test") // answered: pinged again after the interval
	rest := c.expectClosed()
	if !strings.Contains(rest, "ERROR :Ping timeout") {
		t.Fatalf("after an unanswered ping: %q", rest)
	}
}

// Lines over 512 bytes are refused with 417 and the connection goes on,
// however long they are.
func TestLongLines(t *testing.T) {
	tn := start(t, irc.Config{})
	c := tn.register("long")
	c.send("PRIVMSG long :" + strings.Repeat("x", 600))
	c.expect("417", "long")
	c.send("PRIVMSG long :" + strings.Repeat("y", 20000))
	c.expect("417", "long")
	c.send("PING ok")
	c.expect("PONG", "irc.test", "ok")
}

// Shutdown tells every client with ERROR before closing.
func TestShutdown(t *testing.T) {
	log := quietLogger()
	h := hub.New(hub.Config{Logger: log})
	srv := server.New(irc.NewServer(h, irc.Config{Name: "irc.test", Logger: log}), server.Config{Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	tn := &testNet{t: t, hub: h, ircAddr: ln.Addr().String()}
	c := tn.register("stayer")
	h.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go srv.Shutdown(ctx)
	if rest := c.expectClosed(); rest != ":irc.test ERROR :Server shutting down\r\n" {
		t.Fatalf("at shutdown: %q", rest)
	}
}

func TestServerQueries(t *testing.T) {
	tn := start(t, irc.Config{})
	c := tn.register("ops")
	c.joinChan("#k")
	for _, q := range []struct{ send, want string }{
		{"LUSERS", "251"}, {"VERSION", "351"}, {"TIME", "391"}, {"ADMIN", "423"}, {"INFO", "371"},
		{"OPER ops secret", "491"}, {"KICK #k someone", "441"}, {"INVITE someone #k", "401"},
		{"KICK #nowhere someone", "403"}, {"WHOWAS ghost", "406"},
	} {
		c.send(q.send)
		if m := c.skipUntil(q.want, "421", "461"); m.Command != q.want {
			t.Errorf("%s: got %q, want %s", q.send, m.String(), q.want)
		}
		c.sync()
	}
}
