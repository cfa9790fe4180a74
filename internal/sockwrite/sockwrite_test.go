package sockwrite

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// A socket that keeps up takes everything at once; a full one takes what
// fits and says so without blocking; what was taken arrives intact, in
// order, however many buffers it came in.
func TestTryWriter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	peer, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	try := TryWriter(c)
	if try == nil {
		t.Fatal("no TryWriter for a TCP connection")
	}
	if n, err := try([][]byte{[]byte("hel"), nil, []byte("lo\n")}); n != 6 || err != nil {
		t.Fatalf("small write: %d, %v", n, err)
	}
	big := bytes.Repeat([]byte("x"), 32<<20) // more than loopback buffers hold
	var bufs [][]byte                        // more buffers than one writev takes
	for i := 0; i < len(big); i += 4096 {
		bufs = append(bufs, big[i:i+4096])
	}
	start := time.Now()
	n, err := try(bufs)
	if err != nil || n == 0 || n >= len(big) {
		t.Fatalf("write into a socket nobody reads: %d of %d, %v", n, len(big), err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("a full socket blocked for %v", d)
	}
	peer.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, 6+n)
	if _, err := io.ReadFull(peer, got); err != nil {
		t.Fatal(err)
	}
	if string(got[:6]) != "hello\n" || !bytes.Equal(got[6:], big[:n]) {
		t.Fatal("bytes written differ from bytes read")
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if TryWriter(a) != nil {
		t.Fatal("a TryWriter for a pipe, which has no descriptor")
	}
}
