package main

import (
	"io"
	"net"
	"testing"
	"time"

	"github.com/hubcat/hubcat/server"
)

func TestCount(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(server.HandlerFunc(count), server.Config{})
	go srv.Serve(ln)
	defer srv.Close()
	for input, n := range map[string]string{"123\r\n": "3", "héllo wörld\n": "11", "\n": "0"} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		c.Write([]byte(input))
		got, err := io.ReadAll(c) // the server hangs up after answering
		c.Close()
		want := "Welcome, " + c.LocalAddr().String() + "\nPlease enter a string: You entered " + n + " characters.\n"
		if err != nil || string(got) != want {
			t.Fatalf("input %q: got %q, %v; want %q", input, got, err, want)
		}
	}
}
