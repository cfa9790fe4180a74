package loadgen

import "testing"

// Each message is observed by the other members in turn, never by its
// sender; the window opens only over messages observed in a row from the
// first, and a message whose observer has gone does not hold it shut.
func TestWindowWaitsForEachMessagesObserver(t *testing.T) {
	members := make([]*client, 4)
	for i := range members {
		members[i] = &client{id: i, pos: i}
		members[i].alive.Store(true)
	}
	const window = 4
	s := newSender(0, members, 1, true, window)
	seen := map[int]bool{}
	for seq := range 3 * (len(members) - 1) {
		o := s.observer(seq)
		if o == s.c {
			t.Fatalf("message %d is observed by its own sender", seq)
		}
		seen[o.id] = true
		for _, c := range members {
			first := s.firstObserved(c)
			observes := first >= 0 && seq >= first && (seq-first)%s.observerStep() == 0
			if observes != (c == o) {
				t.Fatalf("member %d observes message %d: %v; its observer is %d", c.id, seq, observes, o.id)
			}
		}
	}
	if len(seen) != len(members)-1 {
		t.Fatalf("observers %v, want every other member", seen)
	}

	s.seq.Store(window)
	check := func(want int, what string) {
		t.Helper()
		if got := s.room(window); got != want {
			t.Fatalf("%s: room %d, want %d", what, got, want)
		}
	}
	check(0, "nothing observed")
	s.ack(1, 0)
	check(0, "message 1 observed before message 0")
	s.ack(0, 0)
	check(2, "messages 0 and 1 observed")
	s.observer(2).alive.Store(false)
	check(3, "message 2's observer gone")
}
