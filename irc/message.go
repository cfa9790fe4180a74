package irc

import (
	"errors"
	"strings"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc/ircmsg"
)

// maxTargets bounds the targets of one PRIVMSG or NOTICE (TARGMAX).
const maxTargets = 4

// cmdPrivmsg sends text to channels and nicks.
func (cl *client) cmdPrivmsg(msg *ircmsg.Message) { cl.message(msg, false) }

// cmdNotice is PRIVMSG that never gets an error reply back (RFC 2812
// 3.3.2). The hub has no notices between members: it is relayed as a
// message.
func (cl *client) cmdNotice(msg *ircmsg.Message) { cl.message(msg, true) }

func (cl *client) message(msg *ircmsg.Message, notice bool) {
	switch {
	case len(msg.Params) == 0 || msg.Params[0] == "":
		if !notice {
			cl.rb.numeric(errNoRecipient, "No recipient given ("+msg.Command+")")
		}
		return
	case len(msg.Params) == 1 || msg.Params[1] == "":
		if !notice {
			cl.rb.numeric(errNoTextToSend, "No text to send")
		}
		return
	}
	kind, text, ok := ctcp(msg.Params[1])
	if !ok {
		return // a CTCP request other than ACTION: the hub cannot carry it
	}
	targets := strings.Split(msg.Params[0], ",")
	for i, t := range targets {
		if i == maxTargets {
			break
		}
		code, reason := cl.deliver(t, kind, text)
		if code != "" && !notice {
			cl.rb.numeric(code, t, reason)
		}
		if code == "" && cl.caps&capEchoMessage != 0 {
			cl.echo(msg.Command, t, msg.Params[1])
		}
	}
}

// ctcp maps "\x01ACTION text\x01" to an action; other CTCP requests are
// refused (ok false).
func ctcp(text string) (kind hub.Kind, body string, ok bool) {
	if text == "" || text[0] != '\x01' {
		return hub.KindMessage, text, true
	}
	inner := strings.TrimSuffix(text[1:], "\x01")
	if verb, rest, _ := strings.Cut(inner, " "); strings.EqualFold(verb, "ACTION") {
		return hub.KindAction, rest, true
	}
	return 0, "", false
}

// deliver sends text to one target, returning the numeric and reason of a
// failure, or "".
func (cl *client) deliver(target string, kind hub.Kind, text string) (code, reason string) {
	if target[0] == '#' {
		room, ok := roomOf(target)
		if !ok || !cl.srv.roomExists(room) {
			return errNoSuchChannel, "No such channel"
		}
		if err := cl.post(room, kind, text); err != nil {
			return errCannotSendChan, "Cannot send to channel"
		}
		return "", ""
	}
	if kind == hub.KindAction {
		text = "* " + cl.nick + " " + text // private actions: the hub has only text
	}
	if err := cl.private(target, text); err != nil {
		if errors.Is(err, hub.ErrNoSuchMember) {
			return errNoSuchNick, "No such nick/channel"
		}
		return errNoSuchNick, err.Error()
	}
	if o := cl.srv.lookup(target); o != nil {
		if away := o.awayText(); away != "" {
			cl.rb.numeric(rplAway, o.nickNow(), away)
		}
	}
	return "", ""
}

// echo sends the client its own message back (echo-message).
func (cl *client) echo(cmd, target, text string) {
	cl.rb.buf = appendLine(cl.rb.buf, cl.srv.source(cl.nick), cmd, target, text)
}
