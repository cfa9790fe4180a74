package irc_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hubcat/hubcat/irc"
)

// joinChan joins ch and reads through the echo and the names list,
// returning the names without their status prefixes.
func (c *ircClient) joinChan(ch string) []string {
	c.t.Helper()
	c.send("JOIN " + ch)
	c.expect("JOIN", ch)
	var names []string
	for {
		m := c.read()
		switch m.Command {
		case "353":
			for _, n := range strings.Fields(m.Param(3)) {
				names = append(names, strings.TrimLeft(n, "@+"))
			}
		case "366":
			return names
		case "332", "333":
		default:
			c.t.Fatalf("%s: %q while joining %s", c.nick, m.String(), ch)
		}
	}
}

func TestJoinNamesPart(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice")
	b := tn.register("bob")
	if names := a.joinChan("#lobby"); !contains(names, "alice") {
		t.Fatalf("names = %q", names)
	}
	names := b.joinChan("#lobby")
	if !contains(names, "alice") || !contains(names, "bob") {
		t.Fatalf("names = %q", names)
	}
	m := a.expect("JOIN", "#lobby")
	if !strings.HasPrefix(m.Source, "bob!") {
		t.Fatalf("join source %q", m.Source)
	}
	b.send("NAMES #lobby")
	if m := b.expect("353", "bob", "=", "#lobby"); !strings.Contains(m.Param(3), "alice") {
		t.Fatalf("NAMES: %q", m.String())
	}
	b.expect("366", "bob", "#lobby")
	b.send("PART #lobby")
	b.expect("PART", "#lobby")
	a.expect("PART", "#lobby")
	b.send("PART #lobby")
	b.expect("442", "bob", "#lobby")
	b.send("PART lobby")
	b.expect("403", "bob", "lobby")
	b.send("JOIN nohash")
	b.expect("403", "bob", "nohash")
}

func TestChannelQueries(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice")
	a.joinChan("#room")
	a.send("MODE #room")
	a.expect("324", "alice", "#room")
	a.expect("329", "alice", "#room")
	a.send("MODE #room b")
	a.expect("368", "alice", "#room")
	b := tn.register("bob")
	b.joinChan("#room")
	b.send("MODE #room +o bob")
	b.expect("482", "bob", "#room")
	a.expect("JOIN", "#room")
	a.send("MODE #nowhere")
	a.expect("403", "alice", "#nowhere")
	a.send("TOPIC #room")
	a.expect("331", "alice", "#room")
	a.send("LIST")
	a.expect("321", "alice")
	a.expect("322", "alice", "#room", "2")
	a.expect("323", "alice")
	a.send("MODE alice")
	a.expect("221", "alice", "+")
	a.send("MODE alice +i")
	a.expect("MODE", "alice", "+i")
	a.send("MODE alice +x")
	a.expect("501", "alice")
	a.send("MODE nobody +i")
	a.expect("401", "alice", "nobody")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestChannelLimit(t *testing.T) {
	tn := start(t, irc.Config{})
	a := tn.register("alice")
	var chans []string
	for i := range 101 {
		chans = append(chans, "#c"+strconv.Itoa(i))
	}
	a.send("JOIN " + strings.Join(chans, ","))
	for m := a.read(); m.Command != "405"; m = a.read() {
		if m.Command == "JOIN" && m.Param(0) == "#c100" {
			t.Fatal("joined a 101st channel")
		}
	}
	a.send("LIST")
	n := 0
	for m := a.skipUntil("321"); m.Command != "323"; m = a.read() {
		if m.Command == "322" {
			n++
		}
	}
	if n != 100 {
		t.Fatalf("in %d channels, want 100", n)
	}
}
