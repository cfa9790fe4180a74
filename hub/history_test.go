package hub

import (
	"fmt"
	"strings"
	"testing"
)

func TestRecentCacheForgetsLeastRecentRoomsOverBudget(t *testing.T) {
	text := strings.Repeat("x", 1000)
	one := eventSize(&Event{Room: "room-0000", From: "mallory", Text: text})
	c := newRecentCache(100, 10*one)
	for i := range 5000 { // one line in each of 5,000 rooms
		key := fmt.Sprintf("room-%04d", i)
		c.append(key, []Event{{Room: key, Seq: 1, From: "mallory", Text: text}})
		if c.bytes > 10*one {
			t.Fatalf("after %d rooms the cache holds %d bytes, over its budget of %d", i+1, c.bytes, 10*one)
		}
	}
	if got := len(c.rooms); got != 10 {
		t.Errorf("%d rooms kept, want the 10 that fit", got)
	}
	if evs, complete := c.since("room-0000", 0, 10); evs != nil || complete {
		t.Error("the first room's events were kept, or claimed complete")
	}
	if seq := c.last("room-4999"); seq != 1 {
		t.Errorf("the newest room's last seq is %d, want 1", seq)
	}
}

// One room written far past the budget keeps within it by forgetting its
// own oldest events, and says so.
func TestRecentCacheBoundsTheRoomBeingWritten(t *testing.T) {
	text := strings.Repeat("y", 1000)
	one := eventSize(&Event{Room: "big", From: "bob", Text: text})
	c := newRecentCache(1000, 20*one)
	for i := range 500 {
		c.append("big", []Event{{Room: "big", Seq: uint64(i + 1), From: "bob", Text: text}})
	}
	if c.bytes > 20*one {
		t.Fatalf("one room holds %d bytes, over the budget of %d", c.bytes, 20*one)
	}
	evs, complete := c.since("big", 400, 1000)
	if complete || len(evs) == 0 || evs[len(evs)-1].Seq != 500 {
		t.Fatalf("since 400: %d events, complete %v", len(evs), complete)
	}
	if evs, complete := c.since("big", 495, 1000); !complete || len(evs) != 5 {
		t.Fatalf("since 495: %d events, complete %v; want 5, true", len(evs), complete)
	}
	evs, more, _ := c.before("big", 500, 3)
	if len(evs) != 3 || evs[0].Seq != 497 || !more {
		t.Fatalf("before 500: %v, more %v", evs, more)
	}
}

func TestRecentCacheRingReplacesBytes(t *testing.T) {
	c := newRecentCache(3, DefaultHistoryBytes)
	for i := range 100 {
		c.append("lobby", []Event{{Room: "lobby", Seq: uint64(i + 1), From: "bob", Text: strings.Repeat("y", i)}})
	}
	want := 0
	for i := 97; i < 100; i++ {
		want += eventSize(&Event{Room: "lobby", From: "bob", Text: strings.Repeat("y", i)})
	}
	if c.bytes != want {
		t.Errorf("cache counts %d bytes for its three events, want %d", c.bytes, want)
	}
}
