package main

import (
	"context"
	"io"
	"net"
	"os"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/relay"
	"github.com/hubcat/hubcat/tui"
)

// chatFlags are chat's options.
type chatFlags struct {
	clientTLSFlags
	useTLS bool
	wait   time.Duration
	plain  bool
	nick   string
	join   []string
}

func chatCmd(std stdio) *cobra.Command {
	var f chatFlags
	cmd := &cobra.Command{
		Use:   "chat ADDR",
		Short: "join a chat hub (full screen on a terminal, plain lines in a pipe)",
		Long: `Join a chat hub. On a terminal this opens a full-screen client: tabs for
rooms and private conversations, history, completion, and a connection that
comes back by itself after a break, resuming every room where it stopped.
Type /help inside it.

With --plain, or when stdin or stdout is not a terminal, lines from stdin go
to the hub and the hub's lines go to stdout, so it works in pipes:

  printf '/nick bob\nhi all\n' | hubcat chat 127.0.0.1:7000

On stdin EOF the write side is closed; hubcat exits when the hub closes.`,
		Example: `  hubcat chat 127.0.0.1:7000 --nick alice --join dev,ops
  hubcat chat tls://hub.example:7443 --fingerprint 3a:91:...
  hubcat chat --plain 127.0.0.1:7000 < script.txt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runChat(cmd.Context(), std, args[0], &f)
		},
	}
	fs := cmd.Flags()
	fs.BoolVar(&f.useTLS, "tls", false, "connect with TLS (same as a tls:// address)")
	fs.DurationVar(&f.wait, "wait", 10*time.Second, "connect timeout")
	fs.BoolVar(&f.plain, "plain", false, "plain lines even on a terminal")
	fs.StringVar(&f.nick, "nick", "", "the `NAME` to chat as")
	fs.StringSliceVar(&f.join, "join", nil, "`ROOMS` to join besides the lobby (comma-separated or repeated)")
	f.clientTLSFlags.register(fs)
	return cmd
}

func runChat(ctx context.Context, std stdio, addr string, f *chatFlags) error {
	e, err := parseEndpoint(addr)
	if err != nil {
		return err
	}
	if f.useTLS && e.Scheme == endpoint.TCP {
		e.Scheme = endpoint.TLS
	}
	cfg, err := clientTLS(f.tlsOptions())
	if err != nil {
		return err
	}
	dial := func(ctx context.Context) (net.Conn, error) {
		return endpoint.Dial(ctx, e, endpoint.DialConfig{TLS: cfg, Timeout: f.wait})
	}
	// The first dial happens here, so that an address that cannot work
	// fails with its exit code instead of retrying on the screen.
	c, err := dial(ctx)
	if err != nil {
		return err
	}
	in, inTTY := std.in.(*os.File)
	out, outTTY := std.out.(*os.File)
	if f.plain || !inTTY || !outTTY || !term.IsTerminal(int(in.Fd())) || !term.IsTerminal(int(out.Fd())) {
		return chatPlain(ctx, std, c, f)
	}
	first := c
	redial := func(ctx context.Context) (net.Conn, error) {
		if first != nil {
			c, first = first, nil
			return c, nil
		}
		return dial(ctx)
	}
	return tui.Run(ctx, redial, tui.Config{
		Addr: addr, Nick: f.nick, Join: f.join, NoColor: os.Getenv("NO_COLOR") != "",
	}, tea.WithInput(in), tea.WithOutput(out))
}

// chatPlain is the line client: a netcat connect whose peer is a hub, with
// --nick and --join typed first.
func chatPlain(ctx context.Context, std stdio, c net.Conn, f *chatFlags) error {
	var first strings.Builder
	if f.nick != "" {
		first.WriteString("/nick " + f.nick + "\n")
	}
	for _, r := range f.join {
		first.WriteString("/join " + r + "\n")
	}
	err := relay.Pipe(ctx, c, io.MultiReader(strings.NewReader(first.String()), std.in), std.out, relay.Options{})
	if ctx.Err() != nil {
		return nil // Ctrl-C ends a chat session normally
	}
	return err
}
