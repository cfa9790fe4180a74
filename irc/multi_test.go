package irc_test

import (
	"strings"
	"testing"

	"github.com/hubcat/hubcat/irc"
)

// One namespace: an IRC nick collides with an nc user's name under IRC
// casemapping, and the other way round.
func TestNamesShared(t *testing.T) {
	tn := start(t, irc.Config{})
	nc := tn.dialNC()
	nc.send("/nick Carol")
	nc.skipUntil("now known as Carol")
	c := tn.dial()
	c.send("NICK cAROL")
	c.expect("433", "*", "cAROL")
	c.send("NICK dave[m]", "USER d 0 * :D")
	c.expect("001", "dave[m]")
	nc.send("/nick DAVE{M}")
	nc.skipUntil("taken")
}

// Several channels at once; an observer sharing both sees one NICK and one
// QUIT.
func TestMultiChannel(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice")
	b := tn.register("bob")
	a.send("JOIN #one,#two")
	a.expect("JOIN", "#one")
	a.skipUntil("366")
	a.expect("JOIN", "#two")
	a.skipUntil("366")
	b.joinChan("#one")
	b.joinChan("#two")
	a.expect("JOIN", "#one")
	a.expect("JOIN", "#two")
	a.send("PRIVMSG #two :in two")
	b.expect("PRIVMSG", "#two", "in two")
	a.send("NICK alicia")
	a.expect("NICK", "alicia")
	b.expect("NICK", "alicia")
	a.send("PART #one")
	a.expect("PART", "#one")
	b.expect("PART", "#one")
	a.send("QUIT :bye")
	m := b.expect("QUIT")
	if !strings.HasPrefix(m.Source, "alicia!") {
		t.Fatalf("QUIT from %q", m.Source)
	}
	if rest := b.sync(); len(rest) != 0 {
		t.Fatalf("after the QUIT: %q", rest[0].String())
	}
}

// JOIN replays recent messages after the names, in a chathistory batch
// with their times for clients that asked.
func TestHistoryOnJoin(t *testing.T) {
	tn := start(t, irc.Config{})
	nc := tn.dialNC()
	nc.send("/nick carol", "/join hist", "first", "/me second", "third")
	a := tn.register("alice", "server-time", "batch", "message-tags")
	nc.send("/msg alice marker")
	a.expect("PRIVMSG", "alice", "marker") // carol's lines are in
	a.send("JOIN #hist")
	a.expect("JOIN", "#hist")
	a.skipUntil("366")
	start := a.expect("BATCH")
	id := strings.TrimPrefix(start.Param(0), "+")
	if start.Param(1) != "chathistory" || start.Param(2) != "#hist" || id == start.Param(0) {
		t.Fatalf("batch start %q", start.String())
	}
	for _, want := range []string{"first", "\x01ACTION second\x01", "third"} {
		m := a.expect("PRIVMSG", "#hist", want)
		if v, _ := m.Tag("batch"); v != id {
			t.Fatalf("batch tag %q in %q", v, m.String())
		}
		if _, ok := m.Tag("time"); !ok {
			t.Fatalf("no time in %q", m.String())
		}
		if v, _ := m.Tag("msgid"); v == "" {
			t.Fatalf("no msgid in %q", m.String())
		}
	}
	a.expect("BATCH", "-"+id)
	// Without capabilities, the same lines come plain.
	b := tn.register("bob")
	b.send("JOIN #hist")
	b.expect("JOIN", "#hist")
	b.skipUntil("366")
	m := b.expect("PRIVMSG", "#hist", "first")
	if len(m.Tags) != 0 {
		t.Fatalf("tags without capabilities: %q", m.String())
	}
}

// echo-message also covers private messages, with the message's ID.
func TestEchoPrivate(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice", "echo-message", "message-tags")
	b := tn.register("bob", "message-tags")
	a.send("PRIVMSG bob :hi bob")
	echo := a.expect("PRIVMSG", "bob", "hi bob")
	got := b.expect("PRIVMSG", "bob", "hi bob")
	e, _ := echo.Tag("msgid")
	g, _ := got.Tag("msgid")
	if e == "" || e != g {
		t.Fatalf("msgid of the echo %q, of the message %q", e, g)
	}
}

func TestAwayNotify(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice", "away-notify")
	b := tn.register("bob")
	a.joinChan("#w")
	b.joinChan("#w")
	a.expect("JOIN", "#w")
	b.send("AWAY :brb")
	b.expect("306", "bob")
	if m := a.expect("AWAY", "brb"); !strings.HasPrefix(m.Source, "bob!") {
		t.Fatalf("AWAY from %q", m.Source)
	}
	b.send("AWAY")
	if m := a.expect("AWAY"); len(m.Params) != 0 {
		t.Fatalf("back: %q", m.String())
	}
}

func TestUserhostInNames(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice", "userhost-in-names")
	if names := a.joinChan("#u"); !contains(names, "alice!alice@irc.test") {
		t.Fatalf("names %q", names)
	}
}
