package relay

import (
	"context"
	"io"
	"net"

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
// socket fails.
func EchoPackets(ctx context.Context, pc net.PacketConn) error {
	p := newPackets(pc)
	defer pc.Close()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	out := make([]ipv4.Message, batchLen)
	err := p.receive(func(ms []ipv4.Message) error {
		for i, m := range ms {
			out[i].Buffers = [][]byte{m.Buffers[0][:m.N]}
			out[i].Addr = m.Addr
		}
		for sent := 0; sent < len(ms); {
			n, err := p.b.WriteBatch(out[sent:len(ms)], 0)
			if err != nil {
				n = 1 // skip the datagram that could not be sent back
			}
			sent += n
		}
		return nil
	})
	if ctx.Err() != nil {
		return nil
	}
	return err
}
