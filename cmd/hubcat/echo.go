package main

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/relay"
	"github.com/hubcat/hubcat/server"
)

// echoFlags are echo's options.
type echoFlags struct {
	tlsCert, tlsKey string
	maxConns        int
	allow, deny     []string
	verbose         bool
}

func echoCmd(std stdio) *cobra.Command {
	var f echoFlags
	cmd := &cobra.Command{
		Use:   "echo ADDR",
		Short: "run an echo server on ADDR (tcp, udp, unix or tls)",
		Long: `echo sends back every byte each client sends, until interrupted: the
request/response server of the socket tutorials. Over udp:// every datagram
goes back to its sender.`,
		Example: `  hubcat echo 127.0.0.1:7007
  hubcat echo udp://127.0.0.1:7007
  hubcat echo tls://127.0.0.1:7443`,
		Args: exactArgs(1, "echo needs one address, as in: hubcat echo 127.0.0.1:7007"),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEcho(cmd.Context(), std, args[0], &f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.tlsCert, "tls-cert", "", "PEM certificate file for tls:// (default: self-signed)")
	fs.StringVar(&f.tlsKey, "tls-key", "", "PEM private key file for tls://")
	fs.IntVarP(&f.maxConns, "max-conns", "m", 0, "refuse clients beyond this many (0: no limit)")
	fs.StringSliceVar(&f.allow, "allow", nil, "admit only these addresses or CIDRs")
	fs.StringSliceVar(&f.deny, "deny", nil, "refuse these addresses or CIDRs")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "log connections to stderr")
	return cmd
}

func runEcho(ctx context.Context, std stdio, addr string, f *echoFlags) error {
	e, err := parseEndpoint(addr)
	if err != nil {
		return err
	}
	filter, err := relay.ParseFilter(f.allow, f.deny)
	if err != nil {
		return &usageError{msg: strings.TrimPrefix(err.Error(), "relay: ")}
	}
	log := newLogger(std.err, f.verbose)
	if e.Scheme == endpoint.UDP {
		pc, err := endpoint.ListenPacket(ctx, e)
		if err != nil {
			return err
		}
		log.Info("echoing on " + endpoint.FromAddr(e.Scheme, pc.LocalAddr()).String())
		return relay.EchoPackets(ctx, pc)
	}
	certs := &listenFlags{netFlags: netFlags{tlsCert: f.tlsCert, tlsKey: f.tlsKey}}
	ln, err := listenStream(ctx, e, certs, filter, log, "echoing")
	if err != nil {
		return err
	}
	srv := server.New(server.HandlerFunc(relay.Echo), server.Config{MaxConns: f.maxConns, Logger: log})
	return serveUntilDone(ctx, srv, ln)
}
