// Package tui is hubcat's full-screen chat client: `hubcat chat` on a
// terminal. It speaks the JSON event protocol v1 (docs/PROTOCOL.md) and
// never reads the hub's text lines.
//
// A Client owns the socket: its one goroutine dials, reads every event and
// redials with backoff when the connection breaks, and hands everything it
// learns to the Model as messages. The Model is a bubbletea model whose
// Update is a pure function of those messages and the user's keys; what it
// sends leaves through tea.Cmds, one batch in flight at a time so that
// commands keep their order.
//
// Every room is resumed after a reconnect: the model joins it again with
// "after" set to the newest event it has seen with nothing missing before
// it, and shows each room event once, in sequence order, whatever order
// the hub's replies come in. A ping after each resume join marks the end
// of its history. Messages typed while disconnected are held and sent once
// their room is resumed; a message sent on a connection that broke before
// its ack is confirmed if the resumed history holds it and sent again if
// not. A private message cannot be checked that way: it is marked as not
// confirmed instead of risking a duplicate.
package tui
