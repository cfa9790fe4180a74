package hub

import (
	"bytes"
	"errors"
	"math"
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

// Room is a named group of members that hear each other. Its events pass
// three steps, in sequence order: numbered (by the room, or by the
// Sequencer), stored (by the Log, when there is one), applied (cached,
// delivered, acknowledged). See the package documentation.
type Room struct {
	hub  *Hub
	name string
	key  string // folded name

	mu        sync.Mutex
	members   []*Member         // guarded by mu
	seq       uint64            // last sequence number given or applied; guarded by mu
	applied   uint64            // last sequence number delivered; guarded by mu
	dead      bool              // removed from the hub; guarded by mu
	pending   []*batch          // numbered, awaiting the Log, in order; guarded by mu
	submitted int               // pending[:submitted] were handed to the Log; guarded by mu
	appending bool              // someone hands pending batches to the Log; guarded by mu
	acks      map[string]ackTo  // Sequencer: event ID awaiting its ack; guarded by mu
	remote    map[string]string // Sequencer: members on other hubs, by folded name; guarded by mu
	renders   []rendering       // the burst's renderings, one per format; guarded by mu
	nrender   int               // valid entries in renders; guarded by mu
	scratch   []byte            // where renderings are made before they are queued; guarded by mu
	ack       Event             // the ack being rendered, kept to spare an allocation; guarded by mu
	oneID     [1]string         // the client ID of one ordered event being applied; guarded by mu
	mod       moderation        // guarded by mu
	toFlush   flushList         // outboxes stored batches claimed, to flush; guarded by mu
	flushing  bool              // flushStored runs; guarded by mu
}

type rendering struct {
	f Format
	b []byte
}

// batch is a run of events of one room on its way through the Log.
type batch struct {
	events []Event
	from   *Member  // the sender, to acknowledge or tell of a failure
	ids    []string // the client IDs of the events, or nil
	done   bool
	err    error
}

type ackTo struct {
	m        *Member
	clientID string
}

func newRoom(h *Hub, name, key string, last uint64) *Room {
	r := &Room{hub: h, name: name, key: key, seq: last, applied: last}
	r.mod.modes.Created = h.now()
	return r
}

// Name is the room's display name.
func (r *Room) Name() string { return r.name }

func (r *Room) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.members) + len(r.remote)
}

// publish numbers events from one member (or none) and sends them on
// their way: delivered at once without a Log, after it stores them with
// one, after the Sequencer orders them in a cluster. Then it flushes.
func (r *Room) publish(events []Event, from *Member, ids []string) error {
	fl := newFlushList()
	r.mu.Lock()
	if k := events[0].Kind; from != nil && (k == KindMessage || k == KindAction) && !r.mayTalkLocked(from) {
		r.mu.Unlock()
		flushLists.Put(fl)
		return ErrModerated
	}
	next := r.submitLocked(events, from, ids, fl)
	r.mu.Unlock()
	// Before writing inline, let other publishers that are ready run
	// first: what they add to the outboxes this one claimed goes out in the
	// same writes, so a busy room makes fewer, larger writes. An idle
	// scheduler returns at once.
	if len(*fl) > 0 {
		runtime.Gosched()
	}
	fl.run()
	if next != nil {
		next()
	}
	return nil
}

// submitLocked numbers events (unless a Sequencer will) and applies them
// or queues them for the Log or the Sequencer; the returned func, if any,
// must run after r.mu is released. ids, when not nil, are the client IDs
// of the events, for their acks. r.mu must be held.
func (r *Room) submitLocked(events []Event, from *Member, ids []string, fl *flushList) func() {
	h := r.hub
	for i := range events {
		ev := &events[i]
		ev.Room = r.name
		if ev.ID == "" {
			ev.ID = h.newID()
		}
		ev.Origin = h.cfg.ID
		if ev.Time.IsZero() {
			ev.Time = h.now()
		}
	}
	if h.cfg.Sequencer != nil {
		return r.orderLocked(events, from, ids)
	}
	for i := range events {
		r.seq++
		events[i].Seq = r.seq
	}
	if h.cfg.Log == nil {
		r.applyLocked(events, from, ids, fl)
		return nil
	}
	r.pending = append(r.pending, &batch{events: slices.Clone(events), from: from, ids: slices.Clone(ids)})
	h.stats.logPending.Add(int64(len(events)))
	if r.appending {
		return nil
	}
	r.appending = true
	return r.appendPending
}

// appendPending hands pending batches to the Log, one at a time and in
// order, until none is left. It holds the appending role.
func (r *Room) appendPending() {
	for {
		r.mu.Lock()
		if r.submitted == len(r.pending) {
			r.appending = false
			r.mu.Unlock()
			return
		}
		b := r.pending[r.submitted]
		r.submitted++
		r.mu.Unlock()
		r.hub.safeAppend(b.events, func(err error) { r.stored(b, err) })
	}
}

// stored is the Log's answer for b: batches at the head of the queue that
// are done are applied (or refused) in order.
func (r *Room) stored(b *batch, err error) {
	h := r.hub
	fl := &r.toFlush
	r.mu.Lock()
	b.done, b.err = true, err
	for len(r.pending) > 0 && r.pending[0].done {
		b := r.pending[0]
		r.pending[0] = nil
		r.pending = r.pending[1:]
		r.submitted--
		h.stats.logPending.Add(-int64(len(b.events)))
		if b.err != nil {
			h.stats.logFailures.Add(1)
			h.log.Warn("log: events not stored", "room", r.name, "events", len(b.events), "err", b.err)
			if b.from != nil {
				forEachID(b.ids, func(id string) { b.from.failLocked(ErrorCode(ErrNotStored), ErrNotStored.Error(), id, fl) })
			}
			continue
		}
		r.applyLocked(b.events, b.from, b.ids, fl)
	}
	retire := len(r.members) == 0 && len(r.pending) == 0
	start := len(r.toFlush) > 0 && !r.flushing
	r.flushing = r.flushing || start
	r.mu.Unlock()
	if start {
		go r.flushStored()
	}
	if retire {
		h.retire(r)
	}
}

// flushStored writes what stored batches queued, off the Log's goroutine:
// batches stored while it was starting are flushed together, so each
// member gets one write for many messages, as without a Log.
func (r *Room) flushStored() {
	for {
		r.mu.Lock()
		list := r.toFlush
		r.toFlush = nil
		if len(list) == 0 {
			r.flushing = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		list.flush()
	}
}

// orderLocked registers the sender's acks and returns the call that hands
// events to the Sequencer. r.mu must be held.
func (r *Room) orderLocked(events []Event, from *Member, ids []string) func() {
	talk := from != nil && !events[0].Kind.IsPresence()
	if talk {
		if r.acks == nil {
			r.acks = map[string]ackTo{}
		}
		for i := range events {
			r.acks[events[i].ID] = ackTo{from, idAt(ids, i)}
		}
	}
	events, ids = slices.Clone(events), slices.Clone(ids)
	return func() {
		r.hub.safeOrder(events, func(err error) {
			if err == nil {
				return
			}
			if talk {
				r.mu.Lock()
				for i := range events {
					delete(r.acks, events[i].ID)
				}
				r.mu.Unlock()
			}
			r.hub.log.Warn("sequencer: events not ordered", "room", r.name, "err", err)
			if from != nil {
				forEachID(ids, func(id string) { from.Fail(ErrorCode(ErrUnavailable), ErrUnavailable.Error(), id) })
			}
		})
	}
}

// idAt is the client ID of event i of a burst whose IDs are ids (nil: none).
func idAt(ids []string, i int) string {
	if ids == nil {
		return ""
	}
	return ids[i]
}

// forEachID calls f once for each distinct client ID of a burst ("" when
// it has none), to tell the sender of a failure once per request.
func forEachID(ids []string, f func(id string)) {
	if ids == nil {
		f("")
	}
	for i, id := range ids {
		if !slices.Contains(ids[:i], id) {
			f(id)
		}
	}
}

// applyOrdered applies events the Sequencer ordered, skipping any already
// applied, and acknowledges this hub's senders.
func (r *Room) applyOrdered(events []Event) {
	fl := newFlushList()
	r.mu.Lock()
	for i := range events {
		ev := &events[i]
		if ev.Seq <= r.applied {
			continue
		}
		r.seq = max(r.seq, ev.Seq)
		r.trackRemoteLocked(ev)
		to, ok := r.acks[ev.ID]
		delete(r.acks, ev.ID)
		var from *Member
		if ok {
			from = to.m
		} else if ev.Origin == r.hub.cfg.ID {
			// Our member's presence, by the name it has now.
			name := ev.From
			if ev.Kind == KindRename {
				name = ev.Text
			}
			from = r.hub.lookup(name)
		}
		r.oneID[0] = to.clientID
		r.applyLocked(events[i:i+1], from, r.oneID[:], fl)
	}
	r.mu.Unlock()
	fl.run()
}

// trackRemoteLocked keeps the roster of members on other hubs from their
// presence events. r.mu must be held.
func (r *Room) trackRemoteLocked(ev *Event) {
	if ev.Origin == r.hub.cfg.ID || !ev.Kind.IsPresence() {
		return
	}
	if r.remote == nil {
		r.remote = map[string]string{}
	}
	names := r.hub.names
	switch ev.Kind {
	case KindJoin:
		r.remote[names.Fold(ev.From)] = ev.From
	case KindLeave:
		delete(r.remote, names.Fold(ev.From))
	case KindKick:
		delete(r.remote, names.Fold(ev.To))
	case KindRename:
		delete(r.remote, names.Fold(ev.From))
		r.remote[names.Fold(ev.Text)] = ev.Text
	}
}

// applyLocked caches events, delivers them to the members and
// acknowledges each message to its sender, with its client ID (ids, or
// nil). r.mu must be held; the caller runs fl after releasing it.
func (r *Room) applyLocked(events []Event, from *Member, ids []string, fl *flushList) {
	h := r.hub
	last := &events[len(events)-1]
	r.applied = last.Seq
	h.recent.append(r.key, events)
	r.fanOutLocked(events, from, fl)
	if from != nil && (last.Kind == KindMessage || last.Kind == KindAction) {
		h.stats.messagesIn.Add(uint64(len(events)))
		r.scratch = r.scratch[:0]
		for i := range events {
			ev := &events[i]
			r.ack = Event{Kind: KindAck, Room: r.name, Seq: ev.Seq, ID: ev.ID, ClientID: idAt(ids, i), Time: ev.Time}
			r.scratch = from.appendRendered(r.scratch, &r.ack)
		}
		if len(r.scratch) > 0 {
			from.enqueueLocked(from.out.pushCopy(r.scratch), fl)
		}
	}
}

// fanOutLocked renders the burst once per format and queues it to the
// members, adding the outboxes it must flush to fl. Messages skip their
// sender (who gets an ack); a member's own join, leave or rename reaches
// it only if it asked for all presence, and presence reaches members of
// big rooms only then too; topics, modes and kicks reach everyone. A
// member sees a presence event shared by several rooms (a rename, a quit)
// once. r.mu must be held.
func (r *Room) fanOutLocked(events []Event, from *Member, fl *flushList) {
	r.nrender = 0
	kind := events[0].Kind
	if kind == KindMessage || kind == KindAction {
		r.fanOutTalkLocked(events, from, fl)
		return
	}
	presence := kind.IsPresence()
	limit := r.hub.cfg.AnnounceLimit
	quietPresence := presence && limit >= 0 && len(r.members) > limit
	// In a crowd even clients that keep member lists get only their own
	// presence: n joins must not cost n² deliveries.
	crowd := presence && limit >= 0 && len(r.members) > crowdSize
	ownPresence := presence && kind != KindKick // a kicker sees its kick
	sawFrom := false
	var deliveries, bytes uint64
	deliver := func(m *Member) {
		if presence && !m.firstSight(events[0].ID) {
			return
		}
		if n := r.deliverLocked(m, events, fl); n > 0 {
			deliveries++
			bytes += uint64(n)
		}
	}
	for _, m := range r.members {
		if m == from {
			sawFrom = true
			if ownPresence && !m.allPresence.Load() {
				continue
			}
		}
		if quietPresence && !m.allPresence.Load() || crowd && m != from {
			continue
		}
		deliver(m)
	}
	if presence && from != nil && !sawFrom && from.allPresence.Load() {
		deliver(from) // a member that just left still sees its own part
	}
	r.hub.stats.deliveries.Add(deliveries)
	r.hub.stats.bytesQueued.Add(bytes)
}

// crowdSize is the room size above which presence events reach only the
// member they are about; a client that needs the full list asks for it.
const crowdSize = 1000

// fanOutTalkLocked is fanOutLocked for messages and actions, the hot
// path: every member but the sender, no presence rules. r.mu must be
// held.
func (r *Room) fanOutTalkLocked(events []Event, from *Member, fl *flushList) {
	var deliveries, bytes uint64 // counted once: shared atomics per member cost more than the push
	for _, m := range r.members {
		if m == from {
			continue
		}
		if n := r.deliverLocked(m, events, fl); n > 0 {
			deliveries++
			bytes += uint64(n)
		}
	}
	r.hub.stats.deliveries.Add(deliveries)
	r.hub.stats.bytesQueued.Add(bytes)
}

// deliverLocked queues the burst as m must receive it and returns its
// size: the rendering its format shares with the room's other members, or
// a personal one, copied. r.mu must be held.
func (r *Room) deliverLocked(m *Member, events []Event, fl *flushList) int {
	fs := m.formats.Load()
	if fs.personal != nil {
		r.scratch = r.scratch[:0]
		for i := range events {
			r.scratch = r.hub.renderTo(fs.personal, r.scratch, &events[i], m)
		}
		m.enqueueLocked(m.out.pushCopy(r.scratch), fl)
		return len(r.scratch)
	}
	f := fs.f
	if fs.away != nil && m.focus.Load() != r {
		f = fs.away
	}
	b := r.renderLocked(f, events)
	m.enqueueLocked(m.out.push(b), fl)
	return len(b)
}

// renderLocked returns the burst encoded in f, encoding it at most once
// per publish. The bytes are pushed to outboxes as they are, so each
// publish gets new ones, which never change. r.mu must be held.
func (r *Room) renderLocked(f Format, events []Event) []byte {
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
	r.scratch = r.scratch[:0]
	for i := range events {
		r.scratch = r.hub.render(f, r.scratch, &events[i])
	}
	rr.f, rr.b = f, bytes.Clone(r.scratch)
	return rr.b
}

// names lists up to limit of the members' names (the first to have
// joined), sorted, those on other hubs included, and how many there are:
// the lock is held for the copy of at most limit names.
func (r *Room) names(limit int) (names []string, total int) {
	r.mu.Lock()
	total = len(r.members) + len(r.remote)
	out := make([]string, 0, min(total, limit))
	for _, m := range r.members[:min(len(r.members), limit)] {
		out = append(out, m.Name())
	}
	for _, n := range r.remote {
		if len(out) == limit {
			break
		}
		out = append(out, n)
	}
	r.mu.Unlock()
	sortFolded(out, func(s string) string { return s }, r.hub.names.Fold)
	return out, total
}

// has reports whether m is a member. r.mu must be held.
func (r *Room) hasLocked(m *Member) bool { return slices.Contains(r.members, m) }

// resumeLimit bounds the events one join or history request returns.
const resumeLimit = 5000

// JoinOptions say what a joining member receives before live events.
type JoinOptions struct {
	// Resume asks for exactly the events with Seq > After, then live
	// events: no gap, no duplicate.
	Resume bool
	After  uint64
	// Recent, without Resume, asks for up to this many of the latest
	// events (at most 1000).
	Recent int
	// Key is the room's key, if it has one (+k).
	Key string
}

// JoinResult tells a joiner who was there.
type JoinResult struct {
	Room    string   // the room's display name
	Names   []string // some of those already there: at most MaxListed
	Total   int      // how many were there
	Already bool     // the member was in the room before
}

// MaxListed bounds the names a JoinResult lists.
const MaxListed = 20

// join adds m (unless it is there already), queues its history batch, and
// publishes its join. ok is false if the room died meanwhile.
func (r *Room) join(m *Member, opt JoinOptions) (res JoinResult, err error) {
	h := r.hub
	var pre prefetched
	fl := newFlushList()
	for attempt := 0; ; attempt++ {
		r.prefetch(opt, &pre)
		r.mu.Lock()
		if r.dead {
			r.mu.Unlock()
			fl.run()
			return res, errRoomGone
		}
		b, gap := r.historyLocked(opt, &pre)
		if gap && attempt < 5 {
			r.mu.Unlock() // the cache forgot what the Log read ends before: read on
			continue
		}
		if b != nil {
			b.Complete = b.Complete && !gap
			m.pushLocked(&Event{Kind: KindHistory, Room: r.name, Time: h.now(), Batch: b}, fl)
		}
		break
	}
	res = JoinResult{Room: r.name, Already: r.hasLocked(m)}
	if !res.Already {
		if err := r.admitLocked(m, opt.Key); err != nil {
			r.mu.Unlock()
			flushLists.Put(fl) // nothing was queued: a refused join sends no history
			return res, err
		}
	}
	var next func()
	if !res.Already {
		r.enterLocked(m)
		res.Total = len(r.members) + len(r.remote)
		for _, o := range r.members[:min(len(r.members), MaxListed)] {
			res.Names = append(res.Names, o.Name())
		}
		r.members = append(r.members, m)
		next = r.submitLocked([]Event{{Kind: KindJoin, From: m.Name()}}, m, nil, fl)
	}
	r.mu.Unlock()
	fl.run()
	if next != nil {
		next()
	}
	return res, nil
}

// errRoomGone says a room was retired while a member joined it.
var errRoomGone = errors.New("room retired")

// prefetched is what a join read from the Log before taking the room lock.
type prefetched struct {
	events []Event
	full   bool // the Log had more than resumeLimit to give
	gap    bool // the Log no longer holds some events after the resume point
	err    error
}

// prefetch reads from the Log, outside the room lock, the part of a
// join's history the memory cache may no longer hold, continuing after
// what pre already holds.
func (r *Room) prefetch(opt JoinOptions, pre *prefetched) {
	h := r.hub
	if h.cfg.Log == nil || pre.err != nil || pre.full {
		return
	}
	after := opt.After
	if n := len(pre.events); n > 0 {
		after = pre.events[n-1].Seq
	}
	switch {
	case opt.Resume:
		if _, complete := h.recent.since(r.key, after, 1); complete {
			return
		}
		evs, complete, err := h.safeSince(r.name, after, resumeLimit-len(pre.events))
		pre.events, pre.err = append(pre.events, evs...), err
		pre.gap = pre.gap || !complete
		pre.full = len(pre.events) >= resumeLimit
	case opt.Recent > 0 && len(pre.events) == 0:
		want := min(opt.Recent, 1000)
		if evs, more, unknown := h.recent.before(r.key, math.MaxUint64, want); len(evs) == want || !more && !unknown && len(evs) > 0 {
			return
		}
		pre.events, pre.err = h.safeBefore(r.name, math.MaxUint64, want)
	}
}

// historyLocked assembles a join's history: what was prefetched from the
// Log, then from the cache whatever came after it, up to the last applied
// event, so live events follow with no gap. gap reports that the cache
// has forgotten events after the prefetched ones, so the Log must be read
// further. r.mu must be held.
func (r *Room) historyLocked(opt JoinOptions, pre *prefetched) (b *Batch, gap bool) {
	h := r.hub
	if !opt.Resume && opt.Recent <= 0 {
		return nil, false
	}
	b = &Batch{Complete: pre.err == nil && !pre.gap}
	after := opt.After
	// The Log may already hold events not applied yet (stored, their done
	// on its way): those reach the member live, once it is in the room,
	// so the history stops at the last applied event.
	read := pre.events
	if i := slices.IndexFunc(read, func(ev Event) bool { return ev.Seq > r.applied }); i >= 0 {
		read = read[:i]
	}
	if !opt.Resume {
		evs, more, _ := h.recent.before(r.key, math.MaxUint64, min(opt.Recent, 1000))
		if pre.err == nil && len(read) > len(evs) {
			tail, _ := h.recent.since(r.key, read[len(read)-1].Seq, resumeLimit)
			evs, more = append(slices.Clone(read), tail...), true
		}
		b.Events, b.More = evs, more
		return b, false
	}
	if n := len(read); n > 0 {
		b.Events = slices.Clone(read)
		after = read[n-1].Seq
	}
	if pre.full {
		b.Complete = false // more were missed than one resume returns
		return b, false
	}
	evs, complete := h.recent.since(r.key, after, resumeLimit-len(b.Events))
	if !complete && after < r.applied {
		if h.cfg.Log == nil || pre.err != nil {
			b.Complete = false // forgotten, with no Log to ask
		} else {
			return b, true
		}
	}
	b.Events = append(b.Events, evs...)
	return b, false
}

// history answers a history request of a member of the room.
func (r *Room) history(q HistoryQuery) *Batch {
	h := r.hub
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = min(max(limit, 20), 1000)
	}
	b := &Batch{Complete: true}
	if q.After > 0 {
		b.Events, b.Complete = h.recent.since(r.key, q.After, limit)
		if !b.Complete && h.cfg.Log != nil {
			if evs, complete, err := h.safeSince(r.name, q.After, limit); err == nil {
				b.Events, b.Complete = evs, complete
			}
		}
		return b
	}
	before := q.Before
	if before == 0 {
		before = math.MaxUint64
	}
	var unknown bool
	b.Events, b.More, unknown = h.recent.before(r.key, before, limit)
	if len(b.Events) < limit && (b.More || unknown) && h.cfg.Log != nil {
		if evs, err := h.safeBefore(r.name, before, limit+1); err == nil {
			b.More = len(evs) > limit
			b.Events = evs[max(0, len(evs)-limit):]
		}
	}
	return b
}

// remove takes m out of the room and publishes its leave (unless the hub
// is closing), retiring the room when it empties.
func (r *Room) remove(m *Member, ev Event) {
	fl := newFlushList()
	r.mu.Lock()
	i := slices.Index(r.members, m)
	if i < 0 {
		r.mu.Unlock()
		fl.run()
		return
	}
	r.members = slices.Delete(r.members, i, i+1)
	r.leftLocked(m)
	var next func()
	if !r.hub.closing.Load() {
		next = r.submitLocked([]Event{ev}, m, nil, fl)
	}
	empty := len(r.members) == 0 && len(r.pending) == 0
	r.mu.Unlock()
	fl.run()
	if next != nil {
		next()
	}
	if empty {
		r.hub.retire(r)
	}
}
