package endpoint

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// ListenConfig says how to open a listener.
type ListenConfig struct {
	// TLS is required for tls:// endpoints and ignored otherwise.
	TLS *tls.Config
}

// Listen opens a stream listener (TCP, TLS or Unix) on e. The Go runtime sets
// SO_REUSEADDR on TCP listeners, so a restarted server binds at once even
// while old connections sit in TIME_WAIT. A Unix socket file left behind by
// a dead server is removed; one that a live server answers on is not.
func Listen(ctx context.Context, e Endpoint, cfg ListenConfig) (net.Listener, error) {
	if e.Scheme == UDP {
		return nil, &Error{Op: "listen", Addr: e.String(), Msg: "udp is not a stream transport", Err: ErrBadAddress}
	}
	if e.Scheme == TLS && cfg.TLS == nil {
		return nil, &Error{Op: "listen", Addr: e.String(), Msg: "tls listener needs a certificate", Err: ErrBadAddress}
	}
	if e.Scheme == Unix {
		removeStaleSocket(e.Address)
	}
	// Keepalive probes find peers that vanished without a FIN or RST
	// (a half-open connection) within about a minute of silence.
	lc := net.ListenConfig{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3}}
	ln, err := lc.Listen(ctx, e.Network(), e.Address)
	if err != nil {
		return nil, explain("listen", e, err)
	}
	if e.Scheme == TLS {
		ln = tls.NewListener(ln, cfg.TLS)
	}
	return ln, nil
}

// ListenPacket opens a UDP socket on e.
func ListenPacket(ctx context.Context, e Endpoint) (net.PacketConn, error) {
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, e.Network(), e.Address)
	return pc, explain("listen", e, err)
}

// removeStaleSocket deletes a socket file that nothing answers on.
func removeStaleSocket(path string) {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return
	}
	if errors.Is(err, syscall.ECONNREFUSED) {
		os.Remove(path)
	}
}

// DialConfig says how to open a connection.
type DialConfig struct {
	// TLS is used for tls:// endpoints; nil means verify against the system roots.
	TLS *tls.Config
	// Timeout bounds the connect (and TLS handshake); zero means none beyond ctx.
	Timeout time.Duration
	// LocalAddr binds the local side, for --source.
	LocalAddr net.Addr
	// Family restricts name resolution: "4", "6" or "" for either.
	Family string
	// Resolver looks names up; nil means the system's.
	Resolver *net.Resolver
}

// Dial connects to e. Errors are *Error values with a [ErrorKind].
func Dial(ctx context.Context, e Endpoint, cfg DialConfig) (net.Conn, error) {
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	d := net.Dialer{LocalAddr: cfg.LocalAddr, Resolver: cfg.Resolver}
	network := e.Network()
	if network != "unix" {
		network += cfg.Family
	}
	c, err := d.DialContext(ctx, network, e.Address)
	if err != nil {
		return nil, explain("connect", e, err)
	}
	if e.Scheme != TLS {
		return c, nil
	}
	tc := tls.Client(c, clientTLS(cfg.TLS, e.Address))
	if err := tc.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, explain("connect", e, err)
	}
	return tc, nil
}

// clientTLS fills in ServerName from the address when the caller left it empty.
func clientTLS(c *tls.Config, addr string) *tls.Config {
	if c == nil {
		c = &tls.Config{}
	}
	if c.ServerName != "" || c.InsecureSkipVerify {
		return c
	}
	c = c.Clone()
	host, _, err := net.SplitHostPort(addr)
	if err == nil {
		c.ServerName = host
	}
	return c
}
