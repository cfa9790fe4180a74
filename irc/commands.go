package irc

import "github.com/hubcat/hubcat/irc/ircmsg"

// command is one entry of the command table: the checks every handler
// would otherwise repeat are made once, in run.
type command struct {
	handler   func(cl *client, msg *ircmsg.Message)
	preReg    bool // usable before registration completes
	minParams int  // fewer parameters get 461
}

// commands is the protocol, indexed. Each handler lives with its family:
// register.go, cap.go, channel.go, message.go, query.go.
var commands map[string]command

func init() {
	commands = map[string]command{
		"ADMIN":    {handler: (*client).cmdAdmin},
		"AWAY":     {handler: (*client).cmdAway},
		"INFO":     {handler: (*client).cmdInfo},
		"INVITE":   {handler: (*client).cmdInvite, minParams: 2},
		"KICK":     {handler: (*client).cmdKick, minParams: 2},
		"LUSERS":   {handler: (*client).cmdLusers},
		"OPER":     {handler: (*client).cmdOper, minParams: 2},
		"TAGMSG":   {handler: (*client).cmdTagmsg, minParams: 1},
		"TIME":     {handler: (*client).cmdTime},
		"VERSION":  {handler: (*client).cmdVersion},
		"CAP":      {handler: (*client).cmdCap, preReg: true, minParams: 1},
		"ISON":     {handler: (*client).cmdIson, minParams: 1},
		"JOIN":     {handler: (*client).cmdJoin, minParams: 1},
		"LIST":     {handler: (*client).cmdList},
		"MODE":     {handler: (*client).cmdMode, minParams: 1},
		"MOTD":     {handler: (*client).cmdMotd},
		"NAMES":    {handler: (*client).cmdNames},
		"NICK":     {handler: (*client).cmdNick, preReg: true},
		"NOTICE":   {handler: (*client).cmdNotice},
		"PART":     {handler: (*client).cmdPart, minParams: 1},
		"PASS":     {handler: (*client).cmdPass, preReg: true, minParams: 1},
		"PING":     {handler: (*client).cmdPing, preReg: true, minParams: 1},
		"PONG":     {handler: (*client).cmdPong, preReg: true},
		"PRIVMSG":  {handler: (*client).cmdPrivmsg},
		"QUIT":     {handler: (*client).cmdQuit, preReg: true},
		"TOPIC":    {handler: (*client).cmdTopic, minParams: 1},
		"USER":     {handler: (*client).cmdUser, preReg: true, minParams: 4},
		"USERHOST": {handler: (*client).cmdUserhost, minParams: 1},
		"WHO":      {handler: (*client).cmdWho},
		"WHOIS":    {handler: (*client).cmdWhois, minParams: 1},
		"WHOWAS":   {handler: (*client).cmdWhowas, minParams: 1},
	}
}

// run looks msg's command up and runs it after the table's checks.
func (cl *client) run(msg *ircmsg.Message) {
	cmd, ok := commands[msg.Command]
	switch {
	case !ok && !cl.registered.Load():
		cl.rb.numeric(errNotRegistered, "You have not registered")
	case !ok:
		cl.rb.numeric(errUnknownCommand, msg.Command, "Unknown command")
	case !cmd.preReg && !cl.registered.Load():
		cl.rb.numeric(errNotRegistered, "You have not registered")
	case len(msg.Params) < cmd.minParams:
		cl.rb.numeric(errNeedMoreParams, msg.Command, "Not enough parameters")
	default:
		cmd.handler(cl, msg)
	}
}
