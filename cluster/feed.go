package cluster

import (
	"context"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hubcat/hubcat/hub"
)

// feed delivers the stream to the local hub: an ordered consumer (which
// JetStream recreates from the last delivered sequence after any outage,
// so nothing is skipped) hands messages to a buffer, and one goroutine
// applies what has accumulated, grouped by room, so that a burst costs
// the hub one Apply per room.
type feed struct {
	c    *Cluster
	h    Applier
	cc   jetstream.ConsumeContext
	wake chan struct{}
	quit chan struct{}
	done chan struct{}

	mu  sync.Mutex
	buf []hub.Event // received, not yet applied; guarded by mu
}

// startFeed starts delivering to h the events stored after now.
func startFeed(ctx context.Context, c *Cluster, h Applier) (*feed, error) {
	f := &feed{c: c, h: h, wake: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	var cons jetstream.Consumer
	err := retryUntilReady(ctx, c, func(ctx context.Context) error {
		info, err := c.stream.Info(ctx)
		if err != nil {
			return err
		}
		cons, err = c.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
			FilterSubjects: []string{c.cfg.Prefix + ".room.>", c.cfg.Prefix + ".private.>"},
			DeliverPolicy:  jetstream.DeliverByStartSequencePolicy,
			OptStartSeq:    info.State.LastSeq + 1,
			NamePrefix:     "hub-" + c.cfg.HubID,
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: consumer: %w", err)
	}
	f.cc, err = cons.Consume(f.receive)
	if err != nil {
		return nil, fmt.Errorf("cluster: consume: %w", err)
	}
	go f.run()
	return f, nil
}

// receive is the consumer's callback: it decodes one message into the
// buffer.
func (f *feed) receive(m jetstream.Msg) {
	meta, err := m.Metadata()
	if err != nil {
		f.c.log.Error("message without metadata", "subject", m.Subject(), "err", err)
		return
	}
	ev, err := decodeEvent(m.Data(), meta.Sequence.Stream)
	if err != nil {
		f.c.log.Error("skipping undecodable event", "err", err)
		return
	}
	f.c.presence.track(&ev)
	f.mu.Lock()
	f.buf = append(f.buf, ev)
	f.mu.Unlock()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// run applies buffered events until stop.
func (f *feed) run() {
	defer close(f.done)
	var spare []hub.Event
	for {
		select {
		case <-f.quit:
			return
		case <-f.wake:
		}
		f.mu.Lock()
		batch := f.buf
		f.buf = spare[:0]
		f.mu.Unlock()
		applyByRoom(f.h, batch)
		clear(batch)
		spare = batch
	}
}

// applyByRoom hands h the events of each room in one call, in stream
// order; rooms come in the order of their first event, private messages
// (room "") one group like a room.
func applyByRoom(h Applier, batch []hub.Event) {
	if len(batch) == 0 {
		return
	}
	first := batch[0].Room
	same := true
	for i := range batch {
		if batch[i].Room != first {
			same = false
			break
		}
	}
	if same {
		h.Apply(batch)
		return
	}
	var order []string
	groups := map[string][]hub.Event{}
	for _, ev := range batch {
		if _, ok := groups[ev.Room]; !ok {
			order = append(order, ev.Room)
		}
		groups[ev.Room] = append(groups[ev.Room], ev)
	}
	for _, room := range order {
		h.Apply(groups[room])
	}
}

// stop ends delivery and waits for the applying goroutine.
func (f *feed) stop() {
	f.cc.Stop()
	close(f.quit)
	<-f.done
}
