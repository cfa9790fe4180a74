package transfer_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/hubcat/hubcat/transfer"
)

// A receiver listens with a token; a sender dials and sends a file.
func Example() {
	src, _ := os.MkdirTemp("", "src")
	dst, _ := os.MkdirTemp("", "dst")
	defer os.RemoveAll(src)
	defer os.RemoveAll(dst)
	os.WriteFile(filepath.Join(src, "hello.txt"), []byte("hello\n"), 0o644)

	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	done := make(chan transfer.Stats)
	go func() {
		c, _ := ln.Accept()
		defer c.Close()
		st, _ := transfer.Receive(context.Background(), c, dst, transfer.Options{Token: "s3cret", Listener: true})
		done <- st
	}()

	c, _ := net.Dial("tcp", ln.Addr().String())
	defer c.Close()
	sent, err := transfer.Send(context.Background(), c, []string{filepath.Join(src, "hello.txt")}, transfer.Options{Token: "s3cret"})
	got := <-done
	b, _ := os.ReadFile(filepath.Join(dst, "hello.txt"))
	fmt.Println(sent.Files, sent.Bytes, err, got.Files)
	fmt.Printf("%q\n", b)
	// Output:
	// 1 6 <nil> 1
	// "hello\n"
}
