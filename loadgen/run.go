package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubcat/hubcat/endpoint"
)

// run is the state of one load run.
type run struct {
	cfg     Config
	wire    wire
	base    time.Time // latencies are measured on its monotonic clock
	latency *latencies

	phase     atomic.Pointer[string]
	connected atomic.Int64
	clients   atomic.Pointer[[]*client] // set once connecting ends
	senders   atomic.Pointer[[]*sender] // set when sending begins
	syncer    atomic.Pointer[client]    // the client that sends sync tokens
	joined    atomic.Int64
	allJoined chan struct{}
	joinOnce  sync.Once

	unstall     chan struct{} // closed when stalled clients may read again
	unstallOnce sync.Once
}

// now is the run's monotonic clock in nanoseconds.
func (r *run) now() int64 { return int64(time.Since(r.base)) }

func (r *run) setPhase(p string) { r.phase.Store(&p) }

// Run performs one load run and reports what it measured. It returns an
// error only when no client could connect or the config is invalid;
// partial failures are in the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	w, err := newWire(cfg.Proto)
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, wire: w, base: time.Now(), latency: newLatencies(), allJoined: make(chan struct{}), unstall: make(chan struct{})}
	r.senders.Store(&[]*sender{})
	rep := &Report{Addr: cfg.Addr.String(), Proto: cfg.Proto, Clients: cfg.Clients, Senders: cfg.Senders, Rate: cfg.Rate, Window: cfg.Window}
	hub := newHubProbe(cfg.PID)
	if err := hub.start(); err != nil {
		return nil, err
	}
	stopProgress := r.reportProgress()
	defer stopProgress()
	clients, err := r.open(ctx, rep)
	if err != nil {
		return nil, err
	}
	defer r.closeAll(clients)
	members := r.load(ctx, clients, hub, rep)
	stopProgress()
	r.closeAll(clients)
	r.tally(members, rep)
	return rep, nil
}

// open connects the clients, waits until they are all in the room and the
// server has gone quiet, and returns the connected ones.
func (r *run) open(ctx context.Context, rep *Report) ([]*client, error) {
	clients, fails, firstErr := r.connect(ctx)
	rep.Connected, rep.ConnectErrors = len(clients), fails
	if firstErr != nil {
		rep.FirstConnectError = firstErr.Error()
	}
	if len(clients) == 0 {
		return nil, firstErr
	}
	r.join(ctx, clients)
	rep.ConnectSeconds = time.Since(r.base).Seconds()
	r.settle(ctx, clients)
	return clients, nil
}

// load runs the measured phase, sending or holding idle, and returns the
// receiving members; the hub and the generator are sampled around it.
func (r *run) load(ctx context.Context, clients []*client, hub *hubProbe, rep *Report) []*client {
	members := joinedClients(clients)
	rep.Joined = len(members)
	hub.joined(countAlive(clients))
	self, _ := sampleProc(os.Getpid())
	members, stalled := r.stall(members)
	rep.Stalled = len(stalled)
	if r.cfg.Senders == 0 {
		r.hold(ctx)
	} else {
		r.send(ctx, members, rep)
	}
	hub.finish(rep)
	if end, err := sampleProc(os.Getpid()); err == nil {
		rep.LoadgenCPUSeconds = end.cpuSeconds - self.cpuSeconds
	}
	dropped := r.dropped(members)
	rep.Disconnected = len(dropped)
	rep.StalledDropped = len(r.dropped(stalled))
	if len(dropped) > 0 {
		<-dropped[0].done // its reader has ended, so readErr is set
		rep.FirstDisconnectError = fmt.Sprint(dropped[0].readErr)
	}
	return members
}

// connect opens cfg.Clients connections with bounded concurrency and
// returns those that got through the protocol handshake.
func (r *run) connect(ctx context.Context) ([]*client, int, error) {
	r.setPhase("connecting")
	slots := make([]*client, r.cfg.Clients)
	errs := make([]error, r.cfg.Clients)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(r.cfg.DialConcurrency, r.cfg.Clients) {
		wg.Go(func() {
			for i := range jobs {
				slots[i], errs[i] = r.dialRetry(ctx, i)
			}
		})
	}
	var tick *time.Ticker
	if r.cfg.ConnectRate > 0 {
		tick = time.NewTicker(time.Duration(float64(time.Second) / r.cfg.ConnectRate))
		defer tick.Stop()
	}
	for i := range slots {
		if tick != nil {
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
		}
		if ctx.Err() != nil {
			errs[i] = ctx.Err()
			continue
		}
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	var out []*client
	var firstErr error
	fails := 0
	for i, c := range slots {
		if c != nil {
			out = append(out, c)
			continue
		}
		fails++
		if firstErr == nil {
			firstErr = errs[i]
		}
	}
	r.clients.Store(&out)
	return out, fails, firstErr
}

// dialAttempts is how often a client tries to connect: a server with a
// short listen backlog resets connections it had no room for.
const dialAttempts = 3

// dialRetry dials client i, retrying failed attempts.
func (r *run) dialRetry(ctx context.Context, i int) (c *client, err error) {
	for range dialAttempts {
		if c, err = r.dial(ctx, i); err == nil || ctx.Err() != nil {
			return c, err
		}
	}
	return nil, err
}

// dial opens connection i, does the handshake and starts its reader.
func (r *run) dial(ctx context.Context, i int) (*client, error) {
	dc := endpoint.DialConfig{TLS: r.cfg.TLS, Timeout: r.cfg.DialTimeout}
	if src := sourceAddr(r.cfg.Addr, i); src != nil {
		dc.LocalAddr, dc.Family = src, "4"
	}
	conn, err := endpoint.Dial(ctx, r.cfg.Addr, dc)
	if err != nil {
		return nil, err
	}
	c := &client{id: i, run: r, conn: conn, done: make(chan struct{})}
	c.br = bufio.NewReaderSize(&arrivals{c}, readBufferSize)
	conn.SetDeadline(time.Now().Add(r.cfg.JoinTimeout))
	if err := r.wire.join(c); err != nil {
		conn.Close()
		return nil, fmt.Errorf("handshake with %s: %w", r.cfg.Addr, err)
	}
	conn.SetDeadline(time.Time{})
	r.connected.Add(1)
	c.alive.Store(true)
	go c.serve()
	return c, nil
}

// sourceAddr picks client i's local address: one of 127.0.0.1–254 when the
// target is IPv4 loopback, so the four-tuples don't exhaust ephemeral
// ports; nil otherwise.
func sourceAddr(e endpoint.Endpoint, i int) net.Addr {
	if e.Scheme != endpoint.TCP && e.Scheme != endpoint.TLS {
		return nil
	}
	host, _, err := net.SplitHostPort(e.Address)
	if err != nil {
		return nil
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || ip.To4() == nil || !ip.IsLoopback()) {
		return nil
	}
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%254))}
}

// join broadcasts sync tokens from one client until every client has seen
// one (or JoinTimeout passes): that proves the server has each of them in
// its broadcast set, whether or not it sends a greeting.
func (r *run) join(ctx context.Context, clients []*client) {
	r.setPhase("joining")
	syncer := clients[0]
	r.syncer.Store(syncer)
	if len(clients) == 1 && !r.wire.echoes() {
		r.markJoined(syncer, 1) // nobody else could see its sync
	}
	deadline := time.NewTimer(r.cfg.JoinTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for k := 0; ; k++ {
		msg := r.wire.appendPublish(nil, fmt.Appendf(nil, "%s%d", syncMark, k))
		if syncer.write(msg) != nil {
			return
		}
		select {
		case <-r.allJoined:
			return
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sawSync records that c received a sync token, so c and the syncer (whose
// message got through) are in the room.
func (r *run) sawSync(c *client) {
	want := int64(len(*r.clients.Load()))
	r.markJoined(c, want)
	if s := r.syncer.Load(); s != nil && s != c {
		r.markJoined(s, want)
	}
}

// markJoined counts c as joined and signals when all want clients are.
func (r *run) markJoined(c *client, want int64) {
	if c.in.CompareAndSwap(false, true) && r.joined.Add(1) == want {
		r.joinOnce.Do(func() { close(r.allJoined) })
	}
}

// settle waits until the server has stopped sending (join notices, for
// instance): no bytes arrive for 300ms, or 30s pass.
func (r *run) settle(ctx context.Context, clients []*client) {
	r.setPhase("settling")
	const quiet, limit = 300 * time.Millisecond, 30 * time.Second
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	start, last, lastChange := time.Now(), int64(-1), time.Now()
	for time.Since(start) < limit && time.Since(lastChange) < quiet {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n := sumBytes(clients); n != last {
			last, lastChange = n, time.Now()
		}
	}
}

func sumBytes(clients []*client) int64 {
	var n int64
	for _, c := range clients {
		n += c.bytesIn.Load()
	}
	return n
}

// joinedClients returns the clients in the room and marks them members,
// whose deliveries count.
func joinedClients(clients []*client) []*client {
	var out []*client
	for _, c := range clients {
		if c.in.Load() && c.alive.Load() {
			c.member.Store(true)
			out = append(out, c)
		}
	}
	return out
}

// countAlive counts the clients whose connection is still open.
func countAlive(clients []*client) int {
	n := 0
	for _, c := range clients {
		if c.alive.Load() {
			n++
		}
	}
	return n
}

// stalledReadBuffer is the socket receive buffer of a stalled client.
const stalledReadBuffer = 4096

// stall takes cfg.Stalled clients off the end of members and makes them
// stop reading, as a client that hangs would; the rest go on receiving.
func (r *run) stall(members []*client) (receivers, stalled []*client) {
	n := min(r.cfg.Stalled, len(members))
	receivers, stalled = members[:len(members)-n], members[len(members)-n:]
	for _, c := range stalled {
		c.member.Store(false)
		c.stalled.Store(true)
		// A small receive buffer makes the server feel the stall within
		// seconds instead of after megabytes of kernel buffering.
		if tc, ok := c.conn.(interface{ SetReadBuffer(int) error }); ok {
			tc.SetReadBuffer(stalledReadBuffer)
		}
	}
	return receivers, stalled
}

// hold keeps idle connections open for the run's duration.
func (r *run) hold(ctx context.Context) {
	r.setPhase("holding")
	t := time.NewTimer(r.cfg.Duration)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// dropped lists the members whose connection ended before the run closed
// it.
func (r *run) dropped(members []*client) []*client {
	var out []*client
	for _, c := range members {
		if !c.alive.Load() {
			out = append(out, c)
		}
	}
	return out
}

// closeAll closes every connection and waits for the readers to finish.
func (r *run) closeAll(clients []*client) {
	r.unstallOnce.Do(func() { close(r.unstall) })
	for _, c := range clients {
		c.conn.Close()
	}
	for _, c := range clients {
		<-c.done
	}
}

// reportProgress calls cfg.Progress every second until the returned stop
// function is called (more than once is fine).
func (r *run) reportProgress() func() {
	if r.cfg.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.cfg.Progress(r.snapshot())
			}
		}
	})
	var once sync.Once
	return func() { once.Do(func() { close(done); wg.Wait() }) }
}

// snapshot gathers the live counters.
func (r *run) snapshot() Progress {
	p := Progress{Phase: *r.phase.Load(), Elapsed: time.Since(r.base), Connected: int(r.connected.Load()), Joined: int(r.joined.Load())}
	if cs := r.clients.Load(); cs != nil {
		for _, c := range *cs {
			p.Delivered += c.delivered.Load()
			p.Garbled += c.garbled.Load()
		}
	}
	for _, s := range *r.senders.Load() {
		p.Sent += s.seq.Load()
	}
	return p
}
