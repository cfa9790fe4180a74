package cluster_test

import (
	"testing"

	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/cluster/clustertest"
	"github.com/hubcat/hubcat/hub"
)

// The stream is the history: Since, Before and Last answer per room,
// with the sequence numbers the hubs applied.
func TestHistoryFromTheStream(t *testing.T) {
	nats := clustertest.Start(t, 1)
	c, h := dial(t, cluster.Config{URLs: nats.URLs(), HubID: "h"})
	for n := range 30 {
		for _, room := range []string{"a", "b"} {
			if err := order(c, msg("h", room, n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	applied := h.waitFor(t, "a", 30)
	seqs := func(evs []hub.Event) (out []uint64) {
		for _, ev := range evs {
			out = append(out, ev.Seq)
		}
		return out
	}
	want := seqs(applied)
	check := func(what string, evs []hub.Event, err error, from, to int) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if got := seqs(evs); len(got) != to-from || (len(got) > 0 && (got[0] != want[from] || got[len(got)-1] != want[to-1])) {
			t.Fatalf("%s: seqs %v, want %v", what, got, want[from:to])
		}
		for i, ev := range evs {
			if ev.Room != "a" || ev.Text != applied[from+i].Text || ev.ID != applied[from+i].ID {
				t.Fatalf("%s: event %d is %+v", what, i, ev)
			}
		}
	}
	evs, err := c.Since("a", 0, 1000)
	check("since 0", evs, err, 0, 30)
	evs, err = c.Since("A", want[9], 5)
	check("since 10th", evs, err, 10, 15)
	evs, err = c.Since("a", want[29], 5)
	check("since last", evs, err, 30, 30)
	evs, err = c.Before("a", want[20], 7)
	check("before 21st", evs, err, 13, 20)
	evs, err = c.Before("a", 0, 4)
	check("latest", evs, err, 26, 30)
	evs, err = c.Before("a", want[2], 50)
	check("before 3rd", evs, err, 0, 2)
	if last, err := c.Last("a"); err != nil || last != want[29] {
		t.Fatalf("Last = %d, %v; want %d", last, err, want[29])
	}
	if last, err := c.Last("empty"); err != nil || last != 0 {
		t.Fatalf("Last(empty) = %d, %v", last, err)
	}
}
