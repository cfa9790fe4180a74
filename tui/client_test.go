package tui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
)

// realHub serves a hub with the chat front end on loopback.
func realHub(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := server.New(chat.NewServer(hub.New(hub.Config{Logger: log}), chat.Config{Logger: log}), server.Config{Logger: log})
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// clientLink lets the harness drive a model whose link is a real Client:
// the test pulls the client's messages itself, so the model's Wait is a
// no-op.
type clientLink struct{ c *Client }

func (l clientLink) Wait() tea.Msg                      { return nil }
func (l clientLink) Send(gen int, cmds []Command) error { return l.c.Send(gen, cmds) }

// pump feeds the client's messages to the model until cond holds.
func pump(t *testing.T, h *harness, c *Client, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !cond() {
		select {
		case msg := <-c.msgs:
			if m, ok := msg.(ConnectedMsg); ok {
				h.gen = m.Gen
			}
			h.send(msg)
		case <-deadline:
			t.Fatalf("timed out waiting for %s; screen:\n%s", what, h.screen())
		}
	}
}

// TestClientResumesOverRealHub drops the connection while another member
// talks, and checks that the model, over a real hub, shows every line
// once and in order after the client redials by itself.
func TestClientResumesOverRealHub(t *testing.T) {
	addr := realHub(t)
	c := NewClient(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
	c.MinBackoff = 10 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go c.Run(ctx)

	h := newHarness(t, Config{Nick: "alice", Join: []string{"dev"}})
	h.m.link = clientLink{c}
	pump(t, h, c, "dev joined", func() bool { w := h.m.room("dev"); return w != nil && h.m.online() })

	bob := dialJSON(t, addr, "bob", "dev")
	say := func(text string) {
		bob.send(t, Command{Cmd: "say", Room: "dev", Text: text, ID: "b"})
		bob.until(t, "ack")
	}
	say("before 1")
	h.typeText("mine before")
	h.press(tea.KeyEnter, 0)
	pump(t, h, c, "before 1 and an ack", func() bool {
		return strings.Contains(strings.Join(texts(h.m.room("dev")), "|"), "before 1") && len(h.m.pendings) == 0
	})

	c.Drop()
	pump(t, h, c, "the drop", func() bool { return !h.m.online() })
	for i := 1; i <= 5; i++ {
		say(fmt.Sprint("gap ", i))
	}
	h.typeText("mine while away")
	h.press(tea.KeyEnter, 0)
	pump(t, h, c, "the resume", func() bool {
		return h.m.online() && !h.m.room("dev").resuming && len(h.m.pendings) == 0
	})
	say("after")
	pump(t, h, c, "the line after", func() bool { return strings.Contains(strings.Join(texts(h.m.room("dev")), "|"), "after") })

	want := "before 1|mine before|gap 1|gap 2|gap 3|gap 4|gap 5|mine while away|after"
	if got := strings.Join(texts(h.m.room("dev")), "|"); got != want {
		t.Fatalf("dev:\n got %s\nwant %s", got, want)
	}
	bob.untilText(t, "mine while away")
}

// jsonClient is a bare JSON protocol member for tests.
type jsonClient struct {
	c       *Client
	gen     int
	pending []Event // read but not yet matched
	seen    []Event // every event read
}

func dialJSON(t *testing.T, addr, nick, room string) *jsonClient {
	t.Helper()
	c := NewClient(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
	c.MaxBackoff = time.Hour // never redial
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go c.Run(ctx)
	j := &jsonClient{c: c}
	for j.gen == 0 {
		if m, ok := c.Wait().(ConnectedMsg); ok {
			j.gen = m.Gen
		}
	}
	j.send(t, Command{Cmd: "hello", Version: 1, Nick: nick})
	j.until(t, "hello")
	j.send(t, Command{Cmd: "join", Room: room})
	j.until(t, "members")
	return j
}

func (j *jsonClient) send(t *testing.T, cmd Command) {
	t.Helper()
	if err := j.c.Send(j.gen, []Command{cmd}); err != nil {
		t.Fatal(err)
	}
}

// until reads events until one of type typ.
func (j *jsonClient) until(t *testing.T, typ string) Event {
	t.Helper()
	return j.match(t, typ, func(ev Event) bool { return ev.Type == typ })
}

// untilText waits for a message with text, looking first at the events
// already read.
func (j *jsonClient) untilText(t *testing.T, text string) Event {
	t.Helper()
	ok := func(ev Event) bool { return ev.Type == "message" && ev.Text == text }
	for _, ev := range j.seen {
		if ok(ev) {
			return ev
		}
	}
	return j.match(t, text, ok)
}

func (j *jsonClient) match(t *testing.T, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		for len(j.pending) > 0 {
			ev := j.pending[0]
			j.pending = j.pending[1:]
			j.seen = append(j.seen, ev)
			if ok(ev) {
				return ev
			}
		}
		select {
		case msg := <-j.c.msgs:
			if em, isEv := msg.(EventMsg); isEv {
				j.pending = append(j.pending, em.Events...)
			}
		case <-deadline:
			t.Fatalf("no %s", what)
		}
	}
}

// TestOlderHistoryOverRealHub scrolls up past the history a join brings
// and gets the older events from a real hub, in order, each once.
func TestOlderHistoryOverRealHub(t *testing.T) {
	addr := realHub(t)
	bob := dialJSON(t, addr, "bob", "dev")
	for i := 1; i <= 120; i++ {
		bob.send(t, Command{Cmd: "say", Room: "dev", Text: fmt.Sprint("old ", i), ID: "b"})
		bob.until(t, "ack")
	}
	c := NewClient(func(ctx context.Context) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", addr)
	})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go c.Run(ctx)
	h := newHarness(t, Config{Nick: "alice", Join: []string{"dev"}})
	h.m.link = clientLink{c}
	pump(t, h, c, "dev's recent history", func() bool { w := h.m.room("dev"); return w != nil && len(texts(w)) > 0 })
	dev := h.m.room("dev")
	if got := texts(dev); len(got) >= 120 || got[len(got)-1] != "old 120" || !dev.more {
		t.Fatalf("a join brought %d lines ending %q, more %v", len(got), got[len(got)-1], dev.more)
	}
	for i := 0; dev.more && i < 100; i++ {
		h.press(tea.KeyPgUp, 0)
		pump(t, h, c, "an older batch", func() bool { return !dev.loading })
	}
	var want []string
	for i := 1; i <= 120; i++ {
		want = append(want, fmt.Sprint("old ", i))
	}
	if got := texts(dev); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("after scrolling up: %d lines, first %q", len(got), got[0])
	}
}
