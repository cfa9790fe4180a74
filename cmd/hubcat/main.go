// Command hubcat is the chat hub, netcat, file-transfer and remote-exec tool
// described in README.md. main only wires signals and exit codes; the
// commands live in the files beside it and the work in the packages they
// import.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
