package irc

import (
	"strings"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc/ircmsg"
)

// format renders hub events as IRC lines for clients with one combination
// of the capabilities that change rendering (server-time, message-tags,
// batch). Clients with the same combination share a format, so a room
// message is rendered once for all of them.
type format struct {
	srv  *Server
	caps capSet
}

// formats makes the server's formats, one per combination of renderCaps.
func (s *Server) makeFormats() {
	for i := range s.formats {
		s.formats[i] = &format{srv: s, caps: capSet(i) & renderCaps}
	}
}

// format returns the format for a client with caps.
func (s *Server) format(caps capSet) hub.Format { return s.formats[caps&renderCaps] }

// source is the nick!user@host that lines from nick carry. The hub knows
// names only, so every member's user is its nick and its host the server.
func (s *Server) source(nick string) string {
	return nick + "!" + nick + "@" + s.cfg.Name
}

// channel is the IRC channel of a hub room.
func channel(room string) string { return "#" + room }

// Append implements hub.Format.
func (f *format) Append(b []byte, ev *hub.Event) []byte {
	switch ev.Kind {
	case hub.KindMessage:
		return f.privmsg(b, ev, channel(ev.Room), "", "")
	case hub.KindAction:
		return f.privmsg(b, ev, channel(ev.Room), "\x01ACTION ", "\x01")
	case hub.KindPrivate:
		return f.privmsg(b, ev, ev.To, "", "")
	case hub.KindJoin:
		return appendLine(f.tags(b, ev), f.srv.source(ev.From), "JOIN", channel(ev.Room))
	case hub.KindLeave:
		if ev.Reason == hub.StillConnected {
			return appendLine(f.tags(b, ev), f.srv.source(ev.From), "PART", channel(ev.Room))
		}
		return appendLine(f.tags(b, ev), f.srv.source(ev.From), "QUIT", "", quitText(ev.Reason))
	case hub.KindRename:
		return appendLine(f.tags(b, ev), f.srv.source(ev.From), "NICK", "", ev.Text)
	case hub.KindNotice:
		if strings.HasSuffix(ev.Text, "\r\n") { // raw protocol bytes (see queue)
			return append(b, ev.Text...)
		}
		return appendLine(b, f.srv.cfg.Name, "NOTICE", "*", ev.Text)
	case hub.KindAck:
		return b
	default:
		return appendLine(b, f.srv.cfg.Name, "NOTICE", "*", ev.Text)
	}
}

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

// tags appends the tags this format's clients asked for.
func (f *format) tags(b []byte, ev *hub.Event) []byte {
	n := 0
	if f.caps&capServerTime != 0 && !ev.Time.IsZero() {
		b = append(b, "@time="...)
		b = ev.Time.UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		n++
	}
	if f.caps&capMessageTags != 0 && ev.ID != "" {
		if n == 0 {
			b = append(b, '@')
		} else {
			b = append(b, ';')
		}
		b = append(b, "msgid="...)
		b = append(b, ev.ID...)
		n++
	}
	if n > 0 {
		b = append(b, ' ')
	}
	return b
}

// privmsg appends ev's text as PRIVMSGs to target, as many as the 512-byte
// limit needs, each wrapped in pre and post (CTCP ACTION).
func (f *format) privmsg(b []byte, ev *hub.Event, target, pre, post string) []byte {
	src := f.srv.source(ev.From)
	room := ircmsg.MaxBody - 2 - (1 + len(src) + len(" PRIVMSG ") + len(target) + len(" :") + len(pre) + len(post))
	text := ev.Text
	for first := true; first || text != ""; first = false {
		n := utf8Cut(text, max(room, 16))
		b = f.tags(b, ev)
		b = append(b, ':')
		b = append(b, src...)
		b = append(b, " PRIVMSG "...)
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

// timeTag formats t as server-time does.
func timeTag(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
