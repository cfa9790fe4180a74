package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// moreAddrs reads the next n "listening" addresses from h's log.
func (h *runningHub) moreAddrs(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		select {
		case l, ok := <-h.logs:
			if !ok {
				t.Fatal("hubcat serve exited before listening")
			}
			if m := listeningRE.FindStringSubmatch(l); m != nil {
				out = append(out, m[1])
			}
		case <-time.After(10 * time.Second):
			t.Fatal("hubcat serve did not report its IRC listeners")
		}
	}
	return out
}

// ircRegister registers nick over c and reads up to the end of the MOTD.
func ircRegister(t *testing.T, c net.Conn, nick string) *bufio.Reader {
	t.Helper()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	fmt.Fprintf(c, "NICK %s\r\nUSER u 0 * :U\r\n", nick)
	r := bufio.NewReader(c)
	readUntil(t, r, ":test.irc 001 "+nick+" ")
	readUntil(t, r, ":test.irc 422 "+nick+" ")
	return r
}

func TestServeIRC(t *testing.T) {
	h := startServe(t, "--listen", "127.0.0.1:0", "--irc", "127.0.0.1:0", "--irc-tls", "127.0.0.1:0", "--irc-name", "test.irc")
	ircAddrs := h.moreAddrs(t, 2)
	if !strings.HasPrefix(ircAddrs[1], "tls://") {
		t.Fatalf("--irc-tls listener reported as %q", ircAddrs[1])
	}
	plain, err := net.Dial("tcp", hostPort(ircAddrs[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	r := ircRegister(t, plain, "alice")
	fmt.Fprintf(plain, "JOIN #lobby\r\n")
	readUntil(t, r, ":test.irc 366 alice #lobby ")

	secure, err := tls.Dial("tcp", hostPort(ircAddrs[1]), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer secure.Close()
	sr := ircRegister(t, secure, "bob")
	fmt.Fprintf(secure, "PRIVMSG alice :over tls\r\n")
	readUntil(t, r, ":bob!bob@test.irc PRIVMSG alice :over tls")

	nc, err := net.Dial("tcp", hostPort(h.addrs[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintf(nc, "/nick carol\nhello irc\n")
	readUntil(t, r, ":carol!carol@test.irc PRIVMSG #lobby :hello irc")

	h.cancel() // as SIGINT would
	readUntil(t, r, ":test.irc ERROR :Server shutting down")
	readUntil(t, sr, ":test.irc ERROR :Server shutting down")
	if code := <-h.exit; code != 0 {
		t.Fatalf("serve exited %d after shutdown", code)
	}
	h.exit <- 0 // for the cleanup
}
