package hub_test

import (
	"io"
	"log/slog"
	"runtime"
	"sync"
	"testing"

	"github.com/hubcat/hubcat/hub"
)

// plain is a minimal Format for the core's own tests and benchmarks.
type plain struct{}

func (*plain) Append(b []byte, ev *hub.Event) []byte {
	b = append(b, ev.From...)
	b = append(b, ": "...)
	b = append(b, ev.Text...)
	return append(b, '\n')
}

var plainFormat hub.Format = &plain{}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// BenchmarkFanOut measures one sender to 1,000 members in-process: each
// op is one message, delivered 1,000 times into outboxes that drain
// concurrently, as writers would.
func BenchmarkFanOut(b *testing.B) {
	const members = 1000
	h := hub.New(hub.Config{Logger: quiet(), OutboxBytes: 64 << 20})
	sender, _ := h.Attach("sender", plainFormat, nil)
	sender.Join("lobby")
	var drained sync.WaitGroup
	var all []*hub.Member
	for range members {
		m, _ := h.Attach("member", plainFormat, nil)
		m.Join("lobby")
		all = append(all, m)
		drained.Go(func() {
			var spare []byte
			for {
				b, ok := m.Outbox().Next(spare)
				if !ok {
					return
				}
				spare = b
			}
		})
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
	}
	drained.Wait()
}
