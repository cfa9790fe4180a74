package relay

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Fanout copies chunks of bytes to a changing set of connections. Each
// member has a bounded queue drained by its own writer goroutine; a member
// whose queue is full is cut off with a logged reason, so a peer that stops
// reading never stalls the others. The zero value is ready to use.
type Fanout struct {
	// Logger receives members cut off as slow; nil means slog.Default().
	Logger *slog.Logger
	// QueueLen is how many chunks may wait for one member; zero means 256.
	QueueLen int
	// WriteTimeout bounds each write to a member; zero means 10 seconds.
	WriteTimeout time.Duration

	mu      sync.Mutex
	members map[*Member]struct{}
}

// Member is a connection joined to a Fanout.
type Member struct {
	c    net.Conn
	q    chan []byte
	done chan struct{}
}

// Join adds c and starts its writer. The caller must call Leave when it is
// done with c.
func (f *Fanout) Join(c net.Conn) *Member {
	n := f.QueueLen
	if n <= 0 {
		n = 256
	}
	m := &Member{c: c, q: make(chan []byte, n), done: make(chan struct{})}
	f.mu.Lock()
	if f.members == nil {
		f.members = map[*Member]struct{}{}
	}
	f.members[m] = struct{}{}
	f.mu.Unlock()
	go f.write(m)
	f.logger().Debug("peer joined", "remote", c.RemoteAddr().String())
	return m
}

// Leave removes m, lets its writer send what is queued and waits for it.
func (f *Fanout) Leave(m *Member) {
	f.mu.Lock()
	if _, ok := f.members[m]; ok {
		delete(f.members, m)
		close(m.q)
	}
	f.mu.Unlock()
	<-m.done
}

// Len reports how many members there are.
func (f *Fanout) Len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.members)
}

// Send queues a copy of p to every member except from (which may be nil).
func (f *Fanout) Send(p []byte, from *Member) {
	if len(p) == 0 {
		return
	}
	chunk := append([]byte(nil), p...)
	f.mu.Lock()
	defer f.mu.Unlock()
	for m := range f.members {
		if m == from {
			continue
		}
		select {
		case m.q <- chunk:
		default:
			f.logger().Warn("peer cut off", "remote", m.c.RemoteAddr().String(), "reason", "slow consumer: outbound queue full")
			delete(f.members, m)
			close(m.q)
			m.c.Close()
		}
	}
}

// write drains m's queue, batching what is pending into one write.
func (f *Fanout) write(m *Member) {
	defer close(m.done)
	timeout := f.WriteTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var bufs net.Buffers
	failed := false
	for chunk := range m.q {
		bufs = append(bufs[:0], chunk)
	drain:
		for len(bufs) < 64 {
			select {
			case more, ok := <-m.q:
				if !ok {
					break drain
				}
				bufs = append(bufs, more)
			default:
				break drain
			}
		}
		if failed {
			continue
		}
		m.c.SetWriteDeadline(time.Now().Add(timeout))
		if _, err := bufs.WriteTo(m.c); err != nil {
			failed = true
			f.logger().Info("peer cut off", "remote", m.c.RemoteAddr().String(), "reason", "write failed: "+err.Error())
			m.c.Close()
		}
	}
}

func (f *Fanout) logger() *slog.Logger {
	if f.Logger != nil {
		return f.Logger
	}
	return slog.Default()
}

// Broker is a server.Handler that relays the bytes each client sends to
// all the other clients, raw, as ncat's broker mode does.
type Broker struct {
	Fanout Fanout
}

// ServeConn joins c to the broker until c's peer closes.
func (b *Broker) ServeConn(ctx context.Context, c net.Conn) {
	if serverHandshake(ctx, c) != nil {
		return
	}
	m := b.Fanout.Join(c)
	defer b.Fanout.Leave(m)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	buf := make([]byte, 32<<10)
	for {
		n, err := c.Read(buf)
		b.Fanout.Send(buf[:n], m)
		if err != nil {
			return
		}
	}
}

// Shared is a server.Handler for listen --keep-open: what each client sends
// is written to Out, and [Shared.Feed] sends its input to every client.
type Shared struct {
	// Fanout carries input to the clients; set its Logger and limits.
	Fanout Fanout
	// Out receives every client's bytes, one read's worth at a time.
	Out io.Writer
	// Opts applies SendOnly, IdleTimeout and Hex to each client.
	Opts Options

	outMu sync.Mutex
	hexMu sync.Mutex
}

// ServeConn relays c's bytes to Out until its peer closes.
func (s *Shared) ServeConn(ctx context.Context, c net.Conn) {
	if serverHandshake(ctx, c) != nil {
		return
	}
	m := s.Fanout.Join(c)
	defer s.Fanout.Leave(m)
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	r := &tap{r: c}
	if s.Opts.IdleTimeout > 0 {
		idle := newIdleWatch(s.Opts.IdleTimeout, c)
		defer idle.stop()
		r.touch = idle.touch
	}
	if s.Opts.Hex != nil {
		r.hex = &hexDumper{w: s.Opts.Hex, mu: &s.hexMu, dir: '<'}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 && !s.Opts.SendOnly {
			s.outMu.Lock()
			_, werr := s.Out.Write(buf[:n])
			s.outMu.Unlock()
			if werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Feed sends in to every connected client until in ends, then returns
// nil, or the read error.
func (s *Shared) Feed(in io.Reader) error {
	if s.Opts.CRLF {
		in = &crlfReader{r: in}
	}
	var hex *hexDumper
	if s.Opts.Hex != nil {
		hex = &hexDumper{w: s.Opts.Hex, mu: &s.hexMu, dir: '>'}
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := in.Read(buf)
		if n > 0 {
			if hex != nil {
				hex.dump(buf[:n])
			}
			s.Fanout.Send(buf[:n], nil)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
