package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
)

// serveOptions are the flags of hubcat serve.
type serveOptions struct {
	listen          []string
	tlsCert, tlsKey string
	chat            chat.Config
	outbox          int
	maxClients      int
	maxPerIP        int
	shutdownTimeout time.Duration
	logLevel        string
	logJSON         bool
	cpuProfile      string
	memProfile      string
	history         historyOptions
	irc             ircOptions
	web             webOptions
	cluster         clusterOptions
}

func serveCmd(std stdio) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "run the chat hub",
		Long: `Run the chat hub. Anyone can join with nc, telnet or hubcat chat:

  hubcat serve                          # tcp://:7000, browser client at http://localhost:8080/
  hubcat serve --listen tls://:7443 --listen unix:///tmp/hub.sock
  nc localhost 7000

Logs go to stderr. SIGINT or SIGTERM tells every client, flushes and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd.Context(), std, o) },
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.listen, "listen", []string{"tcp://:7000"}, "address to listen on (repeatable): tcp://, tls://, unix://, host:port")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate (PEM) for tls:// listeners; default: self-signed")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key (PEM) for --tls-cert")
	f.IntVar(&o.chat.MaxLine, "max-line", 4096, "longest accepted line in bytes")
	f.Float64Var(&o.chat.FloodRate, "flood-rate", 10, "lines per second one client may send (0 = no flood control)")
	f.IntVar(&o.chat.FloodBurst, "flood-burst", 20, "lines a client may send at once before flood control")
	f.DurationVar(&o.chat.IdleTimeout, "idle-timeout", 0, "disconnect clients silent this long (0 = never)")
	f.DurationVar(&o.chat.SilentTimeout, "silent-timeout", 10*time.Minute, "disconnect clients that have sent nothing at all this long after connecting (0 = never)")
	f.DurationVar(&o.chat.WriteTimeout, "write-timeout", 10*time.Second, "cut off a client that cannot take output this long")
	f.IntVar(&o.outbox, "outbox", 4<<20, "bytes queued per client before it is cut off as a slow consumer")
	f.IntVar(&o.maxClients, "max-clients", 10000, "most clients at once (0 = unlimited)")
	f.IntVar(&o.maxPerIP, "max-per-ip", 32, "most clients from one IP address (0 = unlimited)")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 5*time.Second, "how long shutdown waits for clients to be told and flushed")
	f.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	f.BoolVar(&o.logJSON, "log-json", false, "log JSON lines instead of text")
	addHistoryFlags(f, &o.history)
	f.StringVar(&o.cpuProfile, "cpu-profile", "", "write a CPU profile (pprof) to this file until shutdown")
	f.StringVar(&o.memProfile, "mem-profile", "", "write a heap profile (pprof) to this file as shutdown begins, clients still connected")
	o.irc.register(f)
	o.web.register(f)
	o.cluster.register(f)
	return cmd
}

func runServe(ctx context.Context, std stdio, o serveOptions) error {
	log, err := serveLogger(std.err, o.logLevel, o.logJSON)
	if err != nil {
		return err
	}
	if err := o.cluster.check(); err != nil {
		return err
	}
	var history hub.Log
	if !o.cluster.enabled() { // in a cluster, the stream is the history
		var closeHistory func()
		if history, closeHistory, err = openHistory(o.history, log); err != nil {
			return err
		}
		defer closeHistory()
	}
	listeners, err := openListeners(ctx, o, log)
	if err != nil {
		return err
	}
	ircListeners, err := openListeners(ctx, ircListenOptions(o), log)
	if err != nil {
		closeAll(listeners)
		return err
	}
	webSrv, err := listenWeb(ctx, o, log)
	if err != nil {
		closeAll(listeners)
		closeAll(ircListeners)
		return err
	}
	if o.cpuProfile != "" {
		stop, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	o.chat.Logger = log
	hcfg := hub.Config{OutboxBytes: o.outbox, Logger: log, Names: o.irc.names(), Log: history}
	abandon := func(err error) error {
		closeAll(listeners)
		closeAll(ircListeners)
		if webSrv != nil {
			webSrv.ln.Close()
		}
		return err
	}
	var cl *joined
	if o.cluster.enabled() {
		if cl, err = o.cluster.join(ctx, o.history.data, hcfg.Names, log); err != nil {
			return abandon(err)
		}
		defer cl.close()
		cl.configure(&hcfg)
	}
	h := hub.New(hcfg)
	if err := cl.start(ctx, h); err != nil {
		return abandon(err)
	}
	srv := server.New(chat.NewServer(h, o.chat), server.Config{
		MaxConns: o.maxClients,
		MaxPerIP: o.maxPerIP,
		Logger:   log,
		Reject: func(c net.Conn, why error) {
			fmt.Fprintf(c, "*** %s; try again later\n", strings.TrimPrefix(why.Error(), "server: "))
		},
	})
	ircSrv := newIRCServer(h, o, log)
	errs := make(chan error, len(listeners)+len(ircListeners)+1)
	webSrv.start(h, o, log, errs)
	var wg sync.WaitGroup
	serveAll := func(srv *server.Server, lns []net.Listener) {
		for _, ln := range lns {
			wg.Go(func() {
				if err := srv.Serve(ln); !errors.Is(err, server.ErrServerClosed) {
					errs <- err
				}
			})
		}
	}
	serveAll(srv, listeners)
	serveAll(ircSrv, ircListeners)
	select {
	case <-ctx.Done():
		log.Info("shutting down", "clients", srv.Conns())
	case err = <-errs:
		log.Error("listener failed; shutting down", "err", err)
	}
	if o.memProfile != "" {
		if perr := writeHeapProfile(o.memProfile, log); perr != nil {
			log.Warn("heap profile not written", "err", perr)
		}
	}
	h.Close()
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownTimeout)
	defer cancel()
	var ircDone sync.WaitGroup
	ircDone.Go(func() { ircSrv.Shutdown(sctx) })
	ircDone.Go(func() { webSrv.shutdown(sctx) })
	serr := srv.Shutdown(sctx)
	ircDone.Wait()
	if serr != nil {
		log.Warn("shutdown deadline passed; closed remaining clients", "timeout", o.shutdownTimeout)
	}
	wg.Wait()
	return err
}

// openListeners opens every --listen address, generating or loading the TLS
// certificate when one of them needs it.
func openListeners(ctx context.Context, o serveOptions, log *slog.Logger) ([]net.Listener, error) {
	var eps []endpoint.Endpoint
	needTLS := false
	for _, s := range o.listen {
		e, err := parseEndpoint(s)
		if err != nil {
			return nil, err
		}
		if e.Scheme == endpoint.UDP {
			return nil, &usageError{msg: "the hub serves streams; udp:// cannot be a --listen address", hint: "use tcp://, tls:// or unix://"}
		}
		needTLS = needTLS || e.Scheme == endpoint.TLS
		eps = append(eps, e)
	}
	var lc endpoint.ListenConfig
	if needTLS {
		cfg, fp, err := endpoint.ServerConfig(endpoint.ServerOptions{CertFile: o.tlsCert, KeyFile: o.tlsKey})
		if err != nil {
			return nil, err
		}
		lc.TLS = cfg
		log.Info("tls certificate", "sha256", fp, "self_signed", o.tlsCert == "")
	}
	var lns []net.Listener
	for _, e := range eps {
		ln, err := endpoint.Listen(ctx, e, lc)
		if err != nil {
			closeAll(lns)
			return nil, err
		}
		log.Info("listening", "addr", endpoint.FromAddr(e.Scheme, ln.Addr()).String())
		lns = append(lns, ln)
	}
	return lns, nil
}

func closeAll(lns []net.Listener) {
	for _, l := range lns {
		l.Close()
	}
}

// serveLogger builds the hub's structured logger for stderr.
func serveLogger(w io.Writer, level string, asJSON bool) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, &usageError{msg: fmt.Sprintf("bad --log-level %q", level), hint: "use debug, info, warn or error"}
	}
	opts := &slog.HandlerOptions{Level: lv}
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// writeHeapProfile writes the live heap, after a collection, to path, and
// logs how much memory the heap and the goroutine stacks hold.
func writeHeapProfile(path string, log *slog.Logger) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	log.Info("heap profile", "file", path, "heap_live_bytes", ms.HeapAlloc, "heap_inuse_bytes", ms.HeapInuse,
		"stack_inuse_bytes", ms.StackInuse, "goroutines", runtime.NumGoroutine())
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startCPUProfile profiles the process into path until stop is called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
