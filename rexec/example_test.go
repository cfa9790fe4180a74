package rexec_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/hubcat/hubcat/rexec"
	"github.com/hubcat/hubcat/server"
)

// An exec server behind a token, and a client that runs one command.
func Example() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := server.New(&rexec.Server{Token: "s3cret", Logger: slog.New(slog.DiscardHandler)}, server.Config{})
	go srv.Serve(ln)
	defer srv.Close()

	c, _ := net.Dial("tcp", ln.Addr().String())
	defer c.Close()
	exit, err := rexec.Run(context.Background(), c,
		rexec.Request{Argv: []string{"sh", "-c", "echo to stdout; exit 3"}},
		rexec.Options{Token: "s3cret", Stdout: os.Stdout})
	fmt.Println(exit.Code, err)
	// Output:
	// to stdout
	// 3 <nil>
}
