package web

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
)

// Config tunes the web front end. The zero value works.
type Config struct {
	// Chat configures the line/JSON front end each WebSocket is handed to
	// (line length, flood control, write timeout), exactly as for TCP.
	// JSONOnly, Frontend and Framer are set by New.
	Chat chat.Config
	// Origins lists the host patterns (path.Match, e.g. "example.com" or
	// "*.example.com") of other origins whose pages may open /ws. The
	// page's own origin is always allowed; nil allows only it.
	Origins []string
	// PingInterval is how often an idle WebSocket is pinged; a peer that
	// does not answer within PingInterval is disconnected. Zero means 30s.
	PingInterval time.Duration
	// MaxConns caps the WebSocket clients served at once; more are refused
	// with 503. Zero means unlimited.
	MaxConns int
	// Logger receives connection events; nil means slog.Default().
	Logger *slog.Logger
}

// Handler serves the browser client: the page at /, the chat over
// WebSocket at /ws, /healthz and /metrics. Create it with New.
type Handler struct {
	cfg  Config
	log  *slog.Logger
	chat *chat.Server
	mux  *http.ServeMux

	ctx      context.Context // cancelled by Shutdown: every WebSocket is told
	cancel   context.CancelFunc
	mu       sync.Mutex // guards conns and active against Shutdown's Wait
	conns    sync.WaitGroup
	active   int // WebSockets being served
	stopping atomic.Bool

	accepted prometheus.Counter
	refused  prometheus.Counter
}

// New returns the web front end of h.
func New(h *hub.Hub, cfg Config) *Handler {
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 30 * time.Second
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.Chat.Logger = log
	cfg.Chat.JSONOnly = true
	cfg.Chat.Frontend = "ws"
	cfg.Chat.Framer = appendFrames
	wh := &Handler{cfg: cfg, log: log, chat: chat.NewServer(h, cfg.Chat), mux: http.NewServeMux()}
	wh.ctx, wh.cancel = context.WithCancel(context.Background())
	reg := wh.metrics(h)
	wh.mux.Handle("/", assets())
	wh.mux.HandleFunc("/ws", wh.serveWS)
	wh.mux.HandleFunc("/healthz", wh.serveHealth)
	wh.mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}))
	return wh
}

// ServeHTTP implements http.Handler.
func (wh *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { wh.mux.ServeHTTP(w, r) }

// Shutdown makes /healthz fail, tells every WebSocket client the hub is
// shutting down and waits until their output is flushed and their
// connections closed, or ctx ends. It does not close the http.Server.
func (wh *Handler) Shutdown(ctx context.Context) error {
	wh.mu.Lock()
	wh.stopping.Store(true)
	wh.mu.Unlock()
	wh.cancel()
	done := make(chan struct{})
	go func() { wh.conns.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// track counts a new WebSocket connection; it says why not when the
// handler is shutting down or full.
func (wh *Handler) track() (refusal string) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	switch {
	case wh.stopping.Load():
		return "shutting down"
	case wh.cfg.MaxConns > 0 && wh.active >= wh.cfg.MaxConns:
		return "too many clients; try again later"
	}
	wh.active++
	wh.conns.Add(1)
	return ""
}

// untrack ends what track counted.
func (wh *Handler) untrack() {
	wh.mu.Lock()
	wh.active--
	wh.mu.Unlock()
	wh.conns.Done()
}

// serveHealth answers 200 while the hub serves and 503 once it shuts down.
func (wh *Handler) serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if wh.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("shutting down\n"))
		return
	}
	w.Write([]byte("ok\n"))
}

// serveWS upgrades the request and hands the WebSocket to the chat front
// end, which speaks the JSON event protocol on it.
func (wh *Handler) serveWS(w http.ResponseWriter, r *http.Request) {
	if why := wh.track(); why != "" {
		http.Error(w, why, http.StatusServiceUnavailable)
		return
	}
	hj := &hijacked{ResponseWriter: w}
	ws, err := websocket.Accept(hj, r, &websocket.AcceptOptions{
		OriginPatterns:  wh.cfg.Origins,
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		wh.untrack()
		wh.refused.Inc()
		wh.log.Info("websocket refused", "remote", r.RemoteAddr, "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	wh.accepted.Inc()
	// A goroutine of its own, with a small stack, serves the client; the
	// HTTP server's goroutine, deep in its stack, ends here.
	go wh.serveConn(newMsgConn(ws, hj), ws)
}

// serveConn runs the chat front end on one WebSocket until it ends.
func (wh *Handler) serveConn(c *msgConn, ws *websocket.Conn) {
	defer wh.untrack()
	stopPings := keepalive(ws, wh.cfg.PingInterval)
	wh.chat.ServeConn(wh.ctx, c)
	stopPings()
	c.Close()
	<-c.closed
}

// keepalive pings ws every interval until stopped, closing it when a pong
// does not come back within the interval. It holds no goroutine between
// pings.
func keepalive(ws *websocket.Conn, interval time.Duration) (stop func()) {
	var t *time.Timer
	var mu sync.Mutex
	stopped := false
	ping := func() {
		ctx, cancel := context.WithTimeout(context.Background(), interval)
		err := ws.Ping(ctx)
		cancel()
		if err != nil {
			ws.CloseNow()
			return
		}
		mu.Lock()
		if !stopped {
			t.Reset(interval)
		}
		mu.Unlock()
	}
	mu.Lock()
	t = time.AfterFunc(interval, ping)
	mu.Unlock()
	return func() {
		mu.Lock()
		stopped = true
		t.Stop()
		mu.Unlock()
	}
}
