package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hubcat/hubcat/endpoint"
)

// Exit codes a script can rely on.
const (
	exitOK      = 0
	exitFailure = 1 // anything not listed below
	exitUsage   = 2 // bad flags or arguments
	exitRefused = 3 // connection refused
	exitTimeout = 4 // connect or idle timeout
	exitNoHost  = 5 // DNS lookup failed
	exitTLS     = 6 // TLS verification or fingerprint mismatch
	exitInUse   = 7 // listen address already in use
	exitDenied  = 8 // permission or authentication refused
)

// stdio is the process's standard streams, passed down so tests can run
// commands in-process.
type stdio struct {
	in       io.Reader
	out, err io.Writer
}

// usageError is a mistake in how the command was called, with an optional hint.
type usageError struct {
	msg, hint string
}

func (e *usageError) Error() string { return e.msg }

// exitError carries a specific exit code for an error already explained.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// silentExit ends with a code and prints nothing, as when passing on a
// remote command's exit status.
type silentExit int

func (e silentExit) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// run executes the command line and returns the exit code.
func run(ctx context.Context, args []string, in io.Reader, out, errOut io.Writer) int {
	std := stdio{in: in, out: out, err: errOut}
	root := newRoot(std)
	root.SetArgs(args)
	root.SetIn(in)
	root.SetOut(out)
	root.SetErr(errOut)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var silent silentExit
	if errors.As(err, &silent) {
		return int(silent)
	}
	fmt.Fprintf(errOut, "hubcat: %s\n", err)
	var ue *usageError
	if errors.As(err, &ue) {
		if ue.hint != "" {
			fmt.Fprintf(errOut, "hubcat: hint: %s\n", ue.hint)
		}
		return exitUsage
	}
	return exitCode(err)
}

// exitCode maps an error to the documented exit codes.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	switch endpoint.KindOf(err) {
	case endpoint.Refused:
		return exitRefused
	case endpoint.Timeout:
		return exitTimeout
	case endpoint.NoHost:
		return exitNoHost
	case endpoint.TLSVerify:
		return exitTLS
	case endpoint.InUse:
		return exitInUse
	case endpoint.Denied:
		return exitDenied
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.Contains(err.Error(), "flag") {
		return exitUsage
	}
	return exitFailure
}

// newRoot builds the command tree.
func newRoot(std stdio) *cobra.Command {
	root := &cobra.Command{
		Use:   "hubcat",
		Short: "chat hub, netcat, file transfer and remote exec in one binary",
		Long: `hubcat is a chat hub anyone can join with nc, a netcat for TCP, UDP,
Unix sockets and TLS, authenticated file transfer and remote exec.

Addresses: host:port, tcp://host:port, udp://host:port, tls://host:port,
unix:///path/to.sock; IPv6 as [::1]:7000.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{msg: err.Error(), hint: fmt.Sprintf("see '%s --help'", c.CommandPath())}
	})
	for _, add := range commands {
		root.AddCommand(add(std))
	}
	return root
}

// commands lists the subcommand constructors; each lives in its own file.
var commands = []func(stdio) *cobra.Command{
	versionCmd,
	serveCmd,
	chatCmd,
	sendCmd,
	recvCmd,
	execCmd,
	connectCmd,
	listenCmd,
	echoCmd,
	benchCmd,
	dbCmd,
}

// parseEndpoint parses an address argument, turning a bad one into a usage error.
func parseEndpoint(s string) (endpoint.Endpoint, error) {
	e, err := endpoint.Parse(s)
	if err != nil {
		return e, &usageError{msg: strings.TrimPrefix(err.Error(), "endpoint: "), hint: "addresses look like host:port, tcp://host:port, udp://host:port, tls://host:port or unix:///path"}
	}
	return e, nil
}
