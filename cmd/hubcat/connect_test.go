package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestPipeTransports relays both ways through listen and connect over each
// transport, each side's input reaching the other's output.
func TestPipeTransports(t *testing.T) {
	t.Parallel()
	for _, addr := range []string{"127.0.0.1:0", "tcp://[::1]:0", "unix://" + filepath.Join(t.TempDir(), "s.sock"), "tls://127.0.0.1:0"} {
		t.Run(strings.SplitN(addr, ":", 2)[0], func(t *testing.T) {
			l := start(t, strings.NewReader("from listen\n"), "listen", addr)
			where := l.listening()
			args := []string{"connect", where}
			if strings.HasPrefix(where, "tls://") {
				args = append(args, "--insecure")
			}
			out, errOut, code := runHubcat(t, strings.NewReader("from connect\n"), args...)
			if code != 0 || out != "from listen\n" {
				t.Fatalf("connect: code %d, stdout %q, stderr %q", code, out, errOut)
			}
			if code := l.wait(); code != 0 || l.out.String() != "from connect\n" {
				t.Fatalf("listen: code %d, stdout %q, stderr %q", code, l.out.String(), l.stderr())
			}
		})
	}
}

// TestUDP sends lines as datagrams to listen, which answers the peer it
// heard from; connect keeps receiving after its input ends (until idle,
// which the "idle timeout" case of TestExitCodes covers).
func TestUDP(t *testing.T) {
	t.Parallel()
	l := start(t, nil, "listen", "udp://127.0.0.1:0")
	addr := l.listening()
	// The idle budget outlasts any wait of the test's on a busy machine;
	// connect is interrupted once the reply is in, and says so (130).
	c := start(t, strings.NewReader("one\ntwo\n"), "connect", addr, "--idle-timeout", "5m")
	waitFor(t, func() bool { return l.out.String() == "one\ntwo\n" }, "listen to print both datagrams, got %q", l.out.String)
	l.stdin.Write([]byte("reply\n"))
	waitFor(t, func() bool { return c.out.String() == "reply\n" }, "connect to print the reply, got %q", c.out.String)
	c.interrupt()
	if code := c.wait(); code != 130 {
		t.Fatalf("interrupted connect: exit %d, want 130: %s", code, c.stderr())
	}
	l.interrupt()
	if code := l.wait(); code != 0 {
		t.Fatalf("listen exit %d: %s", code, l.stderr())
	}
}

// TestUDPKeepOpen takes datagrams from several peers; without --keep-open
// a second peer is ignored and logged.
func TestUDPKeepOpen(t *testing.T) {
	t.Parallel()
	for _, keep := range []bool{true, false} {
		args := []string{"listen", "udp://127.0.0.1:0", "--recv-only"}
		if keep {
			args = append(args, "--keep-open")
		}
		l := start(t, nil, args...)
		addr := l.listening()
		c1, _ := dialUDP(t, addr)
		c2, _ := dialUDP(t, addr)
		c1.Write([]byte("from 1\n"))
		waitFor(t, func() bool { return l.out.String() == "from 1\n" }, "first datagram, got %q", l.out.String)
		c2.Write([]byte("from 2\n"))
		if keep {
			waitFor(t, func() bool { return l.out.String() == "from 1\nfrom 2\n" }, "second peer's datagram, got %q", l.out.String)
		} else {
			l.waitLine(`ignored peer remote=127\.0\.0\.1:\d+ reason="already talking to`)
		}
		l.interrupt()
		l.wait()
		if !keep && strings.Contains(l.out.String(), "from 2") {
			t.Fatalf("second peer's datagram printed without --keep-open: %q", l.out.String())
		}
	}
}

func dialUDP(t *testing.T, addr string) (net.Conn, string) {
	t.Helper()
	c, err := net.Dial("udp", strings.TrimPrefix(addr, "udp://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, c.LocalAddr().String()
}

// waitFor polls cond (a cheap check of captured output) until it holds.
func waitFor(t *testing.T, cond func() bool, msg string, got func() string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for "+msg, got())
		}
		<-tick.C
	}
}

// TestHalfClose is seed 003's Gopher client: send a selector, shut down the
// sending side, and read the reply until the server closes. The server
// here reads the request to EOF before it answers, so the test hangs
// unless connect half-closes.
func TestHalfClose(t *testing.T) {
	t.Parallel()
	ln := listenTCP(t)
	reply := bytes.Repeat([]byte("gopher menu line\r\n"), 20000)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		req, _ := io.ReadAll(c)
		c.Write([]byte("selector " + string(req)))
		c.Write(reply)
	}()
	out, errOut, code := runHubcat(t, strings.NewReader("/docs\r\n"), "connect", ln.Addr().String())
	if code != 0 || out != "selector /docs\r\n"+string(reply) {
		t.Fatalf("code %d, %d bytes out (want %d), stderr %q", code, len(out), len("selector /docs\r\n")+len(reply), errOut)
	}
}

// TestCloseOnEOF ends at the end of input even when the peer never closes.
func TestCloseOnEOF(t *testing.T) {
	t.Parallel()
	ln := listenTCP(t)
	got := make(chan string, 1)
	testDone := make(chan struct{})
	t.Cleanup(func() { close(testDone) })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c) // returns when connect closes
		got <- string(b)
		<-testDone // never closes on its own
	}()
	_, errOut, code := runHubcat(t, strings.NewReader("bye\n"), "connect", ln.Addr().String(), "--close-on-eof")
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	if s := <-got; s != "bye\n" {
		t.Fatalf("server got %q", s)
	}
}

func listenTCP(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// TestLargePayload moves 24 MiB of random bytes each way, byte-exact: from
// a regular file (sendfile), from a pipe (splice), and over TLS.
func TestLargePayload(t *testing.T) {
	t.Parallel()
	data := make([]byte, 24<<20)
	rand.Read(data)
	want := sha256.Sum256(data)
	file := filepath.Join(t.TempDir(), "payload")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, addr string }{{"tcp", "127.0.0.1:0"}, {"tls", "tls://127.0.0.1:0"}} {
		t.Run(tc.name, func(t *testing.T) {
			l := start(t, bytes.NewReader(data), "listen", tc.addr) // exec gives listen a pipe
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			c := start(t, f, "connect", l.listening(), "--insecure")
			// 48 MiB through two race-instrumented processes: minutes on
			// a loaded machine, still bounded.
			if code := c.waitWithin(3 * time.Minute); code != 0 {
				t.Fatalf("connect exit %d: %s", code, c.stderr())
			}
			if code := l.waitWithin(time.Minute); code != 0 {
				t.Fatalf("listen exit %d: %s", code, l.stderr())
			}
			for side, got := range map[string]string{"listen": l.out.String(), "connect": c.out.String()} {
				if sha256.Sum256([]byte(got)) != want {
					t.Errorf("%s received %d bytes that differ from the %d sent", side, len(got), len(data))
				}
			}
		})
	}
}

// TestCRLFAndHex converts line endings and dumps traffic to stderr.
func TestCRLFAndHex(t *testing.T) {
	t.Parallel()
	ln := listenTCP(t)
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		got <- string(b)
		c.Write([]byte("ok"))
	}()
	out, errOut, code := runHubcat(t, strings.NewReader("hi\nthere\r\n"), "connect", ln.Addr().String(), "--crlf", "--hex")
	if code != 0 || out != "ok" {
		t.Fatalf("code %d, out %q, stderr %q", code, out, errOut)
	}
	if s := <-got; s != "hi\r\nthere\r\n" {
		t.Fatalf("server got %q", s)
	}
	for _, want := range []string{"> 00000000  68 69 0d 0a 74 68 65 72  65 0d 0a", "|hi..there..|", "< 00000000  6f 6b", "|ok|"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("hex dump lacks %q:\n%s", want, errOut)
		}
	}
}

// TestExitCodes checks each documented failure's exit code and message.
func TestExitCodes(t *testing.T) {
	t.Parallel()
	closed := listenTCP(t).Addr().String()
	closedLn := listenTCP(t)
	closedAddr := closedLn.Addr().String()
	closedLn.Close()
	silent := listenTCP(t) // accepts (via the backlog) but never speaks TLS
	idle := listenTCP(t)
	go func() {
		for {
			c, err := idle.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	cases := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"refused", []string{"connect", closedAddr}, exitRefused, "connect tcp://" + closedAddr + ": connection refused"},
		{"no host", []string{"connect", "nowhere.onion:80"}, exitNoHost, `connect tcp://nowhere.onion:80: cannot resolve host "nowhere.onion"`},
		{"handshake timeout", []string{"connect", "tls://" + silent.Addr().String(), "--wait", "300ms"}, exitTimeout, "connect tls://" + silent.Addr().String() + ": timed out"},
		{"idle timeout", []string{"connect", idle.Addr().String(), "--idle-timeout", "200ms", "--recv-only"}, exitTimeout, "idle for 200ms"},
		{"listen wait", []string{"listen", "127.0.0.1:0", "--wait", "200ms"}, exitTimeout, "no client within 200ms"},
		{"in use", []string{"listen", closed}, exitInUse, "is already in use"},
		{"udp refused", []string{"connect", "udp://" + closedAddr, "--idle-timeout", "5s"}, exitRefused, "connect udp://" + closedAddr + ": connection refused"},
		{"usage", []string{"connect", "127.0.0.1:1", "--send-only", "--recv-only"}, exitUsage, "cannot be used together"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := runHubcat(t, strings.NewReader("x\n"), tc.args...)
			if code != tc.code || !strings.Contains(errOut, tc.msg) {
				t.Fatalf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errOut, tc.msg)
			}
			errOut = regexp.MustCompile(`hubcat: listening on \S+\n`).ReplaceAllString(errOut, "")
			if n := strings.Count(strings.TrimSpace(errOut), "\n"); tc.code != exitUsage && n > 0 {
				t.Errorf("error is %d lines, want one: %q", n+1, errOut)
			}
		})
	}
}

// TestSource connects from a chosen loopback address.
func TestSource(t *testing.T) {
	t.Parallel()
	ln := listenTCP(t)
	from := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		from <- c.RemoteAddr().(*net.TCPAddr).IP.String()
		c.Close()
	}()
	_, errOut, code := runHubcat(t, nil, "connect", ln.Addr().String(), "--source", "127.0.0.2")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if ip := <-from; ip != "127.0.0.2" {
		t.Fatalf("peer saw %s, want 127.0.0.2", ip)
	}
}
