// Command chat is seed 001's group chat: "chat serve ADDR" runs a server
// that relays every line a client sends to all the others; "chat join
// ADDR" is a client. It is built on hubcat's server package, which
// accepts, limits and shuts down; this file only keeps the member list.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"sync"

	"github.com/hubcat/hubcat/server"
)

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "serve" && os.Args[1] != "join") {
		log.Fatal("usage: chat serve ADDR | chat join ADDR")
	}
	if os.Args[1] == "join" {
		c, err := net.Dial("tcp", os.Args[2])
		if err != nil {
			log.Fatal(err)
		}
		go io.Copy(c, os.Stdin)
		io.Copy(os.Stdout, c)
		return
	}
	ln, err := net.Listen("tcp", os.Args[2])
	if err != nil {
		log.Fatal(err)
	}
	srv := server.New(&room{members: map[net.Conn]chan string{}}, server.Config{})
	go srv.Serve(ln)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	<-ctx.Done()
	srv.Shutdown(context.Background())
}

// room is the member list; each member has a bounded outbox drained by its
// own writer, so a client that stops reading cannot stall the others.
type room struct {
	mu      sync.Mutex
	members map[net.Conn]chan string
}

// ServeConn runs one member: join, relay its lines, leave.
func (r *room) ServeConn(ctx context.Context, c net.Conn) {
	who := c.RemoteAddr().String()
	out := make(chan string, 64)
	go func() {
		for line := range out {
			if _, err := io.WriteString(c, line); err != nil {
				c.Close()
			}
		}
	}()
	// Welcome, membership and the announcement happen under one lock: a
	// member that has been welcomed is already in the room, and nothing
	// reaches it before its welcome.
	r.mu.Lock()
	out <- "*** welcome, " + who + "\n"
	r.members[c] = out
	r.broadcastLocked(c, "*** "+who+" joined\n")
	r.mu.Unlock()
	stop := context.AfterFunc(ctx, func() { c.Close() }) // server shutdown
	defer stop()
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		r.broadcast(c, fmt.Sprintf("<%s> %s\n", who, sc.Text()))
	}
	r.mu.Lock()
	delete(r.members, c)
	r.mu.Unlock()
	close(out)
	r.broadcast(c, "*** "+who+" left\n")
}

// broadcast queues line to every member but from; a full outbox means
// that member is too slow, and it is disconnected.
func (r *room) broadcast(from net.Conn, line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.broadcastLocked(from, line)
}

// broadcastLocked is broadcast with r.mu held.
func (r *room) broadcastLocked(from net.Conn, line string) {
	for c, out := range r.members {
		if c == from {
			continue
		}
		select {
		case out <- line:
		default:
			c.Close()
		}
	}
}
