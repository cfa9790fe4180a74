package hub

import "sync"

// MemoryHistory keeps the latest events of each room in memory. It is the
// default History; it forgets everything when the process ends.
type MemoryHistory struct {
	per int

	mu    sync.Mutex
	rooms map[string]*ring // by folded room name; guarded by mu
}

type ring struct {
	events []Event
	next   int // index of the oldest event once full
	last   uint64
}

// NewMemoryHistory keeps up to perRoom events per room.
func NewMemoryHistory(perRoom int) *MemoryHistory {
	return &MemoryHistory{per: perRoom, rooms: map[string]*ring{}}
}

// Append implements History.
func (h *MemoryHistory) Append(ev *Event) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[fold(ev.Room)]
	if r == nil {
		r = &ring{}
		h.rooms[fold(ev.Room)] = r
	}
	r.last = ev.Seq
	if len(r.events) < h.per {
		r.events = append(r.events, *ev)
		return nil
	}
	r.events[r.next] = *ev
	r.next = (r.next + 1) % h.per
	return nil
}

// Recent implements History.
func (h *MemoryHistory) Recent(room string, n int) ([]Event, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := h.rooms[fold(room)]
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
	if r := h.rooms[fold(room)]; r != nil {
		return r.last, nil
	}
	return 0, nil
}
