package cluster_test

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/cluster/clustertest"
)

// sender orders numbered messages into room until stop, recording which
// were acknowledged.
type sender struct {
	c     *cluster.Cluster
	id    string
	room  string
	acked []string
	fails atomic.Int64
}

func (s *sender) run(stop <-chan struct{}) {
	for n := 0; ; n++ {
		select {
		case <-stop:
			return
		default:
		}
		ev := msg(s.id, s.room, n)
		if err := order(s.c, ev); err != nil {
			if !errors.Is(err, cluster.ErrUnavailable) {
				panic(fmt.Sprintf("order failed with %v, not ErrUnavailable", err))
			}
			s.fails.Add(1)
			continue
		}
		s.acked = append(s.acked, ev.ID)
	}
}

// checkAcked fails unless every acknowledged ID is among the hub's
// events of the room, and the events are unique and increasing.
func checkAcked(t *testing.T, h *fakeHub, room string, acked []string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		evs := h.events(room)
		have := map[string]bool{}
		for k, ev := range evs {
			if have[ev.ID] {
				t.Fatalf("%s applied twice", ev.ID)
			}
			have[ev.ID] = true
			if k > 0 && ev.Seq <= evs[k-1].Seq {
				t.Fatalf("seq %d after %d", ev.Seq, evs[k-1].Seq)
			}
		}
		missing := 0
		for _, id := range acked {
			if !have[id] {
				missing++
			}
		}
		if missing == 0 {
			return
		}
		select {
		case <-h.change:
		case <-deadline:
			t.Fatalf("%d of %d acknowledged events never applied", missing, len(acked))
		}
	}
}

// A NATS node dies under traffic: the hubs connected to it fail over,
// publishing goes on after the stream's leader is re-elected, and no
// acknowledged event is lost, duplicated or reordered.
func TestNATSNodeKilled(t *testing.T) {
	nats := clustertest.Start(t, 3)
	var hs []*fakeHub
	var ss []*sender
	for i := range 3 {
		c, h := dial(t, cluster.Config{URLs: nats.URLs(), Replicas: 3, HubID: fmt.Sprintf("h%d", i), Timeout: 2 * time.Second})
		hs = append(hs, h)
		ss = append(ss, &sender{c: c, id: fmt.Sprintf("h%d", i), room: "lobby"})
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Go(func() { s.run(stop) })
	}
	hs[0].waitFor(t, "lobby", 30)
	nats.Kill(0)
	n := len(hs[1].events("lobby"))
	hs[1].waitFor(t, "lobby", n+60) // traffic continues on two nodes
	close(stop)
	wg.Wait()
	var acked []string
	for _, s := range ss {
		acked = append(acked, s.acked...)
	}
	for _, h := range hs {
		checkAcked(t, h, "lobby", acked)
	}
	checkSame(t, "lobby", len(hs[0].events("lobby")), hs...)
}

// NATS stops entirely: ordering fails at once with ErrUnavailable and
// the hub is told; when NATS is back the hub rejoins by itself and
// applies what it missed, and nothing acknowledged is lost.
func TestNATSStoppedAndRestarted(t *testing.T) {
	nats := clustertest.Start(t, 1)
	status := make(chan bool, 16)
	c, h := dial(t, cluster.Config{URLs: nats.URLs(), HubID: "a", OnStatus: func(up bool) { status <- up }})
	otherUp := make(chan bool, 16)
	other, _ := dial(t, cluster.Config{URLs: nats.URLs(), HubID: "b", OnStatus: func(up bool) { otherUp <- up }})
	var acked []string
	for n := range 10 {
		ev := msg("a", "lobby", n)
		if err := order(c, ev); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, ev.ID)
	}
	nats.StopAll()
	if up := <-status; up {
		t.Fatal("told up, want down")
	}
	if err := order(c, msg("a", "lobby", 100)); !errors.Is(err, cluster.ErrUnavailable) {
		t.Fatalf("order while NATS is down: %v", err)
	}
	if _, err := c.Since("lobby", 0, 10); !errors.Is(err, cluster.ErrUnavailable) {
		t.Fatalf("history while NATS is down: %v", err)
	}
	nats.Restart(0)
	nats.WaitLeader()
	for _, ch := range []chan bool{status, otherUp, otherUp} {
		<-ch // a: up; b: down, up
	}
	if !c.Up() || !other.Up() {
		t.Fatal("a hub is not back")
	}
	for n := range 10 { // another hub publishes; this one must see it
		ev := msg("b", "lobby", n)
		if err := order(other, ev); err != nil {
			t.Fatal(err)
		}
		acked = append(acked, ev.ID)
	}
	checkAcked(t, h, "lobby", acked)
	if got := len(h.events("lobby")); got != 20 {
		t.Fatalf("%d events applied, want 20", got)
	}
}
