package irc_test

import (
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc"
)

// A client over the flood rate is slowed down and told so once; nothing
// it sent is lost.
func TestFloodControl(t *testing.T) {
	tn := start(t, irc.Config{FloodRate: 50, FloodBurst: 20})
	a := tn.register("alice")
	b := tn.register("bob")
	a.joinChan("#f")
	b.joinChan("#f")
	a.expect("JOIN", "#f")
	var lines []string
	for i := range 40 {
		lines = append(lines, "PRIVMSG #f :line "+strconv.Itoa(i))
	}
	a.send(lines...)
	for i := range 40 {
		b.expect("PRIVMSG", "#f", "line "+strconv.Itoa(i))
	}
	if m := a.expect("NOTICE", "alice"); !strings.Contains(m.Param(1), "flood control") {
		t.Fatalf("got %q", m.String())
	}
	if rest := a.sync(); len(rest) != 0 {
		t.Fatalf("a second notice: %q", rest[0].String())
	}
}

// A client that stops reading is cut off when its outbox overflows; the
// channel carries on and sees it quit as a slow consumer.
func TestSlowConsumer(t *testing.T) {
	tn := startHub(t, irc.Config{}, hub.Config{OutboxBytes: 64 << 10})
	a := tn.register("alice")
	b := tn.register("bob")
	stuck := tn.register("stuck")
	a.joinChan("#s")
	b.joinChan("#s")
	stuck.joinChan("#s")
	a.skipUntil("JOIN")
	b.skipUntil("JOIN")
	stuck.conn.(*net.TCPConn).SetReadBuffer(4096) // fill up sooner
	batch := make([]string, 20)
	for i := range batch {
		batch[i] = "PRIVMSG #s :" + strings.Repeat("x", 400)
	}
	for i := 0; ; i++ {
		a.send(batch...)
		quit := false
		for range batch {
			m := b.read()
			if m.Command == "QUIT" {
				if !strings.HasPrefix(m.Source, "stuck!") || m.Param(0) != "slow consumer" {
					t.Fatalf("got %q", m.String())
				}
				quit = true
				break
			}
			if m.Command != "PRIVMSG" || i > 1000 {
				t.Fatalf("after %d batches: %q", i, m.String())
			}
		}
		if quit {
			break
		}
	}
	a.send("PRIVMSG #s :still here")
	for {
		if m := b.read(); m.Command == "PRIVMSG" && m.Param(1) == "still here" {
			break
		}
	}
}

// NUL and bare CR inside a line, invalid UTF-8 and control characters:
// the line is refused or cleaned, and the connection goes on.
func TestBadInput(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice")
	b := tn.register("bob")
	a.joinChan("#x")
	b.joinChan("#x")
	a.expect("JOIN", "#x")
	b.send("PRIVMSG #x :nul\x00here")
	b.expect("NOTICE", "bob")
	b.send("PRIVMSG #x :bad \xff utf8")
	b.expect("FAIL", "PRIVMSG", "INVALID_UTF8") // UTF8ONLY: refused, not relayed
	b.send("PRIVMSG #x :\x02bold\x02 \x1b[31mred")
	m := a.expect("PRIVMSG", "#x")
	if m.Param(1) != "bold [31mred" {
		t.Fatalf("got %q", m.Param(1))
	}
	b.send("PING still")
	b.expect("PONG", "irc.test", "still")
}
