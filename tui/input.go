package tui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// commands are the /commands the client knows, for help and completion.
var commands = []struct{ name, args, help string }{
	{"/join", "ROOM…", "join rooms (or go to their tab)"},
	{"/part", "[ROOM]", "leave a room (this one by default)"},
	{"/msg", "NAME TEXT", "a private message, in its own tab"},
	{"/query", "NAME", "open a private tab"},
	{"/close", "", "close this tab (leaving its room)"},
	{"/me", "TEXT", "an action"},
	{"/nick", "NAME", "change your name"},
	{"/who", "[ROOM]", "list a room's members"},
	{"/rooms", "", "list the hub's rooms"},
	{"/members", "", "show or hide the member list (F2)"},
	{"/help", "", "this help"},
	{"/quit", "", "leave"},
}

// key handles a key press: the client's keys first, then line editing.
func (m *Model) key(k tea.KeyPressMsg) tea.Cmd {
	if !key.Matches(k, m.keys.Complete, m.keys.CompleteBack) {
		m.comp = nil
	}
	switch {
	case key.Matches(k, m.keys.Quit):
		return tea.Quit
	case key.Matches(k, m.keys.Send):
		return m.submit()
	case key.Matches(k, m.keys.Complete):
		m.complete(1)
	case key.Matches(k, m.keys.CompleteBack):
		m.complete(-1)
	case key.Matches(k, m.keys.RecallPrev):
		m.recallStep(-1)
	case key.Matches(k, m.keys.RecallNext):
		m.recallStep(1)
	case key.Matches(k, m.keys.PageUp):
		m.scrollBy(max(1, m.paneHeight()-2))
	case key.Matches(k, m.keys.PageDown):
		m.scrollBy(-max(1, m.paneHeight()-2))
	case key.Matches(k, m.keys.Bottom):
		m.cur().scroll = 0
	case key.Matches(k, m.keys.NextTab):
		m.setActive((m.active + 1) % len(m.wins))
	case key.Matches(k, m.keys.PrevTab):
		m.setActive((m.active + len(m.wins) - 1) % len(m.wins))
	case key.Matches(k, m.keys.Tab):
		m.setActive(int(k.Code - '1'))
	case key.Matches(k, m.keys.ToggleMembers):
		m.showMembers = !m.showMembers
	default:
		var cmd tea.Cmd
		m.input, cmd = m.input.Update(k)
		return cmd
	}
	return nil
}

// submit acts on the input line: a /command or a message.
func (m *Model) submit() tea.Cmd {
	text := m.input.Value()
	if strings.TrimSpace(text) == "" {
		return nil
	}
	if n := len(m.recall); n == 0 || m.recall[n-1] != text {
		m.recall = append(m.recall, text)
	}
	m.recallPos, m.draft = len(m.recall), ""
	m.input.Reset()
	m.cur().scroll = 0
	if strings.HasPrefix(text, "//") {
		m.say(m.cur(), "say", text[1:])
		return nil
	}
	if strings.HasPrefix(text, "/") {
		return m.command(text)
	}
	m.say(m.cur(), "say", text)
	return nil
}

// say sends a message or action to the active tab's room or person. While
// offline (or while the room resumes) it is held and sent after.
func (m *Model) say(w *window, verb, text string) {
	if w.server {
		m.note(lineError, "this is the hub's tab: /join a room or /msg someone")
		return
	}
	id := m.newID()
	l := &line{kind: lineMessage, time: m.now(), from: m.name, text: text, own: true}
	cmd := Command{Cmd: verb, ID: id, Text: text, Room: w.name}
	if verb == "act" {
		l.kind = lineAction
	}
	if w.private {
		cmd.Cmd, cmd.Room, cmd.To = "msg", "", w.name
	}
	p := &pending{cmd: cmd, line: l, win: w}
	l.state = stateHeld
	w.add(l)
	m.pendings = append(m.pendings, p)
	if m.online() && !w.resuming {
		m.sendPending(p)
	}
}

// command runs a /command typed by the user.
func (m *Model) command(text string) tea.Cmd {
	verb, rest, _ := strings.Cut(text, " ")
	verb, rest = strings.ToLower(verb), strings.TrimSpace(rest)
	args := strings.Fields(rest)
	w := m.cur()
	switch verb {
	case "/help":
		for _, c := range commands {
			m.note(lineSystem, c.name+" "+c.args+": "+c.help)
		}
		m.note(lineSystem, "keys: ctrl+n/ctrl+p or alt+1…9 tabs, tab completes, ↑/↓ earlier inputs, pgup/pgdn and the wheel scroll, F2 member list, ctrl+c quits")
		return nil
	case "/members":
		m.showMembers = !m.showMembers
		return nil
	case "/query":
		if len(args) != 1 {
			m.note(lineError, "usage: /query NAME")
			return nil
		}
		m.setActive(slices.Index(m.wins, m.private(args[0])))
		return nil
	case "/msg":
		to, body, _ := strings.Cut(rest, " ")
		if to == "" || strings.TrimSpace(body) == "" {
			m.note(lineError, "usage: /msg NAME TEXT")
			return nil
		}
		pw := m.private(to)
		m.setActive(slices.Index(m.wins, pw))
		m.say(pw, "msg", body)
		return nil
	case "/me":
		if w.private || w.server {
			m.note(lineError, "/me works in rooms")
			return nil
		}
		m.say(w, "act", rest)
		return nil
	case "/close":
		if w.private {
			m.closeWindow(w)
			return nil
		}
		if w.server {
			return nil
		}
		args = []string{w.name}
		verb = "/part"
	case "/quit":
		gen, link := m.gen, m.link
		return tea.Sequence(func() tea.Msg {
			link.Send(gen, []Command{{Cmd: "quit"}})
			return nil
		}, tea.Quit)
	}
	if !m.online() {
		m.note(lineError, "not connected: "+verb+" must wait for the hub")
		return nil
	}
	switch verb {
	case "/join":
		if len(args) == 0 {
			m.note(lineError, "usage: /join ROOM…")
		}
		for _, r := range args {
			if rw := m.room(r); rw != nil {
				m.setActive(slices.Index(m.wins, rw))
				continue
			}
			m.join(r)
		}
	case "/part":
		if len(args) == 0 && (w.private || w.server) {
			m.note(lineError, "usage: /part ROOM")
			return nil
		}
		if len(args) == 0 {
			args = []string{w.name}
		}
		for _, r := range args {
			m.queue(Command{Cmd: "part", Room: r})
			if rw := m.room(r); rw != nil {
				m.closeWindow(rw)
			}
		}
	case "/nick":
		if len(args) != 1 {
			m.note(lineError, "usage: /nick NAME")
			return nil
		}
		m.nick = args[0]
		m.askNick(args[0])
	case "/who":
		room := w.name
		if len(args) > 0 {
			room = args[0]
		} else if w.private || w.server {
			m.note(lineError, "usage: /who ROOM")
			return nil
		}
		m.whoAsked[strings.ToLower(room)] = true
		m.queue(Command{Cmd: "who", Room: room})
	case "/rooms":
		m.queue(Command{Cmd: "rooms"})
	default:
		m.queue(Command{Cmd: "line", Text: text})
	}
	return nil
}

// recallStep walks through earlier inputs; past the newest it gives back
// what was being typed.
func (m *Model) recallStep(d int) {
	if len(m.recall) == 0 {
		return
	}
	if m.recallPos == len(m.recall) {
		m.draft = m.input.Value()
	}
	m.recallPos = min(max(m.recallPos+d, 0), len(m.recall))
	if m.recallPos == len(m.recall) {
		m.input.SetValue(m.draft)
	} else {
		m.input.SetValue(m.recall[m.recallPos])
	}
	m.input.CursorEnd()
}

// complete completes the word before the cursor: a /command at the start
// of the line, a room after /join or /part, otherwise a name. Tab again
// cycles through the candidates.
func (m *Model) complete(d int) {
	if m.comp == nil {
		val := []rune(m.input.Value())
		pos := m.input.Position()
		start := pos
		for start > 0 && val[start-1] != ' ' {
			start--
		}
		before, word := string(val[:start]), string(val[start:pos])
		cands, suffix := m.candidates(before, word)
		if len(cands) == 0 {
			return
		}
		m.comp = &completion{before: before, after: string(val[pos:]), candidates: cands, suffix: suffix, i: -1}
		if d < 0 {
			m.comp.i = 0
		}
	}
	c := m.comp
	c.i = (c.i + d + len(c.candidates)) % len(c.candidates)
	done := c.before + c.candidates[c.i] + c.suffix
	m.input.SetValue(done + c.after)
	m.input.SetCursor(len([]rune(done)))
}

// candidates lists completions of word, given the text before it.
func (m *Model) candidates(before, word string) (list []string, suffix string) {
	first, _, _ := strings.Cut(strings.TrimSpace(before), " ")
	switch {
	case before == "" && strings.HasPrefix(word, "/"):
		for _, c := range commands {
			list = append(list, c.name)
		}
		suffix = " "
	case first == "/join" || first == "/part" || first == "/who":
		for _, w := range m.wins {
			if !w.private && !w.server {
				list = append(list, w.name)
			}
		}
		list = append(list, m.known...)
		suffix = " "
	default:
		list = m.names()
		suffix = " "
		if before == "" {
			suffix = ": "
		}
		if first == "/msg" || first == "/query" {
			suffix = " "
		}
	}
	var out []string
	lw := strings.ToLower(word)
	for _, c := range list {
		if strings.HasPrefix(strings.ToLower(c), lw) && !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, suffix
}

// names lists the people we know of: this tab's members first, then
// everyone in other tabs; never ourselves.
func (m *Model) names() []string {
	var out []string
	add := func(n string) {
		if n != m.name && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	cur := m.cur()
	if cur.private {
		add(cur.name)
	}
	for _, n := range cur.members {
		add(n)
	}
	for _, w := range m.wins {
		if w.private {
			add(w.name)
		}
		for _, n := range w.members {
			add(n)
		}
	}
	return out
}

// scrollBy moves the active pane up (d > 0) or down by lines; reaching the
// top asks the hub for older history.
func (m *Model) scrollBy(d int) {
	w := m.cur()
	top := m.maxScroll(w)
	w.scroll = min(max(w.scroll+d, 0), top)
	if d > 0 && w.scroll == top {
		m.loadOlder(w)
	}
}

// loadOlder asks for the events before the oldest one shown.
func (m *Model) loadOlder(w *window) {
	if w.server || w.private || !w.more || w.loading || w.minSeq == 0 || !m.online() {
		return
	}
	w.loading = true
	m.queue(Command{Cmd: "history", Room: w.name, Before: w.minSeq, Limit: 200})
}
