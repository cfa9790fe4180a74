package irc

import (
	"strings"

	"github.com/hubcat/hubcat/irc/ircmsg"
)

// capSet is a set of IRCv3 capabilities, one bit each.
type capSet uint32

// The capabilities offered. Each is backed by what the hub really does:
// a capability the core cannot honour is not offered.
const (
	capServerTime      capSet = 1 << iota // https://ircv3.net/specs/extensions/server-time
	capMessageTags                        // https://ircv3.net/specs/extensions/message-tags
	capBatch                              // https://ircv3.net/specs/extensions/batch
	capEchoMessage                        // https://ircv3.net/specs/extensions/echo-message
	capMultiPrefix                        // https://ircv3.net/specs/extensions/multi-prefix
	capUserhostInNames                    // https://ircv3.net/specs/extensions/userhost-in-names
	capAwayNotify                         // https://ircv3.net/specs/extensions/away-notify
	capCapNotify                          // https://ircv3.net/specs/extensions/capability-negotiation#cap-notify
)

var capNames = []struct {
	name string
	bit  capSet
}{
	{"away-notify", capAwayNotify},
	{"batch", capBatch},
	{"cap-notify", capCapNotify},
	{"echo-message", capEchoMessage},
	{"message-tags", capMessageTags},
	{"multi-prefix", capMultiPrefix},
	{"server-time", capServerTime},
	{"userhost-in-names", capUserhostInNames},
}

// lookupCap returns the bit of a capability name, or 0.
func lookupCap(name string) capSet {
	for _, c := range capNames {
		if c.name == name {
			return c.bit
		}
	}
	return 0
}

// names lists the capabilities in s, space-separated.
func (s capSet) names() string {
	var out []string
	for _, c := range capNames {
		if s&c.bit != 0 {
			out = append(out, c.name)
		}
	}
	return strings.Join(out, " ")
}

// allCaps is every capability offered.
func allCaps() capSet {
	var s capSet
	for _, c := range capNames {
		s |= c.bit
	}
	return s
}

// cmdCap negotiates capabilities. LS and REQ before registration hold it
// until CAP END.
func (cl *client) cmdCap(msg *ircmsg.Message) {
	sub := strings.ToUpper(msg.Params[0])
	switch sub {
	case "LS":
		cl.holdRegistration()
		if msg.Param(1) >= "302" {
			cl.mu.Lock()
			cl.caps |= capCapNotify // implied by version 302
			cl.mu.Unlock()
		}
		cl.rb.line("CAP", cl.rb.nick, "LS", allCaps().names())
	case "LIST":
		cl.rb.line("CAP", cl.rb.nick, "LIST", cl.caps.names())
	case "REQ":
		cl.holdRegistration()
		cl.capReq(msg.Param(1))
	case "END":
		if !cl.registered.Load() && cl.capHold {
			cl.capHold = false
			cl.tryRegister()
		}
	default:
		cl.rb.numeric(errInvalidCapCmd, sub, "Invalid CAP command")
	}
}

func (cl *client) holdRegistration() {
	if !cl.registered.Load() {
		cl.capHold = true
	}
}

// capReq grants all the requested changes or none.
func (cl *client) capReq(list string) {
	add, del := capSet(0), capSet(0)
	for _, name := range strings.Fields(list) {
		remove := strings.HasPrefix(name, "-")
		bit := lookupCap(strings.TrimPrefix(name, "-"))
		if bit == 0 {
			cl.rb.line("CAP", cl.rb.nick, "NAK", list)
			return
		}
		if remove {
			del |= bit
		} else {
			add |= bit
		}
	}
	cl.mu.Lock()
	cl.caps = cl.caps&^del | add
	cl.mu.Unlock()
	cl.rb.line("CAP", cl.rb.nick, "ACK", list)
}
