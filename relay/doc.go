// Package relay is hubcat's netcat core: it moves bytes between a connection
// and a pair of streams (standard input and output, or a process), among
// many connections (broker and keep-open modes), and between UDP peers.
//
// # Speed
//
// [Pipe] receives with io.Copy from the bare connection when no option
// needs to see the bytes, so Go splices from the socket into a pipe or
// file. It sends through a 256 KiB buffer with plain read and write calls,
// which measured faster than splice(2) from a pipe and sendfile(2) from a
// file (bench/RESULTS.md). UDP moves up to a batch of datagrams per system
// call with recvmmsg(2) and sendmmsg(2) (golang.org/x/net/ipv4 and ipv6).
//
// # Half-close
//
// When input ends, [Pipe] shuts down only the write side of the connection
// and keeps reading until the peer closes, which request/response
// protocols such as Gopher need. Options.CloseOnEOF is for peers that never
// close by themselves.
//
// # Slow peers
//
// In broker and keep-open modes each connection has a bounded outbound
// queue drained by its own writer; a peer that falls behind is cut off with
// a logged reason and never stalls the others.
package relay
