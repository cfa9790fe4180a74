package endpoint_test

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/endpoint"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		scheme  endpoint.Scheme
		address string
		network string
		err     string
	}{
		{"127.0.0.1:7000", endpoint.TCP, "127.0.0.1:7000", "tcp", ""},
		{":7000", endpoint.TCP, ":7000", "tcp", ""},
		{"[::1]:7000", endpoint.TCP, "[::1]:7000", "tcp", ""},
		{"tcp://localhost:http", endpoint.TCP, "localhost:http", "tcp", ""},
		{"UDP://[::1]:53", endpoint.UDP, "[::1]:53", "udp", ""},
		{"tls://example.com:443", endpoint.TLS, "example.com:443", "tcp", ""},
		{"unix:///tmp/hub.sock", endpoint.Unix, "/tmp/hub.sock", "unix", ""},
		{"unix://", "", "", "", "needs a socket path"},
		{"7000", "", "", "", "want host:port"},
		{"tcp://host:", "", "", "", "missing port"},
		{"tcp://host:nope", "", "", "", `bad port "nope"`},
		{"sctp://host:1", "", "", "", `unknown scheme "sctp"`},
	}
	for _, tt := range tests {
		e, err := endpoint.Parse(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, endpoint.ErrBadAddress) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || e.Scheme != tt.scheme || e.Address != tt.address || e.Network() != tt.network {
			t.Errorf("Parse(%q) = %+v (%s), %v", tt.in, e, e.Network(), err)
		}
	}
}

func TestListenErrorsAreClear(t *testing.T) {
	ctx := context.Background()
	ln, err := endpoint.Listen(ctx, endpoint.MustParse("127.0.0.1:0"), endpoint.ListenConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_, err = endpoint.Listen(ctx, endpoint.MustParse(ln.Addr().String()), endpoint.ListenConfig{})
	if endpoint.KindOf(err) != endpoint.InUse || !strings.Contains(err.Error(), "port "+port+" is already in use") {
		t.Fatalf("second listen: %v", err)
	}
	if _, err := endpoint.Listen(ctx, endpoint.MustParse("tls://127.0.0.1:0"), endpoint.ListenConfig{}); err == nil {
		t.Fatal("tls listener without a certificate accepted")
	}
}

func TestUnixSocketStaleFileReplacedLiveOneKept(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hub.sock")
	e := endpoint.MustParse("unix://" + path)
	// A socket file nobody listens on, as a crashed server leaves behind.
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}
	live, err := endpoint.Listen(ctx, e, endpoint.ListenConfig{})
	if err != nil {
		t.Fatalf("listen over a stale socket: %v", err)
	}
	defer live.Close()
	_, err = endpoint.Listen(ctx, e, endpoint.ListenConfig{})
	if endpoint.KindOf(err) != endpoint.InUse || !strings.Contains(err.Error(), "already in use by a running server") {
		t.Fatalf("listen over a live socket: %v", err)
	}
}

func TestDialErrorKinds(t *testing.T) {
	ctx := context.Background()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // now nothing listens there
	_, err := endpoint.Dial(ctx, endpoint.MustParse(addr), endpoint.DialConfig{})
	if endpoint.KindOf(err) != endpoint.Refused || !strings.HasSuffix(err.Error(), "connection refused") {
		t.Errorf("closed port: %v", err)
	}
	// A resolver that cannot reach any DNS server, so no query leaves the
	// machine and the lookup fails as it would for an unknown name.
	offline := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS server in this test")
	}}
	_, err = endpoint.Dial(ctx, endpoint.MustParse("no-such-host.invalid:80"), endpoint.DialConfig{Timeout: 5 * time.Second, Resolver: offline})
	if endpoint.KindOf(err) != endpoint.NoHost || !strings.Contains(err.Error(), "cannot resolve host") {
		t.Errorf("unknown host: %v", err)
	}
}

func TestTLSPinningAndVerification(t *testing.T) {
	cfg, fp, err := endpoint.ServerConfig(endpoint.ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := endpoint.Listen(context.Background(), endpoint.MustParse("tls://127.0.0.1:0"), endpoint.ListenConfig{TLS: cfg})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { c.Write([]byte("hi")); c.Close() }()
		}
	}()
	e := endpoint.FromAddr(endpoint.TLS, ln.Addr())
	dial := func(o endpoint.ClientOptions) error {
		cfg, err := endpoint.ClientTLS(o)
		if err != nil {
			return err
		}
		c, err := endpoint.Dial(context.Background(), e, endpoint.DialConfig{TLS: cfg, Timeout: 5 * time.Second})
		if err == nil {
			c.Close()
		}
		return err
	}
	if err := dial(endpoint.ClientOptions{}); endpoint.KindOf(err) != endpoint.TLSVerify {
		t.Errorf("self-signed accepted without trust: %v", err)
	}
	for _, pin := range []string{fp, strings.ToUpper(fp), "SHA256:" + strings.ReplaceAll(fp, ":", "")} {
		if err := dial(endpoint.ClientOptions{Fingerprint: pin}); err != nil {
			t.Errorf("pin %q refused: %v", pin, err)
		}
	}
	wrong := strings.Repeat("ab", 32)
	if err := dial(endpoint.ClientOptions{Fingerprint: wrong}); endpoint.KindOf(err) != endpoint.TLSVerify || !strings.Contains(err.Error(), "fingerprint mismatch") {
		t.Errorf("wrong pin: %v", err)
	}
	if _, err := endpoint.ClientTLS(endpoint.ClientOptions{Fingerprint: "abc"}); err == nil {
		t.Error("short fingerprint accepted")
	}
	if err := dial(endpoint.ClientOptions{Insecure: true}); err != nil {
		t.Errorf("insecure: %v", err)
	}
}

// A server that names a client CA demands client certificates; a CA file
// without certificates is an error, not an open door.
func TestServerConfigClientCAs(t *testing.T) {
	cert, err := endpoint.SelfSigned()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, _, err := endpoint.ServerConfig(endpoint.ServerOptions{ClientCAFile: caFile})
	if err != nil || cfg.ClientAuth != tls.RequireAndVerifyClientCert || cfg.ClientCAs == nil {
		t.Fatalf("ServerConfig with a client CA: %v, %+v", err, cfg)
	}
	empty := filepath.Join(dir, "empty.pem")
	os.WriteFile(empty, nil, 0o600)
	if _, _, err := endpoint.ServerConfig(endpoint.ServerOptions{ClientCAFile: empty}); err == nil {
		t.Fatal("a CA file without certificates was accepted")
	}
}

type textAddr string

func (a textAddr) Network() string { return "ws" }
func (a textAddr) String() string  { return string(a) }

func TestAddrIP(t *testing.T) {
	cases := []struct {
		addr net.Addr
		want string // "" for no IP
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 1}, "127.0.0.1"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:10.0.0.9"), Port: 1}, "10.0.0.9"},
		{&net.UDPAddr{IP: net.ParseIP("::1"), Port: 1}, "::1"},
		{&net.UnixAddr{Name: "/tmp/s.sock", Net: "unix"}, ""},
		{textAddr("[2001:db8::7]:443"), "2001:db8::7"},
		{textAddr("not an address"), ""},
		{nil, ""},
	}
	for _, tc := range cases {
		got := endpoint.AddrIP(tc.addr)
		if tc.want == "" {
			if got.IsValid() {
				t.Errorf("AddrIP(%v) = %v, want none", tc.addr, got)
			}
			continue
		}
		if got != netip.MustParseAddr(tc.want) {
			t.Errorf("AddrIP(%v) = %v, want %s", tc.addr, got, tc.want)
		}
	}
}
