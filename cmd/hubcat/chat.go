package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/relay"
)

func chatCmd(std stdio) *cobra.Command {
	var (
		useTLS bool
		tf     clientTLSFlags
		wait   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "chat ADDR",
		Short: "join a chat hub (plain lines: stdin to the hub, the hub to stdout)",
		Long: `Join a chat hub. Lines from stdin go to the hub and the hub's lines go to
stdout, so it works in pipes:

  printf '/nick bob\nhi all\n' | hubcat chat 127.0.0.1:7000

On stdin EOF the write side is closed; hubcat exits when the hub closes.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := parseEndpoint(args[0])
			if err != nil {
				return err
			}
			if useTLS && e.Scheme == endpoint.TCP {
				e.Scheme = endpoint.TLS
			}
			cfg, err := clientTLS(tf.tlsOptions())
			if err != nil {
				return err
			}
			c, err := endpoint.Dial(cmd.Context(), e, endpoint.DialConfig{TLS: cfg, Timeout: wait})
			if err != nil {
				return err
			}
			// The chat client is a netcat connect whose peer is a hub.
			err = relay.Pipe(cmd.Context(), c, std.in, std.out, relay.Options{})
			if cmd.Context().Err() != nil {
				return nil // Ctrl-C ends a chat session normally
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&useTLS, "tls", false, "connect with TLS (same as a tls:// address)")
	cmd.Flags().DurationVar(&wait, "wait", 10*time.Second, "connect timeout")
	tf.register(cmd.Flags())
	return cmd
}
