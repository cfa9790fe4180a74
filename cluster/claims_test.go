package cluster_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/cluster/clustertest"
	"github.com/hubcat/hubcat/hub"
)

// Two hubs race for the same names: each name goes to exactly one, the
// loser's claim fails with hub.ErrNameTaken, and a released name can be
// taken by the other.
func TestOneClaimWins(t *testing.T) {
	nats := clustertest.Start(t, 3)
	a, _ := dial(t, cluster.Config{URLs: []string{nats.URL(0)}, Replicas: 3, HubID: "a"})
	b, _ := dial(t, cluster.Config{URLs: []string{nats.URL(1)}, Replicas: 3, HubID: "b"})
	for n := range 20 {
		name := fmt.Sprintf("név%d", n)
		var errA, errB error
		var wg sync.WaitGroup
		wg.Go(func() { errA = a.Claim(name, "a/1") })
		wg.Go(func() { errB = b.Claim(name, "b/1") })
		wg.Wait()
		if (errA == nil) == (errB == nil) {
			t.Fatalf("%s: a got %v, b got %v; want exactly one winner", name, errA, errB)
		}
		loser, lerr, winner, holder := b, errB, a, "a/1"
		if errA != nil {
			loser, lerr, winner, holder = a, errA, b, "b/1"
		}
		if !errors.Is(lerr, hub.ErrNameTaken) {
			t.Fatalf("%s: loser got %v", name, lerr)
		}
		if err := winner.Claim(name, holder); err != nil {
			t.Fatalf("%s: the holder claiming again: %v", name, err)
		}
		winner.Release(name, holder) // one Claim still holds it
		if err := loser.Claim(name, "x/2"); !errors.Is(err, hub.ErrNameTaken) {
			t.Fatalf("%s: claimed while held once more: %v", name, err)
		}
		winner.Release(name, holder)
		if err := loser.Claim(name, "x/2"); err != nil {
			t.Fatalf("%s: after release: %v", name, err)
		}
	}
}

// A hub's names outlive their TTL while it refreshes them, and come free
// a TTL after it dies.
func TestClaimsOfADeadHubExpire(t *testing.T) {
	nats := clustertest.Start(t, 1)
	const ttl = time.Second
	a, _ := dial(t, cluster.Config{URLs: nats.URLs(), HubID: "a", ClaimTTL: ttl})
	b, _ := dial(t, cluster.Config{URLs: nats.URLs(), HubID: "b", ClaimTTL: ttl})
	if err := a.Claim("alice", "a/1"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * ttl) // the refreshes must keep it through several TTLs
	if err := b.Claim("alice", "b/1"); !errors.Is(err, hub.ErrNameTaken) {
		t.Fatalf("claim of a refreshed name: %v", err)
	}
	a.Crash()
	deadline := time.Now().Add(10 * ttl)
	for {
		err := b.Claim("alice", "b/1")
		if err == nil {
			break
		}
		if !errors.Is(err, hub.ErrNameTaken) || time.Now().After(deadline) {
			t.Fatalf("name of a dead hub still taken after %v: %v", 10*ttl, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
