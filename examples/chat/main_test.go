package main

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/server"
)

func TestChat(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(&room{members: map[net.Conn]chan string{}}, server.Config{})
	go srv.Serve(ln)
	type client struct {
		c  net.Conn
		r  *bufio.Reader
		me string
	}
	var cs []client
	for range 3 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		cl := client{c: c, r: bufio.NewReader(c), me: c.LocalAddr().String()}
		expect(t, cl.r, "*** welcome, "+cl.me+"\n")
		for _, o := range cs { // earlier members hear about the newcomer
			expect(t, o.r, "*** "+cl.me+" joined\n")
		}
		cs = append(cs, cl)
	}
	cs[0].c.Write([]byte("hello, all\n"))
	expect(t, cs[1].r, "<"+cs[0].me+"> hello, all\n")
	expect(t, cs[2].r, "<"+cs[0].me+"> hello, all\n")
	cs[2].c.Write([]byte("hi\n"))
	expect(t, cs[0].r, "<"+cs[2].me+"> hi\n") // and not its own line back first
	expect(t, cs[1].r, "<"+cs[2].me+"> hi\n")

	cs[1].c.Close() // abrupt disconnect
	expect(t, cs[0].r, "*** "+cs[1].me+" left\n")
	expect(t, cs[2].r, "*** "+cs[1].me+" left\n")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 2} {
		if l, err := cs[i].r.ReadString('\n'); err == nil && !strings.HasPrefix(l, "***") {
			t.Fatalf("after shutdown client %d read %q", i, l)
		}
	}
}

func expect(t *testing.T, r *bufio.Reader, want string) {
	t.Helper()
	got, err := r.ReadString('\n')
	if got != want {
		t.Fatalf("got %q (%v), want %q", got, err, want)
	}
}
