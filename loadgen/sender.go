package loadgen

import (
	"context"
	"sync/atomic"
	"time"
)

const (
	// batchMax bounds how many messages a flat-out sender puts in one write.
	batchMax = 16
	// minAckTimeout is the least a sender waits for its observer before it
	// assumes the messages in flight lost and slides its window on; it
	// waits longer when deliveries are slow (see ackTimeout).
	minAckTimeout = time.Second
)

// sender publishes numbered messages from one client. Each message has an
// observer, another reading member, which acknowledges it on arrival; the
// observer moves on by one member with every message, so a window of
// unacknowledged messages holds every sender back to the pace of the
// slowest reader, as a chat whose readers all push back would be.
type sender struct {
	id      int
	c       *client
	members []*client // the reading members, c at pos; nil: no window (nobody else can see the messages)
	pos     int
	seq     atomic.Int64
	acks    []atomic.Int64 // acks[seq%len(acks)] is seq+1 once message seq was observed; written by observers
	acked   int64          // messages from the first acknowledged in a row, or given up on; sender-owned
	lastLat atomic.Int64   // latency of the last acknowledged message, ns
	ackCh   chan struct{}
	stalls  int64 // times the window timed out
	err     error // why sending stopped early
}

// newSender returns the sender for members[pos]; observed says whether its
// messages have observers, window how many may be in flight.
func newSender(id int, members []*client, pos int, observed bool, window int) *sender {
	s := &sender{id: id, c: members[pos], pos: pos, ackCh: make(chan struct{}, 1)}
	if observed {
		s.members, s.acks = members, make([]atomic.Int64, window)
	}
	return s
}

// observer returns the observer of message seq: the member 1 + seq%(n-1)
// places after the sender (the sender itself when it is alone, on a server
// that echoes). s.members must not be nil.
func (s *sender) observer(seq int) *client {
	n := len(s.members)
	if n == 1 {
		return s.members[0]
	}
	return s.members[(s.pos+1+seq%(n-1))%n]
}

// firstObserved returns the first message c observes, or -1 if it
// observes none; it observes every observerStep-th message after that.
func (s *sender) firstObserved(c *client) int {
	n := len(s.members)
	switch {
	case n == 0 || c.pos >= n || s.members[c.pos] != c:
		return -1
	case n == 1:
		return 0
	case c == s.c:
		return -1
	}
	return (c.pos - s.pos - 1 + n) % n
}

// observerStep is how many messages apart one member's observed ones are.
func (s *sender) observerStep() int { return max(len(s.members)-1, 1) }

// sent is how many messages the sender has numbered so far.
func (s *sender) sent() int { return int(s.seq.Load()) }

// ack records that the observer saw message seq, latency ns after it
// was sent.
func (s *sender) ack(seq int, latency int64) {
	s.acks[seq%len(s.acks)].Store(int64(seq) + 1)
	s.lastLat.Store(latency)
	select {
	case s.ackCh <- struct{}{}:
	default:
	}
}

// room is how many more messages the window allows now.
func (s *sender) room(window int) int {
	if s.members == nil {
		return batchMax
	}
	seq := s.seq.Load()
	for s.acked < seq && (s.acks[s.acked%int64(len(s.acks))].Load() == s.acked+1 || !s.observer(int(s.acked)).alive.Load()) {
		s.acked++ // observed, or its observer has gone
	}
	return window - int(seq-s.acked)
}

// ackTimeout is how long to wait for an acknowledgement: four times the
// latest delivery latency, at least minAckTimeout. A slow server thus
// stays bounded by the window, while a sender whose last messages were
// lost (garbled by the server) carries on.
func (s *sender) ackTimeout() time.Duration {
	return max(minAckTimeout, 4*time.Duration(s.lastLat.Load()))
}

// waitAck blocks until an acknowledgement arrives, the run ends, or the
// window times out; it reports whether the run is still on.
func (s *sender) waitAck(ctx context.Context, t *time.Timer) bool {
	t.Reset(s.ackTimeout())
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-s.ackCh:
	case <-t.C:
		s.stalls++
		s.acked = s.seq.Load()
	}
	return true
}

// send numbers and writes n messages in one write.
func (s *sender) send(r *run, n int, buf, payload []byte) ([]byte, []byte, error) {
	buf = buf[:0]
	now := r.now()
	first := int(s.seq.Load())
	for i := range n {
		payload = appendToken(payload[:0], token{sender: s.id, seq: first + i, sentNs: now}, r.cfg.Size)
		buf = r.wire.appendPublish(buf, payload)
	}
	s.seq.Store(int64(first + n)) // before the write: receivers check seq < sent
	return buf, payload, s.c.write(buf)
}

// loop sends until ctx ends: flat out when rate is 0, else paced.
func (s *sender) loop(ctx context.Context, r *run) {
	var buf, payload []byte
	var err error
	t := time.NewTimer(time.Hour)
	t.Stop()
	interval := time.Duration(0)
	if r.cfg.Rate > 0 {
		interval = time.Duration(float64(time.Second) / r.cfg.Rate)
	}
	// Stagger paced senders so they don't all fire together.
	next := time.Now().Add(interval * time.Duration(s.id) / time.Duration(max(1, r.cfg.Senders)))
	for ctx.Err() == nil {
		room := s.room(r.cfg.Window)
		if room <= 0 {
			if !s.waitAck(ctx, t) {
				return
			}
			continue
		}
		n := min(room, batchMax)
		if interval > 0 {
			if !sleepUntil(ctx, t, next) {
				return
			}
			n = 1
			next = next.Add(interval)
			if lag := time.Since(next); lag > time.Second {
				next = time.Now() // too far behind: don't burst to catch up
			}
		}
		if buf, payload, err = s.send(r, n, buf, payload); err != nil {
			s.err = err
			return
		}
	}
}

// sleepUntil waits for the deadline or the end of the run.
func sleepUntil(ctx context.Context, t *time.Timer, deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return ctx.Err() == nil
	}
	t.Reset(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
