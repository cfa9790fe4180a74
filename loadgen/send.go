package loadgen

import (
	"context"
	"sync"
	"time"
)

// send runs the sending phase: senders publish for cfg.Duration, then the
// run waits for the deliveries still in flight.
func (r *run) send(ctx context.Context, members []*client, rep *Report) {
	senders := pickSenders(members, min(r.cfg.Senders, len(members)), r.wire.echoes(), r.cfg.Window)
	r.senders.Store(&senders)
	r.setPhase("sending")
	start := time.Now()
	sendCtx, cancel := context.WithTimeout(ctx, r.cfg.Duration)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range senders {
		wg.Go(func() { s.loop(sendCtx, r) })
	}
	wg.Wait()
	r.setPhase("draining")
	last := r.drain(ctx, members, r.expected(senders, len(members)))
	rep.DurationSeconds = last.Sub(start).Seconds()
	for _, s := range senders {
		rep.WindowStalls += s.stalls
	}
}

// pickSenders spreads n senders evenly over the members, each with a
// window of messages in flight whose observers are the other members in
// turn (the sender itself when it is alone and the server echoes).
func pickSenders(members []*client, n int, echoes bool, window int) []*sender {
	for i, c := range members {
		c.pos = i
	}
	out := make([]*sender, n)
	for k := range out {
		i := k * len(members) / n
		out[k] = newSender(k, members, i, len(members) > 1 || echoes, window)
	}
	return out
}

// expected is how many deliveries the messages sent so far should make.
func (r *run) expected(senders []*sender, members int) int64 {
	receivers := int64(members - 1)
	if r.wire.echoes() {
		receivers++
	}
	var sent int64
	for _, s := range senders {
		sent += s.seq.Load()
	}
	return sent * receivers
}

// drain waits until every expected delivery arrived or deliveries stop
// for cfg.Drain (at most a minute), and returns when the last one came.
func (r *run) drain(ctx context.Context, members []*client, expected int64) time.Time {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	start, last, lastChange := time.Now(), int64(-1), time.Now()
	for time.Since(lastChange) < r.cfg.Drain && time.Since(start) < time.Minute {
		var got int64
		for _, c := range members {
			got += c.delivered.Load()
		}
		if got != last {
			last, lastChange = got, time.Now()
		}
		if got >= expected {
			break
		}
		select {
		case <-ctx.Done():
			return lastChange
		case <-t.C:
		}
	}
	return lastChange
}

// tally fills the report's counts from the members, after their readers
// have stopped.
func (r *run) tally(members []*client, rep *Report) {
	senders := *r.senders.Load()
	for _, s := range senders {
		rep.Sent += s.seq.Load()
	}
	rep.Expected = r.expected(senders, len(members))
	for _, c := range members {
		rep.Delivered += c.delivered.Load()
		rep.Duplicates += c.dups.Load()
		rep.Garbled += c.garbled.Load()
	}
	rep.Lost = max(0, rep.Expected-rep.Delivered)
	if rep.DurationSeconds > 0 {
		rep.DeliveriesPerSec = float64(rep.Delivered) / rep.DurationSeconds
	}
	rep.Latency = summarize(r.latency.merged())
	if rep.Hub != nil && rep.Hub.CPUSeconds > 0 && rep.Delivered > 0 {
		rep.Hub.DeliveriesPerCPUSecond = float64(rep.Delivered) / rep.Hub.CPUSeconds
	}
}

// hubProbe samples the server process at the run's milestones.
type hubProbe struct {
	pid                   int
	before, joinedAt, end procSample
	members               int // connections open at the joined sample
}

func newHubProbe(pid int) *hubProbe { return &hubProbe{pid: pid} }

// start takes the baseline sample; it fails when the PID can't be read.
func (h *hubProbe) start() (err error) {
	if h.pid == 0 {
		return nil
	}
	h.before, err = sampleProc(h.pid)
	return err
}

// joined samples the server once the clients are in (connected of them
// still open).
func (h *hubProbe) joined(connected int) {
	if h.pid != 0 {
		h.joinedAt, _ = sampleProc(h.pid)
		h.members = connected
	}
}

// finish samples the end of the run and fills in rep.Hub.
func (h *hubProbe) finish(rep *Report) {
	if h.pid == 0 {
		return
	}
	var err error
	if h.end, err = sampleProc(h.pid); err != nil {
		h.end = h.joinedAt // the server died; its last known figures
	}
	u := &HubUsage{
		PID:               h.pid,
		CPUSeconds:        h.end.cpuSeconds - h.joinedAt.cpuSeconds,
		ConnectCPUSeconds: h.joinedAt.cpuSeconds - h.before.cpuSeconds,
		RSSBeforeBytes:    h.before.rssBytes,
		RSSBytes:          h.joinedAt.rssBytes,
		PeakRSSBytes:      h.end.hwmBytes,
	}
	if h.members > 0 {
		u.RSSPerClientBytes = float64(h.joinedAt.rssBytes-h.before.rssBytes) / float64(h.members)
	}
	rep.Hub = u
}
