package irc_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubcat/hubcat/irc"
	"github.com/hubcat/hubcat/web"
)

// wsUser is a browser-side user: the JSON event protocol over WebSocket.
type wsUser struct {
	t *testing.T
	c *websocket.Conn
}

// dialWeb serves the hub's web front end and connects a WebSocket user
// with the JSON hello as nick.
func (tn *testNet) dialWeb(nick string) *wsUser {
	tn.t.Helper()
	hs := httptest.NewServer(web.New(tn.hub, web.Config{Logger: quietLogger()}))
	tn.t.Cleanup(hs.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws", nil)
	if err != nil {
		tn.t.Fatal(err)
	}
	tn.t.Cleanup(func() { c.CloseNow() })
	w := &wsUser{t: tn.t, c: c}
	w.send(map[string]any{"cmd": "hello", "version": 1, "nick": nick})
	w.expect(func(e map[string]any) bool { return e["type"] == "hello" })
	return w
}

func (w *wsUser) send(cmd map[string]any) {
	w.t.Helper()
	b, _ := json.Marshal(cmd)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatal(err)
	}
}

// expect reads events until one satisfies ok.
func (w *wsUser) expect(ok func(map[string]any) bool) map[string]any {
	w.t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, b, err := w.c.Read(ctx)
		cancel()
		if err != nil {
			w.t.Fatalf("websocket read: %v", err)
		}
		var e map[string]any
		if err := json.Unmarshal(b, &e); err != nil {
			w.t.Fatalf("event %q: %v", b, err)
		}
		if ok(e) {
			return e
		}
	}
}

// IRC, nc and WebSocket users in one room: each hears the others, by
// name, and a private message crosses from IRC to the browser.
func TestIRCncAndWebInOneRoom(t *testing.T) {
	tn := start(t, irc.Config{})
	w := tn.dialWeb("wendy")
	w.send(map[string]any{"cmd": "join", "room": "mix"})
	w.expect(func(e map[string]any) bool { return e["type"] == "join" && e["from"] == "wendy" })
	nc := tn.dialNC()
	nc.send("/nick carol", "/join mix")
	nc.skipUntil("you joined mix")
	a := tn.register("alice")
	names := a.joinChan("#mix")
	if !contains(names, "wendy") || !contains(names, "carol") {
		t.Fatalf("names %q", names)
	}

	a.send("PRIVMSG #mix :hello all")
	nc.skipUntil("<alice> hello all")
	w.expect(func(e map[string]any) bool {
		return e["type"] == "message" && e["from"] == "alice" && e["text"] == "hello all" && e["room"] == "mix"
	})
	w.send(map[string]any{"cmd": "say", "room": "mix", "text": "from the browser"})
	if m := a.skipUntil("PRIVMSG"); !strings.HasPrefix(m.Source, "wendy!") || m.Param(1) != "from the browser" {
		t.Fatalf("got %q", m.String())
	}
	nc.skipUntil("<wendy> from the browser")
	a.send("PRIVMSG wendy :just you")
	w.expect(func(e map[string]any) bool {
		return e["type"] == "private" && e["from"] == "alice" && e["text"] == "just you"
	})
}
