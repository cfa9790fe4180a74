// Package rexec runs a command on a remote hubcat and streams its standard
// input, output and error over one connection, like a small ssh without a
// shell.
//
// [Server] is a [server.Handler]-compatible handler for "hubcat exec serve";
// [Run] is the client side.
//
// # Wire protocol, version 2
//
// The connection starts with the handshake of package internal/frame
// (proto "hubcat-exec", roles "client" and "server"): when the server holds
// a token both sides prove it through a Noise NNpsk0 exchange keyed by the
// Argon2id-stretched token, and a client with a token refuses a server
// that cannot prove it. Everything after the handshake is encrypted and
// authenticated, so a relay can neither read the session nor swap the
// request. Inside, frames of package internal/frame (type byte, 32-bit
// big-endian length, payload):
//
//	client → server  'Q' {"argv":[...],"shell":bool,"pty":bool,"rows","cols","timeout_ms"}
//	server → client  'A' {} when the request is accepted, or an error frame
//
// and from then on, in any order:
//
//	client → server  '0' stdin bytes      'C' stdin closed (EOF)
//	                 'I' interrupt: SIGINT to the remote process group
//	                 'W' {"rows","cols"}: terminal resized (with pty)
//	server → client  '1' stdout bytes     '2' stderr bytes
//	                 'c' u32 BE: credit, stdin bytes the program consumed
//	                 'X' {"code","signal","timed_out"}: the process ended; last frame
//
// The client sends at most 256 KiB of stdin beyond the credit it got back,
// so the server queues stdin without ever pausing its reading: an
// interrupt, a resize or the end of the connection is seen at once even
// when the program ignores its input. More than the window is a protocol
// error that ends the session.
//
// Without a shell, argv is executed directly (no word splitting, no
// globbing); "shell" runs argv joined by spaces under /bin/sh -c. The
// process gets its own process group (a session with its own terminal
// with "pty"); the whole group is killed when the connection ends, when the
// timeout passes, or when the server shuts down ([server.Server.Shutdown]
// returns only after every session's group was killed). With "pty", stdout and
// stderr arrive merged as '1', as they do on a terminal.
package rexec
