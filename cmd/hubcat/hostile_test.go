package main

import (
	"bufio"
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// dialFrom connects to addr (host:port) from the loopback address from.
func dialFrom(t *testing.T, addr, from string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	return c
}

// joinAs joins the hub at addr and takes the name nick.
func joinAs(t *testing.T, addr, nick string) (*net.TCPConn, *bufio.Reader) {
	t.Helper()
	c := dialFrom(t, addr, "127.0.0.1")
	r := bufio.NewReader(c)
	readUntil(t, r, "*** you joined lobby")
	io.WriteString(c, "/nick "+nick+"\n")
	readUntil(t, r, "*** you are now known as "+nick)
	return c.(*net.TCPConn), r
}

// expectNoLineBefore reads r until a line starting with end, failing on
// any line containing banned on the way.
func expectNoLineBefore(t *testing.T, r *bufio.Reader, banned, end string) {
	t.Helper()
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("no line starting %q: %v", end, err)
		}
		if strings.Contains(l, banned) {
			t.Fatalf("got %q", l)
		}
		if strings.HasPrefix(l, end) {
			return
		}
	}
}

// A line cut short — by a close or by a reset — never reaches the room as
// if it were whole; the sender who can still read is told.
func TestServeDropsCutLines(t *testing.T) {
	h := startServe(t, "--listen", "127.0.0.1:0")
	addr := hostPort(h.addrs[0])
	_, bob := joinAs(t, addr, "bob")

	alice, ar := joinAs(t, addr, "alice")
	io.WriteString(alice, "transfer the $10")
	alice.CloseWrite()
	readUntil(t, ar, "*** your last line had no line ending, so it was not sent")
	expectNoLineBefore(t, bob, "transfer the", "*** alice left lobby")

	carol, _ := joinAs(t, addr, "carol")
	io.WriteString(carol, "transfer the $10")
	carol.SetLinger(0) // the close sends a reset
	carol.Close()
	expectNoLineBefore(t, bob, "transfer the", "*** carol left lobby")
}

// A client that never sends anything is disconnected after
// --silent-timeout; one that has spoken may stay quiet longer.
func TestServeSilentTimeout(t *testing.T) {
	h := startServe(t, "--listen", "127.0.0.1:0", "--silent-timeout", "300ms")
	addr := hostPort(h.addrs[0])
	talker, tr := joinAs(t, addr, "bob")
	silent := dialFrom(t, addr, "127.0.0.1")
	sr := bufio.NewReader(silent)
	readUntil(t, sr, "*** disconnected after 300ms without input")
	if _, err := io.Copy(io.Discard, sr); err != nil {
		t.Fatalf("silent client not closed: %v", err)
	}
	// bob spoke before the silent client came, so he too has been quiet
	// longer than the timeout, and is still served.
	io.WriteString(talker, "/who\n")
	readUntil(t, tr, "*** in lobby")
}

// Refusing TLS peers over --max-per-ip that never send a ClientHello does
// not stop the listener: a client from another address still gets in, and
// shutdown completes.
func TestServeTLSRefusalsKeepAccepting(t *testing.T) {
	h := startServe(t, "--listen", "tls://127.0.0.1:0", "--max-per-ip", "1")
	addr := hostPort(h.addrs[0])
	for range 4 { // one admitted and handshaking, three refused
		dialFrom(t, addr, "127.0.0.1")
	}
	c := tls.Client(dialFrom(t, addr, "127.0.0.2"), &tls.Config{InsecureSkipVerify: true})
	c.SetDeadline(time.Now().Add(5 * time.Second))
	r := bufio.NewReader(c)
	readUntil(t, r, "*** you joined lobby")
	h.cancel() // as SIGTERM would
	select {
	case code := <-h.exit:
		if code != 0 {
			t.Fatalf("serve exited %d", code)
		}
		h.exit <- code // for the cleanup
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
