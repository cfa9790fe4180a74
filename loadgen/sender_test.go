package loadgen

import "testing"

// Each message is observed by the other members in turn, never by its
// sender; the window opens only over messages observed in a row from the
// first, and a message whose observer has gone does not hold it shut.
func TestWindowWaitsForEachMessagesObserver(t *testing.T) {
	members := make([]*client, 4)
	for i := range members {
		members[i] = &client{id: i}
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
		if !s.observes(o, seq) {
			t.Fatalf("observes disagrees with observer for message %d", seq)
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
