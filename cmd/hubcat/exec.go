package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/relay"
	"github.com/hubcat/hubcat/rexec"
	"github.com/hubcat/hubcat/server"
)

// exitTimedOut is the exit code when --timeout killed the remote command,
// as timeout(1) uses.
const exitTimedOut = 124

func execCmd(std stdio) *cobra.Command {
	var f execFlags
	c := &cobra.Command{
		Use:   "exec [flags] ADDR [--] CMD [ARGS...]",
		Short: "run a command on a hubcat exec server",
		Long: `Run CMD on the "hubcat exec serve" at ADDR without a shell (unless
--shell), streaming stdout and stderr separately and forwarding stdin, its
end, and Ctrl-C. hubcat exits with the remote exit status (128+n when a
signal n killed it, 124 when --timeout did). Flags go before ADDR.`,
		Example: `  export HUBCAT_TOKEN=$(head -c 16 /dev/urandom | xxd -p)   # on both sides
  hubcat exec serve 127.0.0.1:7022
  hubcat exec 127.0.0.1:7022 -- ls -l /tmp
  echo hi | hubcat exec 127.0.0.1:7022 -- tr a-z A-Z`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 && args[1] == "--" {
				args = append(args[:1], args[2:]...)
			}
			if len(args) < 2 {
				return &usageError{msg: "exec needs an ADDR and a command", hint: "hubcat exec ADDR -- CMD ARGS..."}
			}
			return f.run(cmd.Context(), std, args[0], args[1:])
		},
	}
	c.Flags().SetInterspersed(false)
	fs := c.Flags()
	fs.StringVar(&f.token, "token", "", "shared `TOKEN` (default $HUBCAT_TOKEN)")
	fs.BoolVar(&f.tls, "tls", false, "connect with TLS (same as a tls:// address)")
	f.clientTLSFlags.register(fs)
	fs.StringVar(&f.certFile, "cert", "", "client certificate PEM `FILE` to present")
	fs.StringVar(&f.keyFile, "key", "", "client key PEM `FILE`")
	fs.BoolVar(&f.shell, "shell", false, "run the command line under /bin/sh -c")
	fs.BoolVar(&f.pty, "pty", false, "give the command a terminal (for interactive programs)")
	fs.DurationVar(&f.timeout, "timeout", 0, "kill the remote process group after this `DURATION`")
	fs.DurationVar(&f.connectTimeout, "connect-timeout", 30*time.Second, "connect timeout")
	c.AddCommand(execServeCmd(std))
	return c
}

type execFlags struct {
	clientTLSFlags
	token, certFile, keyFile string
	tls, shell, pty          bool
	timeout, connectTimeout  time.Duration
}

func (f *execFlags) run(ctx context.Context, std stdio, addr string, argv []string) error {
	e, err := parseEndpoint(addr)
	if err != nil {
		return err
	}
	if f.tls && e.Scheme == endpoint.TCP {
		e.Scheme = endpoint.TLS
	}
	cfg := endpoint.DialConfig{Timeout: f.connectTimeout}
	if e.Scheme == endpoint.TLS {
		o := f.tlsOptions()
		o.CertFile, o.KeyFile = f.certFile, f.keyFile
		if cfg.TLS, err = clientTLS(o); err != nil {
			return err
		}
	}
	if f.token == "" {
		f.token = os.Getenv("HUBCAT_TOKEN")
	}
	warnWeakToken(std, f.token)
	conn, err := endpoint.Dial(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	// From here Ctrl-C goes to the remote process group, not to us; the
	// session ends when the remote side reports the exit.
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	req := rexec.Request{Argv: argv, Shell: f.shell, PTY: f.pty, TimeoutMS: f.timeout.Milliseconds()}
	o := rexec.Options{Token: f.token, Stdin: std.in, Stdout: std.out, Stderr: std.err}
	restore := f.terminal(std, &req, &o)
	defer restore()
	o.Interrupt = forwardSignals(cancel)
	exit, err := rexec.Run(ctx, conn, req, o)
	restore()
	if err != nil {
		if errors.Is(err, rexec.ErrConnLost) {
			return err
		}
		return asDenied(err)
	}
	if exit.Message != "" {
		return &exitError{code: exit.Code, err: errors.New("remote: " + exit.Message)}
	}
	if exit.TimedOut {
		return &exitError{code: exitTimedOut, err: fmt.Errorf("remote command timed out after %s; its process group was killed", f.timeout)}
	}
	if exit.Code != 0 {
		return silentExit(exit.Code)
	}
	return nil
}

// terminal puts a real terminal in raw mode for --pty and reports its size
// and changes; it returns the function that restores the terminal.
func (f *execFlags) terminal(std stdio, req *rexec.Request, o *rexec.Options) func() {
	in, ok := std.in.(*os.File)
	if !f.pty || !ok || !term.IsTerminal(int(in.Fd())) {
		return func() {}
	}
	if w, h, err := term.GetSize(int(in.Fd())); err == nil {
		req.Cols, req.Rows = uint16(w), uint16(h)
	}
	old, err := term.MakeRaw(int(in.Fd()))
	if err != nil {
		return func() {}
	}
	resize := make(chan rexec.Winsize, 1)
	winch := make(chan os.Signal, 1)
	signal.Notify(winch, syscall.SIGWINCH)
	go func() {
		for range winch {
			if w, h, err := term.GetSize(int(in.Fd())); err == nil {
				select {
				case resize <- rexec.Winsize{Rows: uint16(h), Cols: uint16(w)}:
				default:
				}
			}
		}
	}()
	o.Resize = resize
	done := false
	return func() {
		if !done {
			done = true
			signal.Stop(winch)
			term.Restore(int(in.Fd()), old)
		}
	}
}

// forwardSignals turns SIGINT into remote interrupts; a third one, or
// SIGTERM, gives up on the session (which kills the remote process group).
func forwardSignals(cancel context.CancelFunc) <-chan struct{} {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	out := make(chan struct{}, 4)
	go func() {
		n := 0
		for s := range sigs {
			n++
			if s == syscall.SIGTERM || n >= 3 {
				cancel()
				return
			}
			out <- struct{}{}
		}
	}()
	return out
}

func asDenied(err error) error {
	if strings.Contains(err.Error(), "authentication failed") || strings.Contains(err.Error(), "not allowed") {
		return &exitError{code: exitDenied, err: err}
	}
	return err
}

func execServeCmd(std stdio) *cobra.Command {
	var f serveFlags
	c := &cobra.Command{
		Use:   "serve [flags] ADDR",
		Short: "run commands for authenticated hubcat exec clients",
		Long: `Accept "hubcat exec" clients on ADDR and run their commands as this user.
Clients authenticate with --token (proved, never sent), TLS client
certificates (--tls --ca FILE) or come from an --allow list. On an address
other than loopback, serve refuses to start without one of them. Failed
authentications are logged and slowed down per network (IPv4 address or
IPv6 /64). With a token, the client also checks that serve knows it, and
the whole session is encrypted and authenticated.`,
		Example: `  HUBCAT_TOKEN=$(head -c 16 /dev/urandom | xxd -p) hubcat exec serve 127.0.0.1:7022
  hubcat exec serve --tls --ca clients.pem 0.0.0.0:7022`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.serve(cmd.Context(), std, args[0])
		},
	}
	fs := c.Flags()
	fs.StringVar(&f.token, "token", "", "shared `TOKEN` clients must prove (default $HUBCAT_TOKEN)")
	fs.BoolVar(&f.tls, "tls", false, "serve TLS (self-signed unless --tls-cert)")
	fs.StringVar(&f.certFile, "tls-cert", "", "server certificate PEM `FILE`")
	fs.StringVar(&f.keyFile, "tls-key", "", "server key PEM `FILE`")
	fs.StringVar(&f.caFile, "ca", "", "require client certificates signed by the CAs in this PEM `FILE` (implies --tls)")
	fs.StringSliceVar(&f.allow, "allow", nil, "admit only these `CIDR`s or IPs (repeatable, comma-separated)")
	return c
}

type serveFlags struct {
	token, certFile, keyFile, caFile string
	tls                              bool
	allow                            []string
}

func (f *serveFlags) serve(ctx context.Context, std stdio, addr string) error {
	e, err := parseEndpoint(addr)
	if err != nil {
		return err
	}
	if f.token == "" {
		f.token = os.Getenv("HUBCAT_TOKEN")
	}
	allow, err := relay.ParsePrefixes(f.allow)
	if err != nil {
		return &usageError{msg: "--allow: " + strings.TrimPrefix(err.Error(), "relay: "), hint: "as in --allow 10.0.0.0/8,192.168.1.7"}
	}
	if (f.tls || f.caFile != "") && e.Scheme == endpoint.TCP {
		e.Scheme = endpoint.TLS
	}
	access := execAccess{offersToken: true, token: f.token != "", clientCerts: f.caFile != "", allowList: len(allow) > 0}
	if err := access.check(e, "commands"); err != nil {
		return err
	}
	warnWeakToken(std, f.token)
	var cfg endpoint.ListenConfig
	var fp string
	if e.Scheme == endpoint.TLS {
		if cfg.TLS, fp, err = f.serverTLS(); err != nil {
			return err
		}
	}
	ln, err := endpoint.Listen(ctx, e, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(std.err, "hubcat: exec serving on %s\n", endpoint.FromAddr(e.Scheme, ln.Addr()))
	if fp != "" {
		fmt.Fprintf(std.err, "hubcat: tls fingerprint %s\n", fp)
	}
	if f.token == "" && f.caFile == "" {
		fmt.Fprintf(std.err, "hubcat: warning: no token or client certificates: every user who can reach %s can run commands as you\n", e.Address)
	}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: std.err}, nil))
	srv := server.New(&rexec.Server{Token: f.token, Allow: allow, Logger: log}, server.Config{MaxConns: 64, Logger: log})
	// On SIGINT or SIGTERM, Shutdown cancels every session, which kills
	// its process group, and returns once every session has ended: only
	// then may the process exit.
	shutdown := make(chan struct{})
	go func() {
		defer close(shutdown)
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); !errors.Is(err, server.ErrServerClosed) {
		return err
	}
	<-shutdown
	return nil
}

// execAccess says how clients of a command server must prove who they are.
type execAccess struct {
	offersToken bool // the server has a --token flag
	token       bool // they must prove a shared token
	clientCerts bool // TLS client certificates are required
	allowList   bool // only listed source addresses are admitted
}

// check is hubcat's one rule for offering commands to the network, used
// by "exec serve" and "listen --exec": a server that runs commands may
// listen where other machines reach it only if its clients must prove
// who they are.
func (a execAccess) check(e endpoint.Endpoint, program string) error {
	if a.token || a.clientCerts || a.allowList || e.IsLoopback() {
		return nil
	}
	hint := "listen on 127.0.0.1 or a unix:// socket, add --allow with the addresses you trust, or use tls:// with --ca to require client certificates"
	if a.offersToken {
		hint = "add --token TOKEN (or set HUBCAT_TOKEN), " + hint
	}
	return &usageError{
		msg:  fmt.Sprintf("refusing to run %s for anyone who can reach %s without authentication", program, e),
		hint: hint,
	}
}

func (f *serveFlags) serverTLS() (*tls.Config, string, error) {
	cert, fp, err := endpoint.ServerCert(f.certFile, f.keyFile)
	if err != nil {
		return nil, "", err
	}
	cfg := endpoint.ServerTLS(cert)
	if f.caFile != "" {
		if err := endpoint.RequireClientCerts(cfg, f.caFile); err != nil {
			return nil, "", err
		}
	}
	return cfg, fp, nil
}
