package irc_test

import (
	"strings"
	"testing"

	"github.com/hubcat/hubcat/irc"
)

// IRC and nc users talk in one room; /me is CTCP ACTION both ways.
func TestMixedRoom(t *testing.T) {
	tn := start(t, irc.Config{})
	nc := tn.dialNC()
	nc.send("/nick carol")
	nc.skipUntil("now known as carol")
	a := tn.register("alice")
	names := a.joinChan("#lobby")
	if !contains(names, "carol") {
		t.Fatalf("names = %q", names)
	}
	nc.skipUntil("alice joined lobby")

	a.send("PRIVMSG #lobby :hello from irc")
	nc.skipUntil("<alice> hello from irc")
	a.send("PRIVMSG #lobby :\x01ACTION waves\x01")
	nc.skipUntil("* alice waves")

	nc.send("hi from nc")
	m := a.expect("PRIVMSG", "#lobby", "hi from nc")
	if !strings.HasPrefix(m.Source, "carol!") {
		t.Fatalf("source %q", m.Source)
	}
	nc.send("/me nods")
	a.expect("PRIVMSG", "#lobby", "\x01ACTION nods\x01")

	a.send("PRIVMSG carol :psst")
	nc.skipUntil("*alice* psst")
	nc.send("/msg alice back at you")
	a.expect("PRIVMSG", "alice", "back at you")

	a.send("NICK alicia")
	a.expect("NICK", "alicia")
	nc.skipUntil("alice is now known as alicia")
}

// A line longer than IRC allows reaches IRC users as several PRIVMSGs.
func TestLongMessageSplit(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice")
	a.joinChan("#lobby")
	nc := tn.dialNC()
	long := strings.Repeat("é", 900) // 1800 bytes
	nc.send(long)
	var got string
	for len(got) < len(long) {
		m := a.read()
		if m.Command == "JOIN" {
			continue
		}
		if m.Command != "PRIVMSG" {
			t.Fatalf("got %q", m.String())
		}
		got += m.Param(1)
	}
	if got != long {
		t.Fatalf("reassembled text differs: %d bytes, want %d", len(got), len(long))
	}
}

func TestMessageErrors(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice")
	b := tn.register("bob")
	b.joinChan("#busy")
	a.send("PRIVMSG nobody :hi")
	a.expect("401", "alice", "nobody")
	a.send("PRIVMSG #nowhere :hi")
	a.expect("403", "alice", "#nowhere")
	a.send("PRIVMSG #busy :hi")
	a.expect("404", "alice", "#busy")
	a.send("NOTICE nobody :hi") // NOTICE never gets an error back
	if before := a.sync(); len(before) != 0 {
		t.Fatalf("NOTICE errors: %q", before[0].String())
	}
}

func TestEchoMessage(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice", "echo-message")
	b := tn.register("bob")
	a.joinChan("#e")
	b.joinChan("#e")
	a.expect("JOIN", "#e")
	a.send("PRIVMSG #e :echoed")
	m := a.expect("PRIVMSG", "#e", "echoed")
	if !strings.HasPrefix(m.Source, "alice!") {
		t.Fatalf("echo source %q", m.Source)
	}
	b.expect("PRIVMSG", "#e", "echoed")
	b.send("PRIVMSG #e :not echoed")
	a.expect("PRIVMSG", "#e", "not echoed")
	if before := b.sync(); len(before) != 0 {
		t.Fatalf("bob got %q without echo-message", before[0].String())
	}
}

func TestServerTime(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice", "server-time")
	a.joinChan("#t")
	nc := tn.dialNC()
	nc.send("/join t", "timed")
	m := a.skipUntil("PRIVMSG")
	if v, ok := m.Tag("time"); !ok || len(v) != len("2006-01-02T15:04:05.000Z") {
		t.Fatalf("time tag %q in %q", v, m.String())
	}
}

func TestQueries(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice")
	b := tn.register("bob")
	a.joinChan("#q")
	b.joinChan("#q")
	b.send("AWAY :lunch")
	b.expect("306", "bob")
	a.send("WHO #q")
	seen := map[string]string{}
	for {
		m := a.read()
		if m.Command == "315" {
			break
		}
		if m.Command == "352" {
			seen[m.Param(5)] = m.Param(6)
		}
	}
	if seen["alice"] != "H@" || seen["bob"] != "G" { // the first to join is the operator
		t.Fatalf("WHO flags %v", seen)
	}
	a.send("WHOIS bob")
	a.expect("311", "alice", "bob")
	a.expect("312", "alice", "bob")
	a.expect("301", "alice", "bob", "lunch")
	a.expect("318", "alice", "bob")
	a.send("WHOIS ghost")
	a.expect("401", "alice", "ghost")
	a.expect("318", "alice", "ghost")
	a.send("ISON bob ghost ALICE")
	a.expect("303", "alice", "bob alice")
	a.send("USERHOST bob")
	if m := a.expect("302", "alice"); !strings.HasPrefix(m.Param(1), "bob=-") {
		t.Fatalf("USERHOST %q", m.String())
	}
	a.send("PRIVMSG bob :are you there")
	a.expect("301", "alice", "bob", "lunch")
	b.expect("PRIVMSG", "bob", "are you there")
	b.send("AWAY")
	b.expect("305", "bob")
}
