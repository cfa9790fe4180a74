package hub_test

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/hubcat/hubcat/hub"
)

// BenchmarkFanOut measures one sender to 1,000 members in-process: each
// op is one message, delivered 1,000 times into outboxes whose writers
// discard the bytes.
func BenchmarkFanOut(b *testing.B) { benchFanOut(b, 1) }

// BenchmarkFanOutTenRooms is BenchmarkFanOut with each of the 1,000
// members (and the sender) in ten rooms, the sender posting to one of
// them: being in other rooms should cost a delivery nothing.
func BenchmarkFanOutTenRooms(b *testing.B) { benchFanOut(b, 10) }

// benchFanOut attaches a sender and 1,000 members, each joining rooms
// rooms, and measures messages posted to the first room.
func benchFanOut(b *testing.B, rooms int) {
	const members = 1000
	h := hub.New(hub.Config{Logger: quiet(), OutboxBytes: 64 << 20})
	discard := func([]byte) error { return nil }
	join := func(m *hub.Member) {
		for i := range rooms {
			if _, err := m.Join(fmt.Sprintf("room%d", i), hub.JoinOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	}
	sender, _ := h.Attach(hub.Peer{Addr: "sender", Format: plainFormat, Write: discard})
	join(sender)
	var all []*hub.Member
	for range members {
		m, _ := h.Attach(hub.Peer{Addr: "member", Format: plainFormat, Write: discard})
		join(m)
		all = append(all, m)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		sender.Say("room0", "the quick brown fox jumps over the lazy dog")
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	deliveries := float64(b.N) * members
	b.ReportMetric(deliveries/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/deliveries, "allocs/delivery")
	for _, m := range all {
		m.Leave(hub.ClientQuit)
		<-m.Outbox().Done()
	}
}
