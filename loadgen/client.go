package loadgen

import (
	"bufio"
	"net"
	"sync"
	"sync/atomic"
)

// readBufferSize is each connection's read buffer: large, so a busy
// receiver makes few read calls.
const readBufferSize = 64 << 10

// latencyBatch is how many latencies a client collects before it takes a
// histogram lock.
const latencyBatch = 512

// client is one connection to the server. Its read goroutine owns the
// unexported bookkeeping fields; the atomics are read by the progress line
// and the run.
type client struct {
	id   int
	run  *run
	conn net.Conn
	br   *bufio.Reader
	wmu  sync.Mutex // serialises writes: the sender and PONG replies

	in        atomic.Bool // has seen a sync token: the server broadcasts to it
	member    atomic.Bool // counted as a receiver in this run
	delivered atomic.Int64
	bytesIn   atomic.Int64
	garbled   atomic.Int64
	dups      atomic.Int64
	alive     atomic.Bool
	stalled   atomic.Bool   // stops reading until the run ends
	readErr   error         // why the read loop ended; read after done closes
	done      chan struct{} // closed when the read loop ends

	pos     int        // index among the run's reading members (see pickSenders)
	observe []int32    // per sender: the next seq this client observes, or -1
	next    []int32    // per sender: the seq expected next while in order
	seen    [][]uint64 // per sender: nil while in order, else bit seq set when seq arrived
	lat     []int64    // latencies not yet in a histogram
	arrived int64      // run clock when the last read returned
}

// arrivals reads the client's connection and notes when each read
// returns: every line of one read arrived at that moment, and reading the
// clock once per read rather than once per line keeps the generator's
// own cost out of the way of the server it measures.
type arrivals struct{ c *client }

func (a *arrivals) Read(p []byte) (int, error) {
	n, err := a.c.conn.Read(p)
	a.c.arrived = a.c.run.now()
	return n, err
}

// write sends b in one call, serialised with other writers.
func (c *client) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write(b)
	return err
}

// serve runs the protocol's read loop until the connection ends; the
// caller sets alive before starting it.
func (c *client) serve() {
	defer close(c.done)
	c.readErr = c.run.wire.readLoop(c)
	c.alive.Store(false)
	c.flushLatency()
}

// garbledLine counts a line that is neither a notice nor a valid message.
func (c *client) garbledLine() {
	if c.member.Load() {
		c.garbled.Add(1)
	}
}

// handle accounts for one received message payload.
func (c *client) handle(payload []byte) {
	if c.stalled.Load() {
		<-c.run.unstall // a hung client: the server's buffers fill up
		return
	}
	kind, t := classify(payload)
	switch kind {
	case lineSync:
		c.run.sawSync(c)
	case lineGarbled:
		c.garbledLine()
	case lineToken:
		if c.member.Load() {
			c.deliver(t)
		}
	}
}

// deliver records a valid message: duplicate check, latency, and the
// sender's acknowledgement when this client observes the message.
func (c *client) deliver(t token) {
	r := c.run
	senders := *r.senders.Load()
	if t.sender >= len(senders) || t.seq >= senders[t.sender].sent() {
		c.garbled.Add(1) // a token no sender wrote
		return
	}
	if c.isDuplicate(t, len(senders)) {
		c.dups.Add(1)
		return
	}
	c.delivered.Add(1)
	if c.lat == nil {
		c.lat = make([]int64, 0, latencyBatch)
	}
	lat := c.arrived - t.sentNs
	c.lat = append(c.lat, lat)
	if len(c.lat) >= latencyBatch {
		c.flushLatency()
	}
	if senders[t.sender].members != nil {
		c.observed(senders, t, lat)
	}
}

// observed acknowledges t to its sender when this client observes it. Each
// client keeps, per sender, the next message it observes, so most
// deliveries cost one comparison.
func (c *client) observed(senders []*sender, t token, lat int64) {
	if c.observe == nil {
		c.observe = make([]int32, len(senders))
		for i, s := range senders {
			c.observe[i] = int32(s.firstObserved(c))
		}
	}
	next := int(c.observe[t.sender])
	if next < 0 || t.seq < next {
		return
	}
	s := senders[t.sender]
	step := s.observerStep()
	if (t.seq-next)%step == 0 {
		s.ack(t.seq, lat)
	}
	c.observe[t.sender] = int32(next + ((t.seq-next)/step+1)*step)
}

// isDuplicate records that t arrived and reports whether it had before.
// A sender's messages normally arrive in order, so a per-sender counter
// (small and cache-friendly across thousands of clients) decides. The
// first message that arrives out of order (after a loss, say) switches
// that sender to a bitmap of every sequence number seen.
func (c *client) isDuplicate(t token, senders int) bool {
	if c.next == nil {
		c.next = make([]int32, senders)
		c.seen = make([][]uint64, senders)
	}
	if c.seen[t.sender] == nil {
		next := int(c.next[t.sender])
		switch {
		case t.seq == next:
			c.next[t.sender]++
			return false
		case t.seq < next:
			return true
		}
		c.seen[t.sender] = bitsBelow(next)
	}
	bits := c.seen[t.sender]
	w := t.seq >> 6
	if w >= len(bits) {
		bits = append(bits, make([]uint64, max(w+1-len(bits), len(bits)))...)
		c.seen[t.sender] = bits
	}
	mask := uint64(1) << (t.seq & 63)
	dup := bits[w]&mask != 0
	bits[w] |= mask
	return dup
}

// bitsBelow returns a bitmap with bits 0 to n-1 set.
func bitsBelow(n int) []uint64 {
	bits := make([]uint64, n/64+1)
	for i := range n / 64 {
		bits[i] = ^uint64(0)
	}
	bits[n/64] = 1<<(n%64) - 1
	return bits
}

// flushLatency moves collected latencies into the run's histograms.
func (c *client) flushLatency() {
	if len(c.lat) == 0 {
		return
	}
	c.run.latency.record(c.id, c.lat)
	c.lat = c.lat[:0]
}
