package frame

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

var testCfg = HandshakeConfig{Proto: "p", Version: 2}

// pipe returns the two ends of a loopback TCP connection.
func pipe(t *testing.T) (dialer, listener net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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

// handshakePair runs both sides of a handshake and returns both results.
func handshakePair(t *testing.T, g *Gate, dialerToken, listenerToken string) (d, l *Conn, dialerErr, listenerErr error) {
	t.Helper()
	dc, lc := pipe(t)
	res := make(chan error, 1)
	go func() {
		cfg := testCfg
		cfg.Role, cfg.Token = "recv", listenerToken
		var err error
		l, _, err = g.Accept(lc, cfg)
		res <- err
	}()
	cfg := testCfg
	cfg.Role, cfg.Token = "send", dialerToken
	d, _, dialerErr = Dial(dc, cfg)
	if dialerErr != nil {
		dc.Close()
	}
	return d, l, dialerErr, <-res
}

func TestHandshakeRightTokenCarriesData(t *testing.T) {
	d, l, de, le := handshakePair(t, new(Gate), "secret", "secret")
	if de != nil || le != nil {
		t.Fatalf("dialer %v, listener %v", de, le)
	}
	// Sizes around the record limit, both ways at once.
	msg := bytes.Repeat([]byte("0123456789abcdef"), (3*maxPlain+17)/16)
	go func() {
		d.Write(msg[:1])
		d.Write(msg[1:])
		d.CloseWrite()
	}()
	got, err := io.ReadAll(l)
	if err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("read %d bytes (%v), want %d", len(got), err, len(msg))
	}
}

func TestHandshakeWrongToken(t *testing.T) {
	_, _, de, le := handshakePair(t, new(Gate), "guess", "secret")
	var ae *AuthError
	if !errors.Is(de, ErrAuth) || !errors.As(le, &ae) {
		t.Fatalf("dialer %v, listener %v; want both ErrAuth", de, le)
	}
	if !strings.Contains(de.Error(), "wrong token") {
		t.Fatalf("dialer was not told why: %v", de)
	}
}

func TestHandshakeMissingToken(t *testing.T) {
	_, _, de, _ := handshakePair(t, new(Gate), "", "secret")
	if !errors.Is(de, ErrAuth) || !strings.Contains(de.Error(), "requires a token") {
		t.Fatalf("dialer %v, want ErrAuth asking for a token", de)
	}
}

func TestHandshakeNoTokenBothSides(t *testing.T) {
	_, _, de, le := handshakePair(t, new(Gate), "", "")
	if de != nil || le != nil {
		t.Fatalf("dialer %v, listener %v", de, le)
	}
}

// A listener that claims no token must not get anything from a dialer
// that holds one.
func TestDialerRefusesTokenlessListener(t *testing.T) {
	_, _, de, _ := handshakePair(t, new(Gate), "secret", "")
	if !errors.Is(de, ErrAuth) || !strings.Contains(de.Error(), "does not know any token") {
		t.Fatalf("dialer %v, want refusal", de)
	}
}

// impostor answers the dialer's hello as a listener that claims a token
// it does not know, and returns what the dialer did.
func TestDialerRefusesImpostorListener(t *testing.T) {
	dc, lc := pipe(t)
	go func() {
		cfg := testCfg
		cfg.Role, cfg.Token = "recv", "not-the-token"
		r, w := NewReader(lc, 0), NewWriter(lc)
		mine, _ := w.sendJSON(TypeHello, cfg.hello())
		raw, _ := r.Expect(TypeHello)
		r.Expect(TypeNoise)
		// Answer as if the dialer's message had checked out.
		hs, _ := newHandshake(stretch(cfg.Token, []byte("0123456789abcdef")), false, raw, mine)
		hs.ReadMessage(nil, make([]byte, 48))
		msg, _, _, _ := hs.WriteMessage(nil, nil)
		w.Send(TypeNoise, msg)
	}()
	cfg := testCfg
	cfg.Role, cfg.Token = "send", "secret"
	_, _, err := Dial(dc, cfg)
	if !errors.Is(err, ErrAuth) || !strings.Contains(err.Error(), "could not prove") {
		t.Fatalf("dialer %v, want a refusal of the impostor", err)
	}
}

func TestHandshakeOldVersionIsNamed(t *testing.T) {
	dc, lc := pipe(t)
	go NewWriter(lc).SendJSON(TypeHello, Hello{Proto: "p", Version: 1, Role: "recv", Token: true})
	cfg := testCfg
	cfg.Role, cfg.Token = "send", "secret"
	_, _, err := Dial(dc, cfg)
	if err == nil || !strings.Contains(err.Error(), "peer speaks p version 1, this hubcat speaks version 2: upgrade the older side") {
		t.Fatalf("got %v", err)
	}
}

// relay forwards between a dialer and a listener and lets change alter
// each record going from dialer to listener once the hello and the Noise
// message have passed.
func relay(t *testing.T, change func(n int, b []byte) []byte) (dialer, listener net.Conn) {
	t.Helper()
	d, in := pipe(t)
	out, l := pipe(t)
	go io.Copy(in, out)
	go func() {
		defer out.Close()
		r := NewReader(in, 0)
		w := NewWriter(out)
		for range 2 { // hello and the Noise message
			typ, p, err := r.Next()
			if err != nil {
				return
			}
			w.Send(typ, p)
		}
		for n := 0; ; n++ {
			hdr := make([]byte, 2)
			if _, err := io.ReadFull(r.Raw(), hdr); err != nil {
				return
			}
			rec := make([]byte, 2+(int(hdr[0])<<8|int(hdr[1])))
			copy(rec, hdr)
			if _, err := io.ReadFull(r.Raw(), rec[2:]); err != nil {
				return
			}
			if _, err := out.Write(change(n, rec)); err != nil {
				return
			}
		}
	}()
	return d, l
}

func TestTamperedRecordIsRefused(t *testing.T) {
	for name, change := range map[string]func(int, []byte) []byte{
		"flip a byte": func(n int, b []byte) []byte {
			if n == 0 {
				b[len(b)-1] ^= 1
			}
			return b
		},
		"swap records": func() func(int, []byte) []byte {
			var held []byte
			return func(n int, b []byte) []byte {
				if n > 1 {
					return b
				}
				if n == 0 {
					held = append([]byte(nil), b...)
					return nil
				}
				return append(append([]byte(nil), b...), held...)
			}
		}(),
	} {
		t.Run(name, func(t *testing.T) {
			dc, lc := relay(t, change)
			got := make(chan error, 1)
			go func() {
				cfg := testCfg
				cfg.Role, cfg.Token = "recv", "secret"
				l, _, err := new(Gate).Accept(lc, cfg)
				if err != nil {
					got <- err
					return
				}
				_, err = io.ReadAll(l)
				got <- err
			}()
			cfg := testCfg
			cfg.Role, cfg.Token = "send", "secret"
			d, _, err := Dial(dc, cfg)
			if err != nil {
				t.Fatal(err)
			}
			d.Write([]byte("df -h"))
			d.Write([]byte("second record"))
			d.CloseWrite()
			if err := <-got; !errors.Is(err, ErrTampered) {
				t.Fatalf("listener read %v, want ErrTampered", err)
			}
		})
	}
}

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain text, ünïcode":       "plain text, ünïcode",
		"\x1b[2J\x1b]52;c;aGk=\x07": `\x1b[2J\x1b]52;c;aGk=\x07`,
		"cr\rnl\ntab\t":             `cr\x0dnl\x0atab\x09`,
		"c1 \u009b31m":              `c1 \x9b31m`,
		"bidi \u202egnp.exe":        `bidi \u202egnp.exe`,
		"bad \xff utf8":             `bad \xff utf8`,
		`fake \x1b`:                 `fake \\x1b`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	err := error(&RemoteError{Msg: "no\x1b[2J"})
	if strings.ContainsRune(err.Error(), 0x1b) {
		t.Fatalf("remote error shown raw: %q", err.Error())
	}
}
