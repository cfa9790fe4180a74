package frame

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// fromAddr makes a real connection look as if it came from addr: the
// seam through which one loopback host plays many networks.
type fromAddr struct {
	net.Conn
	addr net.Addr
}

func (c fromAddr) RemoteAddr() net.Addr { return c.addr }

func tcpAddr(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }

// pipe6 returns the two ends of a connection over [::1].
func pipe6(t *testing.T) (dialer, listener net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		got <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	l := <-got
	if l == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { d.Close(); l.Close() })
	return d, l
}

// attempt runs one handshake from the pretended address from with token
// against a gate whose listener holds "secret"; it returns what each side
// saw.
func attempt(t *testing.T, g *Gate, from, token string) (dialerErr, listenerErr error) {
	t.Helper()
	dc, lc := pipe6(t)
	res := make(chan error, 1)
	go func() {
		cfg := testCfg
		cfg.Role, cfg.Token = "recv", "secret"
		_, _, err := g.Accept(fromAddr{lc, tcpAddr(from)}, cfg)
		lc.Close()
		res <- err
	}()
	cfg := testCfg
	cfg.Role, cfg.Token = "send", token
	_, _, dialerErr = Dial(dc, cfg)
	dc.Close()
	return dialerErr, <-res
}

func TestNetworkOf(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:1":             "192.0.2.7/32",
		"[::ffff:192.0.2.7]:1":    "192.0.2.7/32",
		"[2001:db8:1:2:3::9]:1":   "2001:db8:1:2::/64",
		"[2001:db8:1:2:ffff::]:1": "2001:db8:1:2::/64",
	} {
		if got := NetworkOf(tcpAddr(addr)).String(); got != want {
			t.Errorf("NetworkOf(%s) = %s, want %s", addr, got, want)
		}
	}
	if got := NetworkOf(&net.UnixAddr{Name: "@", Net: "unix"}); got.IsValid() {
		t.Errorf("unix peer counted as %s", got)
	}
}

// Guesses from many addresses of one IPv6 /64 share one backoff, recorded
// before the answer: the fourth wrong guess imposes a wait, and the very
// next attempt, from another address of the same /64, is refused at once.
// Another /64 is not affected.
func TestBackoffPerSlash64(t *testing.T) {
	g := new(Gate)
	for i := range netFree + 1 {
		de, le := attempt(t, g, fmt.Sprintf("[2001:db8:1:2::%x]:4000", i+1), "guess")
		var ae *AuthError
		if !errors.Is(de, ErrAuth) || !errors.As(le, &ae) {
			t.Fatalf("guess %d: dialer %v, listener %v", i, de, le)
		}
		if i == netFree && ae.Wait <= 0 {
			t.Fatalf("guess %d imposed no wait", i)
		}
	}
	de, le := attempt(t, g, "[2001:db8:1:2:ffff::1]:4000", "secret")
	var we *WaitError
	if !errors.As(le, &we) || we.Global || !strings.Contains(de.Error(), "too many failed authentications from your network; retry in") {
		t.Fatalf("same /64 with the right token: dialer %v, listener %v; want told to wait", de, le)
	}
	if de, le := attempt(t, g, "[2001:db8:1:3::1]:4000", "secret"); de != nil || le != nil {
		t.Fatalf("another /64: dialer %v, listener %v", de, le)
	}
}

// Failures spread over many networks end in a wait for everyone.
func TestGlobalBackoff(t *testing.T) {
	g := new(Gate)
	for i := range allFree + 1 {
		attempt(t, g, fmt.Sprintf("[2001:db8:%x::1]:4000", i+1), "guess")
	}
	de, le := attempt(t, g, "[2001:db8:ffff::1]:4000", "secret")
	var we *WaitError
	if !errors.As(le, &we) || !we.Global || !strings.Contains(de.Error(), "slowing everyone down") {
		t.Fatalf("dialer %v, listener %v; want a global wait", de, le)
	}
}

// Silent connections hold a slot only until the gate's timeout, and a
// client that finds the slots of its network full is told so.
func TestSlotsPerNetworkAndTimeout(t *testing.T) {
	g := &Gate{MaxPendingPerNet: 2, Timeout: 300 * time.Millisecond}
	cfg := testCfg
	cfg.Role, cfg.Token = "recv", "secret"
	held := make(chan error, 2)
	for i := range 2 {
		_, lc := pipe6(t)
		go func() {
			_, _, err := g.Accept(fromAddr{lc, tcpAddr(fmt.Sprintf("[2001:db8::%d]:1", i+1))}, cfg)
			held <- err
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.mu.Lock()
		n := g.pending
		g.mu.Unlock()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("silent connections never took their slots")
		}
		time.Sleep(time.Millisecond)
	}
	de, le := attempt(t, g, "[2001:db8::99]:1", "secret")
	if !errors.Is(le, ErrBusy) || !strings.Contains(de.Error(), "too many connections are authenticating from your network") {
		t.Fatalf("dialer %v, listener %v; want busy", de, le)
	}
	for range 2 {
		if err := <-held; err == nil {
			t.Fatal("a silent connection passed the handshake")
		}
	}
	// The slots are free again: a client without a token (no Argon2id,
	// which can outlast this short timeout under the race detector) passes.
	dc, lc := pipe6(t)
	res := make(chan error, 1)
	go func() {
		cfg := testCfg
		cfg.Role = "recv"
		_, _, err := g.Accept(fromAddr{lc, tcpAddr("[2001:db8::99]:1")}, cfg)
		res <- err
	}()
	cfg = testCfg
	cfg.Role = "send"
	if _, _, err := Dial(dc, cfg); err != nil {
		t.Fatalf("after the silent ones timed out: %v", err)
	}
	if err := <-res; err != nil {
		t.Fatalf("after the silent ones timed out: listener %v", err)
	}
}
