package hub

import (
	"sync"
	"sync/atomic"
)

// Member is one participant, attached by a front end. Its operations
// (Join, Part, Say, Act, Rename, Private, Leave) are meant to be called
// from one goroutine, the front end's reader; Name, Notice and Outbox are
// safe from any goroutine.
type Member struct {
	hub       *Hub
	addr      string
	format    atomic.Pointer[formatBox] // may change while others send to it
	out       *Outbox
	closeConn func()
	room      *Room   // owned by the reader goroutine
	left      bool    // owned by the reader goroutine
	burst     []Event // reused for Say's events; owned by the reader goroutine

	cutOnce sync.Once
	cut     atomic.Uint32 // CloseReason set when the hub cut the member off

	mu   sync.Mutex
	name string // guarded by mu (and the hub's index by Hub.mu)
}

// Name is the member's current name.
func (m *Member) Name() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.name
}

// formatBox holds a Format so it can sit in an atomic.Pointer.
type formatBox struct{ f Format }

// Format is how this member's events are rendered.
func (m *Member) Format() Format { return m.format.Load().f }

// SetFormat changes how this member's events are rendered from now on, as
// when a client asks for JSON events instead of text lines.
func (m *Member) SetFormat(f Format) { m.format.Store(&formatBox{f}) }

// Addr is the peer address given to Attach.
func (m *Member) Addr() string { return m.addr }

// Outbox is the queue the front end's writer drains.
func (m *Member) Outbox() *Outbox { return m.out }

// Room is the member's current room, or "" when it is in none.
func (m *Member) Room() string {
	if m.room == nil {
		return ""
	}
	return m.room.name
}

// CutReason reports why the hub cut the member off, or StillConnected.
func (m *Member) CutReason() CloseReason { return CloseReason(m.cut.Load()) }

// cutOff disconnects a member the hub can no longer serve. It never
// blocks, since the fan-out calls it under the room lock: logging and
// closing the connection happen on their own goroutine.
func (m *Member) cutOff(reason CloseReason) {
	m.cutOnce.Do(func() {
		m.cut.Store(uint32(reason))
		m.out.drop()
		go func() {
			m.hub.log.Warn("member cut off", "member", m.Name(), "remote", m.addr, "reason", reason.String())
			if m.closeConn != nil {
				m.closeConn()
			}
		}()
	})
}

// Notice sends text to this member alone as a hub notice.
// Several texts are sent as several notices, in one write.
func (m *Member) Notice(texts ...string) {
	now := m.hub.now()
	var b []byte
	for _, t := range texts {
		b = m.Format().Append(b, &Event{Kind: KindNotice, Text: t, Time: now})
	}
	m.sendBytes(b)
}

// send renders ev for this member and queues it.
func (m *Member) send(ev *Event) { m.sendBytes(m.Format().Append(nil, ev)) }

// sendBytes queues rendered bytes for this member alone and flushes them.
func (m *Member) sendBytes(b []byte) {
	ok, claimed := m.out.push(b)
	switch {
	case !ok:
		m.cutOff(SlowConsumer)
	case claimed:
		m.out.flush()
	}
}

// Join moves the member into room (leaving its current one) and reports
// who was already there. Joining the current room changes nothing.
func (m *Member) Join(room string) (Presence, error) {
	if !ValidRoom(room) {
		return Presence{}, ErrBadRoom
	}
	if m.room != nil && fold(m.room.name) == fold(room) {
		names := m.room.names()
		return Presence{Names: names[:min(len(names), MaxListed)], Total: len(names)}, nil
	}
	m.Part()
	for {
		r := m.hub.room(room)
		if p, ok := r.add(m); ok {
			m.room = r
			m.hub.log.Debug("join", "member", m.Name(), "room", r.name)
			return p, nil
		}
	}
}

// Part leaves the current room, if any.
func (m *Member) Part() {
	if m.room != nil {
		m.room.remove(m, StillConnected)
		m.room = nil
	}
}

// Say sends lines to the member's room, in order. A front end that has
// several lines at hand passes them together: they are sequenced under one
// lock and reach each recipient as one write.
func (m *Member) Say(lines ...string) error { return m.toRoom(KindMessage, lines) }

// Act sends an action ("/me waves") to the member's room.
func (m *Member) Act(text string) error { return m.toRoom(KindAction, []string{text}) }

func (m *Member) toRoom(k Kind, lines []string) error {
	if len(lines) == 0 {
		return nil
	}
	if m.room == nil {
		return ErrNotInRoom
	}
	name := m.Name()
	m.burst = m.burst[:0]
	for _, text := range lines {
		m.burst = append(m.burst, Event{Kind: k, From: name, Text: text})
	}
	m.room.publish(m.burst, m)
	clear(m.burst) // let the texts go
	return nil
}

// Private sends text to the member named to, wherever it is.
func (m *Member) Private(to, text string) error {
	t := m.hub.lookup(to)
	if t == nil {
		return ErrNoSuchMember
	}
	t.send(&Event{Kind: KindPrivate, From: m.Name(), To: t.Name(), Text: text, Time: m.hub.now()})
	return nil
}

// Rename changes the member's name; names are unique without regard to case.
func (m *Member) Rename(name string) error {
	if !ValidName(name) {
		return ErrBadName
	}
	h := m.hub
	h.mu.Lock()
	old := m.Name()
	if o, taken := h.members[fold(name)]; taken && o != m {
		h.mu.Unlock()
		return ErrNameTaken
	}
	delete(h.members, fold(old))
	h.members[fold(name)] = m
	m.mu.Lock()
	m.name = name
	m.mu.Unlock()
	h.mu.Unlock()
	h.log.Info("rename", "from", old, "to", name, "remote", m.addr)
	if m.room != nil && old != name {
		m.room.announce(&Event{Kind: KindRename, From: old, Text: name}, m)
	}
	return nil
}

// Who lists the names in the member's room.
func (m *Member) Who() ([]string, error) {
	if m.room == nil {
		return nil, ErrNotInRoom
	}
	return m.room.names(), nil
}

// History returns up to n recent events of the member's room.
func (m *Member) History(n int) ([]Event, error) {
	if m.room == nil {
		return nil, ErrNotInRoom
	}
	return m.hub.cfg.History.Recent(m.room.name, n)
}

// Leave removes the member from its room and the hub, announcing why, and
// closes its outbox so the writer can flush what is queued and stop.
// Calling it again does nothing.
func (m *Member) Leave(reason CloseReason) {
	if m.left {
		return
	}
	m.left = true
	if cut := m.CutReason(); cut != StillConnected {
		reason = cut
	}
	if m.room != nil {
		m.room.remove(m, reason)
		m.room = nil
	}
	h := m.hub
	h.mu.Lock()
	if h.members[fold(m.Name())] == m {
		delete(h.members, fold(m.Name()))
	}
	h.mu.Unlock()
	m.out.Close()
	h.log.Info("leave", "member", m.Name(), "remote", m.addr, "reason", reason.String())
}

// Disconnect cuts the member off for reason, as the hub does with slow
// consumers: queued output is dropped and the connection closed. Front ends
// call it when a write fails.
func (m *Member) Disconnect(reason CloseReason) { m.cutOff(reason) }

// Replay queues events (such as history) to this member alone.
func (m *Member) Replay(events []Event) {
	for i := range events {
		m.send(&events[i])
	}
}
