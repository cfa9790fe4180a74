// Command lineserver is seed 003's line server: it greets each client
// with its address, asks for a string, says how many characters it has
// and hangs up. "lineserver ADDR" serves until interrupted.
package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hubcat/hubcat/server"
)

func main() {
	if len(os.Args) != 2 {
		log.Fatal("usage: lineserver ADDR")
	}
	ln, err := net.Listen("tcp", os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("server is running on %s; press Ctrl-C to terminate", ln.Addr())
	srv := server.New(server.HandlerFunc(count), server.Config{})
	go srv.Serve(ln)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	srv.Shutdown(context.Background())
}

// count holds the conversation; a client gets a minute to answer.
func count(ctx context.Context, c net.Conn) {
	c.SetDeadline(time.Now().Add(time.Minute))
	fmt.Fprintf(c, "Welcome, %s\nPlease enter a string: ", c.RemoteAddr())
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && line == "" {
		return
	}
	line = strings.TrimSpace(line)
	fmt.Fprintf(c, "You entered %d characters.\n", utf8.RuneCountInString(line))
}
