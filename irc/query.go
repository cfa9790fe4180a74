package irc

import (
	"strings"

	"github.com/hubcat/hubcat/irc/ircmsg"
)

// cmdAway sets or clears the away message; with away-notify, IRC clients
// sharing a channel see the change.
func (cl *client) cmdAway(msg *ircmsg.Message) {
	text := msg.Param(0)
	if len(text) > awayLen {
		text = text[:utf8Cut(text, awayLen)]
	}
	cl.mu.Lock()
	cl.away = text
	cl.mu.Unlock()
	if text == "" {
		cl.rb.numeric(rplUnaway, "You are no longer marked as being away")
	} else {
		cl.rb.numeric(rplNowAway, "You have been marked as being away")
	}
	cl.notifyAway(text)
}

// notifyAway tells the away-notify clients in the client's rooms.
func (cl *client) notifyAway(text string) {
	var line []byte
	if text == "" {
		line = appendLine(nil, cl.srv.source(cl.nick), "AWAY", "")
	} else {
		line = appendLine(nil, cl.srv.source(cl.nick), "AWAY", "", text)
	}
	seen := map[*client]bool{cl: true}
	for _, r := range cl.rooms() {
		names, _ := cl.who(r)
		for _, n := range names {
			o := cl.srv.lookup(n)
			if o != nil && !seen[o] && o.capsNow()&capAwayNotify != 0 {
				seen[o] = true
				o.queue(line)
			}
		}
	}
}

// whoisInfo is what WHO and WHOIS show about a name.
type whoisInfo struct {
	nick, real, away string
	irc              bool
}

// whois finds nick among IRC clients or the names in the client's rooms.
func (cl *client) whois(nick string) (whoisInfo, bool) {
	if o := cl.srv.lookup(nick); o != nil {
		return whoisInfo{nick: o.nickNow(), real: o.real, away: o.awayText(), irc: true}, true
	}
	for _, r := range cl.rooms() {
		names, _ := cl.who(r)
		for _, n := range names {
			if fold(n) == fold(nick) {
				return whoisInfo{nick: n, real: n}, true
			}
		}
	}
	return whoisInfo{}, false
}

// cmdWho lists the members of a channel, or one nick.
func (cl *client) cmdWho(msg *ircmsg.Message) {
	mask := msg.Param(0)
	if mask == "" {
		mask = "*"
	}
	if room, ok := roomOf(mask); ok {
		if names, err := cl.m.Roster(room); err == nil {
			for _, e := range names {
				info, _ := cl.whois(e.Name)
				if info.nick == "" {
					info = whoisInfo{nick: e.Name, real: e.Name}
				}
				cl.whoReply(channel(room), info, cl.prefix(e))
			}
		}
	} else if info, ok := cl.whois(mask); ok {
		cl.whoReply("*", info, "")
	}
	cl.rb.numeric(rplEndOfWho, mask, "End of WHO list")
}

func (cl *client) whoReply(ch string, info whoisInfo, status string) {
	flags := "H"
	if info.away != "" {
		flags = "G"
	}
	flags += status
	s := cl.srv
	cl.rb.numeric(rplWhoReply, ch, info.nick, s.cfg.Name, s.cfg.Name, info.nick, flags, "0 "+info.real)
}

// cmdWhois describes a nick (WHOIS [server] nick).
func (cl *client) cmdWhois(msg *ircmsg.Message) {
	nick := msg.Params[len(msg.Params)-1]
	nick, _, _ = strings.Cut(nick, ",")
	s := cl.srv
	info, ok := cl.whois(nick)
	if !ok {
		cl.rb.numeric(errNoSuchNick, nick, "No such nick/channel")
		cl.rb.numeric(rplEndOfWhois, nick, "End of /WHOIS list")
		return
	}
	cl.rb.numeric(rplWhoisUser, info.nick, info.nick, s.cfg.Name, "*", info.real)
	if fold(info.nick) == fold(cl.nick) {
		var chans []string
		for _, r := range cl.rooms() {
			chans = append(chans, channel(r))
		}
		if len(chans) > 0 {
			cl.rb.numeric(rplWhoisChannels, info.nick, strings.Join(chans, " "))
		}
	}
	cl.rb.numeric(rplWhoisServer, info.nick, s.cfg.Name, "hubcat")
	if info.away != "" {
		cl.rb.numeric(rplAway, info.nick, info.away)
	}
	cl.rb.numeric(rplEndOfWhois, info.nick, "End of /WHOIS list")
}

// cmdWhowas: the hub keeps no record of past nicks.
func (cl *client) cmdWhowas(msg *ircmsg.Message) {
	cl.rb.numeric(errWasNoSuchNick, msg.Params[0], "There was no such nickname")
	cl.rb.numeric(rplEndOfWhowas, msg.Params[0], "End of WHOWAS")
}

// cmdIson reports which of the given nicks are present.
func (cl *client) cmdIson(msg *ircmsg.Message) {
	var on []string
	for _, p := range msg.Params {
		for _, n := range strings.Fields(p) {
			if info, ok := cl.whois(n); ok {
				on = append(on, info.nick)
			}
		}
	}
	cl.rb.numeric(rplIson, strings.Join(on, " "))
}

// cmdUserhost answers nick=+user@host for up to five nicks.
func (cl *client) cmdUserhost(msg *ircmsg.Message) {
	var out []string
	for i, n := range msg.Params {
		if i == 5 {
			break
		}
		info, ok := cl.whois(n)
		if !ok {
			continue
		}
		away := "+"
		if info.away != "" {
			away = "-"
		}
		out = append(out, info.nick+"="+away+info.nick+"@"+cl.srv.cfg.Name)
	}
	cl.rb.numeric(rplUserhost, strings.Join(out, " "))
}
