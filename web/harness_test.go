package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
	"github.com/hubcat/hubcat/web"
)

// site is one hub served to browsers (web.Handler over HTTP) and to line
// clients (TCP) at once.
type site struct {
	t       *testing.T
	hub     *hub.Hub
	handler *web.Handler
	http    *httptest.Server
	web     *cutListener
	tcp     net.Listener
}

// cutListener is the web listener, able to cut every connection it
// accepted and to refuse new ones, as a hub restart or a network drop does.
type cutListener struct {
	net.Listener
	mu      sync.Mutex
	conns   []net.Conn
	refused bool
}

func (l *cutListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.mu.Lock()
		if l.refused {
			l.mu.Unlock()
			c.Close()
			continue
		}
		l.conns = append(l.conns, c)
		l.mu.Unlock()
		return c, nil
	}
}

// cut closes every connection accepted so far and, while down, refuses
// new ones.
func (l *cutListener) cut(down bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.refused = down
	for _, c := range l.conns {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0)
		}
		c.Close()
	}
	l.conns = nil
}

// up accepts connections again.
func (l *cutListener) up() {
	l.mu.Lock()
	l.refused = false
	l.mu.Unlock()
}

// startSite serves a fresh hub until the test ends.
func startSite(t *testing.T, cfg web.Config, hcfg hub.Config) *site {
	t.Helper()
	// The hub logs from its own goroutines, also after a test ends, so
	// verbose runs log to stderr rather than through t.Log.
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg.Logger, hcfg.Logger, cfg.Chat.Logger = log, log, log
	h := hub.New(hcfg)
	wh := web.New(h, cfg)
	hs := httptest.NewUnstartedServer(wh)
	cl := &cutListener{Listener: hs.Listener}
	hs.Listener = cl
	hs.Start()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tcp := server.New(chat.NewServer(h, cfg.Chat), server.Config{Logger: log})
	go tcp.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := wh.Shutdown(ctx); err != nil {
			t.Errorf("web shutdown: %v", err)
		}
		hs.Close()
		tcp.Close()
	})
	return &site{t: t, hub: h, handler: wh, http: hs, web: cl, tcp: ln}
}

// wsURL is the site's WebSocket address.
func (s *site) wsURL() string { return "ws" + strings.TrimPrefix(s.http.URL, "http") + "/ws" }

// get fetches path and returns the status and body.
func (s *site) get(path string) (int, string) {
	s.t.Helper()
	res, err := http.Get(s.http.URL + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// event is a JSON event as a client sees it.
type event map[string]any

func (e event) str(k string) string { s, _ := e[k].(string); return s }

// wsClient is a raw WebSocket client of the JSON protocol.
type wsClient struct {
	t    *testing.T
	c    *websocket.Conn
	name string
}

// dialWS connects a WebSocket client and waits until the hub greeted it.
func (s *site) dialWS(opts *websocket.DialOptions) *wsClient {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.wsURL(), opts)
	if err != nil {
		s.t.Fatalf("dial %s: %v", s.wsURL(), err)
	}
	c.SetReadLimit(-1)
	s.t.Cleanup(func() { c.CloseNow() })
	w := &wsClient{t: s.t, c: c}
	hello := w.next()
	if hello["type"] != "hello" || hello["version"] != 1.0 {
		s.t.Fatalf("first event %v, want a version 1 hello", hello)
	}
	w.name = hello.str("name")
	return w
}

// next reads one event, failing the test after a deadline.
func (w *wsClient) next() event {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := w.c.Read(ctx)
	if err != nil {
		w.t.Fatalf("websocket read: %v", err)
	}
	if typ != websocket.MessageText {
		w.t.Fatalf("got a %v message, want text", typ)
	}
	var e event
	if err := json.Unmarshal(b, &e); err != nil {
		w.t.Fatalf("message %q is not one JSON object: %v", b, err)
	}
	return e
}

// expectClosed reads until the hub closes the WebSocket, failing the test
// if it stays open for 10 s.
func (w *wsClient) expectClosed() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		if _, _, err := w.c.Read(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				w.t.Fatalf("%s: the WebSocket is still open", w.name)
			}
			return
		}
	}
}

// expect reads events until one satisfies ok.
func (w *wsClient) expect(what string, ok func(event) bool) event {
	w.t.Helper()
	for {
		if e := w.next(); ok(e) {
			return e
		} else if testing.Verbose() {
			w.t.Logf("%s: skipping %v while waiting for %s", w.name, e, what)
		}
	}
}

// send sends one WebSocket text message.
func (w *wsClient) send(s string) {
	w.t.Helper()
	if err := w.c.Write(context.Background(), websocket.MessageText, []byte(s)); err != nil {
		w.t.Fatalf("websocket write: %v", err)
	}
}

// cmd sends one JSON command.
func (w *wsClient) cmd(c map[string]any) {
	w.t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		w.t.Fatal(err)
	}
	w.send(string(b))
}

// nick takes a name and waits until the hub confirms it.
func (w *wsClient) nick(name string) {
	w.t.Helper()
	w.cmd(map[string]any{"cmd": "nick", "name": name})
	w.expect("rename to "+name, func(e event) bool { return e["type"] == "rename" && e.str("name") == name })
	w.name = name
}

// tcpClient is an nc-style line client.
type tcpClient struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

// dialTCP connects a line client, waits for the greeting and takes name.
func (s *site) dialTCP(name string) *tcpClient {
	s.t.Helper()
	c, err := net.Dial("tcp", s.tcp.Addr().String())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { c.Close() })
	tc := &tcpClient{t: s.t, c: c, r: bufio.NewReader(c)}
	tc.expect("*** you joined lobby")
	if name != "" {
		tc.send("/nick " + name)
		tc.expect("*** you are now known as " + name)
	}
	return tc
}

func (tc *tcpClient) send(line string) {
	tc.t.Helper()
	if _, err := io.WriteString(tc.c, line+"\n"); err != nil {
		tc.t.Fatal(err)
	}
}

// expect reads lines until one starts with prefix.
func (tc *tcpClient) expect(prefix string) string {
	tc.t.Helper()
	tc.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		l, err := tc.r.ReadString('\n')
		if err != nil {
			tc.t.Fatalf("waiting for %q: %v", prefix, err)
		}
		if strings.HasPrefix(l, prefix) {
			return strings.TrimSuffix(l, "\n")
		}
	}
}
