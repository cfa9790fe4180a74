package cluster_test

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/cluster/clustertest"
)

// joinRooms joins c to rooms and waits for each answer.
func (c *jclient) joinRooms(rooms ...string) {
	c.t.Helper()
	for _, room := range rooms {
		id := c.cmd(map[string]any{"cmd": "join", "room": room})
		ev := c.next(func(ev map[string]any) bool { return ev["client_id"] == id })
		if ev["type"] != "members" {
			c.t.Fatalf("%s: join %s: %v", c.name, room, ev)
		}
	}
}

// collect reads events until c has seen n messages in each of rooms,
// counting its own by their acks (a JSON client gets an ack, not an
// echo), and returns each room's event IDs in sequence order and the IDs
// acknowledged to c.
func (c *jclient) collect(n int, rooms []string, ids []string) (seen map[string][]string, acked []string) {
	c.t.Helper()
	bySeq := map[string]map[uint64]string{}
	for _, r := range rooms {
		bySeq[r] = map[uint64]string{}
	}
	last := map[string]uint64{}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	record := func(ev map[string]any) {
		room, seq, id := ev["room"].(string), seqOf(ev), ev["id"].(string)
		if old, dup := bySeq[room][seq]; dup {
			c.t.Fatalf("%s: %s seq %d twice: %s and %s", c.name, room, seq, old, id)
		}
		bySeq[room][seq] = id
	}
	done := func() bool {
		for _, r := range rooms {
			if len(bySeq[r]) < n {
				return false
			}
		}
		return len(acked) == len(ids)
	}
	for !done() {
		ev := c.next(func(map[string]any) bool { return true })
		switch ev["type"] {
		case "message":
			room := ev["room"].(string)
			if s := seqOf(ev); s <= last[room] {
				c.t.Fatalf("%s: %s seq %d after %d", c.name, room, s, last[room])
			}
			last[room] = seqOf(ev)
			record(ev)
		case "ack":
			if id, _ := ev["client_id"].(string); want[id] {
				acked = append(acked, ev["id"].(string))
				record(ev)
			}
		case "error":
			c.t.Fatalf("%s: %v", c.name, ev)
		}
	}
	seen = map[string][]string{}
	for _, r := range rooms {
		seqs := slices.Sorted(maps.Keys(bySeq[r]))
		for _, s := range seqs {
			seen[r] = append(seen[r], bySeq[r][s])
		}
	}
	return seen, acked
}

// Clients on three hubs, over three NATS nodes with R3, talk in several
// rooms: each sees every message once, all in the same order, each
// sender gets an ack for each, and /who lists the members on other hubs.
func TestChatAcrossHubs(t *testing.T) {
	nats := clustertest.Start(t, 3)
	rooms := []string{"dev", "ops"}
	var clients []*jclient
	for i, nick := range []string{"alice", "bob", "carol"} {
		th := startHub(t, nats, i, cluster.Config{})
		c := connect(t, th, nick)
		if c.name != nick {
			t.Fatalf("hello name %q, want %q", c.name, nick)
		}
		c.joinRooms(rooms...)
		clients = append(clients, c)
	}
	const per = 15
	seen := make([]map[string][]string, len(clients))
	acked := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i, c := range clients {
		var ids []string
		for n := range per {
			for _, room := range rooms {
				ids = append(ids, c.cmd(map[string]any{"cmd": "say", "room": room, "text": fmt.Sprintf("%s %d", c.name, n)}))
			}
		}
		wg.Go(func() {
			s, acks := c.collect(len(clients)*per, rooms, ids)
			mu.Lock()
			defer mu.Unlock()
			seen[i] = s
			for _, id := range acks {
				if acked[id] {
					t.Errorf("%s acknowledged twice", id)
				}
				acked[id] = true
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for _, room := range rooms {
		for i := range clients {
			if !slices.Equal(seen[i][room], seen[0][room]) {
				t.Fatalf("%s: %s saw\n%v\n%s saw\n%v", room, clients[i].name, seen[i][room], clients[0].name, seen[0][room])
			}
		}
		if n := len(seen[0][room]); n != len(clients)*per {
			t.Fatalf("%s: %d messages, want %d", room, n, len(clients)*per)
		}
	}
	if len(acked) != len(clients)*per*len(rooms) {
		t.Fatalf("%d distinct acks, want %d", len(acked), len(clients)*per*len(rooms))
	}
	id := clients[0].cmd(map[string]any{"cmd": "who", "room": "dev"})
	who := clients[0].next(func(ev map[string]any) bool { return ev["client_id"] == id })
	if fmt.Sprint(who["members"]) != "[alice bob carol]" {
		t.Fatalf("who dev on alice's hub: %v", who)
	}
}

// Two clients on two hubs ask for one name at the same moment: exactly
// one gets it, the other is told name_taken and keeps its guest name.
func TestNameRaceAcrossHubs(t *testing.T) {
	nats := clustertest.Start(t, 3)
	h0, h1 := startHub(t, nats, 0, cluster.Config{}), startHub(t, nats, 1, cluster.Config{})
	for round := range 5 {
		name := fmt.Sprintf("zed%d", round)
		a, b := connect(t, h0, ""), connect(t, h1, "")
		results := make([]map[string]any, 2)
		var wg sync.WaitGroup
		for i, c := range []*jclient{a, b} {
			id := c.cmd(map[string]any{"cmd": "nick", "name": name})
			wg.Go(func() {
				results[i] = c.next(func(ev map[string]any) bool {
					// a rename of an earlier round may come late: match this one
					return ev["client_id"] == id || ev["type"] == "rename" && ev["from"] == c.name && ev["name"] == name
				})
			})
		}
		wg.Wait()
		won := 0
		for i, ev := range results {
			switch {
			case ev["type"] == "rename" && ev["name"] == name:
				won++
			case ev["type"] != "error" || ev["code"] != "name_taken":
				t.Fatalf("%s: client %d told %v", name, i, ev)
			}
		}
		if won != 1 {
			t.Fatalf("%s: %d clients got it, want 1: %v", name, won, results)
		}
	}
}
