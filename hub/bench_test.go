package hub_test

import (
	"fmt"
	"runtime"
	"strconv"
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

// lean renders messages and acks without allocating, so that the
// benchmarks measure the hub rather than fmt.
type lean struct{}

func (*lean) Append(b []byte, ev *hub.Event) []byte {
	if ev.Kind == hub.KindAck {
		b = strconv.AppendUint(append(b, "ack "...), ev.Seq, 10)
		return append(b, '\n')
	}
	b = append(append(append(b, ev.From...), ": "...), ev.Text...)
	return append(b, '\n')
}

var leanFormat hub.Format = &lean{}

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
	sender, _ := h.Attach(hub.Peer{Addr: "sender", Format: leanFormat, Write: discard})
	join(sender)
	var all []*hub.Member
	for range members {
		m, _ := h.Attach(hub.Peer{Addr: "member", Format: leanFormat, Write: discard})
		join(m)
		all = append(all, m)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		sender.Say("room0", "the quick brown fox jumps over the lazy dog")
	}
	b.StopTimer()
	cpu = cpuTime() - cpu
	runtime.ReadMemStats(&after)
	deliveries := float64(b.N) * members
	b.ReportMetric(deliveries/b.Elapsed().Seconds(), "deliveries/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/deliveries, "ns/delivery")
	if cpu > 0 {
		b.ReportMetric(float64(cpu.Nanoseconds())/deliveries, "cpu-ns/delivery")
	}
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/deliveries, "allocs/delivery")
	for _, m := range all {
		m.Leave(hub.ClientQuit)
		<-m.Outbox().Done()
	}
}
