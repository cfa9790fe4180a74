package cluster_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/cluster/clustertest"
)

// sayAll has c say n numbered lines in room and returns the acked
// event IDs, in order.
// presence waits for a join or leave (typ) of name in room.
func (c *jclient) presence(typ, name, room string) {
	c.t.Helper()
	c.next(func(ev map[string]any) bool { return ev["type"] == typ && ev["from"] == name && ev["room"] == room })
}

func (c *jclient) sayAll(room string, from, n int) []string {
	c.t.Helper()
	var ids []string
	for k := from; k < from+n; k++ {
		ids = append(ids, c.cmd(map[string]any{"cmd": "say", "room": room, "text": fmt.Sprintf("line %d", k)}))
	}
	var out []string
	for _, id := range ids {
		ev := c.reply(id)
		if ev["type"] != "ack" {
			c.t.Fatalf("%s: say: %v", c.name, ev)
		}
		out = append(out, ev["id"].(string))
	}
	return out
}

// who returns the members of room as c's hub lists them.
func (c *jclient) who(room string) []any {
	c.t.Helper()
	id := c.cmd(map[string]any{"cmd": "who", "room": room})
	ev := c.next(func(ev map[string]any) bool { return ev["client_id"] == id })
	members, _ := ev["members"].([]any)
	return members
}

// messages reads n message events of room, returning their IDs and the
// last seq.
func (c *jclient) messages(room string, n int) (ids []string, last uint64) {
	c.t.Helper()
	for range n {
		ev := c.next(func(ev map[string]any) bool { return ev["type"] == "message" && ev["room"] == room })
		ids = append(ids, ev["id"].(string))
		last = seqOf(ev)
	}
	return ids, last
}

// A hub dies; its client reconnects to another hub and resumes the room
// from the last seq it saw: it gets exactly what it missed, then live
// events, and its name comes free once the dead hub's claim expires.
func TestHubKilledClientResumes(t *testing.T) {
	nats := clustertest.Start(t, 3)
	cfg := cluster.Config{ClaimTTL: 2 * time.Second}
	h0, h1 := startHub(t, nats, 0, cfg), startHub(t, nats, 1, cfg)
	alice, bob := connect(t, h0, "alice"), connect(t, h1, "bob")
	bob.joinRooms("dev")
	alice.joinRooms("dev")
	bob.presence("join", "alice", "dev")
	sent := bob.sayAll("dev", 0, 10)
	got, last := alice.messages("dev", 10)
	h0.kill()
	bob.presence("leave", "alice", "dev") // the dead hub's members are seen to leave
	if who := fmt.Sprint(bob.who("dev")); who != "[bob]" {
		t.Fatalf("bob's room after alice's hub died: %s", who)
	}
	sent = append(sent, bob.sayAll("dev", 10, 10)...)

	alice = connect(t, h1, "")
	id := alice.cmd(map[string]any{"cmd": "join", "room": "dev", "after": last})
	hist := alice.next(func(ev map[string]any) bool { return ev["type"] == "history" && ev["room"] == "dev" })
	if hist["complete"] != true {
		t.Fatalf("resume history incomplete: %v", hist)
	}
	for _, e := range hist["events"].([]any) {
		ev := e.(map[string]any)
		if seqOf(ev) <= last {
			t.Fatalf("history event seq %d at or before the resume point %d", seqOf(ev), last)
		}
		if ev["type"] == "message" {
			got = append(got, ev["id"].(string))
		}
	}
	alice.next(func(ev map[string]any) bool { return ev["client_id"] == id })
	sent = append(sent, bob.sayAll("dev", 20, 5)...)
	live, _ := alice.messages("dev", 5)
	got = append(got, live...)
	if !slices.Equal(got, sent) {
		t.Fatalf("alice saw\n%v\nbob sent\n%v", got, sent)
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		id := alice.cmd(map[string]any{"cmd": "nick", "name": "alice"})
		ev := alice.next(func(ev map[string]any) bool {
			return ev["client_id"] == id || ev["type"] == "rename" && ev["name"] == "alice"
		})
		if ev["type"] == "rename" {
			break
		}
		if ev["code"] != "name_taken" || time.Now().After(deadline) {
			t.Fatalf("taking back the name: %v", ev)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// NATS stops entirely under two hubs: their members stay connected and
// are refused with "unavailable" what cannot be ordered; when NATS is
// back, talk across the hubs resumes with nothing acknowledged lost.
func TestHubsRideOutNATSRestart(t *testing.T) {
	nats := clustertest.Start(t, 1)
	h0, h1 := startHub(t, nats, 0, cluster.Config{}), startHub(t, nats, 1, cluster.Config{})
	alice, bob := connect(t, h0, "alice"), connect(t, h1, "bob")
	alice.joinRooms("dev")
	bob.joinRooms("dev")
	sent := alice.sayAll("dev", 0, 5)
	got, _ := bob.messages("dev", 5)

	nats.StopAll()
	waitUntil(t, "down", func() bool { return !h0.c.Up() && !h1.c.Up() })
	id := alice.cmd(map[string]any{"cmd": "say", "room": "dev", "text": "into the void"})
	if ev := alice.reply(id); ev["code"] != "unavailable" {
		t.Fatalf("say without NATS: %v", ev)
	}

	nats.Restart(0)
	nats.WaitLeader()
	waitUntil(t, "up", func() bool { return h0.c.Up() && h1.c.Up() })
	sent = append(sent, alice.sayAll("dev", 5, 5)...)
	more, _ := bob.messages("dev", 5)
	if got = append(got, more...); !slices.Equal(got, sent) {
		t.Fatalf("bob saw\n%v\nalice sent\n%v", got, sent)
	}
}

// A NATS node dies under two hubs while a member talks: the hub on it
// fails over, the member's messages are acknowledged or refused with
// "unavailable", and the other hub's member sees every acknowledged one
// once, in order.
func TestHubsRideOutANATSNodeDying(t *testing.T) {
	nats := clustertest.Start(t, 3)
	h0, h1 := startHub(t, nats, 0, cluster.Config{Timeout: 2 * time.Second}), startHub(t, nats, 1, cluster.Config{Timeout: 2 * time.Second})
	alice, bob := connect(t, h0, "alice"), connect(t, h1, "bob")
	alice.joinRooms("dev")
	bob.joinRooms("dev")
	node := slices.Index(nats.URLs(), h0.c.Server())
	if node < 0 {
		t.Fatalf("hub 0 is connected to %q, not a node", h0.c.Server())
	}
	var acked []string
	refused, killed := 0, false
	for n := 0; len(acked) < 60; n++ {
		if len(acked) == 20 && !killed {
			nats.Kill(node) // the node alice's hub is connected to
			killed = true
		}
		id := alice.cmd(map[string]any{"cmd": "say", "room": "dev", "text": fmt.Sprintf("line %d", n)})
		switch ev := alice.reply(id); {
		case ev["type"] == "ack":
			acked = append(acked, ev["id"].(string))
		case ev["code"] == "unavailable":
			refused++
		default:
			t.Fatalf("say: %v", ev)
		}
	}
	seen := map[string]bool{}
	var last uint64
	for _, want := range acked {
		for !seen[want] {
			ev := bob.next(func(ev map[string]any) bool { return ev["type"] == "message" && ev["room"] == "dev" })
			id := ev["id"].(string)
			if seen[id] || seqOf(ev) <= last {
				t.Fatalf("bob got %s (seq %d) again or out of order after seq %d", id, seqOf(ev), last)
			}
			seen[id], last = true, seqOf(ev)
		}
	}
	if h0.c.Server() == nats.URL(node) {
		t.Fatal("hub 0 still connected to the dead node")
	}
	t.Logf("%d acknowledged, %d refused while the node was failing over", len(acked), refused)
}
