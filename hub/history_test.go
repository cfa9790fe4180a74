package hub

import (
	"fmt"
	"strings"
	"testing"
)

func TestMemoryHistoryForgetsLeastRecentRoomsOverBudget(t *testing.T) {
	text := strings.Repeat("x", 1000)
	one := eventSize(&Event{Room: "room-0000", From: "mallory", Text: text})
	h := NewMemoryHistoryBytes(100, 10*one)
	for i := range 5000 { // one line in each of 5,000 rooms
		ev := Event{Room: fmt.Sprintf("room-%04d", i), Seq: 1, From: "mallory", Text: text}
		h.Append(&ev)
		if h.bytes > 10*one {
			t.Fatalf("after %d rooms the history holds %d bytes, over its budget of %d", i+1, h.bytes, 10*one)
		}
	}
	if got := len(h.rooms); got != 10 {
		t.Errorf("%d rooms kept, want the 10 that fit", got)
	}
	if evs, _ := h.Recent("room-0000", 10); evs != nil {
		t.Error("the first room's history was kept")
	}
	if seq, _ := h.LastSeq("ROOM-4999"); seq != 1 {
		t.Errorf("the newest room's last seq is %d, want 1", seq)
	}

	// Writing to a room keeps it: the least recently written goes instead.
	h.Append(&Event{Room: "room-4990", Seq: 2, From: "alice", Text: text})
	h.Append(&Event{Room: "room-5000", Seq: 1, From: "alice", Text: text})
	if evs, _ := h.Recent("room-4990", 10); len(evs) != 2 {
		t.Errorf("room-4990 kept %d events, want 2", len(evs))
	}
	if evs, _ := h.Recent("room-4991", 10); evs != nil {
		t.Error("room-4991, the least recently written, was kept")
	}
}

func TestMemoryHistoryRingReplacesBytes(t *testing.T) {
	h := NewMemoryHistoryBytes(3, DefaultHistoryBytes)
	for i := range 100 {
		h.Append(&Event{Room: "lobby", Seq: uint64(i + 1), From: "bob", Text: strings.Repeat("y", i)})
	}
	want := 0
	for i := 97; i < 100; i++ {
		want += eventSize(&Event{Room: "lobby", From: "bob", Text: strings.Repeat("y", i)})
	}
	if h.bytes != want {
		t.Errorf("history counts %d bytes for its three events, want %d", h.bytes, want)
	}
}
