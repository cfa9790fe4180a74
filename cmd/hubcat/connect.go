package main

import (
	"context"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/relay"
)

// connectFlags are connect's options beyond the shared ones.
type connectFlags struct {
	netFlags
	clientTLSFlags
	source, serverName string
}

func connectCmd(std stdio) *cobra.Command {
	var f connectFlags
	cmd := &cobra.Command{
		Use:   "connect ADDR",
		Short: "connect to ADDR and relay standard input and output (netcat client)",
		Long: `connect opens a connection to ADDR, sends standard input to it and writes
what comes back to standard output. At the end of input it shuts down its
sending side and keeps reading until the peer closes (--close-on-eof closes
at once). Over udp:// each input line is one datagram.

Exit codes: 0 clean end, 3 refused, 4 timeout (--wait, --idle-timeout),
5 unknown host, 6 TLS verification failed.`,
		Example: `  printf 'GET / HTTP/1.0\r\n\r\n' | hubcat connect example.com:80
  hubcat connect tls://localhost:7443 --fingerprint 3a:91:...
  echo hello | hubcat connect udp://127.0.0.1:9000 --idle-timeout 1s
  hubcat connect unix:///tmp/hub.sock`,
		Args: exactArgs(1, "connect needs one address, as in: hubcat connect 127.0.0.1:7000"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runConnect(cmd.Context(), std, args[0], &f)
		},
	}
	fs := cmd.Flags()
	f.netFlags.register(fs)
	fs.DurationVarP(&f.wait, "wait", "w", 0, "give up connecting (and the TLS handshake) after this long (exit code 4)")
	fs.StringVarP(&f.source, "source", "s", "", "local address (and port) to connect from")
	f.clientTLSFlags.register(fs)
	fs.StringVar(&f.serverName, "servername", "", "name to verify in the server certificate (default: the host in ADDR)")
	return cmd
}

func runConnect(ctx context.Context, std stdio, addr string, f *connectFlags) error {
	e, err := parseEndpoint(addr)
	if err != nil {
		return err
	}
	if err := f.validate(); err != nil {
		return err
	}
	local, err := sourceAddr(e, f.source, f.family())
	if err != nil {
		return err
	}
	cfg := endpoint.DialConfig{Timeout: f.wait, LocalAddr: local, Family: f.family()}
	if e.Scheme == endpoint.TLS {
		o := f.tlsOptions()
		o.ServerName, o.CertFile, o.KeyFile = f.serverName, f.tlsCert, f.tlsKey
		if cfg.TLS, err = clientTLS(o); err != nil {
			return err
		}
	}
	c, err := endpoint.Dial(ctx, e, cfg)
	if err != nil {
		return err
	}
	newLogger(std.err, f.verbose).Debug("connected", "addr", e.String(), "local", c.LocalAddr().String())
	if pc, ok := c.(net.PacketConn); ok && e.Scheme == endpoint.UDP {
		err = relay.DialPacket(ctx, pc, std.in, std.out, f.options(std))
	} else {
		err = relay.Pipe(ctx, c, std.in, std.out, f.options(std))
	}
	return relayError(ctx, e, f.idle, err)
}

// exactArgs is cobra.ExactArgs with a usage error that says what is wanted.
func exactArgs(n int, want string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return &usageError{msg: want, hint: fmt.Sprintf("see '%s --help'", cmd.CommandPath())}
		}
		return nil
	}
}
