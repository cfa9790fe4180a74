package irc

import (
	"strconv"
	"time"

	"github.com/hubcat/hubcat/irc/ircmsg"
)

// Server information commands: LUSERS, VERSION, TIME, ADMIN, INFO, and
// OPER, refused: the hub has no IRC operators.

// cmdLusers counts users and channels.
func (cl *client) cmdLusers(*ircmsg.Message) { cl.lusers() }

func (cl *client) lusers() {
	st := cl.srv.hub.Stats()
	users := 0
	for _, n := range st.Members {
		users += n
	}
	u, r := strconv.Itoa(users), strconv.Itoa(st.Rooms)
	cl.rb.numeric(rplLuserClient, "There are "+u+" users and 0 invisible on 1 servers")
	cl.rb.numeric(rplLuserChannels, r, "channels formed")
	cl.rb.numeric(rplLuserMe, "I have "+u+" clients and 0 servers")
}

// cmdVersion names the server and repeats 005.
func (cl *client) cmdVersion(*ircmsg.Message) {
	cl.rb.numeric(rplVersion, "hubcat", cl.srv.cfg.Name, "a chat hub with an IRC door")
	cl.isupport()
}

// cmdTime tells the server's time.
func (cl *client) cmdTime(*ircmsg.Message) {
	cl.rb.numeric(rplTime, cl.srv.cfg.Name, time.Now().UTC().Format(time.RFC1123))
}

// cmdAdmin: no administrative information is configured.
func (cl *client) cmdAdmin(*ircmsg.Message) {
	cl.rb.numeric(errNoAdminInfo, cl.srv.cfg.Name, "No administrative info available")
}

// cmdInfo describes the server.
func (cl *client) cmdInfo(*ircmsg.Message) {
	cl.rb.numeric(rplInfo, "hubcat: one chat hub for nc, browsers, terminals and IRC clients")
	cl.rb.numeric(rplEndOfInfo, "End of INFO list")
}

// cmdOper: the hub has no IRC operators.
func (cl *client) cmdOper(*ircmsg.Message) {
	cl.rb.numeric(errNoOperHost, "No O-lines for your host")
}
