package irc

import (
	"errors"
	"strings"
	"unicode/utf8"

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
	if !utf8.ValidString(msg.Params[1]) { // UTF8ONLY: never relayed, modified or not
		if !notice {
			cl.rb.line("FAIL", msg.Command, "INVALID_UTF8", "Message rejected, your message contained invalid UTF-8")
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
		var e *echo
		if cl.caps&capEchoMessage != 0 {
			e = &echo{cmd: msg.Command, target: t, text: msg.Params[1]}
		}
		if code, reason := cl.deliver(t, kind, text, e); code != "" && !notice {
			cl.rb.numeric(code, t, reason)
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
func (cl *client) deliver(target string, kind hub.Kind, text string, e *echo) (code, reason string) {
	if target[0] == '#' {
		room, ok := roomOf(target)
		switch err := cl.post(room, kind, text, e); {
		case err == nil:
			return "", ""
		case errors.Is(err, hub.ErrEmpty):
			return errNoTextToSend, "No text to send"
		case !ok || !cl.srv.roomExists(room):
			return errNoSuchChannel, "No such channel"
		default:
			return errCannotSendChan, "Cannot send to channel"
		}
	}
	if kind == hub.KindAction {
		text = "* " + cl.nick + " " + text // private actions: the hub has only text
	}
	switch err := cl.private(target, text, e); {
	case errors.Is(err, hub.ErrEmpty):
		return errNoTextToSend, "No text to send"
	case err != nil:
		return errNoSuchNick, "No such nick/channel"
	}
	if o := cl.srv.lookup(target); o != nil {
		if away := o.awayText(); away != "" {
			cl.rb.numeric(rplAway, o.nickNow(), away)
		}
	}
	return "", ""
}

// maxBurst bounds the messages posted in one go.
const maxBurst = 64

// burst is consecutive messages of one client to one channel, read
// together and posted in one go: they are numbered under one lock and
// reach each member in one write.
type burst struct {
	room    string // the room's display name
	kind    hub.Kind
	command string // PRIVMSG or NOTICE
	texts   []string
}

// addToBurst takes a PRIVMSG or NOTICE to one channel the client is in
// into the burst, and reports whether it did. Anything else, and messages
// that need an echo, take the usual path.
func (cl *client) addToBurst(msg *ircmsg.Message) bool {
	if msg.Command != "PRIVMSG" && msg.Command != "NOTICE" || len(msg.Params) < 2 || msg.Params[1] == "" || !utf8.ValidString(msg.Params[1]) ||
		!cl.registered.Load() || cl.caps&capEchoMessage != 0 || strings.IndexByte(msg.Params[0], ',') >= 0 {
		return false
	}
	room, ok := roomOf(msg.Params[0])
	if !ok {
		return false
	}
	kind, text, ok := ctcp(msg.Params[1])
	if !ok {
		return false
	}
	b := &cl.burst
	if len(b.texts) > 0 && (b.kind != kind || b.command != msg.Command || fold(b.room) != fold(room)) {
		cl.sendBurst()
	}
	if len(b.texts) == 0 {
		name, in := cl.m.In(room)
		if !in {
			return false
		}
		b.room, b.kind, b.command = name, kind, msg.Command
	}
	b.texts = append(b.texts, text)
	if len(b.texts) == maxBurst {
		cl.sendBurst()
	}
	return true
}

// sendBurst posts the burst, if any.
func (cl *client) sendBurst() {
	b := &cl.burst
	if len(b.texts) == 0 {
		return
	}
	err := cl.m.Post(b.room, b.kind, "", b.texts...)
	clear(b.texts)
	b.texts = b.texts[:0]
	if err != nil && b.command == "PRIVMSG" {
		if errors.Is(err, hub.ErrEmpty) {
			cl.rb.numeric(errNoTextToSend, "No text to send")
		} else {
			cl.rb.numeric(errCannotSendChan, channel(b.room), "Cannot send to channel")
		}
		cl.flush()
	}
}

// cmdTagmsg accepts a message of tags alone (message-tags) and drops it:
// the hub carries no client tags, so there is nothing to relay.
func (cl *client) cmdTagmsg(*ircmsg.Message) {}
