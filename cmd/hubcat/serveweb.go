package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/web"
)

// webOptions are hubcat serve's flags for the browser client.
type webOptions struct {
	addr            string
	tlsCert, tlsKey string
	origins         []string
}

func (o *webOptions) register(f *pflag.FlagSet) {
	f.StringVar(&o.addr, "web", ":8080", "serve the browser client, /ws, /healthz and /metrics at `ADDR` (https://ADDR for TLS; off = no web listener)")
	f.StringVar(&o.tlsCert, "web-tls-cert", "", "TLS certificate (PEM) for the web listener (https and wss); with https://ADDR and no certificate: --tls-cert, else self-signed")
	f.StringVar(&o.tlsKey, "web-tls-key", "", "TLS private key (PEM) for --web-tls-cert")
	f.StringArrayVar(&o.origins, "web-origin", nil, "also accept WebSockets from pages of this origin host `PATTERN` (repeatable; e.g. chat.example.com, *.example.com)")
}

// webServer is the web listener of hubcat serve.
type webServer struct {
	ln      net.Listener
	tls     *tls.Config
	handler *web.Handler
	srv     *http.Server
}

// listenWeb opens the web listener, or returns nil for --web off.
func listenWeb(ctx context.Context, o serveOptions, log *slog.Logger) (*webServer, error) {
	addr := o.web.addr
	if addr == "off" || addr == "" {
		return nil, nil
	}
	secure := strings.HasPrefix(addr, "https://")
	addr = strings.TrimPrefix(strings.TrimPrefix(addr, "https://"), "http://")
	cert, key := o.web.tlsCert, o.web.tlsKey
	if cert == "" && key == "" {
		cert, key = o.tlsCert, o.tlsKey
	}
	secure = secure || o.web.tlsCert != ""
	ws := &webServer{}
	if secure {
		c, fp, err := endpoint.ServerCert(cert, key)
		if err != nil {
			msg := err.Error()
			if o.web.tlsCert != "" || o.web.tlsKey != "" { // the web's own flags were wrong
				msg = strings.ReplaceAll(msg, "--tls-", "--web-tls-")
			}
			return nil, &usageError{msg: msg}
		}
		ws.tls = endpoint.ServerTLS(c)
		log.Info("web tls certificate", "sha256", fp, "self_signed", cert == "")
	}
	scheme := "tcp://"
	if secure {
		scheme = "tls://"
	}
	e, err := parseEndpoint(scheme + addr)
	if err != nil {
		return nil, err
	}
	ln, err := endpoint.Listen(ctx, e, endpoint.ListenConfig{TLS: ws.tls})
	if err != nil {
		return nil, err
	}
	ws.ln = ln
	log.Info("web client", "url", webURL(ln.Addr(), ws.tls != nil))
	return ws, nil
}

// webURL is the address to open in a browser.
func webURL(a net.Addr, secure bool) string {
	host, port, _ := net.SplitHostPort(a.String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	scheme := "http"
	if secure {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s/", scheme, net.JoinHostPort(host, port))
}

// start serves the web client for h until shutdown; a listener failure
// goes to errs.
func (ws *webServer) start(h *hub.Hub, o serveOptions, log *slog.Logger, errs chan<- error) {
	if ws == nil {
		return
	}
	ws.handler = web.New(h, web.Config{Chat: o.chat, Origins: o.web.origins, MaxConns: o.maxClients, Logger: log})
	ws.srv = &http.Server{
		Handler:           ws.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	go func() {
		if err := ws.srv.Serve(ws.ln); !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("web: %w", err)
		}
	}()
}

// shutdown stops taking requests, tells WebSocket clients and waits for
// them until ctx ends.
func (ws *webServer) shutdown(ctx context.Context) {
	if ws == nil {
		return
	}
	if ws.srv == nil {
		ws.ln.Close()
		return
	}
	done := make(chan struct{})
	go func() { ws.srv.Shutdown(ctx); close(done) }()
	if ws.handler.Shutdown(ctx) != nil {
		ws.srv.Close()
	}
	<-done
}
