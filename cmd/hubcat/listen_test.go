package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// dialTCP connects to a hubcat tcp:// address from the test.
func dialTCP(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(15 * time.Second))
	return c
}

// readLine reads one line from c.
func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	l, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, l)
	}
	return l
}

// TestKeepOpen serves concurrent clients: each client's bytes reach
// standard output and input reaches every client.
func TestKeepOpen(t *testing.T) {
	t.Parallel()
	l := start(t, nil, "listen", "127.0.0.1:0", "--keep-open", "-v")
	addr := l.listening()
	const n = 5
	var readers []*bufio.Reader
	var conns []net.Conn
	for i := range n {
		c := dialTCP(t, addr)
		conns = append(conns, c)
		readers = append(readers, bufio.NewReader(c))
		l.waitLine(`peer joined remote=`)
		fmt.Fprintf(c, "line from client %d\n", i)
	}
	l.stdin.Write([]byte("to everyone\n"))
	for i, r := range readers {
		if got := readLine(t, r); got != "to everyone\n" {
			t.Fatalf("client %d got %q", i, got)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	for range n {
		l.waitLine(`connection closed remote=`)
	}
	// Standard output is another pipe than the log's: wait on it itself.
	for i := range n {
		want := fmt.Sprintf("line from client %d\n", i)
		waitFor(t, func() bool { return strings.Contains(l.out.String(), want) }, "stdout to have "+want+"; it has %q", l.out.String)
	}
	l.interrupt()
	if code := l.wait(); code != 0 {
		t.Fatalf("exit %d: %s", code, l.stderr())
	}
}

// TestMaxConns refuses clients beyond the limit.
func TestMaxConns(t *testing.T) {
	t.Parallel()
	l := start(t, nil, "listen", "127.0.0.1:0", "--keep-open", "--max-conns", "1", "-v")
	addr := l.listening()
	first := dialTCP(t, addr)
	l.waitLine(`connection new`)
	second := dialTCP(t, addr)
	if n, err := second.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("second client read %d bytes, %v; want EOF", n, err)
	}
	l.waitLine(`connection refused .*too many connections`)
	first.Write([]byte("still served\n"))
	waitFor(t, func() bool { return l.out.String() == "still served\n" }, "first client's bytes, got %q", l.out.String)
}

// TestBroker relays each client's bytes to the others, not back to itself.
func TestBroker(t *testing.T) {
	t.Parallel()
	l := start(t, nil, "listen", "127.0.0.1:0", "--broker", "-v")
	addr := l.listening()
	var rs []*bufio.Reader
	var cs []net.Conn
	for range 3 {
		c := dialTCP(t, addr)
		l.waitLine(`peer joined`)
		cs = append(cs, c)
		rs = append(rs, bufio.NewReader(c))
	}
	cs[0].Write([]byte("from zero\n"))
	cs[2].Write([]byte("from two\n"))
	if got := readLine(t, rs[1]); got != "from zero\n" && got != "from two\n" {
		t.Fatalf("client 1 got %q", got)
	}
	if got := readLine(t, rs[0]); got != "from two\n" {
		t.Fatalf("client 0 got %q, want only the other's line", got)
	}
	if got := readLine(t, rs[2]); got != "from zero\n" {
		t.Fatalf("client 2 got %q, want only the other's line", got)
	}
}

// TestAllowDeny admits and refuses peers by address and CIDR; refused
// peers are logged and closed. Sources 127.0.0.2 and .3 are loopback.
func TestAllowDeny(t *testing.T) {
	t.Parallel()
	cases := []struct {
		flags []string
		from  string
		ok    bool
	}{
		{[]string{"--allow", "127.0.0.2"}, "127.0.0.2", true},
		{[]string{"--allow", "127.0.0.2"}, "127.0.0.3", false},
		{[]string{"--allow", "127.0.0.0/8", "--deny", "127.0.0.3/32"}, "127.0.0.3", false},
		{[]string{"--allow", "127.0.0.0/8", "--deny", "127.0.0.3/32"}, "127.0.0.2", true},
		{[]string{"--deny", "10.0.0.0/8,127.0.0.0/24"}, "127.0.0.2", false},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.flags, " ")+" from "+tc.from, func(t *testing.T) {
			l := start(t, nil, append([]string{"listen", "127.0.0.1:0", "--keep-open", "-v"}, tc.flags...)...)
			addr := l.listening()
			if tc.ok {
				out, errOut, code := runHubcat(t, strings.NewReader("hello\n"), "connect", addr, "--source", tc.from)
				if code != 0 || out != "" {
					t.Fatalf("connect exit %d, out %q: %s", code, out, errOut)
				}
				waitFor(t, func() bool { return l.out.String() == "hello\n" }, "the allowed peer's bytes on stdout, got %q", l.out.String)
				return
			}
			// A refused peer is closed at once, unheard: a served one would
			// be kept open, and this read would time out.
			c := dialFrom(t, strings.TrimPrefix(addr, "tcp://"), tc.from)
			c.Write([]byte("hello\n"))
			if n, err := c.Read(make([]byte, 1)); n != 0 || (err != io.EOF && !errors.Is(err, syscall.ECONNRESET)) {
				t.Fatalf("refused peer read %d bytes, %v; want the connection closed", n, err)
			}
			l.waitLine(`refused peer remote=` + regexp.QuoteMeta(tc.from) + `:\d+ reason=`)
		})
	}
}

// TestTLSVerification: connect verifies by default, and accepts a pinned
// fingerprint, --insecure or --ca; a wrong pin is exit code 6.
func TestTLSVerification(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)
	l := start(t, nil, "listen", "tls://127.0.0.1:0", "--keep-open", "--tls-cert", certFile, "--tls-key", keyFile)
	fp := l.waitLine(`certificate fingerprint (\S+)`)[1]
	addr := l.listening()
	wrong := strings.Repeat("ab:", 31) + "ab"
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"untrusted", nil, exitTLS, "connect " + addr + ": TLS certificate not trusted"},
		{"wrong pin", []string{"--fingerprint", wrong}, exitTLS, "certificate fingerprint mismatch: got " + fp},
		{"pinned", []string{"--fingerprint", fp}, 0, ""},
		{"pinned without colons", []string{"--fingerprint", strings.ToUpper(strings.ReplaceAll(fp, ":", ""))}, 0, ""},
		{"insecure", []string{"--insecure"}, 0, ""},
		{"ca", []string{"--ca", certFile}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runHubcat(t, strings.NewReader("x"), append([]string{"connect", addr}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errOut, tc.msg)
			}
		})
	}
}

// writeCert writes a self-signed certificate and key for 127.0.0.1, good
// for both server and client authentication, so it can serve as its own CA.
func writeCert(t *testing.T, dir string) (string, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hubcat test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600)
	return certFile, keyFile
}

// TestExec wires each connection to a new process, over TCP (the socket
// handed to the process) and TLS (through pipes).
func TestExec(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		args []string
	}{
		{"127.0.0.1:0", []string{"--exec", "tr a-z A-Z"}},
		{"tls://127.0.0.1:0", []string{"--exec", "tr a-z A-Z"}},
		{"127.0.0.1:0", []string{"--sh-exec", "read x; echo \"got $x from ${HUBCAT_REMOTE_ADDR%:*}\"; exit 3"}},
	} {
		t.Run(tc.addr+" "+strings.Join(tc.args, " "), func(t *testing.T) {
			l := start(t, nil, append([]string{"listen", tc.addr, "--keep-open"}, tc.args...)...)
			addr := l.listening()
			for range 2 {
				out, errOut, code := runHubcat(t, strings.NewReader("hello\n"), "connect", addr, "--insecure")
				want := "HELLO\n"
				if tc.args[0] == "--sh-exec" {
					want = "got hello from 127.0.0.1\n"
				}
				if code != 0 || out != want {
					t.Fatalf("exit %d, out %q (want %q): %s", code, out, want, errOut)
				}
				l.waitLine(`exec ended remote=127\.0\.0\.1:\d+ cmd=\S+ status=`)
			}
		})
	}
}

// TestExecRefusal: --exec on an address others can reach needs an allow
// list or TLS client certificates, and says so.
func TestExecRefusal(t *testing.T) {
	t.Parallel()
	_, errOut, code := runHubcat(t, nil, "listen", ":0", "--exec", "cat")
	if code != exitUsage || !strings.Contains(errOut, "hubcat: refusing to run cat for anyone who can reach tcp://:0") ||
		!strings.Contains(errOut, "hubcat: hint: listen on 127.0.0.1 or a unix:// socket, add --allow") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	l := start(t, nil, "listen", ":0", "--exec", "cat", "--allow", "127.0.0.2")
	addr := l.listening()
	port := addr[strings.LastIndex(addr, ":")+1:]
	runHubcat(t, strings.NewReader("x"), "connect", "127.0.0.1:"+port)
	l.waitLine(`refused peer remote=127\.0\.0\.1:\d+`)
}

// TestExecClientCerts allows --exec on any address with tls:// and --ca.
func TestExecClientCerts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	certFile, keyFile := writeCert(t, dir)
	l := start(t, nil, "listen", "tls://:0", "--exec", "cat", "--ca", certFile, "--tls-cert", certFile, "--tls-key", keyFile)
	addr := strings.Replace(l.listening(), "[::]", "127.0.0.1", 1)
	out, errOut, code := runHubcat(t, strings.NewReader("secret\n"), "connect", addr, "--ca", certFile, "--tls-cert", certFile, "--tls-key", keyFile)
	if code != 0 || out != "secret\n" {
		t.Fatalf("exit %d, out %q: %s", code, out, errOut)
	}
}

// TestTLSListenEmptyInput: a TLS listener whose input is already at its
// end still completes the handshake and serves the client.
func TestTLSListenEmptyInput(t *testing.T) {
	t.Parallel()
	l := start(t, strings.NewReader(""), "listen", "tls://127.0.0.1:0")
	addr := l.listening()
	_, errOut, code := runHubcat(t, strings.NewReader("hi\n"), "connect", addr, "--insecure")
	if code != 0 {
		t.Fatalf("connect exit %d: %s", code, errOut)
	}
	if code := l.wait(); code != 0 || l.out.String() != "hi\n" {
		t.Fatalf("listen exit %d, out %q: %s", code, l.out.String(), l.stderr())
	}
}

// TestListenIdle ends a silent conversation with exit code 4, over TCP and
// over UDP, where the hex dump shows the one datagram that came. Waiting
// for the first peer is not idleness: the UDP listener outlives the TCP
// one's timeout before its peer speaks.
func TestListenIdle(t *testing.T) {
	t.Parallel()
	u := start(t, nil, "listen", "udp://127.0.0.1:0", "--idle-timeout", "300ms", "--hex")
	uaddr := u.listening()
	l := start(t, nil, "listen", "127.0.0.1:0", "--idle-timeout", "300ms")
	dialTCP(t, l.listening()) // connects and says nothing
	if code := l.wait(); code != exitTimeout || !strings.Contains(l.stderr(), ": idle for 300ms, closed") {
		t.Fatalf("tcp: exit %d, stderr %q", code, l.stderr())
	}
	c, _ := dialUDP(t, uaddr)
	c.Write([]byte("ping\n"))
	if code := u.wait(); code != exitTimeout || !strings.Contains(u.stderr(), "< 00000000  70 69 6e 67 0a") || u.out.String() != "ping\n" {
		t.Fatalf("udp: exit %d, out %q, stderr %q", code, u.out.String(), u.stderr())
	}
}
