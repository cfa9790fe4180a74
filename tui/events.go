package tui

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// resumePrefix marks the ping sent after each resume join: its pong says
// the join's history has arrived.
const resumePrefix = "resume "

// nickPrefix marks the ping sent after a nick command: its pong comes
// after the command's error, if any.
const nickPrefix = "nick "

// event applies one event from the hub.
func (m *Model) event(ev Event) {
	switch ev.Type {
	case "hello":
		m.hello(ev)
	case "message", "action", "join", "leave", "rename":
		if w := m.roomFor(ev); w != nil {
			m.roomEvent(w, ev, true)
		}
	case "history":
		m.history(ev)
	case "private":
		m.privateEvent(ev)
	case "ack":
		m.ack(ev)
	case "error":
		m.hubError(ev)
	case "members":
		if w := m.room(ev.Room); w != nil {
			w.setMembers(ev.Members, ev.Total)
			if m.whoAsked[strings.ToLower(ev.Room)] {
				delete(m.whoAsked, strings.ToLower(ev.Room))
				w.add(m.local(lineSystem, fmt.Sprintf("%d in %s: %s", w.total, w.name, strings.Join(w.members, ", "))))
			}
		}
	case "rooms":
		m.roomList(ev)
	case "notice":
		m.note(lineSystem, ev.Text)
	case "pong":
		if room, ok := strings.CutPrefix(ev.ClientID, resumePrefix); ok {
			m.resumed(room)
		}
		if name, ok := strings.CutPrefix(ev.ClientID, nickPrefix); ok {
			m.renamed(name)
		}
	}
}

// hello starts a session: the first one joins the rooms asked for; later
// ones resume every room from the last event seen there.
func (m *Model) hello(ev Event) {
	m.conn, m.attempt = connOnline, 0
	if ev.Name != "" {
		m.setName(ev.Name)
	}
	if m.nick != "" && !strings.EqualFold(m.name, m.nick) {
		m.nickRetry = true // the hub may not have noticed our old connection yet
	}
	first := !m.everOnline
	m.everOnline = true
	if first {
		for _, r := range ev.Joined {
			m.openRoom(r)
			m.queue(Command{Cmd: "history", Room: r, Limit: 50})
		}
		for _, r := range m.cfg.Join {
			if m.room(r) == nil {
				m.join(r)
			}
		}
	} else {
		for _, w := range m.wins {
			if w.server || w.private {
				continue
			}
			after := w.watermark
			w.resuming = true
			m.queue(Command{Cmd: "join", Room: w.name, After: &after},
				Command{Cmd: "ping", ID: resumePrefix + w.name})
		}
		for _, r := range ev.Joined {
			if m.room(r) == nil { // we had left it
				m.queue(Command{Cmd: "part", Room: r})
			}
		}
	}
	for _, p := range m.pendings {
		if !p.win.private {
			continue
		}
		switch {
		case p.line.state == stateHeld:
			m.sendPending(p)
		case p.line.state == stateSent && p.gen != m.gen:
			// A private message has no history to tell whether it arrived.
			m.failPending(p, "connection lost before the hub confirmed it")
		}
	}
}

// setName records our name on the hub; lines from any name we had in
// this session are ours.
func (m *Model) setName(n string) {
	m.name = n
	m.selves[n] = true
}

// renamed ends a /nick: with no error before this pong, the hub took it
// (it does not tell the renamed member itself).
func (m *Model) renamed(name string) {
	if m.nickID == "" || m.name == name {
		return
	}
	m.nickID = ""
	m.note(lineSystem, "you are now known as "+name)
	m.setName(name)
}

// resumed ends a room's resume: everything up to the newest event shown is
// now known, and our messages the hub did not store are sent again.
func (m *Model) resumed(room string) {
	w := m.room(room)
	if w == nil || !w.resuming {
		return
	}
	w.resuming = false
	w.watermark = max(w.watermark, w.maxSeq)
	for _, p := range m.pendings {
		if p.win == w && (p.line.state == stateHeld || (p.line.state == stateSent && p.gen != m.gen)) {
			m.sendPending(p)
		}
	}
}

// join asks to join a room; its window opens with the history that
// answers.
func (m *Model) join(room string) {
	m.switchTo = room
	m.joining[strings.ToLower(room)] = true
	m.queue(Command{Cmd: "join", Room: room})
}

// roomFor finds the window of a room event; our own join opens it.
func (m *Model) roomFor(ev Event) *window {
	if w := m.room(ev.Room); w != nil {
		return w
	}
	if ev.Type == "join" && m.selves[ev.From] {
		return m.openRoom(ev.Room)
	}
	return nil
}

// roomEvent shows a room event in its place. Live events also update the
// member list; history only shows.
func (m *Model) roomEvent(w *window, ev Event, live bool) {
	if !ev.roomEvent() {
		return
	}
	if (ev.Type == "message" || ev.Type == "action") && m.selves[ev.From] {
		if l := w.ownUnconfirmed(ev.Text); l != nil {
			// A resumed history holds a message whose ack was lost with
			// the connection: it was stored, so it is confirmed.
			m.confirm(l)
			w.place(l, ev.Seq)
			return
		}
	}
	l := m.eventLine(ev)
	if !w.insert(l) {
		return
	}
	if !w.resuming {
		w.watermark = max(w.watermark, ev.Seq)
	}
	if live {
		m.presence(w, ev)
	}
	if live || w.resuming {
		m.notify(w, l)
	}
}

// presence keeps member lists and our name current.
func (m *Model) presence(w *window, ev Event) {
	switch ev.Type {
	case "join":
		w.memberJoined(ev.From)
	case "leave":
		w.memberLeft(ev.From)
	case "rename":
		if ev.From == m.name {
			m.setName(ev.Name)
		}
		for _, o := range m.wins {
			o.memberRenamed(ev.From, ev.Name)
			if o.private && o.name == ev.From {
				o.name = ev.Name
			}
		}
	}
}

// eventLine renders a room event as a line.
func (m *Model) eventLine(ev Event) *line {
	l := &line{time: ev.Time, seq: ev.Seq, from: ev.From, text: ev.Text, own: m.selves[ev.From]}
	if l.time.IsZero() {
		l.time = m.now()
	}
	switch ev.Type {
	case "message":
		l.kind = lineMessage
	case "action":
		l.kind = lineAction
	case "join":
		l.kind, l.text = lineSystem, ev.From+" joined "+ev.Room
	case "leave":
		l.kind, l.text = lineSystem, ev.From+" left "+ev.Room
		if ev.Reason != "" {
			l.text += " (" + ev.Reason + ")"
		}
	case "rename":
		l.kind, l.text = lineSystem, ev.From+" is now known as "+ev.Name
	}
	l.mention = !l.own && l.kind != lineSystem && mentions(l.text, m.name)
	return l
}

// notify counts a line as unread in a tab not shown, and highlights a tab
// that mentions us.
func (m *Model) notify(w *window, l *line) {
	if w == m.cur() || l.own || (l.kind != lineMessage && l.kind != lineAction) {
		return
	}
	w.unread++
	if l.mention || w.private {
		w.mentioned = true
	}
}

// mentions reports whether text names name as a whole word, ignoring case.
func mentions(text, name string) bool {
	if name == "" {
		return false
	}
	lt, ln := strings.ToLower(text), strings.ToLower(name)
	for i := 0; ; {
		j := strings.Index(lt[i:], ln)
		if j < 0 {
			return false
		}
		s, e := i+j, i+j+len(ln)
		if wordEdge(lt, s, true) && wordEdge(lt, e, false) {
			return true
		}
		i = s + 1
	}
}

func wordEdge(s string, i int, before bool) bool {
	var r rune
	if before {
		if i == 0 {
			return true
		}
		r, _ = utf8.DecodeLastRuneInString(s[:i])
	} else {
		if i >= len(s) {
			return true
		}
		r, _ = utf8.DecodeRuneInString(s[i:])
	}
	return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-'
}

// history shows a batch of past events: older ones asked for by scrolling
// go on top; a join's or resume's go in sequence order.
func (m *Model) history(ev Event) {
	w := m.room(ev.Room)
	if w == nil {
		if !m.joining[strings.ToLower(ev.Room)] {
			return // a late answer for a room we left
		}
		w = m.openRoom(ev.Room)
	}
	delete(m.joining, strings.ToLower(ev.Room))
	if w.loading && (len(ev.Events) == 0 || (w.minSeq > 0 && ev.Events[len(ev.Events)-1].Seq < w.minSeq)) {
		w.loading, w.more = false, ev.More
		var ls []*line
		for _, e := range ev.Events {
			if e.roomEvent() {
				ls = append(ls, m.eventLine(e))
			}
		}
		w.prepend(ls)
		return
	}
	if len(w.seen) == 0 {
		w.more = ev.More
	}
	for _, e := range ev.Events {
		if e.Room == "" {
			e.Room = ev.Room
		}
		m.roomEvent(w, e, false)
	}
	if !ev.Complete && w.resuming {
		w.add(m.local(lineError, "some messages sent while away are no longer held by the hub"))
	}
}

// privateEvent shows a private message in its conversation's tab.
func (m *Model) privateEvent(ev Event) {
	mine := m.selves[ev.From]
	other := ev.From
	if mine {
		other = ev.To
	}
	w := m.private(other)
	if ev.ID != "" {
		if _, dup := w.ids[ev.ID]; dup {
			return
		}
		w.ids[ev.ID] = struct{}{}
	}
	if mine {
		for _, l := range w.lines {
			if l.own && !l.echoed && l.text == ev.Text {
				l.echoed = true
				if l.state == stateSent {
					m.confirm(l)
				}
				return
			}
		}
	}
	l := &line{kind: lineMessage, time: ev.Time, from: ev.From, text: ev.Text, own: mine, echoed: mine}
	if l.time.IsZero() {
		l.time = m.now()
	}
	w.add(l)
	m.notify(w, l)
}

// ack confirms one of our messages.
func (m *Model) ack(ev Event) {
	i, p := m.findPending(ev.ClientID)
	if p == nil {
		return
	}
	m.pendings = slices.Delete(m.pendings, i, i+1)
	m.confirm(p.line)
	if !p.win.private && ev.Seq > 0 {
		p.win.place(p.line, ev.Seq)
		if !p.win.resuming {
			p.win.watermark = max(p.win.watermark, ev.Seq)
		}
	}
}

// confirm marks our line as stored by the hub.
func (m *Model) confirm(l *line) {
	l.state = stateNone
	l.rows = nil
	if i, _ := m.findPendingLine(l); i >= 0 {
		m.pendings = slices.Delete(m.pendings, i, i+1)
	}
}

func (m *Model) findPendingLine(l *line) (int, *pending) {
	for i, p := range m.pendings {
		if p.line == l {
			return i, p
		}
	}
	return -1, nil
}

// hubError shows an error: on the message it refused, or as a line.
func (m *Model) hubError(ev Event) {
	if ev.ClientID != "" && ev.ClientID == m.nickID {
		m.nickID = "" // refused: the pong that follows changes nothing
	}
	if _, p := m.findPending(ev.ClientID); p != nil {
		m.failPending(p, ev.Text)
		return
	}
	m.note(lineError, ev.Text)
}

// sendPending writes (again) one of our messages on this connection.
func (m *Model) sendPending(p *pending) {
	p.gen = m.gen
	p.line.state = stateSent
	p.line.rows = nil
	m.queue(p.cmd)
}

// failPending marks one of our messages as not sent, saying why.
func (m *Model) failPending(p *pending, why string) {
	if i, _ := m.findPendingLine(p.line); i >= 0 {
		m.pendings = slices.Delete(m.pendings, i, i+1)
	}
	p.line.state = stateFailed
	p.line.note = why
	p.line.rows = nil
}

// roomList shows the hub's rooms and remembers them for completion.
func (m *Model) roomList(ev Event) {
	var parts []string
	m.known = m.known[:0]
	for _, r := range ev.Rooms {
		m.known = append(m.known, r.Name)
		parts = append(parts, fmt.Sprintf("%s (%d)", r.Name, r.Members))
	}
	if len(parts) == 0 {
		m.note(lineSystem, "no rooms")
		return
	}
	m.note(lineSystem, "rooms: "+strings.Join(parts, ", "))
}
