package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hubcat/hubcat/hub"
)

// fetchChunk is how many messages one history fetch asks for.
const fetchChunk = 256

// Append orders events like Order. The hub does not call it when the
// Cluster is also its Sequencer (the stream is the log); it is here so
// that the Cluster is a whole hub.Log.
func (c *Cluster) Append(events []hub.Event, done func(error)) { c.Order(events, done) }

// Since returns up to limit events of room with Seq > after, oldest
// first, read from the stream.
func (c *Cluster) Since(room string, after uint64, limit int) ([]hub.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := c.ctx()
	defer cancel()
	return c.scan(ctx, c.roomSubject(room), after+1, 0, limit)
}

// Before returns the latest limit events of room with Seq < before
// (before 0: the latest of all), oldest first. The stream has no
// backwards cursor, so it scans windows that grow fourfold from before
// towards the stream's start until it has enough.
func (c *Cluster) Before(room string, before uint64, limit int) ([]hub.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	ctx, cancel := c.ctx()
	defer cancel()
	info, err := c.stream.Info(ctx)
	if err != nil {
		return nil, unavailable(err)
	}
	end := info.State.LastSeq + 1
	if before != 0 && before < end {
		end = before
	}
	subj := c.roomSubject(room)
	for window := uint64(4 * limit); ; window *= 4 {
		start := uint64(1)
		if end > window {
			start = end - window
		}
		if start < info.State.FirstSeq {
			start = info.State.FirstSeq
		}
		evs, err := c.scan(ctx, subj, start, end, 0)
		if err != nil {
			return nil, err
		}
		if len(evs) >= limit || start <= info.State.FirstSeq {
			return evs[max(0, len(evs)-limit):], nil
		}
	}
}

// Last reports the sequence of room's latest event (0 if none).
func (c *Cluster) Last(room string) (uint64, error) {
	ctx, cancel := c.ctx()
	defer cancel()
	m, err := c.stream.GetLastMsgForSubject(ctx, c.roomSubject(room))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, unavailable(err)
	}
	return m.Sequence, nil
}

// scan reads subj's events from sequence start: up to limit of them
// (limit 0: no limit), stopping before sequence end (end 0: the stream's
// end). It uses a short-lived ordered consumer.
func (c *Cluster) scan(ctx context.Context, subj string, start, end uint64, limit int) ([]hub.Event, error) {
	cons, err := c.stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{
		FilterSubjects:    []string{subj},
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start,
		InactiveThreshold: c.cfg.Timeout,
	})
	if err != nil {
		return nil, unavailable(err)
	}
	var out []hub.Event
	for {
		want := fetchChunk
		if limit > 0 {
			want = min(want, limit-len(out))
		}
		batch, err := cons.FetchNoWait(want)
		if err != nil {
			return nil, unavailable(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			meta, err := m.Metadata()
			if err != nil {
				return nil, fmt.Errorf("cluster: history: %w", err)
			}
			if end != 0 && meta.Sequence.Stream >= end {
				return out, nil
			}
			ev, err := decodeEvent(m.Data(), meta.Sequence.Stream)
			if err != nil {
				return nil, err
			}
			out = append(out, ev)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return nil, unavailable(err)
		}
		if got < want || (limit > 0 && len(out) >= limit) {
			return out, nil
		}
	}
}
