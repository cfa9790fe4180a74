package web_test

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/web"
)

func TestWebSocketTalksWithTCP(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	ws := s.dialWS(nil)
	ws.nick("wendy")
	nc := s.dialTCP("ned")
	ws.expect("ned's rename", func(e event) bool { return e["type"] == "rename" && e.str("name") == "ned" })

	nc.send("hello over tcp")
	got := ws.expect("ned's message", func(e event) bool { return e["type"] == "message" })
	if got.str("from") != "ned" || got.str("text") != "hello over tcp" || got.str("room") != "lobby" {
		t.Fatalf("websocket got %v", got)
	}
	ws.cmd(map[string]any{"cmd": "say", "room": "lobby", "text": "hello over websocket", "id": "c1"})
	nc.expect("<wendy> hello over websocket")
	ws.expect("ack", func(e event) bool { return e["type"] == "ack" && e.str("client_id") == "c1" })

	// A burst of lines reaches the browser as one message per line.
	for i := range 50 {
		nc.send("burst " + strconv.Itoa(i))
	}
	for i := range 50 {
		e := ws.expect("burst line", func(e event) bool { return e["type"] == "message" })
		if want := "burst " + strconv.Itoa(i); e.str("text") != want {
			t.Fatalf("line %d: got %q, want %q", i, e.str("text"), want)
		}
	}
}

func TestWebSocketMessageIsOneLine(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	ws := s.dialWS(nil)
	nc := s.dialTCP("ned")
	ws.send("{\n  \"cmd\": \"say\",\r\n  \"room\": \"lobby\",\n  \"text\": \"pretty-printed\"\n}")
	if got := nc.expect("<"); !strings.HasSuffix(got, "> pretty-printed") {
		t.Fatalf("tcp got %q", got)
	}
}

func TestWebSocketLineTooLongIsRefusedAndConnectionKept(t *testing.T) {
	s := startSite(t, web.Config{Chat: chat.Config{MaxLine: 200}}, hub.Config{})
	ws := s.dialWS(nil)
	nc := s.dialTCP("ned")
	ws.cmd(map[string]any{"cmd": "say", "room": "lobby", "text": strings.Repeat("x", 100_000)})
	ws.expect("too_long", func(e event) bool { return e["type"] == "error" && e.str("code") == "too_long" })
	ws.cmd(map[string]any{"cmd": "say", "room": "lobby", "text": "short"})
	if got := nc.expect("<"); !strings.HasSuffix(got, "> short") {
		t.Fatalf("tcp got %q", got)
	}
	ws.cmd(map[string]any{"cmd": "say", "room": "nowhere", "text": "lost"})
	ws.cmd(map[string]any{"cmd": "say", "room": "elsewhere", "text": "lost"})
	for range 2 {
		ws.expect("not_in_room", func(e event) bool { return e["type"] == "error" && e.str("code") == "not_in_room" })
	}
	for sample, want := range map[string]float64{
		`hubcat_inputs_refused_total{reason="too_long"}`:    1,
		`hubcat_inputs_refused_total{reason="not_in_room"}`: 2,
	} {
		if got := metric(t, s, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
}

func TestCrossOriginWebSocketRefused(t *testing.T) {
	s := startSite(t, web.Config{Origins: []string{"chat.example.com"}}, hub.Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{"Origin": {"http://evil.example.com"}}
	_, res, err := websocket.Dial(ctx, s.wsURL(), &websocket.DialOptions{HTTPHeader: h})
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin dial: err %v, response %v; want 403", err, res)
	}
	s.dialWS(&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {s.http.URL}}})
	s.dialWS(&websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://chat.example.com"}}})
	if m := metric(t, s, "hubcat_websocket_refused_total"); m != 1 {
		t.Fatalf("refused_total = %v, want 1", m)
	}
}

func TestHealthFailsWhileShuttingDown(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	if code, body := s.get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("healthz: %d %q", code, body)
	}
	ws := s.dialWS(nil)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- s.handler.Shutdown(ctx)
	}()
	// The client is disconnected, and health fails from then on.
	ws.expectClosed()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if code, _ := s.get("/healthz"); code != http.StatusServiceUnavailable {
		t.Fatalf("healthz while shutting down: %d", code)
	}
	_, res, err := websocket.Dial(ctx, s.wsURL(), nil)
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("dial after shutdown: %v %v", err, res)
	}
}

func TestSlowWebSocketIsCutOffAndRoomGoesOn(t *testing.T) {
	s := startSite(t, web.Config{Chat: chat.Config{WriteTimeout: 300 * time.Millisecond}}, hub.Config{OutboxBytes: 256 << 10})
	stuck := s.dialWS(nil) // never reads again
	stuck.nick("stuck")
	sender := s.dialTCP("sender")
	reader := s.dialTCP("reader")
	line := strings.Repeat("y", 1000)
	cut := false
	for i := range 20_000 {
		sender.send(line + " " + strconv.Itoa(i))
		if i%1000 == 999 {
			want := "<sender> " + line + " " + strconv.Itoa(i)
			for l := ""; l != want; {
				l = reader.expect("")
				cut = cut || l == "*** stuck left lobby (slow consumer)"
			}
		}
	}
	if !cut {
		t.Fatal("the reader never saw the stuck browser cut off")
	}
}

func TestPageIsServed(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	res, err := http.Get(s.http.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Fatalf("page: %d, CSP %q", res.StatusCode, res.Header.Get("Content-Security-Policy"))
	}
	for _, p := range []string{"/app.js", "/style.css"} {
		if code, _ := s.get(p); code != http.StatusOK {
			t.Fatalf("%s: %d", p, code)
		}
	}
}

// metric scrapes /metrics and returns the value of one sample, named
// with its labels as the text format writes them.
func metric(t *testing.T, s *site, name string) float64 {
	t.Helper()
	_, body := s.get("/metrics")
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in /metrics:\n%s", name, body)
	}
	v, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestWebSocketsBeyondMaxConnsRefused(t *testing.T) {
	s := startSite(t, web.Config{MaxConns: 2}, hub.Config{})
	first := s.dialWS(nil)
	s.dialWS(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, res, err := websocket.Dial(ctx, s.wsURL(), nil)
	if err == nil || res == nil || res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("third client: %v %v; want 503", err, res)
	}
	first.c.Close(websocket.StatusNormalClosure, "")
	for { // its slot frees once the hub has let it go
		c, _, err := websocket.Dial(ctx, s.wsURL(), nil)
		if err == nil {
			c.CloseNow()
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("no slot after a client left: %v", err)
		}
	}
}

// A browser that never says anything is let go after the silent timeout,
// told why, though its reader waits for input outside the WebSocket
// library; one that speaks stays.
func TestSilentWebSocketIsDisconnected(t *testing.T) {
	s := startSite(t, web.Config{Chat: chat.Config{SilentTimeout: 500 * time.Millisecond}}, hub.Config{})
	silent := s.dialWS(nil)
	talker := s.dialWS(nil)
	talker.cmd(map[string]any{"cmd": "ping"})
	silent.expect("the silent-timeout notice", func(e event) bool {
		return e["type"] == "notice" && strings.Contains(e.str("text"), "without input")
	})
	silent.expectClosed()
	talker.cmd(map[string]any{"cmd": "ping", "id": "still-here"})
	talker.expect("pong", func(e event) bool { return e["type"] == "pong" && e.str("client_id") == "still-here" })
}
