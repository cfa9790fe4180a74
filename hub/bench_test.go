package hub_test

import (
	"io"
	"log/slog"
	"runtime"
	"testing"

	"github.com/hubcat/hubcat/hub"
)

// plain is a minimal Format for the core's own tests and benchmarks.
type plain struct{}

func (*plain) Append(b []byte, ev *hub.Event) []byte {
	if ev.Kind == hub.KindLeave {
		return append(append(append(b, ev.Room...), ": "+ev.From+" left ("+ev.Reason.String()+")"...), '\n')
	}
	b = append(b, ev.From...)
	b = append(b, ": "...)
	b = append(b, ev.Text...)
	return append(b, '\n')
}

var plainFormat hub.Format = &plain{}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// BenchmarkFanOut measures one sender to 1,000 members in-process: each
// op is one message, delivered 1,000 times into outboxes whose writers
// discard the bytes.
func BenchmarkFanOut(b *testing.B) {
	const members = 1000
	h := hub.New(hub.Config{Logger: quiet(), OutboxBytes: 64 << 20})
	discard := func([]byte) error { return nil }
	sender, _ := h.Attach(hub.Peer{Addr: "sender", Format: plainFormat, Write: discard})
	sender.Join("lobby")
	var all []*hub.Member
	for range members {
		m, _ := h.Attach(hub.Peer{Addr: "member", Format: plainFormat, Write: discard})
		m.Join("lobby")
		all = append(all, m)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		sender.Say("the quick brown fox jumps over the lazy dog")
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	deliveries := float64(b.N) * members
	b.ReportMetric(deliveries/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/deliveries, "allocs/delivery")
	for _, m := range all {
		m.Leave(hub.ClientQuit)
		<-m.Outbox().Done()
	}
}
