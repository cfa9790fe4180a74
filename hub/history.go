package hub

import (
	"container/list"
	"sync"
	"unsafe"
)

// DefaultHistoryBytes is the memory MemoryHistory may use in all, unless
// told otherwise: enough for thousands of busy rooms, and a bound on what
// clients creating room after room can make a hub hold.
const DefaultHistoryBytes = 64 << 20

// MemoryHistory keeps the latest events of each room in memory. It is the
// default History; it forgets everything when the process ends. Each room
// keeps a ring of recent events, and all rooms together stay within a byte
// budget: when it is exceeded, the rooms written to least recently are
// forgotten first (a forgotten room that comes back numbers its events
// from 1 again).
type MemoryHistory struct {
	per    int
	budget int

	mu    sync.Mutex
	rooms map[string]*list.Element // of *ring, by folded room name; guarded by mu
	lru   list.List                // most recently written first; guarded by mu
	bytes int                      // estimated size of all rings; guarded by mu
}

type ring struct {
	name   string // folded room name
	events []Event
	next   int // index of the oldest event once full
	last   uint64
	bytes  int
}

// NewMemoryHistory keeps up to perRoom events per room, within
// DefaultHistoryBytes in all.
func NewMemoryHistory(perRoom int) *MemoryHistory {
	return NewMemoryHistoryBytes(perRoom, DefaultHistoryBytes)
}

// NewMemoryHistoryBytes keeps up to perRoom events per room and about
// budget bytes of events in all.
func NewMemoryHistoryBytes(perRoom, budget int) *MemoryHistory {
	return &MemoryHistory{per: perRoom, budget: budget, rooms: map[string]*list.Element{}}
}

// eventSize estimates the memory one stored event holds.
func eventSize(ev *Event) int {
	return int(unsafe.Sizeof(*ev)) + len(ev.Room) + len(ev.From) + len(ev.To) + len(ev.Text)
}

// Append implements History.
func (h *MemoryHistory) Append(ev *Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	name := fold(ev.Room)
	el := h.rooms[name]
	if el == nil {
		el = h.lru.PushFront(&ring{name: name})
		h.rooms[name] = el
	} else {
		h.lru.MoveToFront(el)
	}
	r := el.Value.(*ring)
	r.last = ev.Seq
	size := eventSize(ev)
	if len(r.events) < h.per {
		r.events = append(r.events, *ev)
	} else {
		size -= eventSize(&r.events[r.next])
		r.events[r.next] = *ev
		r.next = (r.next + 1) % h.per
	}
	r.bytes += size
	h.bytes += size
	h.evict()
	return nil
}

// evict forgets the least recently written rooms while over budget,
// never the one just written. h.mu must be held.
func (h *MemoryHistory) evict() {
	for h.bytes > h.budget && h.lru.Len() > 1 {
		r := h.lru.Remove(h.lru.Back()).(*ring)
		delete(h.rooms, r.name)
		h.bytes -= r.bytes
	}
}

// find returns the ring of room, or nil. h.mu must be held.
func (h *MemoryHistory) find(room string) *ring {
	if el := h.rooms[fold(room)]; el != nil {
		return el.Value.(*ring)
	}
	return nil
}

// Recent implements History.
func (h *MemoryHistory) Recent(room string, n int) ([]Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.find(room)
	if r == nil || n <= 0 {
		return nil, nil
	}
	ordered := append(append([]Event(nil), r.events[r.next:]...), r.events[:r.next]...)
	if n < len(ordered) {
		ordered = ordered[len(ordered)-n:]
	}
	return ordered, nil
}

// LastSeq implements History.
func (h *MemoryHistory) LastSeq(room string) (uint64, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.find(room); r != nil {
		return r.last, nil
	}
	return 0, nil
}
