package cluster_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/cluster/clustertest"
	"github.com/hubcat/hubcat/hub"
)

// fakeHub records what the cluster applies, room by room.
type fakeHub struct {
	mu     sync.Mutex
	rooms  map[string][]hub.Event
	change chan struct{}
}

func newFakeHub() *fakeHub {
	return &fakeHub{rooms: map[string][]hub.Event{}, change: make(chan struct{}, 1)}
}

func (f *fakeHub) Apply(events []hub.Event) {
	f.mu.Lock()
	for _, ev := range events {
		if ev.Room != events[0].Room {
			panic("Apply mixed rooms")
		}
		f.rooms[ev.Room] = append(f.rooms[ev.Room], ev)
	}
	f.mu.Unlock()
	select {
	case f.change <- struct{}{}:
	default:
	}
}

// events returns a copy of room's applied events.
func (f *fakeHub) events(room string) []hub.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.rooms[room])
}

// waitFor waits until room holds n events, failing after 20 seconds.
func (f *fakeHub) waitFor(t *testing.T, room string, n int) []hub.Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		if evs := f.events(room); len(evs) >= n {
			return evs
		}
		select {
		case <-f.change:
		case <-timeout:
			t.Fatalf("room %s: %d events applied, want %d", room, len(f.events(room)), n)
		}
	}
}

// dial connects a hub to NATS and starts its delivery.
func dial(t *testing.T, cfg cluster.Config) (*cluster.Cluster, *fakeHub) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	c, err := cluster.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	h := newFakeHub()
	if err := c.Start(ctx, h); err != nil {
		t.Fatal(err)
	}
	return c, h
}

// order orders events and waits for the outcome.
func order(c *cluster.Cluster, evs ...hub.Event) error {
	errc := make(chan error, 1)
	c.Order(evs, func(err error) { errc <- err })
	return <-errc
}

// msg is a message event from origin, numbered n.
func msg(origin, room string, n int) hub.Event {
	return hub.Event{Kind: hub.KindMessage, Room: room, ID: fmt.Sprintf("%s-%s-%d", origin, room, n), Origin: origin,
		Time: time.Now().UTC().Truncate(time.Millisecond), From: origin, Text: fmt.Sprintf("%s says %d", origin, n)}
}

// checkSame fails unless every hub saw room's events in one order, each
// once, with increasing sequence numbers, and want of them.
func checkSame(t *testing.T, room string, want int, hubs ...*fakeHub) {
	t.Helper()
	ref := hubs[0].waitFor(t, room, want)
	for i, h := range hubs {
		got := h.waitFor(t, room, want)
		if len(got) != want {
			t.Fatalf("hub %d room %s: %d events, want %d", i, room, len(got), want)
		}
		seen := map[string]bool{}
		for k, ev := range got {
			if seen[ev.ID] {
				t.Fatalf("hub %d room %s: %s twice", i, room, ev.ID)
			}
			seen[ev.ID] = true
			if k > 0 && ev.Seq <= got[k-1].Seq {
				t.Fatalf("hub %d room %s: seq %d after %d", i, room, ev.Seq, got[k-1].Seq)
			}
			if ev.ID != ref[k].ID || ev.Seq != ref[k].Seq || ev.Text != ref[k].Text {
				t.Fatalf("hub %d room %s: event %d is %+v, hub 0 has %+v", i, room, k, ev, ref[k])
			}
		}
	}
}

// Three hubs on three R3 nodes publish into three rooms at once: each
// hub applies every room's events once, in the same order, and an event
// ordered twice (a retry) is stored once.
func TestHubsShareOneOrderPerRoom(t *testing.T) {
	nats := clustertest.Start(t, 3)
	var cs []*cluster.Cluster
	var hs []*fakeHub
	for i := range 3 {
		c, h := dial(t, cluster.Config{URLs: []string{nats.URL(i)}, Replicas: 3, HubID: fmt.Sprintf("h%d", i)})
		cs, hs = append(cs, c), append(hs, h)
	}
	rooms := []string{"lobby", "dev", "Ops"}
	const per = 40
	var wg sync.WaitGroup
	for i, c := range cs {
		for _, room := range rooms {
			wg.Go(func() {
				for n := range per {
					ev := msg(fmt.Sprintf("h%d", i), room, n)
					if err := order(c, ev); err != nil {
						t.Errorf("order: %v", err)
					}
				}
			})
		}
	}
	wg.Wait()
	if err := order(cs[0], msg("h0", "lobby", 0)); err != nil { // a retry of an ordered event
		t.Fatal(err)
	}
	for _, room := range rooms {
		checkSame(t, room, 3*per, hs...)
	}
	if got := hs[1].events("Ops")[0].Room; got != "Ops" {
		t.Errorf("room name came back as %q", got)
	}
}
