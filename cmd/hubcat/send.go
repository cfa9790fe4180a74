package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/internal/frame"
	"github.com/hubcat/hubcat/transfer"
)

func sendCmd(std stdio) *cobra.Command {
	var f xferFlags
	c := &cobra.Command{
		Use:   "send [flags] PATH... ADDR | send --listen ADDR [flags] PATH...",
		Short: "send files and directories to a hubcat recv",
		Long: `Send files and directories (recursively) to "hubcat recv", keeping names,
sizes, modes and modification times. Every file is checked by SHA-256 and
an interrupted transfer resumes when rerun.

Either side may listen. The listening side prints a one-time token (or
takes --token / HUBCAT_TOKEN) that the other side must give. Both sides
prove the token without sending it, and everything after that proof is
encrypted and authenticated.`,
		Example: `  hubcat recv --listen 127.0.0.1:9001 inbox      # prints a token
  hubcat send --token TOKEN report.pdf photos 127.0.0.1:9001`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			paths := args
			if f.listen == "" {
				if len(args) < 2 {
					return &usageError{msg: "send needs at least one PATH and an ADDR", hint: "hubcat send PATH... ADDR, or hubcat send --listen ADDR PATH..."}
				}
				paths = args[:len(args)-1]
			}
			for _, p := range paths {
				if _, err := os.Stat(p); err != nil {
					return fmt.Errorf("cannot send %s: %w", p, unwrapPath(err))
				}
			}
			run := func(ctx context.Context, conn net.Conn, o transfer.Options) (transfer.Stats, error) {
				o.Progress = newProgress(std.err, "sending")
				return transfer.Send(ctx, conn, paths, o)
			}
			st, err := f.session(cmd.Context(), std, "send", args[len(args)-1], run)
			return report(std, "send", st, err)
		},
	}
	f.register(c.Flags())
	return c
}

// xferFlags are the connection flags send and recv share.
type xferFlags struct {
	listen string
	token  string
	clientTLSFlags
	tls               bool
	certFile, keyFile string
	timeout, idle     time.Duration
	force             bool // recv only
}

func (f *xferFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.listen, "listen", "l", "", "listen on `ADDR` and let the peer connect")
	fs.StringVar(&f.token, "token", "", "shared `TOKEN` (default $HUBCAT_TOKEN; a listener generates one when empty)")
	fs.BoolVar(&f.tls, "tls", false, "encrypt with TLS (same as a tls:// address)")
	f.clientTLSFlags.register(fs)
	fs.StringVar(&f.certFile, "tls-cert", "", "listener certificate PEM `FILE` (default: self-signed)")
	fs.StringVar(&f.keyFile, "tls-key", "", "listener key PEM `FILE`")
	fs.DurationVar(&f.timeout, "timeout", 30*time.Second, "connect timeout")
	fs.DurationVar(&f.idle, "idle-timeout", 2*time.Minute, "give up when the transfer makes no progress for this long (0: never)")
}

// session connects or listens (per --listen) and runs one transfer.
func (f *xferFlags) session(ctx context.Context, std stdio, role, addr string, run func(context.Context, net.Conn, transfer.Options) (transfer.Stats, error)) (transfer.Stats, error) {
	if f.token == "" {
		f.token = os.Getenv("HUBCAT_TOKEN")
	}
	warnWeakToken(std, f.token)
	o := transfer.Options{Token: f.token, Force: f.force, IdleTimeout: f.idle}
	if f.listen == "" {
		conn, err := f.dial(ctx, addr)
		if err != nil {
			return transfer.Stats{}, err
		}
		defer conn.Close()
		return run(ctx, conn, o)
	}
	return f.serveOnce(ctx, std, role, o, run)
}

func (f *xferFlags) dial(ctx context.Context, addr string) (net.Conn, error) {
	e, err := parseEndpoint(addr)
	if err != nil {
		return nil, err
	}
	if f.tls && e.Scheme == endpoint.TCP {
		e.Scheme = endpoint.TLS
	}
	cfg := endpoint.DialConfig{Timeout: f.timeout}
	if e.Scheme == endpoint.TLS {
		if cfg.TLS, err = clientTLS(f.tlsOptions()); err != nil {
			return nil, err
		}
	}
	return endpoint.Dial(ctx, e, cfg)
}

// serveOnce listens until one peer authenticates and its transfer ends.
// Peers turned away are logged.
func (f *xferFlags) serveOnce(ctx context.Context, std stdio, role string, o transfer.Options, run func(context.Context, net.Conn, transfer.Options) (transfer.Stats, error)) (transfer.Stats, error) {
	e, err := parseEndpoint(f.listen)
	if err != nil {
		return transfer.Stats{}, err
	}
	if f.tls && e.Scheme == endpoint.TCP {
		e.Scheme = endpoint.TLS
	}
	var cfg endpoint.ListenConfig
	var fp string
	if e.Scheme == endpoint.TLS {
		cert, fingerprint, err := endpoint.ServerCert(f.certFile, f.keyFile)
		if err != nil {
			return transfer.Stats{}, err
		}
		cfg.TLS, fp = endpoint.ServerTLS(cert), fingerprint
	}
	generated := o.Token == ""
	if generated {
		o.Token = frame.NewToken()
	}
	ln, err := endpoint.Listen(ctx, e, cfg)
	if err != nil {
		return transfer.Stats{}, err
	}
	errOut := &lockedWriter{w: std.err}
	where := endpoint.FromAddr(e.Scheme, ln.Addr())
	fmt.Fprintf(errOut, "hubcat: listening on %s\n", where)
	if generated {
		fmt.Fprintf(errOut, "hubcat: token %s\n", o.Token)
	}
	if fp != "" {
		fmt.Fprintf(errOut, "hubcat: tls fingerprint %s\n", fp)
	}
	fmt.Fprintf(errOut, "hubcat: hint: on the other side run: %s\n", peerHint(role, where, o.Token, fp))
	once := &transfer.Once{
		Options: o,
		Session: run,
		Rejected: func(remote net.Addr, err error) {
			var ae *frame.AuthError
			if errors.As(err, &ae) {
				fmt.Fprintf(errOut, "hubcat: authentication failed from %s (next attempt allowed in %s)\n", remote, ae.Wait)
				return
			}
			fmt.Fprintf(errOut, "hubcat: rejected connection from %s: %s\n", remote, frame.Escape(err.Error()))
		},
	}
	return once.Serve(ctx, ln)
}

// peerHint is the command the user should run on the other side.
func peerHint(role string, where endpoint.Endpoint, token, fp string) string {
	var b strings.Builder
	b.WriteString("hubcat ")
	if role == "send" {
		b.WriteString("recv")
	} else {
		b.WriteString("send")
	}
	b.WriteString(" --token " + token)
	if fp != "" {
		b.WriteString(" --fingerprint " + fp)
	}
	if role == "send" {
		b.WriteString(" " + where.String() + " DIR")
	} else {
		b.WriteString(" PATH... " + where.String())
	}
	return b.String()
}

// report prints the one-line summary on stdout and maps errors to exit codes.
func report(std stdio, verb string, st transfer.Stats, err error) error {
	for _, p := range st.Skipped {
		fmt.Fprintf(std.err, "hubcat: skipped %s: not a regular file or directory\n", p)
	}
	if err != nil {
		if errors.Is(err, transfer.ErrAuth) {
			return &exitError{code: exitDenied, err: err}
		}
		return err
	}
	secs := st.Elapsed.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(st.Bytes) / secs
	}
	fmt.Fprintf(std.out, "%s ok files=%d dirs=%d bytes=%d resumed_bytes=%d seconds=%.3f bytes_per_second=%.0f\n",
		verb, st.Files, st.Dirs, st.Bytes, st.Resumed, secs, rate)
	return nil
}

// progress draws a bar with rate and ETA on a terminal; on pipes it is silent.
type progress struct {
	w    io.Writer
	desc string
	bar  *progressbar.ProgressBar
}

func newProgress(w io.Writer, desc string) transfer.Progress {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &progress{w: w, desc: desc}
}

func (p *progress) Plan(files int, bytes int64) {
	p.bar = progressbar.NewOptions64(bytes,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(fmt.Sprintf("%s %d files", p.desc, files)),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionOnCompletion(func() { fmt.Fprintln(p.w) }),
	)
}

func (p *progress) Add(n int64) {
	if p.bar != nil {
		p.bar.Add64(n)
	}
}

// lockedWriter serialises writes from connection goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// warnWeakToken warns about a short user-chosen token: a fake listener
// or a relay could test guesses of it offline, at Argon2id's cost each.
func warnWeakToken(std stdio, token string) {
	if token != "" && len(token) < frame.MinTokenLen {
		fmt.Fprintf(std.err, "hubcat: warning: a %d-character token can be guessed; use one of at least %d characters\n", len(token), frame.MinTokenLen)
		fmt.Fprintf(std.err, "hubcat: hint: a listener without --token prints a random 128-bit one\n")
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
