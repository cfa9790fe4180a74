// Package rexec runs a command on a remote hubcat and streams its standard
// input, output and error over one connection, like a small ssh without a
// shell.
//
// [Server] is a [server.Handler]-compatible handler for "hubcat exec serve";
// [Run] is the client side.
//
// # Wire protocol, version 1
//
// Frames of package internal/frame (type byte, 32-bit big-endian length,
// payload). The connection starts with the handshake of that package
// (proto "hubcat-exec", roles "client" and "server"); when the server holds
// a token both sides prove it by HMAC over fresh nonces. Then:
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
//	                 'X' {"code","signal","timed_out"}: the process ended; last frame
//
// Without a shell, argv is executed directly (no word splitting, no
// globbing); "shell" runs argv joined by spaces under /bin/sh -c. The
// process gets its own process group (a session with its own terminal
// with "pty"); the whole group is killed when the connection ends, when the
// timeout passes, or when the server shuts down. With "pty", stdout and
// stderr arrive merged as '1', as they do on a terminal.
package rexec
