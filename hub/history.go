package hub

import (
	"container/list"
	"sync"
	"unsafe"
)

// DefaultHistoryBytes is the memory the recent-events cache may use in
// all: enough for thousands of busy rooms, and a bound on what clients
// creating room after room can make a hub hold.
const DefaultHistoryBytes = 64 << 20

// recentCache keeps the latest applied events of each room in memory: the
// whole history of a hub without a Log, and the fast path for joins and
// resumes with one. Each room keeps a ring of recent events, and all rooms
// together stay within a byte budget: when it is exceeded, the rooms
// written to least recently are forgotten first, and a single room that
// alone exceeds it loses its oldest events. What a ring has forgotten is
// remembered as a high-water mark, so a query can say that it is
// incomplete. Rooms call it under their lock; it has its own.
type recentCache struct {
	per    int
	budget int

	mu    sync.Mutex
	rooms map[string]*list.Element // of *ring, by room key; guarded by mu
	lru   list.List                // most recently written first; guarded by mu
	bytes int                      // estimated size of all rings; guarded by mu
}

type ring struct {
	key     string
	events  []Event // oldest at next once full
	next    int
	n       int    // events held
	forgot  uint64 // the ring knows nothing at or below this Seq
	dropped bool   // events were dropped from the ring
	last    uint64 // highest Seq appended
	bytes   int
}

func newRecentCache(perRoom, budget int) *recentCache {
	return &recentCache{per: max(perRoom, 1), budget: budget, rooms: map[string]*list.Element{}}
}

// eventSize estimates the memory one stored event holds.
func eventSize(ev *Event) int {
	return int(unsafe.Sizeof(*ev)) + len(ev.Room) + len(ev.From) + len(ev.To) + len(ev.Text) + len(ev.ID) + len(ev.Origin)
}

// append stores a copy of each event of the room keyed key.
func (c *recentCache) append(key string, events []Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.rooms[key]
	if el == nil {
		// A new ring knows nothing before its first event (the room was
		// forgotten, or the hub restarted): earlier events are the Log's.
		el = c.lru.PushFront(&ring{key: key, events: make([]Event, 0, min(c.per, 16)), forgot: events[0].Seq - 1})
		c.rooms[key] = el
	} else {
		c.lru.MoveToFront(el)
	}
	r := el.Value.(*ring)
	for i := range events {
		ev := &events[i]
		ev.Batch = nil
		size := eventSize(ev)
		if r.n < c.per {
			if len(r.events) < c.per {
				r.events = append(r.events, *ev)
			} else {
				r.events[(r.next+r.n)%c.per] = *ev
			}
			r.n++
		} else {
			old := &r.events[r.next]
			size -= eventSize(old)
			r.forgot, r.dropped = old.Seq, true
			*old = *ev
			r.next = (r.next + 1) % c.per
		}
		r.last = ev.Seq
		r.bytes += size
		c.bytes += size
	}
	c.evict(r)
}

// evict forgets the least recently written rooms while over budget, then
// the oldest events of written itself. c.mu must be held.
func (c *recentCache) evict(written *ring) {
	for c.bytes > c.budget && c.lru.Len() > 1 {
		r := c.lru.Remove(c.lru.Back()).(*ring)
		delete(c.rooms, r.key)
		c.bytes -= r.bytes
	}
	for c.bytes > c.budget && written.n > 1 {
		old := &written.events[written.next]
		size := eventSize(old)
		written.forgot, written.dropped = old.Seq, true
		*old = Event{}
		written.next = (written.next + 1) % len(written.events)
		written.n--
		written.bytes -= size
		c.bytes -= size
	}
}

// at returns the i-th oldest event of r.
func (r *ring) at(i int) *Event { return &r.events[(r.next+i)%len(r.events)] }

// since returns up to limit events of the room with Seq > after, oldest
// first, and whether they are all there are (nothing after `after` was
// forgotten). With more than limit, the oldest limit are returned.
func (c *recentCache) since(key string, after uint64, limit int) (evs []Event, complete bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.rooms[key]
	if el == nil {
		return nil, false
	}
	r := el.Value.(*ring)
	complete = r.forgot <= after
	for i := 0; i < r.n && len(evs) < limit; i++ {
		if ev := r.at(i); ev.Seq > after {
			evs = append(evs, *ev)
		}
	}
	return evs, complete
}

// before returns the latest limit events with Seq < before, oldest first,
// and whether older ones exist: here or dropped from the ring (more), or
// possibly, from before the ring's first event (unknown).
func (c *recentCache) before(key string, before uint64, limit int) (evs []Event, more, unknown bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el := c.rooms[key]
	if el == nil {
		return nil, false, true
	}
	r := el.Value.(*ring)
	end := r.n
	for end > 0 && r.at(end-1).Seq >= before {
		end--
	}
	start := max(0, end-limit)
	for i := start; i < end; i++ {
		evs = append(evs, *r.at(i))
	}
	return evs, start > 0 || r.dropped, r.forgot > 0
}

// last reports the highest Seq the cache saw for the room, or 0.
func (c *recentCache) last(key string) uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el := c.rooms[key]; el != nil {
		return el.Value.(*ring).last
	}
	return 0
}
