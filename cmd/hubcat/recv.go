package main

import (
	"context"
	"fmt"
	"net"
	"os"

	"github.com/spf13/cobra"

	"github.com/hubcat/hubcat/transfer"
)

func recvCmd(std stdio) *cobra.Command {
	var f xferFlags
	c := &cobra.Command{
		Use:   "recv [flags] ADDR DIR | recv --listen ADDR [flags] DIR",
		Short: "receive files from a hubcat send into a directory",
		Long: `Receive files and directories sent by "hubcat send" into DIR (created if
missing). Nothing is written outside DIR: absolute names, "..", and
symlinks leading out are refused. Existing files are kept unless --force.
A cut-off transfer leaves its partial data in DIR/.hubcat-partial and
resumes when rerun.`,
		Example: `  hubcat recv --listen 127.0.0.1:9001 inbox      # prints a token
  hubcat send --listen 127.0.0.1:9001 notes.txt   # or the sender listens:
  hubcat recv --token TOKEN 127.0.0.1:9001 inbox`,
		Args: func(cmd *cobra.Command, args []string) error {
			want := 2
			if f.listen != "" {
				want = 1
			}
			if len(args) != want {
				return &usageError{msg: fmt.Sprintf("recv takes %s, got %d arguments", map[int]string{1: "DIR with --listen", 2: "ADDR and DIR"}[want], len(args)),
					hint: "hubcat recv ADDR DIR, or hubcat recv --listen ADDR DIR"}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[len(args)-1]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return fmt.Errorf("cannot create %s: %w", dir, unwrapPath(err))
			}
			run := func(ctx context.Context, conn net.Conn, o transfer.Options) (transfer.Stats, error) {
				o.Progress = newProgress(std.err, "receiving")
				return transfer.Receive(ctx, conn, dir, o)
			}
			st, err := f.session(cmd.Context(), std, "recv", args[0], run)
			return report(std, "recv", st, err)
		},
	}
	f.register(c.Flags())
	c.Flags().BoolVar(&f.force, "force", false, "replace files that already exist")
	return c
}
