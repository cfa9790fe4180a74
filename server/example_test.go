package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/hubcat/hubcat/server"
)

// An upper-casing line server in a few lines, served on a loopback port and
// shut down gracefully.
func Example() {
	upper := server.HandlerFunc(func(ctx context.Context, c net.Conn) {
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			fmt.Fprintln(c, strings.ToUpper(sc.Text()))
		}
	})
	srv := server.New(upper, server.Config{MaxConns: 100})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(ln)

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		panic(err)
	}
	fmt.Fprintln(c, "hello, socketserver")
	reply, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(reply)
	c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fmt.Println(srv.Shutdown(ctx))
	// Output:
	// HELLO, SOCKETSERVER
	// <nil>
}
