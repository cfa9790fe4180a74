package hub_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
)

// recorder collects what the hub writes to one member.
type recorder struct {
	mu    sync.Mutex
	lines []string
	gate  chan struct{} // if set, each write waits for it: a stuck peer
	wrote chan struct{} // capacity 1: something was written
}

func (r *recorder) write(b []byte) error {
	if r.gate != nil {
		<-r.gate
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
	select {
	case r.wrote <- struct{}{}:
	default:
	}
	return nil
}

// waitCount waits until n lines starting with prefix have been written.
func (r *recorder) waitCount(t *testing.T, prefix string, n int) {
	t.Helper()
	for {
		got := 0
		for _, l := range r.snapshot() {
			if strings.HasPrefix(l, prefix) {
				got++
			}
		}
		if got >= n {
			return
		}
		select {
		case <-r.wrote:
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of %d lines starting %q arrived", got, n, prefix)
		}
	}
}

func (r *recorder) snapshot() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.lines...)
}

// attach adds a member with a recorder and waits for nothing.
func attach(t *testing.T, h *hub.Hub, name string) (*hub.Member, *recorder) {
	t.Helper()
	rec := &recorder{wrote: make(chan struct{}, 1)}
	m, err := h.Attach(hub.Peer{Addr: name, Format: plainFormat, Write: rec.write})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Rename(name); err != nil {
		t.Fatal(err)
	}
	return m, rec
}

// flush waits until m's outbox has written everything.
func flush(m *hub.Member) {
	m.Leave(hub.ClientQuit)
	<-m.Outbox().Done()
}

func TestSequenceNumbersAndHistory(t *testing.T) {
	hist := hub.NewMemoryHistory(3)
	h := hub.New(hub.Config{Logger: quiet(), History: hist})
	a, _ := attach(t, h, "a")
	a.Join("room")
	for _, s := range []string{"one", "two", "three", "four"} {
		a.Say(s)
	}
	events, _ := a.History(10)
	if len(events) != 3 {
		t.Fatalf("history kept %d events, want the ring's 3", len(events))
	}
	var got []string
	for i, ev := range events {
		got = append(got, ev.Text)
		if i > 0 && ev.Seq != events[i-1].Seq+1 {
			t.Errorf("sequence not consecutive: %d after %d", ev.Seq, events[i-1].Seq)
		}
	}
	if strings.Join(got, ",") != "two,three,four" {
		t.Fatalf("history %q", got)
	}
	last := events[2].Seq
	// The room empties and is retired; when it comes back, numbering goes on.
	a.Part()
	a.Join("room")
	a.Say("five")
	events, _ = a.History(1)
	if events[0].Seq <= last+1 {
		t.Fatalf("sequence restarted: %d after %d", events[0].Seq, last)
	}
}

func TestStuckPeerIsCutOffAndRoomGoesOn(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet(), OutboxBytes: 16 << 10})
	sender, _ := attach(t, h, "sender")
	good, goodRec := attach(t, h, "good")
	stuckRec := &recorder{gate: make(chan struct{}), wrote: make(chan struct{}, 1)}
	hungUp := make(chan struct{})
	stuck, _ := h.Attach(hub.Peer{Addr: "stuck", Format: plainFormat, Write: stuckRec.write, Hangup: func() { close(hungUp) }})
	for _, m := range []*hub.Member{sender, good, stuck} {
		m.Join("lobby")
	}
	const msgs = 1000 // 60 KB: far past the stuck member's 16 KB outbox
	for i := range msgs {
		sender.Say(strings.Repeat("x", 50) + string(rune('a'+i%26)))
		if i%100 == 99 { // pace the sender so the good member keeps up
			goodRec.waitCount(t, "sender: ", i+1)
		}
	}
	select {
	case <-hungUp:
	case <-time.After(5 * time.Second):
		t.Fatal("stuck member never cut off")
	}
	if got := stuck.CutReason(); got != hub.SlowConsumer {
		t.Fatalf("cut reason %v", got)
	}
	close(stuckRec.gate)
	stuck.Leave(hub.ReadError) // the front end notices the hangup
	flush(good)
	lines := goodRec.snapshot()
	said := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "sender: ") {
			said++
		}
	}
	if said != msgs {
		t.Fatalf("good member got %d of %d messages", said, msgs)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "lobby: guest-3 left (slow consumer)") {
		t.Fatalf("no slow-consumer leave in %q", lines[len(lines)-3:])
	}
}

func TestBigRoomsAreNotFloodedWithAnnouncements(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet(), AnnounceLimit: 2})
	first, rec := attach(t, h, "first")
	first.Join("lobby")
	second, _ := attach(t, h, "second")
	second.Join("lobby") // 2 members: announced
	third, _ := attach(t, h, "third")
	third.Join("lobby") // 3 members: quiet
	first.Rename("renamed")
	flush(first)
	got := strings.Join(rec.snapshot(), "\n")
	if !strings.Contains(got, "second") || strings.Contains(got, "third") {
		t.Fatalf("announcements with limit 2:\n%s", got)
	}
}

func TestNames(t *testing.T) {
	for name, ok := range map[string]bool{
		"alice": true, "Bob_2": true, "ünïcode": true, "a-b": true,
		"": false, "2fast": false, "-x": false, "has space": false, "x!": false,
		strings.Repeat("n", 33): false,
	} {
		if hub.ValidName(name) != ok {
			t.Errorf("ValidName(%q) = %v", name, !ok)
		}
	}
	h := hub.New(hub.Config{Logger: quiet()})
	a, _ := attach(t, h, "Alice")
	b, _ := attach(t, h, "bob")
	if err := b.Rename("ALICE"); err != hub.ErrNameTaken {
		t.Fatalf("case-insensitive collision: %v", err)
	}
	if err := a.Rename("alice"); err != nil { // changing one's own case is fine
		t.Fatalf("own rename: %v", err)
	}
	if err := b.Private("ALICE", "hi"); err != nil {
		t.Fatalf("private by folded name: %v", err)
	}
}
