// Package storetest checks that a [hub.Log] keeps the contract the hub
// relies on. Each implementation's tests call [Run] with a constructor.
package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
)

// Open returns a fresh, empty log for one subtest; the caller's cleanup
// closes it.
type Open func(t *testing.T) hub.Log

// Run runs the contract's subtests against logs made by open.
func Run(t *testing.T, open Open) {
	for _, c := range []struct {
		name string
		fn   func(*testing.T, hub.Log)
	}{
		{"AppendThenQuery", testAppendThenQuery},
		{"DoneInOrder", testDoneInOrder},
		{"CopiesEvents", testCopiesEvents},
		{"SinceBefore", testSinceBefore},
		{"RoomsApart", testRoomsApart},
		{"ConcurrentRooms", testConcurrentRooms},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, open(t)) })
	}
}

// Msg builds message seq of room with the fields the hub sets.
func Msg(room string, seq uint64) hub.Event {
	return hub.Event{
		Kind: hub.KindMessage, Room: room, Seq: seq,
		ID: fmt.Sprintf("h1-%s-%d", room, seq), Origin: "h1",
		Time: time.Unix(1_700_000_000, int64(seq)).UTC(),
		From: "alice", Text: fmt.Sprintf("line %d", seq),
	}
}

// AppendWait appends events and waits for done (20 s at most).
func AppendWait(l hub.Log, events ...hub.Event) error {
	ch := make(chan error, 1)
	l.Append(events, func(err error) { ch <- err })
	select {
	case err := <-ch:
		return err
	case <-time.After(20 * time.Second):
		return errors.New("storetest: done not called within 20s")
	}
}

// Same reports how got differs from want, field by field ("" if equal);
// times compare by instant.
func Same(got, want []hub.Event) string {
	if len(got) != len(want) {
		return fmt.Sprintf("got %d events, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Time.Equal(w.Time) {
			return fmt.Sprintf("event %d: time %v, want %v", i, g.Time, w.Time)
		}
		g.Time, w.Time = time.Time{}, time.Time{}
		if g != w {
			return fmt.Sprintf("event %d:\n got %+v\nwant %+v", i, g, w)
		}
	}
	return ""
}

func testAppendThenQuery(t *testing.T, l hub.Log) {
	want := []hub.Event{
		Msg("lobby", 1),
		{Kind: hub.KindJoin, Room: "lobby", Seq: 2, ID: "h1-2", Origin: "h1", Time: time.Unix(5, 0), From: "bob"},
		{Kind: hub.KindAction, Room: "lobby", Seq: 3, ID: "h1-3", Origin: "h1", Time: time.Unix(6, 0), From: "bob", Text: "waves"},
		{Kind: hub.KindRename, Room: "lobby", Seq: 4, ID: "h1-4", Origin: "h1", Time: time.Unix(7, 0), From: "bob", Text: "robert"},
		{Kind: hub.KindLeave, Room: "lobby", Seq: 5, ID: "h1-5", Origin: "h1", Time: time.Unix(8, 0), From: "robert", Reason: hub.ClientQuit},
	}
	if err := AppendWait(l, want...); err != nil {
		t.Fatalf("Append: %v", err)
	}
	got, err := l.Since("lobby", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if d := Same(got, want); d != "" {
		t.Fatalf("Since: %s", d)
	}
	if last, err := l.Last("lobby"); err != nil || last != 5 {
		t.Fatalf("Last = %d, %v; want 5", last, err)
	}
	if last, err := l.Last("nowhere"); err != nil || last != 0 {
		t.Fatalf("Last of an unknown room = %d, %v; want 0", last, err)
	}
}

func testDoneInOrder(t *testing.T, l hub.Log) {
	const n = 200
	var mu sync.Mutex
	var order []uint64
	var wg sync.WaitGroup
	wg.Add(n)
	for seq := uint64(1); seq <= n; seq++ {
		l.Append([]hub.Event{Msg("r", seq)}, func(err error) {
			if err != nil {
				t.Errorf("seq %d: %v", seq, err)
			}
			mu.Lock()
			order = append(order, seq)
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	for i, seq := range order {
		if seq != uint64(i+1) {
			t.Fatalf("done calls out of order: %v", order)
		}
	}
}

func testCopiesEvents(t *testing.T, l hub.Log) {
	evs := []hub.Event{Msg("r", 1)}
	ch := make(chan error, 1)
	l.Append(evs, func(err error) { ch <- err })
	evs[0] = Msg("elsewhere", 99) // the hub reuses its slice
	if err := <-ch; err != nil {
		t.Fatal(err)
	}
	got, err := l.Since("r", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := Same(got, []hub.Event{Msg("r", 1)}); d != "" {
		t.Fatal(d)
	}
}

func testSinceBefore(t *testing.T, l hub.Log) {
	var all []hub.Event
	for seq := uint64(1); seq <= 50; seq++ {
		all = append(all, Msg("r", seq))
	}
	if err := AppendWait(l, all...); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		q    func() ([]hub.Event, error)
		want []hub.Event
	}{
		{"Since(10,5)", func() ([]hub.Event, error) { return l.Since("r", 10, 5) }, all[10:15]},
		{"Since(45,100)", func() ([]hub.Event, error) { return l.Since("r", 45, 100) }, all[45:]},
		{"Since(50,10)", func() ([]hub.Event, error) { return l.Since("r", 50, 10) }, nil},
		{"Before(11,5)", func() ([]hub.Event, error) { return l.Before("r", 11, 5) }, all[5:10]},
		{"Before(3,10)", func() ([]hub.Event, error) { return l.Before("r", 3, 10) }, all[:2]},
		{"Before(51,3)", func() ([]hub.Event, error) { return l.Before("r", 51, 3) }, all[47:]},
	} {
		got, err := c.q()
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if d := Same(got, c.want); d != "" {
			t.Errorf("%s: %s", c.name, d)
		}
	}
	// A log that can trim reads the same events, and nothing was trimmed.
	if tl, ok := l.(hub.TrimmingLog); ok {
		for _, after := range []uint64{0, 10, 50} {
			got, complete, err := tl.SinceComplete("r", after, 5)
			want, _ := l.Since("r", after, 5)
			if err != nil || !complete {
				t.Errorf("SinceComplete(%d): complete=%v, %v; want complete", after, complete, err)
			}
			if d := Same(got, want); d != "" {
				t.Errorf("SinceComplete(%d) differs from Since: %s", after, d)
			}
		}
		if got, complete, err := tl.SinceComplete("none", 3, 5); err != nil || !complete || len(got) != 0 {
			t.Errorf("SinceComplete of an unknown room: %v, complete=%v, %v", got, complete, err)
		}
	}
}

func testRoomsApart(t *testing.T, l hub.Log) {
	if err := AppendWait(l, Msg("a", 1), Msg("a", 2)); err != nil {
		t.Fatal(err)
	}
	if err := AppendWait(l, Msg("b", 7)); err != nil {
		t.Fatal(err)
	}
	got, err := l.Since("b", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := Same(got, []hub.Event{Msg("b", 7)}); d != "" {
		t.Fatal(d)
	}
	if last, _ := l.Last("a"); last != 2 {
		t.Fatalf("Last(a) = %d, want 2", last)
	}
}

func testConcurrentRooms(t *testing.T, l hub.Log) {
	const rooms, per = 8, 100
	var wg sync.WaitGroup
	for r := range rooms {
		room := fmt.Sprintf("room%d", r)
		wg.Go(func() {
			for seq := uint64(1); seq <= per; seq++ {
				if err := AppendWait(l, Msg(room, seq)); err != nil {
					t.Errorf("%s %d: %v", room, seq, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for r := range rooms {
		room := fmt.Sprintf("room%d", r)
		got, err := l.Since(room, 0, 2*per)
		if err != nil || len(got) != per {
			t.Fatalf("%s: %d events, %v; want %d", room, len(got), err, per)
		}
		for i, ev := range got {
			if ev.Seq != uint64(i+1) {
				t.Fatalf("%s: event %d has seq %d", room, i, ev.Seq)
			}
		}
	}
}
