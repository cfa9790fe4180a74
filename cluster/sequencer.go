package cluster

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hubcat/hubcat/hub"
)

// maxBatch is the most messages one room publishes before waiting for
// their acks.
const maxBatch = 512

// sequencer publishes each room's events to its subject, one batch per
// room in flight: a batch is published asynchronously as a whole, its
// acks awaited, and only then is the next batch of that room published,
// so a sender's events keep their order even when some must be retried.
// Rooms do not wait for each other.
type sequencer struct {
	c      *Cluster
	mu     sync.Mutex
	queues map[string]*roomQueue // by subject; guarded by mu
}

// roomQueue holds one subject's orders not yet published.
type roomQueue struct {
	pending []order
	busy    bool // a drain goroutine owns the queue
}

// order is one Order call, encoded.
type order struct {
	msgs []*nats.Msg
	done func(error)
}

func (s *sequencer) init(c *Cluster) {
	s.c = c
	s.queues = map[string]*roomQueue{}
}

// Order publishes events (of one room, or private messages) to the
// stream, with each event's ID as its Nats-Msg-Id so that a retry is
// never stored twice. done(nil) follows JetStream's acks for all of them;
// done(err) reports that none or only some were stored, with an error
// that wraps ErrUnavailable when NATS could not be reached. The events
// come back, numbered, through the Applier given to Start.
func (c *Cluster) Order(events []hub.Event, done func(error)) {
	if len(events) == 0 {
		done(nil)
		return
	}
	if c.closed.Load() {
		done(ErrClosed)
		return
	}
	if !c.nc.IsConnected() {
		done(ErrUnavailable)
		return
	}
	o := order{msgs: make([]*nats.Msg, 0, len(events)), done: done}
	for i := range events {
		m, err := c.message(&events[i])
		if err != nil {
			done(err)
			return
		}
		o.msgs = append(o.msgs, m)
	}
	c.seq.enqueue(o.msgs[0].Subject, o)
}

// message encodes ev as a message to its subject.
func (c *Cluster) message(ev *hub.Event) (*nats.Msg, error) {
	data, err := encodeEvent(ev)
	if err != nil {
		return nil, err
	}
	subj := c.roomSubject(ev.Room)
	if ev.Room == "" {
		subj = c.privateSubject(ev.To)
	}
	m := nats.NewMsg(subj)
	m.Data = data
	m.Header.Set(jetstream.MsgIDHeader, ev.ID)
	return m, nil
}

// enqueue adds o to its subject's queue and starts draining it.
func (s *sequencer) enqueue(subj string, o order) {
	s.mu.Lock()
	q := s.queues[subj]
	if q == nil {
		q = &roomQueue{}
		s.queues[subj] = q
	}
	q.pending = append(q.pending, o)
	start := !q.busy
	q.busy = true
	s.mu.Unlock()
	if start {
		go s.drain(subj, q)
	}
}

// drain publishes q's orders batch by batch until it is empty.
func (s *sequencer) drain(subj string, q *roomQueue) {
	for {
		s.mu.Lock()
		n, count := 0, 0
		for n < len(q.pending) && (n == 0 || count+len(q.pending[n].msgs) <= maxBatch) {
			count += len(q.pending[n].msgs)
			n++
		}
		batch := q.pending[:n:n]
		q.pending = q.pending[n:]
		if n == 0 {
			q.busy = false
			delete(s.queues, subj)
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		s.publish(batch)
	}
}

// publish sends the batch's messages and reports each order's outcome.
// Messages whose ack did not come (a stream leader being elected, a
// NATS node gone) are published again, with the same message IDs, while
// the connection is up and the retry window lasts.
func (s *sequencer) publish(batch []order) {
	var msgs []*nats.Msg
	for _, o := range batch {
		msgs = append(msgs, o.msgs...)
	}
	failed := s.c.publishRetrying(msgs)
	i := 0
	for _, o := range batch {
		var err error
		for range o.msgs {
			if failed[i] != nil && err == nil {
				err = failed[i]
			}
			i++
		}
		o.done(err)
	}
}

// publishRetrying publishes msgs in order and returns each one's error:
// nil when acknowledged, else one wrapping ErrUnavailable (or ErrClosed).
func (c *Cluster) publishRetrying(msgs []*nats.Msg) []error {
	errs := make([]error, len(msgs))
	todo := make([]int, len(msgs))
	for i := range todo {
		todo[i] = i
	}
	deadline := time.Now().Add(2 * c.cfg.Timeout)
	for attempt := 0; ; attempt++ {
		todo = c.publishOnce(msgs, todo, errs)
		if len(todo) == 0 || c.closed.Load() || !c.nc.IsConnected() || time.Now().After(deadline) {
			break
		}
		c.log.Debug("retrying unacknowledged events", "count", len(todo), "attempt", attempt+1, "err", errs[todo[0]])
	}
	for i := range errs {
		errs[i] = unavailable(errs[i])
	}
	return errs
}

// publishOnce publishes msgs[todo...] asynchronously and waits for every
// ack; it returns the indexes that failed with a retryable error.
func (c *Cluster) publishOnce(msgs []*nats.Msg, todo []int, errs []error) (retry []int) {
	futures := make([]jetstream.PubAckFuture, len(todo))
	for k, i := range todo {
		f, err := c.js.PublishMsgAsync(msgs[i])
		if err != nil {
			errs[i] = err
		}
		futures[k] = f
	}
	for k, i := range todo {
		if futures[k] == nil {
			if retryable(errs[i]) {
				retry = append(retry, i)
			}
			continue
		}
		select {
		case <-futures[k].Ok():
			errs[i] = nil
		case err := <-futures[k].Err():
			errs[i] = err
			if retryable(err) {
				retry = append(retry, i)
			}
		case <-c.quit:
			errs[i] = ErrClosed
		}
	}
	return retry
}

// unavailable wraps a publishing error as ErrUnavailable.
func unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) || errors.Is(err, ErrClosed) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

// msgIDInProcess is JetStream's error code for "duplicate message id is
// in process": an earlier copy of the message, not yet acknowledged.
const msgIDInProcess = 10158

// retryable reports whether a publish may succeed if tried again: the
// ack did not come in time, or no stream leader answered.
func retryable(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode == msgIDInProcess {
		return true
	}
	return errors.Is(err, jetstream.ErrAsyncPublishTimeout) || errors.Is(err, jetstream.ErrTooManyStalledMsgs) ||
		errors.Is(err, nats.ErrNoResponders) || errors.Is(err, nats.ErrTimeout) || errors.Is(err, jetstream.ErrNoStreamResponse)
}
