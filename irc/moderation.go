package irc

import (
	"errors"
	"strconv"
	"strings"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc/ircmsg"
)

// Room moderation is the hub's (operators, voice, topic, kick, bans,
// invite, keys, limits); this file maps it to IRC's commands and numerics.

// splitModes splits a mode event's text ("+o bob -t") into the parameters
// of one MODE line per change.
func splitModes(text string) [][]string {
	var out [][]string
	for _, f := range strings.Fields(text) {
		if f[0] == '+' || f[0] == '-' || len(out) == 0 {
			out = append(out, []string{f})
		} else {
			out[len(out)-1] = append(out[len(out)-1], f)
		}
	}
	return out
}

// modeNumeric maps a moderation error to its numeric and text.
func modeNumeric(err error) (string, string) {
	switch {
	case errors.Is(err, hub.ErrNotOperator):
		return errChanOPrivsNeeded, "You're not channel operator"
	case errors.Is(err, hub.ErrBanned):
		return errBannedFromChan, "Cannot join channel (+b)"
	case errors.Is(err, hub.ErrInviteOnly):
		return errInviteOnlyChan, "Cannot join channel (+i)"
	case errors.Is(err, hub.ErrBadKey):
		return errBadChannelKey, "Cannot join channel (+k)"
	case errors.Is(err, hub.ErrRoomFull):
		return errChannelIsFull, "Cannot join channel (+l)"
	case errors.Is(err, hub.ErrModerated):
		return errCannotSendChan, "Cannot send to channel (+m)"
	case errors.Is(err, hub.ErrUnknownMode):
		return errUnknownMode, "is unknown mode char to me"
	case errors.Is(err, hub.ErrModeArg):
		return errInvalidModeParam, "Invalid mode parameter"
	case errors.Is(err, hub.ErrNoSuchMember):
		return errUserNotInChan, "They aren't on that channel"
	case errors.Is(err, hub.ErrNotInRoom):
		return errNotOnChannel, "You're not on that channel"
	}
	return errNoSuchChannel, err.Error()
}

// topic sends 332 and 333 for a room with a topic (or 331 when asked).
func (cl *client) topic(room string, asked bool) {
	t, err := cl.m.Topic(room)
	switch {
	case err != nil:
		return
	case t.Text == "":
		if asked {
			cl.rb.numeric(rplNoTopic, channel(room), "No topic is set")
		}
	default:
		cl.rb.numeric(rplTopic, channel(room), t.Text)
		cl.rb.numeric(rplTopicWhoTime, channel(room), cl.srv.source(t.By), strconv.FormatInt(t.At.Unix(), 10))
	}
}

// cmdTopic shows or sets a channel's topic.
func (cl *client) cmdTopic(msg *ircmsg.Message) {
	ch := msg.Params[0]
	room, ok := roomOf(ch)
	switch {
	case !ok || !cl.inRoom(room) && !cl.srv.roomExists(room):
		cl.rb.numeric(errNoSuchChannel, ch, "No such channel")
	case !cl.inRoom(room):
		cl.rb.numeric(errNotOnChannel, ch, "You're not on that channel")
	case len(msg.Params) == 1:
		cl.topic(room, true)
	default:
		if err := cl.m.SetTopic(room, msg.Params[1]); err != nil {
			code, text := modeNumeric(err)
			cl.rb.numeric(code, ch, text)
		}
	}
}

// channelMode shows a channel's modes or its ban list, or changes them.
func (cl *client) channelMode(ch string, args []string) {
	room, ok := roomOf(ch)
	if !ok || !cl.inRoom(room) && !cl.srv.roomExists(room) {
		cl.rb.numeric(errNoSuchChannel, ch, "No such channel")
		return
	}
	if !cl.inRoom(room) {
		cl.rb.numeric(errNotOnChannel, ch, "You're not on that channel")
		return
	}
	rm, err := cl.m.RoomModes(room)
	if err != nil {
		return
	}
	switch {
	case len(args) == 0:
		modes := strings.Fields(rm.String())
		modes[0] = "+n" + strings.TrimPrefix(modes[0], "+")
		cl.rb.numeric(rplChannelModeIs, append([]string{ch}, modes...)...)
		cl.rb.numeric(rplCreationTime, ch, strconv.FormatInt(rm.Created.Unix(), 10))
	case len(args) == 1 && strings.TrimLeft(args[0], "+") == "b":
		for _, mask := range rm.Bans {
			cl.rb.numeric(rplBanList, ch, mask)
		}
		cl.rb.numeric(rplEndOfBanList, ch, "End of channel ban list")
	default:
		changes, bad := parseModes(args)
		if bad != 0 {
			cl.rb.numeric(errUnknownMode, string(bad), "is unknown mode char to me")
		}
		if len(changes) == 0 {
			return
		}
		if err := cl.m.Mode(room, changes); err != nil {
			code, text := modeNumeric(err)
			cl.rb.numeric(code, ch, text)
		}
	}
}

// parseModes reads "+o-v nick nick" style changes; n is kept (always on),
// a ban list query inside a change is ignored. bad is the first unknown
// mode letter, or 0.
func parseModes(args []string) (changes []hub.ModeChange, bad byte) {
	add, next := true, 1
	for _, c := range []byte(args[0]) {
		switch c {
		case '+', '-':
			add = c == '+'
			continue
		case 'n':
			continue
		case 'i', 'm', 't':
			changes = append(changes, hub.ModeChange{Add: add, Mode: c})
			continue
		case 'o', 'v', 'b', 'k', 'l':
		default:
			if bad == 0 {
				bad = c
			}
			continue
		}
		needsArg := c != 'l' && c != 'k' || add
		if c == 'k' && !add && next < len(args) {
			needsArg = true // "-k key": the key is given, and ignored
		}
		arg := ""
		if needsArg {
			if next >= len(args) {
				continue // "+b" alone lists bans; other modes need their argument
			}
			arg, next = args[next], next+1
		}
		changes = append(changes, hub.ModeChange{Add: add, Mode: c, Arg: arg})
	}
	return changes, bad
}

// cmdKick removes members from a channel: KICK #c nick[,nick] [reason].
func (cl *client) cmdKick(msg *ircmsg.Message) {
	ch := msg.Params[0]
	room, ok := roomOf(ch)
	if !ok || !cl.inRoom(room) {
		cl.needRoom(ch, room, ok)
		return
	}
	for _, nick := range strings.Split(msg.Params[1], ",") {
		if err := cl.m.Kick(room, nick, msg.Param(2)); err != nil {
			code, text := modeNumeric(err)
			if code == errUserNotInChan {
				cl.rb.numeric(code, nick, ch, text)
			} else {
				cl.rb.numeric(code, ch, text)
			}
		}
	}
}

// cmdInvite invites a nick to a channel: INVITE nick #c.
func (cl *client) cmdInvite(msg *ircmsg.Message) {
	nick, ch := msg.Params[0], msg.Params[1]
	room, ok := roomOf(ch)
	if !ok || !cl.inRoom(room) {
		cl.needRoom(ch, room, ok)
		return
	}
	switch err := cl.m.Invite(room, nick); {
	case errors.Is(err, hub.ErrNoSuchMember):
		cl.rb.numeric(errNoSuchNick, nick, "No such nick/channel")
	case err != nil:
		code, text := modeNumeric(err)
		cl.rb.numeric(code, ch, text)
	default:
		cl.rb.numeric(rplInviting, nick, ch)
	}
}

// needRoom explains why a command on ch cannot run: no such channel, or
// the client is not on it.
func (cl *client) needRoom(ch, room string, ok bool) {
	if !ok || !cl.srv.roomExists(room) {
		cl.rb.numeric(errNoSuchChannel, ch, "No such channel")
		return
	}
	cl.rb.numeric(errNotOnChannel, ch, "You're not on that channel")
}
