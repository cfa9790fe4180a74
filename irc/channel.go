package irc

import (
	"errors"
	"strconv"
	"strings"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc/ircmsg"
)

// roomOf returns the hub room of an IRC channel name, or false when the
// name is not a channel ('#' and a room name).
func roomOf(ch string) (string, bool) {
	if len(ch) < 2 || ch[0] != '#' || len(ch) > channelLen {
		return "", false
	}
	return ch[1:], true
}

// cmdJoin joins each channel of a comma-separated list ("0" parts all).
func (cl *client) cmdJoin(msg *ircmsg.Message) {
	if msg.Params[0] == "0" {
		for _, r := range cl.rooms() {
			cl.partRoom(r)
		}
		return
	}
	keys := strings.Split(msg.Param(1), ",")
	for i, ch := range strings.Split(msg.Params[0], ",") {
		key := ""
		if i < len(keys) {
			key = keys[i]
		}
		room, ok := roomOf(ch)
		if !ok {
			cl.rb.numeric(errNoSuchChannel, ch, "No such channel")
			continue
		}
		if len(cl.rooms()) >= maxChans && !cl.inRoom(room) {
			cl.rb.numeric(errTooManyChannels, ch, "You have joined too many channels")
			continue
		}
		cl.flush() // what came before goes before the JOIN
		name, names, joinSeq, already, err := cl.join(room, key)
		switch {
		case errors.Is(err, hub.ErrBadRoom):
			cl.rb.numeric(errNoSuchChannel, ch, "Cannot join channel: "+err.Error())
		case err != nil:
			code, text := modeNumeric(err)
			cl.rb.numeric(code, ch, text)
		case !already:
			cl.topic(name, false)
			cl.names(channel(name), names)
			cl.flush()
			cl.replay(name, joinSeq)
		}
	}
}

// names sends 353 lines for the names in a channel, as many as the line
// limit needs, then 366.
func (cl *client) names(ch string, names []hub.RosterEntry) {
	prefix := len(cl.srv.cfg.Name) + len(cl.nick) + len(ch) + 16
	var line []byte
	emit := func() {
		if len(line) > 0 {
			cl.rb.numeric(rplNamReply, "=", ch, string(line))
			line = line[:0]
		}
	}
	for _, e := range names {
		n := e.Name
		if cl.caps&capUserhostInNames != 0 {
			n = cl.srv.source(n)
		}
		n = cl.prefix(e) + n
		if prefix+len(line)+1+len(n) > ircmsg.MaxBody-2 {
			emit()
		}
		if len(line) > 0 {
			line = append(line, ' ')
		}
		line = append(line, n...)
	}
	emit()
	cl.rb.numeric(rplEndOfNames, ch, "End of /NAMES list.")
}

// cmdPart leaves each channel of a comma-separated list.
func (cl *client) cmdPart(msg *ircmsg.Message) {
	for _, ch := range strings.Split(msg.Params[0], ",") {
		room, ok := roomOf(ch)
		switch {
		case ok && cl.inRoom(room):
			cl.partRoom(room)
		case !ok || !cl.srv.roomExists(room):
			cl.rb.numeric(errNoSuchChannel, ch, "No such channel")
		default:
			cl.rb.numeric(errNotOnChannel, ch, "You're not on that channel")
		}
	}
}

// partRoom leaves room; the hub tells the client, in order with its
// peers.
func (cl *client) partRoom(room string) {
	cl.flush()
	cl.part(room)
}

// cmdNames lists the names in a channel the client is in; for others it
// only ends the list.
func (cl *client) cmdNames(msg *ircmsg.Message) {
	ch := msg.Param(0)
	if ch == "" {
		cl.rb.numeric(rplEndOfNames, "*", "End of /NAMES list.")
		return
	}
	ch, _, _ = strings.Cut(ch, ",")
	if room, ok := roomOf(ch); ok {
		if names, err := cl.m.Roster(room); err == nil {
			cl.names(channel(room), names)
			return
		}
	}
	cl.rb.numeric(rplEndOfNames, ch, "End of /NAMES list.")
}

// cmdList lists the rooms with their sizes, optionally only some.
func (cl *client) cmdList(msg *ircmsg.Message) {
	var want map[string]bool
	if p := msg.Param(0); p != "" && p[0] == '#' {
		want = map[string]bool{}
		for _, ch := range strings.Split(p, ",") {
			want[fold(ch)] = true
		}
	}
	cl.rb.numeric(rplListStart, "Channel", "Users  Name")
	for _, r := range cl.srv.hub.Rooms() {
		ch := channel(r.Name)
		if want == nil || want[fold(ch)] {
			cl.rb.numeric(rplList, ch, strconv.Itoa(r.Members), "")
		}
	}
	cl.rb.numeric(rplListEnd, "End of /LIST")
}

// cmdMode answers channel mode queries and the client's own user modes.
func (cl *client) cmdMode(msg *ircmsg.Message) {
	target := msg.Params[0]
	if target != "" && target[0] == '#' {
		cl.channelMode(target, msg.Params[1:])
		return
	}
	cl.userMode(target, msg.Param(1))
}

// userMode shows or changes the client's own modes (i and w, which
// change nothing here).
func (cl *client) userMode(nick, change string) {
	if fold(nick) != fold(cl.nick) {
		if cl.srv.lookup(nick) == nil && !cl.sharesRoomWith(nick) {
			cl.rb.numeric(errNoSuchNick, nick, "No such nick/channel")
		} else {
			cl.rb.numeric(errUsersDontMatch, "Can't change mode for other users")
		}
		return
	}
	if change == "" {
		cl.rb.numeric(rplUmodeIs, "+"+cl.umodes)
		return
	}
	modes, applied, unknown := cl.applyUmodes(change)
	cl.umodes = modes
	if unknown {
		cl.rb.numeric(errUmodeUnknownFlag, "Unknown MODE flag")
	}
	if applied != "" {
		cl.rb.buf = appendLine(cl.rb.buf, cl.srv.source(cl.nick), "MODE", cl.nick, applied)
	}
}

// applyUmodes applies a change like "+iw-x" to the client's modes.
func (cl *client) applyUmodes(change string) (modes, applied string, unknown bool) {
	modes = cl.umodes
	adding, lastSign := true, byte(0)
	var out []byte
	for i := 0; i < len(change); i++ {
		c := change[i]
		switch {
		case c == '+' || c == '-':
			adding = c == '+'
			continue
		case c != 'i' && c != 'w':
			unknown = true
			continue
		}
		has := strings.IndexByte(modes, c) >= 0
		if has == adding {
			continue
		}
		if adding {
			modes += string(c)
		} else {
			modes = strings.ReplaceAll(modes, string(c), "")
		}
		sign := byte('-')
		if adding {
			sign = '+'
		}
		if sign != lastSign {
			out = append(out, sign)
			lastSign = sign
		}
		out = append(out, c)
	}
	return modes, string(out), unknown
}

// sharesRoomWith reports whether nick is in one of the client's rooms.
func (cl *client) sharesRoomWith(nick string) bool {
	for _, r := range cl.rooms() {
		names, _ := cl.who(r)
		for _, n := range names {
			if fold(n) == fold(nick) {
				return true
			}
		}
	}
	return false
}

// roomExists reports whether room has members.
func (s *Server) roomExists(room string) bool {
	for _, r := range s.hub.Rooms() {
		if fold(r.Name) == fold(room) {
			return true
		}
	}
	return false
}
