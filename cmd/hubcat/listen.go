package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/relay"
	"github.com/hubcat/hubcat/server"
)

// listenFlags are listen's options beyond the shared ones.
type listenFlags struct {
	netFlags
	keepOpen, broker bool
	maxConns         int
	allow, deny      []string
	execCmd, shExec  string
}

func listenCmd(std stdio) *cobra.Command {
	var f listenFlags
	cmd := &cobra.Command{
		Use:   "listen ADDR",
		Short: "listen on ADDR and relay standard input and output (netcat server)",
		Long: `listen waits for a connection on ADDR, then relays standard input to it and
what it sends to standard output, as connect does. It logs the address it
listens on (useful with port 0) and, for tls://, the fingerprint of its
certificate — self-signed unless --tls-cert and --tls-key are given.

With --keep-open it serves many clients at once: what any client sends goes
to standard output and input goes to every client. --broker relays each
client's bytes to all the others instead. --exec runs a program for each
connection, wired to the socket (no shell; --sh-exec takes a shell string).
Over udp:// each datagram is printed and input lines go to the last peer.`,
		Example: `  hubcat listen 127.0.0.1:7000 > received.bin
  hubcat listen :7000 --keep-open --allow 10.0.0.0/8
  hubcat listen 127.0.0.1:7000 --broker
  hubcat listen 127.0.0.1:7000 --keep-open --exec 'cat -n'
  hubcat listen tls://127.0.0.1:7443
  hubcat listen udp://127.0.0.1:9000`,
		Args: exactArgs(1, "listen needs one address, as in: hubcat listen 127.0.0.1:7000"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runListen(cmd.Context(), std, args[0], &f)
		},
	}
	fs := cmd.Flags()
	f.register(fs)
	fs.DurationVarP(&f.wait, "wait", "w", 0, "give up if no client connects within this long (exit code 4)")
	fs.BoolVarP(&f.keepOpen, "keep-open", "k", false, "serve many clients, concurrently, until interrupted")
	fs.BoolVar(&f.broker, "broker", false, "relay each client's bytes to all other clients (implies --keep-open)")
	fs.IntVarP(&f.maxConns, "max-conns", "m", 0, "with --keep-open, refuse clients beyond this many (0: no limit)")
	fs.StringSliceVar(&f.allow, "allow", nil, "admit only these addresses or CIDRs (repeatable, comma-separated)")
	fs.StringSliceVar(&f.deny, "deny", nil, "refuse these addresses or CIDRs (repeatable, comma-separated)")
	fs.StringVarP(&f.execCmd, "exec", "e", "", "run this program (split on spaces, no shell) for each connection")
	fs.StringVarP(&f.shExec, "sh-exec", "c", "", "run this shell command (/bin/sh -c) for each connection")
	fs.StringVar(&f.ca, "ca", "", "with tls://, require client certificates signed by a CA in this PEM file")
	return cmd
}

func runListen(ctx context.Context, std stdio, addr string, f *listenFlags) error {
	e, err := parseEndpoint(addr)
	if err != nil {
		return err
	}
	if err := f.validateListen(e); err != nil {
		return err
	}
	filter, err := relay.ParseFilter(f.allow, f.deny)
	if err != nil {
		return &usageError{msg: strings.TrimPrefix(err.Error(), "relay: ")}
	}
	if e, err = withFamily(e, f.family()); err != nil {
		return err
	}
	if err := f.checkExecSafety(e, filter); err != nil {
		return err
	}
	log := newLogger(std.err, f.verbose)
	if e.Scheme == endpoint.UDP {
		return listenPacket(ctx, std, e, f, filter, log)
	}
	ln, err := listenStream(ctx, e, f, filter, log, "listening")
	if err != nil {
		return err
	}
	if f.keepOpen || f.broker {
		return serveMany(ctx, std, ln, f, log)
	}
	return serveOne(ctx, std, e, ln, f, log)
}

// listenStream opens a TCP, TLS or Unix listener on e (TLS per f's
// certificate flags), logs "VERB on ADDR", and refuses peers filter rejects.
func listenStream(ctx context.Context, e endpoint.Endpoint, f *listenFlags, filter *relay.Filter, log *slog.Logger, verb string) (net.Listener, error) {
	var cfg endpoint.ListenConfig
	if e.Scheme == endpoint.TLS {
		var err error
		if cfg.TLS, err = f.serverTLS(log); err != nil {
			return nil, err
		}
	}
	ln, err := endpoint.Listen(ctx, e, cfg)
	if err != nil {
		return nil, err
	}
	log.Info(verb + " on " + endpoint.FromAddr(e.Scheme, ln.Addr()).String())
	return filter.Listener(ln, func(a net.Addr) {
		log.Warn("refused peer", "remote", a.String(), "reason", "not allowed by --allow/--deny")
	}), nil
}

func (f *listenFlags) validateListen(e endpoint.Endpoint) error {
	if err := f.validate(); err != nil {
		return err
	}
	stream := e.Scheme != endpoint.UDP
	switch {
	case f.execCmd != "" && f.shExec != "":
		return &usageError{msg: "--exec and --sh-exec cannot be used together"}
	case f.broker && f.execArgv() != nil:
		return &usageError{msg: "--broker and --exec cannot be used together"}
	case !stream && (f.broker || f.execArgv() != nil):
		return &usageError{msg: "--broker and --exec need a stream transport", hint: "use tcp://, tls:// or unix:// addresses"}
	case f.maxConns < 0:
		return &usageError{msg: "--max-conns cannot be negative"}
	case f.ca != "" && e.Scheme != endpoint.TLS:
		return &usageError{msg: "--ca needs a tls:// address"}
	case f.execCmd != "" && len(strings.Fields(f.execCmd)) == 0:
		return &usageError{msg: "--exec needs a program"}
	}
	return nil
}

// execArgv is the program to run per connection, or nil.
func (f *listenFlags) execArgv() []string {
	switch {
	case f.shExec != "":
		return []string{"/bin/sh", "-c", f.shExec}
	case f.execCmd != "":
		return strings.Fields(f.execCmd)
	}
	return nil
}

// checkExecSafety applies the rule of exec serve (execAccess.check) to
// --exec.
func (f *listenFlags) checkExecSafety(e endpoint.Endpoint, filter *relay.Filter) error {
	argv := f.execArgv()
	if argv == nil {
		return nil
	}
	return execAccess{clientCerts: e.Scheme == endpoint.TLS && f.ca != "", allowList: filter.HasAllowList()}.check(e, argv[0])
}

// withFamily applies -4/-6 to a listen address: an empty host becomes the
// family's wildcard; an IP literal of the other family is an error.
func withFamily(e endpoint.Endpoint, family string) (endpoint.Endpoint, error) {
	if family == "" || e.Scheme == endpoint.Unix {
		return e, nil
	}
	host, port, _ := net.SplitHostPort(e.Address)
	if host == "" {
		host = map[string]string{"4": "0.0.0.0", "6": "::"}[family]
		e.Address = net.JoinHostPort(host, port)
		return e, nil
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is4() != (family == "4") {
		return e, &usageError{msg: fmt.Sprintf("-%s does not match the address %s", family, host)}
	}
	return e, nil
}

// serverTLS loads or generates the certificate and logs its fingerprint.
func (f *listenFlags) serverTLS(log *slog.Logger) (*tls.Config, error) {
	cfg, fp, err := endpoint.ServerConfig(endpoint.ServerOptions{CertFile: f.tlsCert, KeyFile: f.tlsKey, ClientCAFile: f.ca})
	if err != nil {
		return nil, &usageError{msg: err.Error()}
	}
	kind := "certificate"
	if f.tlsCert == "" {
		kind = "self-signed certificate"
	}
	log.Info(kind + " fingerprint " + fp)
	return cfg, nil
}

// serveOne waits for one client, stops listening, and serves it.
func serveOne(ctx context.Context, std stdio, e endpoint.Endpoint, ln net.Listener, f *listenFlags, log *slog.Logger) error {
	c, err := acceptOne(ctx, e, ln, f.wait)
	ln.Close()
	if err != nil {
		var te *endpoint.Error
		if errors.As(err, &te) {
			return err
		}
		return relayError(ctx, e, f.idle, err)
	}
	log.Debug("connection", "remote", c.RemoteAddr().String())
	if argv := f.execArgv(); argv != nil {
		defer c.Close()
		(&relay.Exec{Argv: argv, Stderr: std.err, Logger: log}).ServeConn(ctx, c)
		return nil
	}
	return relayError(ctx, e, f.idle, relay.Pipe(ctx, c, std.in, std.out, f.options(std)))
}

// acceptOne accepts a connection, giving up after wait (if not zero) or
// when ctx ends.
func acceptOne(ctx context.Context, e endpoint.Endpoint, ln net.Listener, wait time.Duration) (net.Conn, error) {
	var timedOut atomic.Bool
	if wait > 0 {
		t := time.AfterFunc(wait, func() { timedOut.Store(true); ln.Close() })
		defer t.Stop()
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	c, err := ln.Accept()
	if err != nil && timedOut.Load() {
		return nil, &endpoint.Error{Op: "listen", Addr: endpoint.FromAddr(e.Scheme, ln.Addr()).String(), Kind: endpoint.Timeout, Msg: fmt.Sprintf("no client within %s", wait), Err: err}
	}
	return c, err
}

// serveMany serves clients concurrently until ctx ends.
func serveMany(ctx context.Context, std stdio, ln net.Listener, f *listenFlags, log *slog.Logger) error {
	var h server.Handler
	switch argv := f.execArgv(); {
	case f.broker:
		h = &relay.Broker{Fanout: relay.Fanout{Logger: log}}
	case argv != nil:
		h = &relay.Exec{Argv: argv, Stderr: std.err, Logger: log}
	default:
		shared := &relay.Shared{Out: std.out, Opts: f.options(std), Fanout: relay.Fanout{Logger: log}}
		if !f.recvOnly {
			go shared.Feed(std.in)
		}
		h = shared
	}
	srv := server.New(h, server.Config{
		MaxConns: f.maxConns,
		Logger:   log,
		ConnState: func(c net.Conn, s server.State) {
			log.Debug("connection "+s.String(), "remote", c.RemoteAddr().String())
		},
	})
	return serveUntilDone(ctx, srv, ln)
}

// serveUntilDone serves ln until the listener fails or ctx ends; then the
// connections still open get two seconds to finish.
func serveUntilDone(ctx context.Context, srv *server.Server, ln net.Listener) error {
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		srv.Close()
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		return nil
	}
}

// listenPacket runs listen over UDP.
func listenPacket(ctx context.Context, std stdio, e endpoint.Endpoint, f *listenFlags, filter *relay.Filter, log *slog.Logger) error {
	pc, err := endpoint.ListenPacket(ctx, e)
	if err != nil {
		return err
	}
	log.Info("listening on " + endpoint.FromAddr(e.Scheme, pc.LocalAddr()).String())
	err = relay.ServePacket(ctx, pc, std.in, std.out, relay.PacketOptions{
		Options: f.options(std), KeepOpen: f.keepOpen, Filter: filter, Logger: log,
	})
	return relayError(ctx, e, f.idle, err)
}
