package irc

import (
	"strconv"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc/ircmsg"
)

// format renders hub events as IRC lines for one client. It is a
// hub.PersonalFormat: what a client gets depends on its capabilities
// (tags, batches), on whether the event is its own (its JOIN starts the
// names list, its echo comes from an ack) and on its registration.
type format struct {
	cl *client
}

// Append implements hub.Format; the hub calls AppendTo instead.
func (f *format) Append(b []byte, ev *hub.Event) []byte { return f.AppendTo(b, ev, nil) }

// AppendTo implements hub.PersonalFormat.
func (f *format) AppendTo(b []byte, ev *hub.Event, _ *hub.Member) []byte {
	cl := f.cl
	if !cl.registered.Load() {
		return b // before 001 a client hears nothing from the hub
	}
	caps := cl.capsNow()
	s := cl.srv
	switch ev.Kind {
	case hub.KindMessage, hub.KindAction, hub.KindPrivate:
		return s.appendMessage(b, ev, caps, "")
	case hub.KindJoin:
		if ev.From == cl.nickNow() {
			cl.joined(ev.Room, ev.Seq)
		}
		return appendLine(s.tags(b, ev, caps, ""), s.source(ev.From), "JOIN", channel(ev.Room))
	case hub.KindLeave:
		if ev.Reason == hub.StillConnected {
			return appendLine(s.tags(b, ev, caps, ""), s.source(ev.From), "PART", channel(ev.Room))
		}
		if ev.From == cl.nickNow() {
			return b // the quitter gets ERROR instead
		}
		return appendLine(s.tags(b, ev, caps, ""), s.source(ev.From), "QUIT", "", quitText(ev.Reason))
	case hub.KindRename:
		return appendLine(s.tags(b, ev, caps, ""), s.source(ev.From), "NICK", "", ev.Text)
	case hub.KindTopic:
		return appendLine(s.tags(b, ev, caps, ""), s.source(ev.From), "TOPIC", channel(ev.Room), ev.Text)
	case hub.KindMode:
		for _, c := range splitModes(ev.Text) {
			b = appendLine(s.tags(b, ev, caps, ""), s.source(ev.From), "MODE", channel(ev.Room), c...)
		}
		return b
	case hub.KindKick:
		return appendLine(s.tags(b, ev, caps, ""), s.source(ev.From), "KICK", channel(ev.Room), ev.To, ev.Text)
	case hub.KindInvite:
		return appendLine(b, s.source(ev.From), "INVITE", ev.To, channel(ev.Room))
	case hub.KindAck:
		return cl.appendEcho(b, ev, caps)
	case hub.KindHistory:
		return s.appendHistory(b, ev, caps)
	case hub.KindError:
		cl.dropEcho(ev.ClientID)
		return appendLine(b, s.cfg.Name, "NOTICE", cl.nickNow(), ev.Text)
	default:
		return appendLine(b, s.cfg.Name, "NOTICE", cl.nickNow(), ev.Text)
	}
}

// source is the nick!user@host that lines from nick carry. The hub knows
// names only, so every member's user is its nick and its host the server.
func (s *Server) source(nick string) string {
	return nick + "!" + nick + "@" + s.cfg.Name
}

// channel is the IRC channel of a hub room.
func channel(room string) string { return "#" + room }

// quitText is what peers see as a leaver's QUIT message.
func quitText(r hub.CloseReason) string {
	switch r {
	case hub.ClientQuit:
		return "Quit"
	case hub.IdleTimeout:
		return "Ping timeout"
	}
	return r.String()
}

// tags appends the tags a client with caps asked for, and batch, if set.
func (s *Server) tags(b []byte, ev *hub.Event, caps capSet, batch string) []byte {
	sep := byte('@')
	if caps&capServerTime != 0 && !ev.Time.IsZero() {
		b = append(b, sep)
		b = append(b, "time="...)
		b = ev.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		sep = ';'
	}
	if caps&capMessageTags != 0 && ev.ID != "" {
		b = append(b, sep)
		b = append(b, "msgid="...)
		b = append(b, ev.ID...)
		sep = ';'
	}
	if batch != "" {
		b = append(b, sep)
		b = append(b, "batch="...)
		b = append(b, batch...)
		sep = ';'
	}
	if sep == ';' {
		b = append(b, ' ')
	}
	return b
}

// appendMessage appends a message, action or private message as
// PRIVMSGs, as many as the 512-byte limit needs.
func (s *Server) appendMessage(b []byte, ev *hub.Event, caps capSet, batch string) []byte {
	target := ev.To
	if ev.Kind != hub.KindPrivate {
		target = channel(ev.Room)
	}
	pre, post := "", ""
	if ev.Kind == hub.KindAction {
		pre, post = "\x01ACTION ", "\x01"
	}
	return s.appendText(b, ev, caps, batch, ev.From, "PRIVMSG", target, pre, ev.Text, post)
}

// appendText appends text from nick to target as cmd lines, each within
// the line limit and wrapped in pre and post.
func (s *Server) appendText(b []byte, ev *hub.Event, caps capSet, batch, nick, cmd, target, pre, text, post string) []byte {
	src := s.source(nick)
	room := ircmsg.MaxBody - 2 - (1 + len(src) + 1 + len(cmd) + 1 + len(target) + 2 + len(pre) + len(post))
	for first := true; first || text != ""; first = false {
		n := utf8Cut(text, max(room, 16))
		b = s.tags(b, ev, caps, batch)
		b = append(b, ':')
		b = append(b, src...)
		b = append(b, ' ')
		b = append(b, cmd...)
		b = append(b, ' ')
		b = append(b, target...)
		b = append(b, " :"...)
		b = append(b, pre...)
		b = append(b, text[:n]...)
		b = append(b, post...)
		b = append(b, '\r', '\n')
		text = text[n:]
	}
	return b
}

// appendHistory replays the messages of a history batch, inside a
// chathistory batch for clients that support batches.
func (s *Server) appendHistory(b []byte, ev *hub.Event, caps capSet) []byte {
	if ev.Batch == nil || len(ev.Batch.Events) == 0 {
		return b
	}
	id := ""
	if caps&capBatch != 0 {
		id = strconv.FormatUint(s.batches.Add(1), 36)
		b = appendLine(b, s.cfg.Name, "BATCH", "+"+id, "chathistory", channel(ev.Room))
	}
	for i := range ev.Batch.Events {
		if e := &ev.Batch.Events[i]; e.Kind == hub.KindMessage || e.Kind == hub.KindAction {
			b = s.appendMessage(b, e, caps, id)
		}
	}
	if id != "" {
		b = appendLine(b, s.cfg.Name, "BATCH", "-"+id)
	}
	return b
}
