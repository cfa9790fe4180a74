package frame

import (
	"errors"
	"net"
	"testing"
)

// handshakePair runs both sides of a handshake over loopback TCP.
func handshakePair(t *testing.T, dialerToken, listenerToken string) (dialerErr, listenerErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	res := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			res <- err
			return
		}
		defer c.Close()
		_, err = Handshake(NewReader(c, 0), NewWriter(c), HandshakeConfig{Proto: "p", Version: 1, Role: "recv", Token: listenerToken, Listener: true})
		res <- err
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_, dialerErr = Handshake(NewReader(c, 0), NewWriter(c), HandshakeConfig{Proto: "p", Version: 1, Role: "send", Token: dialerToken})
	c.Close()
	return dialerErr, <-res
}

func TestHandshakeRightToken(t *testing.T) {
	d, l := handshakePair(t, "secret", "secret")
	if d != nil || l != nil {
		t.Fatalf("dialer %v, listener %v", d, l)
	}
}

func TestHandshakeWrongToken(t *testing.T) {
	d, l := handshakePair(t, "guess", "secret")
	if !errors.Is(d, ErrAuth) || !errors.Is(l, ErrAuth) {
		t.Fatalf("dialer %v, listener %v; want both ErrAuth", d, l)
	}
}

func TestHandshakeMissingToken(t *testing.T) {
	d, _ := handshakePair(t, "", "secret")
	if !errors.Is(d, ErrAuth) {
		t.Fatalf("dialer %v, want ErrAuth", d)
	}
}

func TestHandshakeNoTokenBothSides(t *testing.T) {
	d, l := handshakePair(t, "", "")
	if d != nil || l != nil {
		t.Fatalf("dialer %v, listener %v", d, l)
	}
}
