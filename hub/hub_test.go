package hub_test

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
)

// plain is a minimal Format for the core's own tests and benchmarks.
type plain struct{}

func (*plain) Append(b []byte, ev *hub.Event) []byte {
	switch ev.Kind {
	case hub.KindLeave:
		return fmt.Appendf(b, "%s: %s left (%s)\n", ev.Room, ev.From, ev.Reason)
	case hub.KindJoin:
		return fmt.Appendf(b, "%s: %s joined\n", ev.Room, ev.From)
	case hub.KindRename:
		return fmt.Appendf(b, "%s: %s is now %s\n", ev.Room, ev.From, ev.Text)
	case hub.KindAck:
		return fmt.Appendf(b, "ack %s %d %s\n", ev.Room, ev.Seq, ev.ClientID)
	case hub.KindError:
		return fmt.Appendf(b, "error %s %s\n", ev.Code, ev.ClientID)
	case hub.KindHistory:
		b = fmt.Appendf(b, "history %s %d complete=%v\n", ev.Room, len(ev.Batch.Events), ev.Batch.Complete)
		for _, e := range ev.Batch.Events {
			b = fmt.Appendf(b, "past %d %s: %s\n", e.Seq, e.From, e.Text)
		}
		return b
	case hub.KindMessage:
		return fmt.Appendf(b, "%d %s: %s\n", ev.Seq, ev.From, ev.Text)
	}
	return fmt.Appendf(b, "%s %s: %s\n", ev.Kind, ev.From, ev.Text)
}

var plainFormat hub.Format = &plain{}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

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

// waitFor waits until a line containing substr has been written.
func (r *recorder) waitFor(t *testing.T, substr string) {
	t.Helper()
	for !slices.ContainsFunc(r.snapshot(), func(l string) bool { return strings.Contains(l, substr) }) {
		select {
		case <-r.wrote:
		case <-time.After(5 * time.Second):
			t.Fatalf("no line containing %q in %q", substr, r.snapshot())
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

// attachAll is attach for a member that asks for all presence.
func attachAll(t *testing.T, h *hub.Hub, name string) (*hub.Member, *recorder) {
	t.Helper()
	rec := &recorder{wrote: make(chan struct{}, 1)}
	m, err := h.Attach(hub.Peer{Addr: name, Format: plainFormat, Write: rec.write, AllPresence: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Rename(name); err != nil {
		t.Fatal(err)
	}
	return m, rec
}

func join(t *testing.T, m *hub.Member, rooms ...string) {
	t.Helper()
	for _, r := range rooms {
		if _, err := m.Join(r, hub.JoinOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

func count(lines []string, prefix string) int {
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// flush waits until m's outbox has written everything.
func flush(m *hub.Member) {
	m.Leave(hub.ClientQuit)
	<-m.Outbox().Done()
}

func TestMembersAreInManyRoomsAtOnce(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet()})
	a, _ := attach(t, h, "a")
	b, bRec := attach(t, h, "b")
	join(t, a, "one", "two")
	join(t, b, "one", "two", "three")
	if got := strings.Join(b.Rooms(), ","); got != "one,two,three" {
		t.Fatalf("b is in %s", got)
	}
	a.Say("one", "in one")
	a.Say("two", "in two")
	if err := a.Say("three", "nope"); err != hub.ErrNotInRoom {
		t.Fatalf("say to a room a is not in: %v", err)
	}
	b.Part("one")
	a.Say("one", "after b left")
	flush(a)
	flush(b)
	lines := bRec.snapshot()
	if count(lines, "") == 0 || !slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, "a: in one") }) ||
		!slices.ContainsFunc(lines, func(l string) bool { return strings.HasSuffix(l, "a: in two") }) {
		t.Fatalf("b missed a room's message: %q", lines)
	}
	if slices.ContainsFunc(lines, func(l string) bool { return strings.Contains(l, "after b left") }) {
		t.Fatalf("b heard a room it left: %q", lines)
	}
}

// A rename or a quit is seen once by each member sharing any room with
// the one who renamed or quit, however many rooms they share.
func TestRenameAndQuitAreSeenOncePerObserver(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet()})
	a, _ := attach(t, h, "a")
	b, bRec := attachAll(t, h, "b")
	c, cRec := attach(t, h, "c")
	join(t, a, "one", "two", "three")
	join(t, b, "one", "two", "three")
	join(t, c, "two")
	a.Rename("alpha")
	a.Leave(hub.ClientQuit)
	flush(b)
	flush(c)
	for who, lines := range map[string][]string{"b": bRec.snapshot(), "c": cRec.snapshot()} {
		renames, leaves := 0, 0
		for _, l := range lines {
			if strings.Contains(l, "a is now alpha") {
				renames++
			}
			if strings.Contains(l, "alpha left (quit)") {
				leaves++
			}
		}
		if renames != 1 || leaves != 1 {
			t.Errorf("%s saw the rename %d times and the quit %d times; want once each:\n%s", who, renames, leaves, strings.Join(lines, "\n"))
		}
	}
}

// Sequence numbers go on after the cache forgets a room and the room is
// retired: a resume point stays unambiguous.
func TestSequenceNumbersSurviveForgetting(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet(), HistoryPerRoom: 3, HistoryBytes: 2000})
	a, rec := attach(t, h, "a")
	join(t, a, "room")
	for range 5 {
		a.Say("room", strings.Repeat("x", 100))
	}
	a.Part("room")
	// Other rooms push "room" out of the cache.
	for i := range 20 {
		r := fmt.Sprintf("other%d", i)
		join(t, a, r)
		a.Say(r, strings.Repeat("y", 100))
		a.Part(r)
	}
	join(t, a, "room")
	a.Say("room", "again")
	flush(a)
	var seqs []uint64
	for _, l := range rec.snapshot() {
		var room string
		var seq uint64
		if n, _ := fmt.Sscanf(l, "ack %s %d", &room, &seq); n == 2 && room == "room" {
			seqs = append(seqs, seq)
		}
	}
	if len(seqs) != 6 {
		t.Fatalf("acks in room: %v", seqs)
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("sequence went back: %v", seqs)
		}
	}
}

// holdLog is a Log that stores in memory and calls done only when the
// test releases it.
type holdLog struct {
	mu      sync.Mutex
	events  []hub.Event
	waiting []func(error)
	arrived chan struct{}
	fail    error
}

func (l *holdLog) Append(evs []hub.Event, done func(error)) {
	l.mu.Lock()
	if l.fail == nil {
		l.events = append(l.events, evs...)
	}
	l.waiting = append(l.waiting, done)
	l.mu.Unlock()
	select {
	case l.arrived <- struct{}{}:
	default:
	}
}

// release calls the done callbacks waiting.
func (l *holdLog) release() {
	l.mu.Lock()
	w, err := l.waiting, l.fail
	l.waiting = nil
	l.mu.Unlock()
	for _, done := range w {
		done(err)
	}
}

func (l *holdLog) waitPending(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		l.mu.Lock()
		got := len(l.waiting)
		l.mu.Unlock()
		if got >= n {
			return
		}
		select {
		case <-l.arrived:
		case <-deadline:
			t.Fatalf("%d of %d appends arrived", got, n)
		}
	}
}

func (l *holdLog) Since(room string, after uint64, limit int) ([]hub.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []hub.Event
	for _, e := range l.events {
		if e.Room == room && e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

func (l *holdLog) Before(room string, before uint64, limit int) ([]hub.Event, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []hub.Event
	for _, e := range l.events {
		if e.Room == room && e.Seq < before {
			out = append(out, e)
		}
	}
	return out[max(0, len(out)-limit):], nil
}

func (l *holdLog) Last(room string) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var last uint64
	for _, e := range l.events {
		if e.Room == room {
			last = max(last, e.Seq)
		}
	}
	return last, nil
}

// Nothing is delivered or acknowledged before the Log reports it durable;
// a Log failure delivers nothing and tells the sender.
func TestAckAndDeliveryWaitForTheLog(t *testing.T) {
	log := &holdLog{arrived: make(chan struct{}, 1)}
	h := hub.New(hub.Config{Logger: quiet(), Log: log})
	a, aRec := attach(t, h, "a")
	b, bRec := attach(t, h, "b")
	join(t, a, "room")
	join(t, b, "room")
	log.release()
	a.Post("room", hub.KindMessage, "c1", "held")
	log.waitPending(t, 1)
	probe, probeRec := attach(t, h, "probe") // a marker through the same hub
	probe.Notice("marker")
	probeRec.waitCount(t, "notice", 1)
	for _, l := range append(aRec.snapshot(), bRec.snapshot()...) {
		if strings.Contains(l, "held") || strings.HasPrefix(l, "ack") {
			t.Fatalf("%q was written before the log made it durable", l)
		}
	}
	log.release()
	aRec.waitCount(t, "ack room", 1)
	bRec.waitFor(t, "a: held")

	log.mu.Lock()
	log.fail = fmt.Errorf("disk full")
	log.mu.Unlock()
	a.Post("room", hub.KindMessage, "c2", "lost")
	log.waitPending(t, 1)
	log.release()
	aRec.waitCount(t, "error not_stored c2", 1)
	flush(b)
	if slices.ContainsFunc(bRec.snapshot(), func(l string) bool { return strings.Contains(l, "lost") }) {
		t.Fatal("a message the log refused was delivered")
	}
}

// A member resuming from any point while others publish receives exactly
// the events after its point, then live events: no gap, no duplicate.
// Run over many interleavings, with and without a Log.
func TestResumeUnderConcurrentPublishers(t *testing.T) {
	for _, withLog := range []bool{false, true} {
		t.Run(fmt.Sprintf("log=%v", withLog), func(t *testing.T) {
			cfg := hub.Config{Logger: quiet(), HistoryPerRoom: 50}
			if withLog {
				cfg.Log = &instantLog{holdLog: holdLog{arrived: make(chan struct{}, 1)}}
			}
			h := hub.New(cfg)
			const senders, each = 4, 150
			var pubs []*hub.Member
			for i := range senders {
				m, _ := attach(t, h, fmt.Sprintf("s%d", i))
				join(t, m, "room")
				pubs = append(pubs, m)
			}
			var wg sync.WaitGroup
			for i, m := range pubs {
				wg.Go(func() {
					for j := range each {
						m.Say("room", fmt.Sprintf("%d-%d", i, j))
					}
				})
			}
			var all []uint64
			for trial := range 20 {
				r, rec := attach(t, h, fmt.Sprintf("r%d", trial))
				var after uint64
				if n := len(all); n > 0 {
					after = all[n*trial/20%n]
				}
				r.Join("room", hub.JoinOptions{Resume: true, After: after})
				r.Say("room", "marker")
				flush(r)
				seqs, complete := seqsSeen(rec.snapshot())
				if !complete {
					if withLog {
						t.Fatalf("trial %d: history incomplete with a log", trial)
					}
					continue // the memory cache forgot part of it, and said so
				}
				for k, s := range seqs {
					if s <= after || (k > 0 && s <= seqs[k-1]) {
						t.Fatalf("trial %d after %d: sequence %v", trial, after, seqs)
					}
				}
				if len(all) > 0 {
					checkContiguous(t, all, after, seqs)
				}
				all = mergeSeqs(all, seqs)
			}
			wg.Wait()
		})
	}
}

// instantLog is a holdLog that makes everything durable at once.
type instantLog struct{ holdLog }

func (l *instantLog) Append(evs []hub.Event, done func(error)) {
	l.mu.Lock()
	l.events = append(l.events, evs...)
	l.mu.Unlock()
	done(nil)
}

// seqsSeen returns the sequence numbers of messages a recorder saw
// (history and live), and whether its history was complete.
func seqsSeen(lines []string) (seqs []uint64, complete bool) {
	complete = true
	for _, l := range lines {
		var seq uint64
		var from, rest string
		switch {
		case strings.HasPrefix(l, "history "):
			complete = strings.HasSuffix(l, "complete=true")
		case strings.HasPrefix(l, "past "):
			if n, _ := fmt.Sscanf(l, "past %d %s %s", &seq, &from, &rest); n == 3 {
				seqs = append(seqs, seq)
			}
		default:
			if n, _ := fmt.Sscanf(l, "%d %s %s", &seq, &from, &rest); n == 3 {
				seqs = append(seqs, seq)
			}
		}
	}
	return seqs, complete
}

// checkContiguous checks that seqs holds every number of known above
// after, up to its own last one: nothing known was skipped.
func checkContiguous(t *testing.T, known []uint64, after uint64, seqs []uint64) {
	t.Helper()
	if len(seqs) == 0 {
		return
	}
	last := seqs[len(seqs)-1]
	for _, k := range known {
		if k > after && k <= last && !slices.Contains(seqs, k) {
			t.Fatalf("resume after %d skipped %d (got %v)", after, k, seqs)
		}
	}
}

func mergeSeqs(a, b []uint64) []uint64 {
	out := append(slices.Clone(a), b...)
	slices.Sort(out)
	return slices.Compact(out)
}

// A format that panics fails that format's delivery of one message; the
// room goes on and other members are served.
func TestPanickingFormatFailsOneMessage(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet()})
	a, _ := attach(t, h, "a")
	good, goodRec := attach(t, h, "good")
	badRec := &recorder{wrote: make(chan struct{}, 1)}
	bad, _ := h.Attach(hub.Peer{Addr: "bad", Format: panicky{}, Write: badRec.write})
	join(t, a, "room")
	join(t, good, "room")
	join(t, bad, "room")
	a.Say("room", "boom")
	a.Say("room", "fine")
	goodRec.waitFor(t, "a: boom")
	goodRec.waitFor(t, "a: fine")
	badRec.waitCount(t, "fine", 1)
	if bad.CutReason() != hub.StillConnected {
		t.Fatal("the member with the panicking format was cut off")
	}
}

type panicky struct{}

func (panicky) Append(b []byte, ev *hub.Event) []byte {
	if ev.Text == "boom" {
		panic("format exploded")
	}
	return append(append(b, ev.Text...), '\n')
}

// A Log that panics fails the message it was given: the sender is told,
// and the room goes on.
func TestPanickingLogFailsOneMessage(t *testing.T) {
	log := &panicLog{holdLog: holdLog{arrived: make(chan struct{}, 1)}}
	h := hub.New(hub.Config{Logger: quiet(), Log: log})
	a, aRec := attach(t, h, "a")
	b, bRec := attach(t, h, "b")
	join(t, a, "room")
	join(t, b, "room")
	a.Post("room", hub.KindMessage, "x", "boom")
	aRec.waitCount(t, "error not_stored x", 1)
	a.Say("room", "fine")
	bRec.waitFor(t, "a: fine")
}

type panicLog struct{ holdLog }

func (l *panicLog) Append(evs []hub.Event, done func(error)) {
	if evs[0].Text == "boom" {
		panic("log exploded")
	}
	done(nil)
}

// Names: one script per name, PRECIS case folding, and no control
// characters anywhere in event text.
func TestNamesAndHygiene(t *testing.T) {
	for name, ok := range map[string]bool{
		"alice": true, "Bob_2": true, "ünïcode": true, "a-b": true, "Дмитрий": true, "たなか": true,
		"": false, "2fast": false, "-x": false, "has space": false, "x!": false,
		"pаypal":                false, // Cyrillic а among Latin letters
		strings.Repeat("n", 33): false,
	} {
		if err := hub.DefaultNames.CheckName(name); (err == nil) != ok {
			t.Errorf("CheckName(%q) = %v", name, err)
		}
	}
	h := hub.New(hub.Config{Logger: quiet()})
	a, _ := attach(t, h, "Alice")
	b, bRec := attach(t, h, "bob")
	if err := b.Rename("ALICE"); err != hub.ErrNameTaken {
		t.Fatalf("case-insensitive collision: %v", err)
	}
	if err := a.Rename("alice"); err != nil { // changing one's own case is fine
		t.Fatalf("own rename: %v", err)
	}
	if err := b.Private("ALICE", "hi", ""); err != nil {
		t.Fatalf("private by folded name: %v", err)
	}
	join(t, a, "room")
	join(t, b, "room")
	a.Say("room", "one\n*** forged\r\x1b[2Jtwo\u2028three")
	flush(b)
	lines := bRec.snapshot()
	if !slices.Contains(lines, fmt.Sprintf("%s alice: one*** forged[2Jtwothree", strings.Fields(lines[len(lines)-1])[0])) {
		t.Fatalf("control characters got through: %q", lines)
	}
}

func TestStuckPeerIsCutOffAndRoomGoesOn(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet(), OutboxBytes: 16 << 10})
	// The sender's acks are not this test's concern: it sends a thousand
	// lines in a tight loop, faster than a writer goroutine may be
	// scheduled to write their acks to it.
	sender, _ := h.Attach(hub.Peer{Addr: "sender", Format: noAcks{}, Write: func([]byte) error { return nil }})
	sender.Rename("sender")
	good, goodRec := attach(t, h, "good")
	stuckRec := &recorder{gate: make(chan struct{}), wrote: make(chan struct{}, 1)}
	hungUp := make(chan struct{})
	stuck, _ := h.Attach(hub.Peer{Addr: "stuck", Format: plainFormat, Write: stuckRec.write, Hangup: func() { close(hungUp) }})
	for _, m := range []*hub.Member{sender, good, stuck} {
		join(t, m, "lobby")
	}
	const msgs = 1000 // 60 KB: far past the stuck member's 16 KB outbox
	for i := range msgs {
		sender.Say("lobby", strings.Repeat("x", 50)+string(rune('a'+i%26)))
		if i%100 == 99 { // pace the sender so the good member keeps up
			goodRec.waitCount(t, "", i+1)
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
	if said := count(lines, "") - count(lines, "lobby:"); said < msgs {
		t.Fatalf("good member got %d of %d messages", said, msgs)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "lobby: guest-3 left (slow consumer)") {
		t.Fatalf("no slow-consumer leave in %q", lines[len(lines)-3:])
	}
	if sender.CutReason() != hub.StillConnected || good.CutReason() != hub.StillConnected {
		t.Fatalf("cut: sender %v good %v", sender.CutReason(), good.CutReason())
	}
	if h.Stats().SlowConsumerCuts != 1 {
		t.Fatalf("stats: %+v", h.Stats())
	}
}

// One block larger than the outbox limit reaches a member that has
// nothing queued: a single big burst does not cut off a healthy reader.
func TestOneBigBlockIsNotASlowConsumer(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet(), OutboxBytes: 4 << 10})
	a, _ := attach(t, h, "a")
	b, bRec := attach(t, h, "b")
	join(t, a, "room")
	join(t, b, "room")
	a.Say("room", strings.Repeat("z", 8<<10))
	bRec.waitFor(t, "zzzz")
	if b.CutReason() != hub.StillConnected {
		t.Fatalf("b cut off: %v", b.CutReason())
	}
}

func TestBigRoomsDeliverPresenceOnlyToThoseWhoAsk(t *testing.T) {
	h := hub.New(hub.Config{Logger: quiet(), AnnounceLimit: 2})
	first, rec := attach(t, h, "first")
	all, allRec := attachAll(t, h, "all")
	join(t, first, "lobby")
	join(t, all, "lobby") // 2 members: announced
	third, _ := attach(t, h, "third")
	join(t, third, "lobby") // 3 members: quiet for first
	third.Rename("renamed")
	flush(first)
	flush(all)
	got := strings.Join(rec.snapshot(), "\n")
	if !strings.Contains(got, "all joined") || strings.Contains(got, "third") {
		t.Fatalf("first, with limit 2:\n%s", got)
	}
	gotAll := strings.Join(allRec.snapshot(), "\n")
	if !strings.Contains(gotAll, "third joined") || !strings.Contains(gotAll, "third is now renamed") {
		t.Fatalf("the member asking for all presence:\n%s", gotAll)
	}
}

// noAcks renders messages as plain does, and acks as nothing.
type noAcks struct{}

func (noAcks) Append(b []byte, ev *hub.Event) []byte {
	if ev.Kind == hub.KindAck {
		return b
	}
	return plainFormat.Append(b, ev)
}
