package relay

import (
	"context"
	"io"
	"net"
	"time"

	"golang.org/x/net/ipv4"
)

// Echo is a server.Handler that sends back every byte it receives and
// closes its write side when the peer does.
func Echo(ctx context.Context, c net.Conn) {
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if serverHandshake(ctx, c) != nil {
		return
	}
	if _, err := io.Copy(c, c); err == nil {
		closeWrite(c)
	}
}

// EchoPackets sends every datagram arriving on pc back to its sender, a
// batch per system call, until ctx is cancelled (returning nil) or the
// socket fails. So that a forged datagram cannot keep it bouncing with
// itself or with another echo server forever, it never answers its own
// address, does not answer the 100th return in a row of the datagram it
// last sent a peer (a peer sending the same datagram over and over loses
// one in 100), and answers each peer within a budget: a burst of 1,000
// datagrams, then 1,000 a second.
func EchoPackets(ctx context.Context, pc net.PacketConn) error {
	p := newPackets(pc)
	defer pc.Close()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	guard := newEchoGuard(pc.LocalAddr())
	out := make([]ipv4.Message, batchLen)
	err := p.receive(func(ms []ipv4.Message) error {
		now := time.Now()
		n := 0
		for _, m := range ms {
			if guard.answer(m.Addr, m.Buffers[0][:m.N], now) {
				out[n].Buffers = [][]byte{m.Buffers[0][:m.N]}
				out[n].Addr = m.Addr
				n++
			}
		}
		for sent := 0; sent < n; {
			k, err := p.b.WriteBatch(out[sent:n], 0)
			if err != nil {
				k = 1 // skip the datagram that could not be sent back
			}
			sent += k
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
