// Package irc is hubcat's IRC front end: it adapts a net.Conn speaking the
// IRC client protocol (RFC 1459/2812 with IRCv3 capabilities) into a
// hub.Member, so IRC users share rooms, names and private messages with the
// line-protocol, WebSocket and terminal users. Channel "#room" is hub room
// "room"; "/me" is a CTCP ACTION.
//
// Each connection has one goroutine that reads and runs commands. Commands
// are looked up in one table (commands.go) that checks registration and
// parameter counts once; handlers, grouped by family (register.go, cap.go,
// channel.go, message.go, query.go), append their replies to the
// connection's response buffer, which is queued to the member's outbox
// after each command. No handler writes to the socket: the hub's outbox
// writer is the connection's only writer, as for every front end.
//
// The wire format itself lives in package ircmsg.
package irc
