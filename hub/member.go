package hub

import (
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Member is one participant, attached by a front end. Its operations
// (Join, Part, Post, Private, Rename, History, Leave) are meant to be
// called from one goroutine, the front end's reader; Name, Notice, Fail,
// Queue and Outbox are safe from any goroutine.
type Member struct {
	hub         *Hub
	addr        string
	frontend    string
	allPresence atomic.Bool             // see Peer.AllPresence
	formats     atomic.Pointer[formats] // may change while others send to it
	focus       atomic.Pointer[Room]    // the room AwayFormat does not apply to
	out         *Outbox
	closeConn   func()
	left        bool     // owned by the reader goroutine
	burst       []Event  // reused for PostBurst's events; owned by the reader goroutine
	ids         []string // their client IDs; likewise
	said        []Said   // reused by Post; likewise

	cutOnce sync.Once
	cut     atomic.Uint32 // CloseReason set when the hub cut the member off

	seenMu   sync.Mutex
	seen     [8]string // recent shared presence IDs, so each is seen once; guarded by seenMu
	seenNext int       // guarded by seenMu

	mu    sync.Mutex
	name  string  // guarded by mu (and the hub's index by Hub.mu)
	rooms []*Room // in join order; guarded by mu (a kick removes one from outside)
}

// roomList returns a copy of the member's rooms.
func (m *Member) roomList() []*Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.rooms)
}

// dropRoom forgets r, as a part or a kick does.
func (m *Member) dropRoom(r *Room) {
	m.mu.Lock()
	m.rooms = slices.DeleteFunc(m.rooms, func(o *Room) bool { return o == r })
	m.mu.Unlock()
	m.focus.CompareAndSwap(r, nil)
}

// formats holds a member's renderers so they can change atomically.
type formats struct {
	f        Format
	away     Format
	personal PersonalFormat
}

// Name is the member's current name.
func (m *Member) Name() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.name
}

// Format is how this member's events are rendered.
func (m *Member) Format() Format { return m.formats.Load().f }

// SetFormat changes how this member's events are rendered from now on, as
// when a client asks for JSON events instead of text lines; events of
// rooms other than the focus are rendered the same way.
func (m *Member) SetFormat(f Format) { m.SetFormats(f, nil) }

// SetFormats is SetFormat with a different rendering, away, for events of
// rooms other than the member's focus; nil renders them with f.
func (m *Member) SetFormats(f, away Format) {
	fs := &formats{f: f, away: away}
	fs.personal, _ = f.(PersonalFormat)
	m.formats.Store(fs)
}

// SetAllPresence changes what Peer.AllPresence asked for, as when a line
// client switches to the JSON protocol.
func (m *Member) SetAllPresence(all bool) { m.allPresence.Store(all) }

// Addr is the peer address given to Attach.
func (m *Member) Addr() string { return m.addr }

// Outbox is the queue the front end's writer drains.
func (m *Member) Outbox() *Outbox { return m.out }

// Rooms lists the rooms the member is in, in the order it joined them.
func (m *Member) Rooms() []string {
	rooms := m.roomList()
	out := make([]string, len(rooms))
	for i, r := range rooms {
		out[i] = r.name
	}
	return out
}

// In reports the display name of the member's room called room, and
// whether it is in it.
func (m *Member) In(room string) (string, bool) {
	if r := m.roomNamed(room); r != nil {
		return r.name, true
	}
	return "", false
}

func (m *Member) roomNamed(room string) *Room {
	key := m.hub.names.Fold(room)
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.rooms {
		if r.key == key {
			return r
		}
	}
	return nil
}

// SetFocus makes room (one the member is in) the one whose events are
// rendered with the member's Format; other rooms' events use its
// AwayFormat. "" clears the focus.
func (m *Member) SetFocus(room string) {
	m.focus.Store(m.roomNamed(room))
}

// Focus is the member's focus room, or "".
func (m *Member) Focus() string {
	if r := m.focus.Load(); r != nil {
		return r.name
	}
	return ""
}

// CutReason reports why the hub cut the member off, or StillConnected.
func (m *Member) CutReason() CloseReason { return CloseReason(m.cut.Load()) }

// cutOff disconnects a member the hub can no longer serve. It never
// blocks, since the fan-out calls it under the room lock: logging and
// closing the connection happen on their own goroutine.
func (m *Member) cutOff(reason CloseReason) {
	m.cutOnce.Do(func() {
		m.cut.Store(uint32(reason))
		if reason == SlowConsumer {
			m.hub.stats.slowCuts.Add(1)
		}
		m.out.drop()
		go func() {
			m.hub.log.Warn("member cut off", "member", m.Name(), "remote", m.addr, "reason", reason.String())
			if m.closeConn != nil {
				m.closeConn()
			}
		}()
	})
}

// firstSight reports whether the member has not yet seen the presence
// event id stands for: the events a rename or a quit publishes in several
// rooms share the part of their IDs before '/'.
func (m *Member) firstSight(id string) bool {
	base, _, shared := strings.Cut(id, "/")
	if !shared {
		return true
	}
	m.seenMu.Lock()
	defer m.seenMu.Unlock()
	if slices.Contains(m.seen[:], base) {
		return false
	}
	m.seen[m.seenNext] = base
	m.seenNext = (m.seenNext + 1) % len(m.seen)
	return true
}

// queueLocked queues rendered bytes, which are the outbox's from now on,
// adding the outbox to fl if the push claimed its writer role. Called under
// a room lock.
func (m *Member) queueLocked(b []byte, fl *flushList) {
	m.enqueueLocked(m.out.push(b), fl)
	m.hub.stats.deliveries.Add(1)
	m.hub.stats.bytesQueued.Add(uint64(len(b)))
}

// enqueueLocked acts on a push made under a room lock: a full outbox cuts
// the member off, a claimed one joins fl. A fan-out counts its deliveries
// in the hub's stats once, not per member.
func (m *Member) enqueueLocked(r pushResult, fl *flushList) {
	switch r {
	case pushFull:
		m.cutOff(SlowConsumer)
	case pushClaimed:
		*fl = append(*fl, m.out)
	}
}

// pushLocked renders ev for this member alone and queues it (see
// queueLocked).
func (m *Member) pushLocked(ev *Event, fl *flushList) {
	if b := m.renderOne(ev); len(b) > 0 {
		m.queueLocked(b, fl)
	}
}

// failLocked queues an error event (see pushLocked).
func (m *Member) failLocked(code, text, clientID string, fl *flushList) {
	m.hub.stats.refuse(code)
	m.pushLocked(&Event{Kind: KindError, Code: code, Text: text, ClientID: clientID, Time: m.hub.now()}, fl)
}

func (m *Member) renderOne(ev *Event) []byte { return m.appendRendered(nil, ev) }

// appendRendered appends ev as this member receives it to dst.
func (m *Member) appendRendered(dst []byte, ev *Event) []byte {
	fs := m.formats.Load()
	if fs.personal != nil {
		return m.hub.renderTo(fs.personal, dst, ev, m)
	}
	return m.hub.render(fs.f, dst, ev)
}

// send renders ev for this member alone, queues it and flushes.
func (m *Member) send(ev *Event) {
	if b := m.renderOne(ev); len(b) > 0 {
		m.flushNow(m.out.push(b))
	}
}

// Queue sends bytes of the front end's own protocol (an IRC numeric, a
// ping) to this member, in order with its events. It copies b.
func (m *Member) Queue(b []byte) { m.flushNow(m.out.pushCopy(b)) }

// flushNow acts on a push made outside every lock: a full outbox cuts the
// member off, a claimed one is flushed at once.
func (m *Member) flushNow(r pushResult) {
	switch r {
	case pushFull:
		m.cutOff(SlowConsumer)
	case pushClaimed:
		m.out.flush()
	}
}

// Notice sends text to this member alone as a hub notice.
// Several texts are sent as several notices, in one write.
func (m *Member) Notice(texts ...string) {
	now := m.hub.now()
	fs := m.formats.Load()
	var b []byte
	for _, t := range texts {
		ev := &Event{Kind: KindNotice, Text: t, Time: now}
		if fs.personal != nil {
			b = m.hub.renderTo(fs.personal, b, ev, m)
		} else {
			b = m.hub.render(fs.f, b, ev)
		}
	}
	if len(b) > 0 {
		m.flushNow(m.out.push(b))
	}
}

// Fail tells this member that a request failed, with a stable code (see
// ErrorCode) and the client's ID for the request, if it gave one.
func (m *Member) Fail(code, text, clientID string) {
	m.hub.stats.refuse(code)
	m.send(&Event{Kind: KindError, Code: code, Text: text, ClientID: clientID, Time: m.hub.now()})
}

// Join adds the member to room (it stays in its other rooms) and queues
// what opt asks for before any live event of the room.
func (m *Member) Join(room string, opt JoinOptions) (JoinResult, error) {
	if err := m.hub.names.CheckRoom(room); err != nil {
		return JoinResult{}, err
	}
	for {
		r := m.hub.room(room)
		res, err := r.join(m, opt)
		if err == errRoomGone {
			continue // the room was retired meanwhile
		}
		if err != nil {
			return res, err
		}
		if !res.Already {
			m.mu.Lock()
			m.rooms = append(m.rooms, r)
			m.mu.Unlock()
			m.hub.log.Debug("join", "member", m.Name(), "room", r.name)
		}
		return res, nil
	}
}

// Part leaves room.
func (m *Member) Part(room string) error {
	r := m.roomNamed(room)
	if r == nil {
		return ErrNotInRoom
	}
	m.dropRoom(r)
	r.remove(m, Event{Kind: KindLeave, From: m.Name()})
	return nil
}

// Say sends lines to room as messages; see Post.
func (m *Member) Say(room string, lines ...string) error {
	return m.Post(room, KindMessage, "", lines...)
}

// Post sends texts to room, in order, as messages or actions (k), each
// acknowledged with clientID; see PostBurst.
func (m *Member) Post(room string, k Kind, clientID string, texts ...string) error {
	m.said = m.said[:0]
	for _, t := range texts {
		m.said = append(m.said, Said{Kind: k, Text: t, ClientID: clientID})
	}
	err := m.PostBurst(room, m.said)
	clear(m.said)
	return err
}

// Said is one message of a burst: a message or an action, and the ID the
// client gave its request ("" for none).
type Said struct {
	Kind     Kind // KindMessage or KindAction
	Text     string
	ClientID string
}

// PostBurst sends messages to room, in order. A front end that has several
// at hand passes them together: they are numbered under one lock, stored
// in one group and reach each recipient as one write. The sender gets an
// ack for each, carrying its ClientID, once it is stored and delivered.
// Texts empty after cleaning are left out; ErrEmpty when none is left.
func (m *Member) PostBurst(room string, said []Said) error {
	r := m.roomNamed(room)
	if r == nil {
		return ErrNotInRoom
	}
	name := m.Name()
	m.burst, m.ids = m.burst[:0], m.ids[:0]
	for _, s := range said {
		if s.Kind != KindMessage && s.Kind != KindAction {
			return ErrEmpty
		}
		if t := CleanText(s.Text); t != "" {
			m.burst = append(m.burst, Event{Kind: s.Kind, From: name, Text: t})
			m.ids = append(m.ids, s.ClientID)
		}
	}
	if len(m.burst) == 0 {
		return ErrEmpty
	}
	err := r.publish(m.burst, m, m.ids)
	clear(m.burst) // let the texts go
	clear(m.ids)
	return err
}

// Private sends text to the member named to, wherever it is. It is
// stored, when the hub has a Log, before it is delivered.
func (m *Member) Private(to, text, clientID string) error {
	text = CleanText(text)
	if text == "" {
		return ErrEmpty
	}
	h := m.hub
	t := h.lookup(to)
	ev := Event{Kind: KindPrivate, From: m.Name(), To: to, Text: text, ID: h.newID(), Origin: h.cfg.ID, Time: h.now()}
	if t != nil {
		ev.To = t.Name()
	}
	deliver := func(err error) {
		if err != nil {
			m.Fail(ErrorCode(ErrNotStored), ErrNotStored.Error(), clientID)
			return
		}
		if t != nil {
			t.send(&ev)
		}
		m.send(&Event{Kind: KindAck, ID: ev.ID, ClientID: clientID, Time: ev.Time})
	}
	switch {
	case t == nil && h.cfg.Sequencer == nil:
		return ErrNoSuchMember
	case t == nil:
		h.safeOrder([]Event{ev}, func(err error) {
			if err != nil {
				m.Fail(ErrorCode(ErrUnavailable), ErrUnavailable.Error(), clientID)
				return
			}
			m.send(&Event{Kind: KindAck, ID: ev.ID, ClientID: clientID, Time: ev.Time})
		})
	case h.cfg.Log != nil && h.cfg.Sequencer == nil:
		h.safeAppend([]Event{ev}, deliver)
	default:
		deliver(nil)
	}
	return nil
}

// Rename changes the member's name. Each member sharing a room with it
// sees the rename once.
func (m *Member) Rename(name string) error {
	h := m.hub
	if err := h.names.CheckName(name); err != nil {
		return err
	}
	old := m.Name()
	if old == name {
		return nil
	}
	if h.names.Fold(old) != h.names.Fold(name) {
		if err := h.claim(name, m); err != nil {
			return err
		}
		h.release(old, m)
	}
	m.mu.Lock()
	m.name = name
	m.mu.Unlock()
	h.log.Info("rename", "from", old, "to", name, "remote", m.addr)
	m.everywhere(Event{Kind: KindRename, From: old, Text: name})
	if len(m.roomList()) == 0 && m.allPresence.Load() {
		m.send(&Event{Kind: KindRename, From: old, Text: name, Time: h.now()})
	}
	return nil
}

// everywhere publishes a presence event in each of the member's rooms,
// with IDs that share one base, so that each observer sees it once.
func (m *Member) everywhere(ev Event) {
	base := m.hub.newID()
	for _, r := range m.roomList() {
		e := ev
		e.ID = base + "/" + r.key
		r.publish([]Event{e}, m, nil)
	}
}

// Who lists the names in room.
func (m *Member) Who(room string) ([]string, error) {
	names, _, err := m.WhoLimited(room, math.MaxInt)
	return names, err
}

// WhoLimited lists at most limit names in room (the first to have joined,
// sorted) and how many members it has, holding the room's lock only for
// as many names as it returns.
func (m *Member) WhoLimited(room string, limit int) (names []string, total int, err error) {
	r := m.roomNamed(room)
	if r == nil {
		return nil, 0, ErrNotInRoom
	}
	names, total = r.names(limit)
	return names, total, nil
}

// HistoryQuery asks for past events of a room: those after After (if
// set), else the latest before Before (0: the latest of all), at most
// Limit (1..1000; 0 means 20).
type HistoryQuery struct {
	Before, After uint64
	Limit         int
}

// History queues one KindHistory event answering q to the member.
func (m *Member) History(room string, q HistoryQuery) error {
	r := m.roomNamed(room)
	if r == nil {
		return ErrNotInRoom
	}
	b := r.history(q)
	if m.CutReason() != StillConnected {
		return nil // gone meanwhile: render nothing
	}
	m.send(&Event{Kind: KindHistory, Room: r.name, Time: m.hub.now(), Batch: b})
	return nil
}

// Leave removes the member from its rooms and the hub, announcing why
// once to each member who shared a room with it, and closes its outbox so
// the writer can flush what is queued and stop. Calling it again does
// nothing.
func (m *Member) Leave(reason CloseReason) {
	if m.left {
		return
	}
	m.left = true
	if cut := m.CutReason(); cut != StillConnected {
		reason = cut
	}
	name := m.Name()
	base := m.hub.newID()
	for _, r := range m.roomList() {
		m.dropRoom(r)
		r.remove(m, Event{Kind: KindLeave, From: name, Reason: reason, ID: base + "/" + r.key})
	}
	m.hub.release(name, m)
	m.out.Close()
	m.hub.log.Info("leave", "member", name, "remote", m.addr, "reason", reason.String())
}
