package hub

import (
	"runtime"
	"slices"
	"sync"
)

// flushList collects the outboxes whose writer role a fan-out claimed, to
// be flushed once the room lock is released.
type flushList []*Outbox

var flushLists = sync.Pool{New: func() any { return new(flushList) }}

func newFlushList() *flushList { return flushLists.Get().(*flushList) }

// run flushes every claimed outbox and recycles the list.
func (l *flushList) run() {
	l.flush()
	flushLists.Put(l)
}

// parallelFlushMin is the number of outboxes per goroutine above which a
// flush is spread over the machine's cores: a big room's members are
// written to in parallel. Each outbox is still flushed by one goroutine,
// the holder of its writer role, so every member's order is kept; the
// caller does not wait for the other parts.
const parallelFlushMin = 256

// flush flushes every claimed outbox and empties the list for reuse.
func (l *flushList) flush() {
	list := *l
	if parts := min(runtime.GOMAXPROCS(0), len(list)/parallelFlushMin); parts > 1 {
		size := (len(list) + parts - 1) / parts
		for start := size; start < len(list); start += size {
			go flushAll(slices.Clone(list[start:min(start+size, len(list))]))
		}
		list = list[:size]
	}
	flushAll(list)
	clear(*l)
	*l = (*l)[:0]
}

func flushAll(outboxes []*Outbox) {
	for _, o := range outboxes {
		o.flush()
	}
}

// Room is a named group of members that hear each other.
type Room struct {
	hub  *Hub
	name string

	mu      sync.Mutex
	members []*Member   // guarded by mu
	seq     uint64      // last sequence number used; guarded by mu
	dead    bool        // removed from the hub after its last member left; guarded by mu
	renders []rendering // per-event render cache, reused; guarded by mu
	nrender int         // valid entries in renders; guarded by mu
}

type rendering struct {
	f Format
	b []byte
}

func newRoom(h *Hub, name string) *Room {
	r := &Room{hub: h, name: name}
	if last, err := h.cfg.History.LastSeq(name); err == nil {
		r.seq = last
	}
	return r
}

// Name is the room's display name.
func (r *Room) Name() string { return r.name }

func (r *Room) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members)
}

// Presence describes who was in a room when a member joined it.
type Presence struct {
	Names []string // some of those already there: at most MaxListed
	Total int      // how many were there
}

// MaxListed bounds the names a Presence lists.
const MaxListed = 20

// add puts m in the room, announces it to the others and reports who was
// there. ok is false if the room died meanwhile.
func (r *Room) add(m *Member) (p Presence, ok bool) {
	fl := newFlushList()
	defer fl.run()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.dead {
		return p, false
	}
	p.Total = len(r.members)
	for _, o := range r.members[:min(len(r.members), MaxListed)] {
		p.Names = append(p.Names, o.Name())
	}
	r.members = append(r.members, m)
	r.announceLocked(&Event{Kind: KindJoin, From: m.Name()}, m, fl)
	return p, true
}

// announceLocked publishes a join, leave or rename unless the room is too
// big for announcements. r.mu must be held.
func (r *Room) announceLocked(ev *Event, from *Member, fl *flushList) {
	if limit := r.hub.cfg.AnnounceLimit; limit < 0 || len(r.members) <= limit {
		r.publishLocked(ev, from, fl)
	}
}

// remove takes m out of the room, announcing why unless the hub is
// closing, and retires the room when it empties.
func (r *Room) remove(m *Member, reason CloseReason) {
	fl := newFlushList()
	defer fl.run()
	r.mu.Lock()
	i := slices.Index(r.members, m)
	if i < 0 {
		r.mu.Unlock()
		return
	}
	r.members = slices.Delete(r.members, i, i+1)
	if !r.hub.closing.Load() {
		r.announceLocked(&Event{Kind: KindLeave, From: m.Name(), Reason: reason}, m, fl)
	}
	empty := len(r.members) == 0
	r.mu.Unlock()
	if empty {
		r.hub.retire(r)
	}
}

// announce is announceLocked for callers without the lock.
func (r *Room) announce(ev *Event, from *Member) {
	fl := newFlushList()
	r.mu.Lock()
	r.announceLocked(ev, from, fl)
	r.mu.Unlock()
	fl.run()
}

// publish sequences a burst of events from one member and delivers them,
// as one block per recipient, to every member but from; then it flushes.
func (r *Room) publish(burst []Event, from *Member) {
	fl := newFlushList()
	r.mu.Lock()
	for i := range burst {
		r.recordLocked(&burst[i])
	}
	r.fanOutLocked(burst, from, fl)
	r.mu.Unlock()
	// Before writing inline, let other publishers that are ready run
	// first: what they add to the outboxes this one claimed goes out in the
	// same writes, so a busy room makes fewer, larger writes. An idle
	// scheduler returns at once. (Outboxes with writer goroutines are not
	// claimed, and yielding to those goroutines would only shrink batches.)
	if len(*fl) > 0 {
		runtime.Gosched()
	}
	fl.run()
}

// publishLocked sequences, stores and fans out one event. r.mu must be
// held; the caller runs fl after releasing it.
func (r *Room) publishLocked(ev *Event, from *Member, fl *flushList) {
	r.recordLocked(ev)
	r.fanOutLocked([]Event{*ev}, from, fl)
}

// recordLocked gives ev the room's next sequence number and hands it to
// the history and the bus. r.mu must be held.
func (r *Room) recordLocked(ev *Event) {
	r.seq++
	ev.Seq, ev.Room = r.seq, r.name
	if ev.Time.IsZero() {
		ev.Time = r.hub.now()
	}
	if err := r.hub.cfg.History.Append(ev); err != nil {
		r.hub.log.Warn("history append failed", "room", r.name, "err", err)
	}
	if bus := r.hub.cfg.Bus; bus != nil {
		if err := bus.Publish(ev); err != nil {
			r.hub.log.Warn("bus publish failed", "room", r.name, "err", err)
		}
	}
}

// deliverRemote fans out an event sequenced by another hub.
func (r *Room) deliverRemote(ev *Event) {
	fl := newFlushList()
	r.mu.Lock()
	r.seq = max(r.seq, ev.Seq)
	r.fanOutLocked([]Event{*ev}, nil, fl)
	r.mu.Unlock()
	fl.run()
}

// fanOutLocked renders the burst once per format and queues it to every
// member but from, adding the outboxes it must flush to fl. r.mu must be
// held.
func (r *Room) fanOutLocked(burst []Event, from *Member, fl *flushList) {
	r.nrender = 0
	for _, m := range r.members {
		if m == from {
			continue
		}
		ok, claimed := m.out.push(r.renderLocked(m.Format(), burst))
		switch {
		case !ok:
			m.cutOff(SlowConsumer)
		case claimed:
			*fl = append(*fl, m.out)
		}
	}
}

// renderLocked returns the burst encoded in f, encoding it at most once
// per publish. r.mu must be held.
func (r *Room) renderLocked(f Format, burst []Event) []byte {
	for i := range r.nrender {
		if r.renders[i].f == f {
			return r.renders[i].b
		}
	}
	if r.nrender == len(r.renders) {
		r.renders = append(r.renders, rendering{})
	}
	rr := &r.renders[r.nrender]
	r.nrender++
	rr.f, rr.b = f, rr.b[:0]
	for i := range burst {
		rr.b = f.Append(rr.b, &burst[i])
	}
	return rr.b
}

// names lists the members' names.
func (r *Room) names() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, len(r.members))
	for i, m := range r.members {
		out[i] = m.Name()
	}
	slices.SortFunc(out, compareFold)
	return out
}

// retire removes an empty room from the hub so unused names cost nothing.
func (h *Hub) retire(r *Room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.members) == 0 && h.rooms[fold(r.name)] == r {
		r.dead = true
		delete(h.rooms, fold(r.name))
	}
}
