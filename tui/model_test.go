package tui

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// fakeLink records what the model sends.
type fakeLink struct {
	sent []Command
}

func (f *fakeLink) Wait() tea.Msg { return nil }

func (f *fakeLink) Send(gen int, cmds []Command) error {
	f.sent = append(f.sent, cmds...)
	return nil
}

// take returns and forgets the commands sent so far.
func (f *fakeLink) take() []Command {
	s := f.sent
	f.sent = nil
	return s
}

// harness drives a model with messages, running the commands it returns
// that write to the link (timers and waits are not run).
type harness struct {
	t    *testing.T
	m    *Model
	link *fakeLink
	gen  int
	clk  time.Time
}

func newHarness(t *testing.T, cfg Config) *harness {
	h := &harness{t: t, link: &fakeLink{}, clk: time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)}
	cfg.Location = time.UTC
	cfg.Now = func() time.Time { return h.clk }
	h.m = NewModel(h.link, cfg)
	h.m.after = func(time.Duration, func(time.Time) tea.Msg) tea.Cmd { return nil }
	h.send(tea.WindowSizeMsg{Width: 80, Height: 20})
	return h
}

func (h *harness) send(msg tea.Msg) {
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func (h *harness) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			h.run(c)
		}
	case SentMsg:
		h.send(msg)
	}
}

// connect brings up a new connection and answers its hello.
func (h *harness) connect(name string, rooms ...string) {
	h.gen++
	h.send(ConnectedMsg{Gen: h.gen})
	h.ev(Event{Type: "hello", Version: 1, Name: name, Joined: rooms})
}

func (h *harness) ev(e Event) {
	if e.Time.IsZero() {
		e.Time = h.clk
	}
	h.send(EventMsg{Gen: h.gen, Events: []Event{e}})
}

func (h *harness) typeText(s string) {
	for _, r := range s {
		h.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

func (h *harness) press(code rune, mod tea.KeyMod) {
	h.send(tea.KeyPressMsg{Code: code, Mod: mod})
}

// screen is the view as plain text.
func (h *harness) screen() string {
	return ansi.Strip(h.m.View().Content)
}

func msgEv(room string, seq uint64, from, text string) Event {
	return Event{Type: "message", Room: room, Seq: seq, ID: fmt.Sprintf("h-%d", seq), From: from, Text: text}
}

// texts lists the texts of a window's message lines, in order.
func texts(w *window) []string {
	var out []string
	for _, l := range w.lines {
		if l.kind == lineMessage || l.kind == lineAction {
			out = append(out, l.text)
		}
	}
	return out
}

func TestHelloJoinsRoomsAsked(t *testing.T) {
	h := newHarness(t, Config{Nick: "alice", Join: []string{"dev"}})
	h.gen++
	h.send(ConnectedMsg{Gen: h.gen})
	if got := h.link.take(); len(got) != 1 || got[0].Cmd != "hello" || got[0].Nick != "alice" || got[0].Version != 1 {
		t.Fatalf("sent %+v, want one hello as alice", got)
	}
	h.ev(Event{Type: "hello", Name: "alice", Joined: []string{"lobby"}})
	if got := h.link.take(); len(got) != 2 || got[0].Cmd != "history" || got[0].Room != "lobby" ||
		got[1].Cmd != "join" || got[1].Room != "dev" || got[1].After != nil {
		t.Fatalf("sent %+v, want the lobby's history and a fresh join of dev", got)
	}
	h.ev(Event{Type: "history", Room: "dev", Events: []Event{msgEv("dev", 3, "bob", "earlier")}, Complete: true, More: true})
	h.ev(Event{Type: "join", Room: "dev", Seq: 4, From: "alice"})
	if w := h.m.cur(); w.name != "dev" || w.watermark != 4 || !w.more {
		t.Fatalf("active %q watermark %d more %v, want dev 4 true", w.name, w.watermark, w.more)
	}
	if s := h.screen(); !strings.Contains(s, "<bob> earlier") || !strings.Contains(s, "online at") {
		t.Fatalf("screen lacks the history or the status:\n%s", s)
	}
}

func TestTypingSendsAndAckConfirms(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby")
	h.link.take()
	h.typeText("hellp")
	h.press(tea.KeyBackspace, 0)
	h.typeText("o world")
	if s := h.screen(); !strings.Contains(s, "> hello world") {
		t.Fatalf("input not echoed:\n%s", s)
	}
	h.press(tea.KeyEnter, 0)
	sent := h.link.take()
	if len(sent) != 1 || sent[0].Cmd != "say" || sent[0].Room != "lobby" || sent[0].Text != "hello world" || sent[0].ID == "" {
		t.Fatalf("sent %+v", sent)
	}
	if s := h.screen(); !strings.Contains(s, "<alice> hello world [sending]") || h.m.input.Value() != "" {
		t.Fatalf("want the line pending and the input cleared:\n%s", s)
	}
	h.ev(Event{Type: "ack", ClientID: sent[0].ID, Room: "lobby", Seq: 9, ID: "h-9"})
	if s := h.screen(); !strings.Contains(s, "<alice> hello world") || strings.Contains(s, "[sending]") {
		t.Fatalf("want the line confirmed:\n%s", s)
	}
	if w := h.m.cur(); w.watermark != 9 || len(h.m.pendings) != 0 {
		t.Fatalf("watermark %d pendings %d", w.watermark, len(h.m.pendings))
	}
}

func TestErrorMarksMessageNotSent(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby")
	h.link.take()
	h.typeText("x")
	h.press(tea.KeyEnter, 0)
	id := h.link.take()[0].ID
	h.ev(Event{Type: "error", Code: "forbidden", Text: "the room is moderated", ClientID: id})
	if s := h.screen(); !strings.Contains(s, "<alice> x [not sent: the room is moderated]") {
		t.Fatalf("screen:\n%s", s)
	}
}

func TestNickConfirmedByPong(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("guest-1", "lobby")
	h.link.take()
	h.typeText("/nick taken")
	h.press(tea.KeyEnter, 0)
	sent := h.link.take()
	if len(sent) != 2 || sent[0].Cmd != "nick" || sent[0].Name != "taken" || sent[1].Cmd != "ping" {
		t.Fatalf("sent %+v", sent)
	}
	h.ev(Event{Type: "error", Code: "name_taken", Text: "taken is taken", ClientID: sent[0].ID})
	h.ev(Event{Type: "pong", ClientID: sent[1].ID})
	if h.m.name != "guest-1" || !strings.Contains(h.screen(), "!! taken is taken") {
		t.Fatalf("name %q\n%s", h.m.name, h.screen())
	}
	h.typeText("/nick alice")
	h.press(tea.KeyEnter, 0)
	sent = h.link.take()
	h.ev(Event{Type: "pong", ClientID: sent[1].ID})
	if h.m.name != "alice" || !strings.Contains(h.screen(), "you are now known as alice") {
		t.Fatalf("name %q", h.m.name)
	}
	h.ev(msgEv("lobby", 5, "guest-1", "said before the rename"))
	if l := h.m.cur().lines[len(h.m.cur().lines)-1]; !l.own {
		t.Fatal("a line from our earlier name is not ours")
	}
}

func TestRecallEarlierInputs(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby")
	for _, s := range []string{"one", "two"} {
		h.typeText(s)
		h.press(tea.KeyEnter, 0)
	}
	h.typeText("dra")
	want := []struct {
		key  rune
		text string
	}{{tea.KeyUp, "two"}, {tea.KeyUp, "one"}, {tea.KeyUp, "one"}, {tea.KeyDown, "two"}, {tea.KeyDown, "dra"}}
	for i, w := range want {
		h.press(w.key, 0)
		if got := h.m.input.Value(); got != w.text {
			t.Fatalf("step %d: input %q, want %q", i, got, w.text)
		}
	}
}

func TestTabCompletion(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby", "dev")
	h.ev(Event{Type: "members", Room: "lobby", Members: []string{"alice", "Bob", "alfred", "albert"}, Total: 4})
	h.typeText("al")
	h.press(tea.KeyTab, 0)
	if got := h.m.input.Value(); got != "albert: " {
		t.Fatalf("first tab: %q", got)
	}
	h.press(tea.KeyTab, 0)
	if got := h.m.input.Value(); got != "alfred: " {
		t.Fatalf("second tab: %q (own name must not be offered)", got)
	}
	h.press(tea.KeyTab, 0)
	if got := h.m.input.Value(); got != "albert: " {
		t.Fatalf("third tab cycles: %q", got)
	}
	h.typeText("hi b")
	h.press(tea.KeyTab, 0)
	if got := h.m.input.Value(); got != "albert: hi Bob " {
		t.Fatalf("name inside a line: %q", got)
	}
	h.m.input.Reset()
	h.typeText("/jo")
	h.press(tea.KeyTab, 0)
	h.typeText("d")
	h.press(tea.KeyTab, 0)
	if got := h.m.input.Value(); got != "/join dev " {
		t.Fatalf("command then room: %q", got)
	}
}

func TestUnreadCountsAndSwitching(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby", "dev")
	if h.m.cur().name != "lobby" {
		t.Fatalf("active %q", h.m.cur().name)
	}
	h.ev(msgEv("dev", 1, "bob", "one"))
	h.ev(msgEv("dev", 2, "bob", "two"))
	h.ev(Event{Type: "join", Room: "dev", Seq: 3, From: "carol"})
	h.ev(msgEv("lobby", 1, "bob", "seen here"))
	dev := h.m.room("dev")
	if dev.unread != 2 || dev.mentioned || h.m.cur().unread != 0 {
		t.Fatalf("dev unread %d mentioned %v; lobby unread %d", dev.unread, dev.mentioned, h.m.cur().unread)
	}
	if s := h.screen(); !strings.Contains(s, "3:dev (2)") {
		t.Fatalf("tab bar lacks the count:\n%s", s)
	}
	h.ev(msgEv("dev", 4, "bob", "ALICE, look"))
	h.ev(msgEv("dev", 5, "bob", "malice is no mention"))
	if !dev.mentioned || dev.unread != 4 || !dev.lines[len(dev.lines)-2].mention || dev.lines[len(dev.lines)-1].mention {
		t.Fatalf("mention: %v unread %d", dev.mentioned, dev.unread)
	}
	h.press('n', tea.ModCtrl)
	if h.m.cur() != dev || dev.unread != 0 || dev.mentioned {
		t.Fatalf("ctrl+n: active %q unread %d", h.m.cur().name, dev.unread)
	}
	if s := h.screen(); !strings.Contains(s, "<bob> one") || !strings.Contains(s, "carol joined dev") {
		t.Fatalf("dev not shown:\n%s", s)
	}
	h.press('1', tea.ModAlt)
	if !h.m.cur().server {
		t.Fatalf("alt+1: %q", h.m.cur().name)
	}
	h.press('p', tea.ModCtrl)
	if h.m.cur() != dev {
		t.Fatalf("ctrl+p wraps: %q", h.m.cur().name)
	}
}

func TestPrivateTabs(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby")
	h.link.take()
	h.ev(Event{Type: "private", ID: "p1", From: "bob", To: "alice", Text: "psst"})
	h.ev(Event{Type: "private", ID: "p1", From: "bob", To: "alice", Text: "psst"})
	pw := h.m.wins[len(h.m.wins)-1]
	if !pw.private || pw.name != "bob" || pw.unread != 1 || !pw.mentioned || len(pw.lines) != 1 {
		t.Fatalf("private tab %+v", pw)
	}
	h.typeText("/msg bob hi there")
	h.press(tea.KeyEnter, 0)
	if h.m.cur() != pw {
		t.Fatal("/msg did not switch to the private tab")
	}
	sent := h.link.take()
	if len(sent) != 1 || sent[0].Cmd != "msg" || sent[0].To != "bob" || sent[0].Text != "hi there" {
		t.Fatalf("sent %+v", sent)
	}
	h.ev(Event{Type: "private", ID: "p2", From: "alice", To: "bob", Text: "hi there"})
	h.ev(Event{Type: "ack", ClientID: sent[0].ID})
	if got := texts(pw); len(got) != 2 || !strings.Contains(h.screen(), "<alice> hi there") || strings.Contains(h.screen(), "[sending]") {
		t.Fatalf("private lines %q\n%s", got, h.screen())
	}
	h.typeText("plain text goes to bob")
	h.press(tea.KeyEnter, 0)
	if sent := h.link.take(); len(sent) != 1 || sent[0].Cmd != "msg" || sent[0].To != "bob" {
		t.Fatalf("sent %+v", sent)
	}
}

// TestReconnectResumes walks a connection loss: the state shows it, a
// message typed meanwhile is held, and the reconnect resumes each room
// after its last event with no gap and no duplicate, confirming a message
// whose ack was lost and sending the held one.
func TestReconnectResumes(t *testing.T) {
	h := newHarness(t, Config{Nick: "alice"})
	h.connect("alice", "lobby")
	h.ev(Event{Type: "history", Room: "lobby", Events: []Event{msgEv("lobby", 1, "bob", "m1"), msgEv("lobby", 2, "bob", "m2")}, Complete: true})
	h.link.take()
	h.typeText("stored before the break")
	h.press(tea.KeyEnter, 0)
	h.typeText("lost in the break")
	h.press(tea.KeyEnter, 0)
	if len(h.link.take()) != 2 {
		t.Fatal("two says expected")
	}
	h.send(DisconnectedMsg{Gen: h.gen, Err: errors.New("connection reset by peer"), Retry: 2 * time.Second})
	if s := h.screen(); !strings.Contains(s, "disconnected (connection reset by peer), retrying in 2s") {
		t.Fatalf("status:\n%s", s)
	}
	h.typeText("typed while away")
	h.press(tea.KeyEnter, 0)
	if s := h.screen(); !strings.Contains(s, "typed while away [queued]") || !strings.Contains(s, "3 unsent") {
		t.Fatalf("held message:\n%s", s)
	}
	if len(h.link.take()) != 0 {
		t.Fatal("sent while offline")
	}

	h.gen++
	h.send(ConnectingMsg{Attempt: 1})
	h.send(ConnectedMsg{Gen: h.gen})
	if s := h.screen(); !strings.Contains(s, "saying hello") {
		t.Fatalf("status:\n%s", s)
	}
	h.link.take()
	h.ev(Event{Type: "hello", Name: "alice", Joined: []string{"lobby"}})
	sent := h.link.take()
	if len(sent) != 2 || sent[0].Cmd != "join" || sent[0].Room != "lobby" || sent[0].After == nil || *sent[0].After != 2 ||
		sent[1].Cmd != "ping" || sent[1].ID != resumePrefix+"lobby" {
		t.Fatalf("resume sent %+v", sent)
	}
	// The hub's own lobby join sends recent history (overlapping), then a
	// live event, then the resume history, which holds the live one too.
	h.ev(Event{Type: "history", Room: "lobby", Events: []Event{msgEv("lobby", 2, "bob", "m2"), msgEv("lobby", 4, "bob", "m4")}, Complete: true})
	h.ev(msgEv("lobby", 6, "carol", "m6"))
	h.ev(Event{Type: "history", Room: "lobby", Complete: true, Events: []Event{
		msgEv("lobby", 3, "alice", "stored before the break"), msgEv("lobby", 4, "bob", "m4"),
		msgEv("lobby", 5, "bob", "m5"), msgEv("lobby", 6, "carol", "m6")}})
	if len(h.link.take()) != 0 {
		t.Fatal("sent before the resume finished")
	}
	h.ev(Event{Type: "pong", ClientID: resumePrefix + "lobby"})
	sent = h.link.take()
	if len(sent) != 2 || sent[0].Text != "lost in the break" || sent[1].Text != "typed while away" {
		t.Fatalf("after resume sent %+v", sent)
	}
	lobby := h.m.room("lobby")
	if lobby.watermark != 6 {
		t.Fatalf("watermark %d", lobby.watermark)
	}
	h.ev(Event{Type: "ack", ClientID: sent[0].ID, Room: "lobby", Seq: 7})
	h.ev(Event{Type: "ack", ClientID: sent[1].ID, Room: "lobby", Seq: 8})
	if s := h.screen(); strings.Contains(s, "[sending]") || strings.Contains(s, "[queued]") || lobby.watermark != 8 {
		t.Fatalf("watermark %d\n%s", lobby.watermark, s)
	}
	want := "m1|m2|stored before the break|m4|m5|m6|lost in the break|typed while away"
	if got := strings.Join(texts(lobby), "|"); got != want {
		t.Fatalf("lobby:\n got %s\nwant %s", got, want)
	}
}

func TestScrollLoadsOlderHistory(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby")
	var evs []Event
	for i := uint64(100); i < 130; i++ {
		evs = append(evs, msgEv("lobby", i, "bob", fmt.Sprint("m", i)))
	}
	h.ev(Event{Type: "history", Room: "lobby", Events: evs, Complete: true, More: true})
	h.link.take()
	h.press(tea.KeyPgUp, 0)
	if s := h.screen(); !strings.Contains(s, "more below") || strings.Contains(s, "m129") {
		t.Fatalf("after one page up:\n%s", s)
	}
	h.press(tea.KeyPgUp, 0)
	sent := h.link.take()
	if len(sent) != 1 || sent[0].Cmd != "history" || sent[0].Before != 100 {
		t.Fatalf("sent %+v", sent)
	}
	h.ev(Event{Type: "history", Room: "lobby", Events: []Event{msgEv("lobby", 97, "bob", "m97"), msgEv("lobby", 99, "bob", "m99")}, Complete: true})
	lobby := h.m.room("lobby")
	if got := texts(lobby); got[0] != "m97" || got[1] != "m99" || got[2] != "m100" || lobby.more {
		t.Fatalf("after older history: %v more %v", got[:3], lobby.more)
	}
	for range 10 {
		h.send(tea.MouseWheelMsg{Button: tea.MouseWheelUp})
	}
	if s := h.screen(); !strings.Contains(s, "m97") {
		t.Fatalf("wheel did not reach the top:\n%s", s)
	}
	h.press(tea.KeyEnd, tea.ModCtrl)
	if s := h.screen(); !strings.Contains(s, "m129") {
		t.Fatalf("ctrl+end did not return to the bottom:\n%s", s)
	}
}

func TestResizeKeepsScreenInBounds(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby")
	h.ev(Event{Type: "members", Room: "lobby", Members: []string{"alice", "bob"}, Total: 2})
	h.ev(msgEv("lobby", 1, "bob", strings.Repeat("long words wrap ", 20)))
	for _, size := range [][2]int{{80, 24}, {40, 10}, {120, 40}, {20, 5}} {
		h.send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		rows := strings.Split(h.m.View().Content, "\n")
		if len(rows) != size[1] {
			t.Fatalf("%v: %d rows", size, len(rows))
		}
		for i, r := range rows {
			if w := ansi.StringWidth(r); w > size[0] {
				t.Fatalf("%v: row %d is %d wide: %q", size, i, w, ansi.Strip(r))
			}
		}
	}
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	if s := h.screen(); !strings.Contains(s, "2 here") {
		t.Fatalf("member list missing:\n%s", s)
	}
	h.press(tea.KeyF2, 0)
	if s := h.screen(); strings.Contains(s, "│") {
		t.Fatalf("member list not hidden:\n%s", s)
	}
}

func TestNoColor(t *testing.T) {
	for _, noColor := range []bool{false, true} {
		h := newHarness(t, Config{NoColor: noColor})
		h.connect("alice", "lobby")
		h.ev(msgEv("lobby", 1, "bob", "hi alice"))
		v := h.m.View().Content
		colour := strings.Contains(v, "\x1b[38;") || strings.Contains(v, "\x1b[48;")
		if colour == noColor {
			t.Fatalf("NoColor %v: colour escapes %v", noColor, colour)
		}
		if !strings.Contains(ansi.Strip(v), "<bob> hi alice") || !strings.Contains(v, "│") {
			t.Fatalf("NoColor %v: text missing", noColor)
		}
	}
}

func TestNameColourIsStable(t *testing.T) {
	s, again := newStyles(false, true), newStyles(false, true)
	if s.name("bob") != again.name("bob") || s.name("bob") == s.name("carol") || nameHash("Bob") != nameHash("bob") {
		t.Fatal("colour not stable")
	}
	light := newStyles(false, false)
	if light.name("bob") == s.name("bob") {
		t.Fatal("light and dark palettes should differ")
	}
}

func TestTimestampsInLocalTime(t *testing.T) {
	h := newHarness(t, Config{})
	h.m.loc = time.FixedZone("X", 3*3600)
	h.connect("alice", "lobby")
	h.ev(Event{Type: "message", Room: "lobby", Seq: 1, From: "bob", Text: "t", Time: time.Date(2026, 1, 1, 10, 5, 0, 0, time.UTC)})
	h.ev(Event{Type: "message", Room: "lobby", Seq: 2, From: "bob", Text: "u", Time: h.clk.Add(-30 * time.Minute)})
	if s := h.screen(); !strings.Contains(s, "Jan 1 13:05 <bob> t") || !strings.Contains(s, "\n19:30 <bob> u") {
		t.Fatalf("screen:\n%s", s)
	}
}

func TestPartClosesTabForGood(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby", "dev")
	h.send(tea.KeyPressMsg{Code: '3', Mod: tea.ModAlt})
	h.link.take()
	h.typeText("/part")
	h.press(tea.KeyEnter, 0)
	if sent := h.link.take(); len(sent) != 1 || sent[0].Cmd != "part" || sent[0].Room != "dev" {
		t.Fatalf("sent %+v", sent)
	}
	h.ev(Event{Type: "history", Room: "dev", Events: []Event{msgEv("dev", 1, "bob", "late")}, Complete: true})
	h.ev(msgEv("dev", 2, "bob", "later"))
	if h.m.room("dev") != nil || h.m.cur().name != "lobby" {
		t.Fatalf("dev reopened or wrong tab %q", h.m.cur().name)
	}
}

func TestScrollReachesTheOldestWrappedLine(t *testing.T) {
	h := newHarness(t, Config{})
	h.connect("alice", "lobby")
	h.send(tea.WindowSizeMsg{Width: 40, Height: 12})
	for i := 1; i <= 30; i++ {
		h.ev(msgEv("lobby", uint64(i), "bob", fmt.Sprintf("line %d is long enough to wrap onto a second and third row", i)))
	}
	for range 20 {
		h.press(tea.KeyPgUp, 0)
	}
	rows := strings.Split(h.screen(), "\n")
	if !strings.Contains(rows[1], "<bob> line 1 is") {
		t.Fatalf("the oldest line is not at the top:\n%s", h.screen())
	}
	h.press(tea.KeyPgDown, 0)
	if strings.Contains(h.screen(), "<bob> line 1 is") {
		t.Fatalf("one page down did not move:\n%s", h.screen())
	}
}
