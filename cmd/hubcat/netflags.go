package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/relay"
)

// netFlags are the options connect and listen share.
type netFlags struct {
	closeOnEOF, sendOnly, recvOnly, crlf, hex bool
	four, six, verbose                        bool
	wait, idle                                time.Duration
	ca, tlsCert, tlsKey                       string
}

func (f *netFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.closeOnEOF, "close-on-eof", false, "close the connection at end of input instead of waiting for the peer to close")
	fs.BoolVar(&f.sendOnly, "send-only", false, "only send input; discard what the peer sends")
	fs.BoolVar(&f.recvOnly, "recv-only", false, "only receive; never read input")
	fs.BoolVar(&f.crlf, "crlf", false, "send LF line endings of input as CRLF")
	fs.BoolVar(&f.hex, "hex", false, "hex dump the traffic to stderr (> sent, < received)")
	fs.BoolVarP(&f.four, "ipv4", "4", false, "use IPv4 only")
	fs.BoolVarP(&f.six, "ipv6", "6", false, "use IPv6 only")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "log connections to stderr")
	fs.DurationVarP(&f.idle, "idle-timeout", "i", 0, "end after this long with no traffic either way (exit code 4)")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate file (with --tls-key)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file (with --tls-cert)")
}

func (f *netFlags) validate() error {
	switch {
	case f.sendOnly && f.recvOnly:
		return &usageError{msg: "--send-only and --recv-only cannot be used together"}
	case f.four && f.six:
		return &usageError{msg: "-4 and -6 cannot be used together"}
	case f.idle < 0 || f.wait < 0:
		return &usageError{msg: "timeouts cannot be negative"}
	}
	return nil
}

// family is "4", "6" or "" for the Go network name suffix.
func (f *netFlags) family() string {
	switch {
	case f.four:
		return "4"
	case f.six:
		return "6"
	}
	return ""
}

func (f *netFlags) options(std stdio) relay.Options {
	o := relay.Options{
		CloseOnEOF:  f.closeOnEOF,
		SendOnly:    f.sendOnly,
		RecvOnly:    f.recvOnly,
		CRLF:        f.crlf,
		IdleTimeout: f.idle,
	}
	if f.hex {
		o.Hex = std.err
	}
	return o
}

// relayError explains how a relay with e ended, nil for a clean end.
func relayError(ctx context.Context, e endpoint.Endpoint, idle time.Duration, err error) error {
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return &exitError{code: 130, err: errors.New("interrupted")}
	case errors.Is(err, relay.ErrIdle):
		return &exitError{code: exitTimeout, err: fmt.Errorf("%s: idle for %s, closed", e, idle)}
	case errors.Is(err, syscall.ECONNREFUSED): // UDP: the port is closed
		return &exitError{code: exitRefused, err: fmt.Errorf("connect %s: connection refused", e)}
	}
	return fmt.Errorf("%s: %w", e, err)
}

// lineHandler is a slog.Handler writing "hubcat: message key=value" lines,
// the voice of every other hubcat diagnostic.
type lineHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Level
	attrs []slog.Attr
}

// newLogger logs to w; debug lines (per-connection events) only if verbose.
func newLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(&lineHandler{mu: &sync.Mutex{}, w: w, level: level})
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level }

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var sb strings.Builder
	sb.WriteString("hubcat: ")
	sb.WriteString(r.Message)
	add := func(a slog.Attr) bool {
		fmt.Fprintf(&sb, " %s=%s", a.Key, quoteIfNeeded(a.Value.String()))
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	sb.WriteByte('\n')
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, sb.String())
	return err
}

func quoteIfNeeded(s string) string {
	if s == "" || strings.ContainsAny(s, " \t\"=") {
		return fmt.Sprintf("%q", s)
	}
	return s
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return &h2
}

func (h *lineHandler) WithGroup(string) slog.Handler { return h }

// sourceAddr resolves --source ("host", "host:port" or ":port") for the
// endpoint's network.
func sourceAddr(e endpoint.Endpoint, s, family string) (net.Addr, error) {
	if s == "" {
		return nil, nil
	}
	if e.Scheme == endpoint.Unix {
		return &net.UnixAddr{Name: s, Net: "unix"}, nil
	}
	if _, _, err := net.SplitHostPort(s); err != nil {
		s = net.JoinHostPort(s, "0")
	}
	var a net.Addr
	var err error
	if e.Scheme == endpoint.UDP {
		a, err = net.ResolveUDPAddr("udp"+family, s)
	} else {
		a, err = net.ResolveTCPAddr("tcp"+family, s)
	}
	if err != nil {
		return nil, &usageError{msg: fmt.Sprintf("bad --source %q: %v", s, err), hint: "--source takes an address of this machine, optionally with a port: 127.0.0.2 or 127.0.0.2:5000"}
	}
	return a, nil
}
