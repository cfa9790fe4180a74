package relay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// MaxDatagram is the largest UDP payload hubcat sends (the IPv4 limit).
const MaxDatagram = 65507

// batchLen is how many datagrams move per recvmmsg/sendmmsg call.
const batchLen = 32

// batcher is the batched I/O that ipv4.PacketConn and ipv6.PacketConn share.
type batcher interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// packets moves datagrams in batches on one UDP socket.
type packets struct {
	b     batcher
	hexMu sync.Mutex
}

// socketBuffer is the receive buffer asked for on UDP sockets, so bursts
// wait in the kernel instead of being dropped; the kernel caps it at
// net.core.rmem_max.
const socketBuffer = 4 << 20

func newPackets(pc net.PacketConn) *packets {
	p := &packets{}
	if uc, ok := pc.(*net.UDPConn); ok {
		uc.SetReadBuffer(socketBuffer) // best effort
	}
	if a, ok := pc.LocalAddr().(*net.UDPAddr); ok && a.IP.To4() != nil {
		p.b = ipv4.NewPacketConn(pc)
	} else {
		p.b = ipv6.NewPacketConn(pc)
	}
	return p
}

// receive calls fn with each batch of datagrams read, until a read fails.
func (p *packets) receive(fn func(ms []ipv4.Message) error) error {
	const size = 1 << 16
	slab := make([]byte, batchLen*size)
	ms := make([]ipv4.Message, batchLen)
	for i := range ms {
		ms[i].Buffers = [][]byte{slab[i*size : (i+1)*size]}
	}
	for {
		n, err := p.b.ReadBatch(ms, 0)
		if err != nil {
			return err
		}
		if err := fn(ms[:n]); err != nil {
			return err
		}
	}
}

// send writes each datagram to addr (nil on a connected socket), a batch
// per system call.
func (p *packets) send(dgrams [][]byte, addr net.Addr, ms []ipv4.Message) error {
	for len(dgrams) > 0 {
		k := min(len(dgrams), len(ms))
		for i := range k {
			ms[i].Buffers = [][]byte{dgrams[i]}
			ms[i].Addr = addr
		}
		n, err := p.b.WriteBatch(ms[:k], 0)
		if err != nil {
			return err
		}
		dgrams = dgrams[n:]
	}
	return nil
}

// sendLines reads in and sends each line (or a chunk of MaxDatagram bytes
// of a longer line, or what is left at the end of input) as a datagram to
// the address to returns. A partial line waits for its end.
func (p *packets) sendLines(in io.Reader, to func() (net.Addr, error), hex *hexDumper, touch func()) error {
	buf := make([]byte, 4*MaxDatagram)
	ms := make([]ipv4.Message, batchLen)
	var dgrams [][]byte
	have := 0
	for {
		n, rerr := in.Read(buf[have:])
		have += n
		dgrams = cutDatagrams(dgrams[:0], buf[:have], rerr != nil)
		if len(dgrams) > 0 {
			addr, err := to()
			if err != nil {
				return err
			}
			if touch != nil {
				touch()
			}
			if hex != nil {
				for _, d := range dgrams {
					hex.dump(d)
				}
			}
			if err := p.send(dgrams, addr, ms); err != nil {
				return err
			}
			used := 0
			for _, d := range dgrams {
				used += len(d)
			}
			have = copy(buf, buf[used:have])
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// cutDatagrams splits b into lines of at most MaxDatagram bytes; a partial
// line at the end is kept back unless eof or it is already MaxDatagram long.
func cutDatagrams(out [][]byte, b []byte, eof bool) [][]byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b[:min(len(b), MaxDatagram)], '\n')
		var d []byte
		switch {
		case i >= 0:
			d = b[:i+1]
		case len(b) >= MaxDatagram:
			d = b[:MaxDatagram]
		case eof:
			d = b
		default:
			return out
		}
		out = append(out, d)
		b = b[len(d):]
	}
	return out
}

// writeBatch writes the payloads of ms to out in one write.
func writeBatch(out io.Writer, ms []ipv4.Message, scratch *[]byte, keep func(net.Addr) bool, hex *hexDumper) error {
	b := (*scratch)[:0]
	for _, m := range ms {
		if keep != nil && !keep(m.Addr) {
			continue
		}
		d := m.Buffers[0][:m.N]
		if hex != nil {
			hex.dump(d)
		}
		b = append(b, d...)
	}
	*scratch = b
	if len(b) == 0 {
		return nil
	}
	_, err := out.Write(b)
	return err
}

// watch sets up what both UDP relays take from Options: the idle watch
// (nil without a timeout; its clock not yet started) and its touch, the
// hex dumpers, and the output (discarded with SendOnly).
func (p *packets) watch(o Options, c net.PacketConn, out io.Writer) (idle *idleWatch, touch func(), sendHex, recvHex *hexDumper, w io.Writer) {
	if o.IdleTimeout > 0 {
		idle = &idleWatch{d: o.IdleTimeout, c: c}
		touch = idle.touch
	}
	if o.Hex != nil {
		sendHex = &hexDumper{w: o.Hex, mu: &p.hexMu, dir: '>'}
		recvHex = &hexDumper{w: o.Hex, mu: &p.hexMu, dir: '<'}
	}
	if o.SendOnly {
		out = io.Discard
	}
	return idle, touch, sendHex, recvHex, out
}

// DialPacket relays between a connected UDP socket and streams: each line
// of in is one datagram, each datagram received is written to out. Without
// an idle timeout it returns at the end of input; with one it keeps
// receiving after the end of input until the peer has been quiet that
// long, and returns ErrIdle only if input had not ended.
func DialPacket(ctx context.Context, c net.PacketConn, in io.Reader, out io.Writer, o Options) error {
	p := newPackets(c)
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	idle, touch, sendHex, recvHex, out := p.watch(o, c, out)
	if idle != nil {
		idle.start()
	}
	defer idle.stop()
	var inputEnded atomic.Bool
	up := make(chan error, 1)
	if !o.RecvOnly {
		if o.CRLF {
			in = &crlfReader{r: in}
		}
		go func() {
			err := p.sendLines(in, func() (net.Addr, error) { return nil, nil }, sendHex, touch)
			inputEnded.Store(err == nil)
			up <- err
		}()
	}
	down := make(chan error, 1)
	go func() {
		var scratch []byte
		down <- p.receive(func(ms []ipv4.Message) error {
			if touch != nil {
				touch()
			}
			return writeBatch(out, ms, &scratch, nil, recvHex)
		})
	}()
	for {
		select {
		case err := <-up:
			if err != nil || idle == nil {
				return err
			}
		case err := <-down:
			switch {
			case ctx.Err() != nil:
				return ctx.Err()
			case idle != nil && idle.fired.Load() && inputEnded.Load():
				return nil
			case idle != nil && idle.fired.Load():
				return ErrIdle
			}
			return err
		}
	}
}

// PacketOptions tune [ServePacket].
type PacketOptions struct {
	Options
	// KeepOpen takes datagrams from any number of peers; input goes to the
	// one heard from last. Without it the first peer is the only one.
	KeepOpen bool
	// Filter refuses datagrams from peers it does not allow; nil allows all.
	Filter *Filter
	// Logger records refused and ignored peers; nil means slog.Default().
	Logger *slog.Logger
}

// ServePacket relays between a UDP socket and streams in listen mode:
// datagrams from peers are written to out, each line of in is sent to the
// last peer heard from (input waits until there is one). It runs until ctx
// is cancelled (returning nil), the idle timeout passes (ErrIdle) or the
// socket fails. The idle timeout counts from the first datagram admitted,
// as a stream listener's counts from its connection: waiting for a peer is
// not idleness.
func ServePacket(ctx context.Context, pc net.PacketConn, in io.Reader, out io.Writer, o PacketOptions) error {
	p := newPackets(pc)
	defer pc.Close()
	stop := context.AfterFunc(ctx, func() { pc.Close() })
	defer stop()
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	peers := &peerBook{known: make(chan struct{}), filter: o.Filter, keepOpen: o.KeepOpen, log: log}
	idle, touch, sendHex, recvHex, out := p.watch(o.Options, pc, out)
	defer idle.stop()
	if !o.RecvOnly {
		if o.CRLF {
			in = &crlfReader{r: in}
		}
		go func() {
			err := p.sendLines(in, peers.wait(ctx), sendHex, touch)
			if err != nil && !errors.Is(err, net.ErrClosed) && ctx.Err() == nil {
				log.Warn("sending failed", "err", err)
			}
		}()
	}
	var scratch []byte
	err := p.receive(func(ms []ipv4.Message) error {
		if touch != nil {
			touch()
		}
		err := writeBatch(out, ms, &scratch, peers.admit, recvHex)
		if idle != nil && !idle.started() && peers.first != nil { // the conversation has begun
			idle.start()
		}
		return err
	})
	switch {
	case ctx.Err() != nil:
		return nil
	case idle != nil && idle.fired.Load():
		return ErrIdle
	}
	return err
}

// peerBook tracks which UDP peers are admitted and which was heard last.
type peerBook struct {
	filter   *Filter
	keepOpen bool
	log      *slog.Logger
	known    chan struct{} // closed when the first peer is admitted
	last     atomic.Pointer[net.UDPAddr]
	first    *net.UDPAddr
	noted    map[string]bool // peers already logged as refused or ignored
}

// admit reports whether a datagram from addr is accepted, remembering it
// as the peer to reply to. It runs on the receiving goroutine only.
func (b *peerBook) admit(addr net.Addr) bool {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return false
	}
	if !b.filter.Allowed(addr) {
		b.note(ua, "refused peer", "not allowed")
		return false
	}
	if b.first == nil {
		b.first = ua
		b.last.Store(ua)
		close(b.known)
		return true
	}
	if !b.keepOpen && !sameAddr(ua, b.first) {
		b.note(ua, "ignored peer", fmt.Sprintf("already talking to %s (use --keep-open for many peers)", b.first))
		return false
	}
	if !sameAddr(b.last.Load(), ua) {
		b.last.Store(ua)
	}
	return true
}

func sameAddr(a, b *net.UDPAddr) bool {
	return a.IP.Equal(b.IP) && a.Port == b.Port
}

// note logs a refused or ignored peer once.
func (b *peerBook) note(ua *net.UDPAddr, msg, reason string) {
	if b.noted == nil {
		b.noted = map[string]bool{}
	}
	key := ua.String()
	if b.noted[key] || len(b.noted) > 4096 {
		return
	}
	b.noted[key] = true
	b.log.Warn(msg, "remote", key, "reason", reason)
}

// wait returns the destination function for input: it blocks until the
// first peer is known, then names the last one.
func (b *peerBook) wait(ctx context.Context) func() (net.Addr, error) {
	return func() (net.Addr, error) {
		select {
		case <-b.known:
			return b.last.Load(), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
