package loadgen

import (
	"bufio"
	"fmt"
	"net"
	"sync"
	"testing"

	"github.com/hubcat/hubcat/endpoint"
)

// relay decides what a test chat server sends on for the n-th line
// (counting from 0) it read from one connection; nil drops the line.
type relay func(n int, line []byte) []byte

// plain relays every line as "<name> line\n", like hubcat.
func plain(name string) relay {
	return func(_ int, line []byte) []byte { return fmt.Appendf(nil, "<%s> %s\n", name, line) }
}

// chatServer is a small in-test broadcast server: it greets each client
// with a notice and sends what relay makes of each line to every other
// client. It returns the address to dial.
func chatServer(t *testing.T, mangle func(name string) relay) endpoint.Endpoint {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu      sync.Mutex
		members = map[net.Conn]*sync.Mutex{}
		wg      sync.WaitGroup
	)
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for c := range members {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	broadcast := func(from net.Conn, b []byte) {
		mu.Lock()
		defer mu.Unlock()
		for c, wmu := range members {
			if c != from {
				wmu.Lock()
				c.Write(b)
				wmu.Unlock()
			}
		}
	}
	serve := func(c net.Conn, id int) {
		defer func() {
			mu.Lock()
			delete(members, c)
			mu.Unlock()
			c.Close()
		}()
		wmu := &sync.Mutex{}
		mu.Lock()
		members[c] = wmu
		wmu.Lock()
		fmt.Fprintf(c, "*** welcome, you are guest%d\n", id)
		wmu.Unlock()
		mu.Unlock()
		r := mangle(fmt.Sprintf("guest%d", id))
		sc := bufio.NewScanner(c)
		for n := 0; sc.Scan(); n++ {
			if out := r(n, sc.Bytes()); out != nil {
				broadcast(c, out)
			}
		}
	}
	wg.Go(func() {
		for id := 1; ; id++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serve(c, id) })
		}
	})
	return endpoint.MustParse("tcp://" + ln.Addr().String())
}
