package hub_test

import (
	"runtime"
	"testing"

	"github.com/hubcat/hubcat/hub"
)

// BenchmarkFanOut measures one sender to 1,000 members in-process: each
// op is one message, delivered 1,000 times into outboxes whose writers
// discard the bytes.
func BenchmarkFanOut(b *testing.B) {
	const members = 1000
	h := hub.New(hub.Config{Logger: quiet(), OutboxBytes: 64 << 20})
	discard := func([]byte) error { return nil }
	sender, _ := h.Attach(hub.Peer{Addr: "sender", Format: plainFormat, Write: discard})
	sender.Join("lobby", hub.JoinOptions{})
	var all []*hub.Member
	for range members {
		m, _ := h.Attach(hub.Peer{Addr: "member", Format: plainFormat, Write: discard})
		m.Join("lobby", hub.JoinOptions{})
		all = append(all, m)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		sender.Say("lobby", "the quick brown fox jumps over the lazy dog")
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
