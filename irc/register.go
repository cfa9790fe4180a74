package irc

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc/ircmsg"
)

// Limits announced in 005 and enforced here.
const (
	nickLen    = 32
	channelLen = nickLen + 1 // '#' and a room name
	awayLen    = 200
	maxChans   = 100 // channels one client may be in
)

// cmdPass accepts a password before registration. The hub has no server
// password, so any is taken.
func (cl *client) cmdPass(msg *ircmsg.Message) {
	if cl.registered.Load() {
		cl.rb.numeric(errAlreadyReg, "You may not reregister")
	}
}

// cmdNick sets the nick, before or after registration. The name is
// claimed in the hub at once, so a clash with a user of any front end is
// found here.
func (cl *client) cmdNick(msg *ircmsg.Message) {
	nick := msg.Param(0)
	if nick == "" {
		cl.rb.numeric(errNoNicknameGiven, "No nickname given")
		return
	}
	if !validNick(nick) {
		cl.rb.numeric(errErroneousNick, nick, "Erroneous nickname")
		return
	}
	old := cl.m.Name()
	if nick == old && cl.nick != "" {
		return
	}
	switch err := cl.m.Rename(nick); {
	case errors.Is(err, hub.ErrNameTaken):
		cl.rb.numeric(errNicknameInUse, nick, "Nickname is already in use")
		return
	case err != nil:
		cl.rb.numeric(errErroneousNick, nick, "Erroneous nickname: "+err.Error())
		return
	}
	prev := cl.nick
	cl.mu.Lock()
	cl.nick = nick
	cl.mu.Unlock()
	if !cl.registered.Load() {
		cl.tryRegister()
		return
	}
	cl.srv.remember(cl, prev, nick)
	cl.rb.nick = nick // the client's NICK line comes from the hub, in order with its peers'
}

// validNick applies IRC's nick syntax on top of the hub's name rules: no
// character that IRC gives a meaning (space, comma, '*', '?', '!', '@',
// '.'), no leading '#', ':', '&', digit or '-'.
func validNick(s string) bool {
	if s == "" || len(s) > nickLen || !utf8.ValidString(s) || strings.ContainsAny(s, " ,*?!@.\x00\r\n\x01") {
		return false
	}
	return !strings.ContainsAny(s[:1], "#:&$+%~-0123456789")
}

// cmdUser takes the user name and real name.
func (cl *client) cmdUser(msg *ircmsg.Message) {
	if cl.registered.Load() {
		cl.rb.numeric(errAlreadyReg, "You may not reregister")
		return
	}
	if msg.Params[0] == "" {
		cl.rb.numeric(errNeedMoreParams, "USER", "Not enough parameters")
		return
	}
	cl.user, cl.real = msg.Params[0], msg.Params[3]
	cl.tryRegister()
}

// tryRegister completes registration once NICK and USER are in and CAP
// negotiation, if any, has ended.
func (cl *client) tryRegister() {
	if cl.registered.Load() || cl.nick == "" || cl.user == "" || cl.capHold {
		return
	}
	cl.registered.Store(true)
	cl.rb.nick = cl.nick
	cl.srv.remember(cl, "", cl.nick)
	cl.welcome()
}

// welcome sends 001-005 and the MOTD.
func (cl *client) welcome() {
	s := cl.srv
	cl.rb.numeric(rplWelcome, "Welcome to the "+s.cfg.Network+" network, "+s.source(cl.nick))
	cl.rb.numeric(rplYourHost, "Your host is "+s.cfg.Name+", running hubcat")
	cl.rb.numeric(rplCreated, "This server was created "+s.created.UTC().Format("2006-01-02 15:04:05 MST"))
	cl.rb.numeric(rplMyInfo, s.cfg.Name, "hubcat", "iw", "biklmnotv", "bklov")
	cl.isupport()
	cl.lusers()
	cl.motd()
}

// isupport sends the 005 lines.
func (cl *client) isupport() {
	s := cl.srv
	for i := 0; i < len(s.support); i += 12 {
		params := append(s.support[i:min(i+12, len(s.support)):min(i+12, len(s.support))], "are supported by this server")
		cl.rb.numeric(rplISupport, params...)
	}
}

// isupport lists the 005 tokens.
func isupport(cfg Config) []string {
	return []string{
		"AWAYLEN=" + strconv.Itoa(awayLen),
		"CASEMAPPING=rfc1459",
		"CHANLIMIT=#:" + strconv.Itoa(maxChans),
		"CHANMODES=b,k,l,imnt",
		"CHANNELLEN=" + strconv.Itoa(channelLen),
		"CHANTYPES=#",
		"NETWORK=" + cfg.Network,
		"NICKLEN=" + strconv.Itoa(nickLen),
		"PREFIX=(ov)@+",
		"TARGMAX=JOIN:,PART:,PRIVMSG:4,NOTICE:4,NAMES:1,WHOIS:1,LIST:",
		"UTF8ONLY",
	}
}

// cmdMotd sends the message of the day.
func (cl *client) cmdMotd(*ircmsg.Message) { cl.motd() }

func (cl *client) motd() {
	motd := cl.srv.cfg.MOTD
	if len(motd) == 0 {
		cl.rb.numeric(errNoMotd, "MOTD File is missing")
		return
	}
	cl.rb.numeric(rplMotdStart, "- "+cl.srv.cfg.Name+" Message of the day - ")
	for _, l := range motd {
		cl.rb.numeric(rplMotd, "- "+l)
	}
	cl.rb.numeric(rplEndOfMotd, "End of /MOTD command.")
}

// cmdPing answers at any time, registered or not.
func (cl *client) cmdPing(msg *ircmsg.Message) {
	cl.rb.line("PONG", cl.srv.cfg.Name, msg.Params[0])
}

// cmdPong needs no answer: any input resets the idle timer.
func (cl *client) cmdPong(*ircmsg.Message) {}

// cmdQuit ends the session: the client gets ERROR, its peers a QUIT.
func (cl *client) cmdQuit(msg *ircmsg.Message) {
	reason := "Client Quit"
	if q := msg.Param(0); q != "" {
		reason = "Quit: " + q
	}
	cl.flush()
	cl.rb.buf = append(cl.rb.buf, cl.rb.errorLine("Closing Link: "+cl.host()+" ("+reason+")")...)
	cl.quitting = true
}

// host is the client's address without the port.
func (cl *client) host() string {
	a := cl.conn.RemoteAddr().String()
	if i := strings.LastIndexByte(a, ':'); i > 0 {
		a = strings.Trim(a[:i], "[]")
	}
	return a
}
