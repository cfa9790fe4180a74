// Command reqresp is the TCP request/response pair of seeds 002 and 004:
// "reqresp serve NETWORK ADDR" answers each request line with
// "echo: LINE"; "reqresp ask NETWORK ADDR TEXT" sends one request and
// prints the answer. NETWORK is tcp, tcp6 or unix (seed 002's AF_INET,
// AF_INET6 and AF_UNIX).
//
// Seed 004 sets SO_REUSEADDR so a restarted server can bind its port while
// old connections linger in TIME_WAIT. Go's net.Listen already sets it on
// every TCP listener, so there is nothing to add; the test proves it.
package main

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/hubcat/hubcat/server"
)

func main() {
	if len(os.Args) < 4 {
		log.Fatal("usage: reqresp serve NETWORK ADDR | reqresp ask NETWORK ADDR TEXT")
	}
	network, addr := os.Args[2], os.Args[3]
	if os.Args[1] == "ask" && len(os.Args) == 5 {
		answer, err := ask(network, addr, os.Args[4], 5*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(answer)
		return
	}
	ln, err := net.Listen(network, addr)
	if err != nil {
		log.Fatal(err)
	}
	srv := server.New(server.HandlerFunc(answer), server.Config{})
	go srv.Serve(ln)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	srv.Shutdown(context.Background())
}

// answer replies to each request line until the client closes. Reading a
// line at a time with bufio is what seed 002's makefile() does.
func answer(ctx context.Context, c net.Conn) {
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		if _, err := fmt.Fprintf(c, "echo: %s\n", sc.Text()); err != nil {
			return
		}
	}
}

// ask sends one request and waits at most timeout for the answer; Write
// sends all of it, like Python's sendall.
func ask(network, addr, text string, timeout time.Duration) (string, error) {
	c, err := net.DialTimeout(network, addr, timeout)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintf(c, "%s\n", text); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("read answer: %w", err)
	}
	return line[:len(line)-1], nil
}
