package main

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/cluster/clustertest"
)

// ncUser is an nc-like line client of a running hub.
type ncUser struct {
	c net.Conn
	r *bufio.Reader
}

// dialNC connects to a hub, takes nick and waits for the rename.
func dialNC(t *testing.T, addr, nick string) *ncUser {
	t.Helper()
	c, err := net.Dial("tcp", hostPort(addr))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(60 * time.Second))
	u := &ncUser{c: c, r: bufio.NewReader(c)}
	readUntil(t, u.r, "*** you joined lobby")
	fmt.Fprintf(c, "/nick %s\n", nick)
	readUntil(t, u.r, "*** you are now known as "+nick)
	return u
}

// freeRoute returns a loopback address whose port was free a moment ago.
func freeRoute(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Three hubs each run their own NATS server (--cluster-embedded), routed
// to each other: nc users on different hubs talk in one room, and a name
// taken on one hub is refused on another.
func TestServeClusterEmbedded(t *testing.T) {
	routes := []string{freeRoute(t), freeRoute(t), freeRoute(t)}
	var addrs []string
	for i := range 3 {
		h := startServe(t, "--listen", "127.0.0.1:0", "--flood-rate", "0",
			"--cluster-embedded", "--cluster-peers", strings.Join(routes, ","), "--cluster-route", routes[i],
			"--cluster-store", filepath.Join(t.TempDir(), "nats"), "--cluster-id", fmt.Sprintf("hub%d", i))
		addrs = append(addrs, h.addrs[0])
	}
	alice := dialNC(t, addrs[0], "alice")
	bob := dialNC(t, addrs[1], "bob")
	carol := dialNC(t, addrs[2], "carol")
	fmt.Fprintf(bob.c, "hello from hub 1\n")
	readUntil(t, alice.r, "<bob> hello from hub 1")
	readUntil(t, carol.r, "<bob> hello from hub 1")
	fmt.Fprintf(carol.c, "/nick alice\n")
	readUntil(t, carol.r, `*** cannot take name "alice": that name is taken`)
	for _, u := range []*ncUser{alice, bob, carol} {
		fmt.Fprintf(u.c, "/quit\n")
	}
}

// --cluster joins hubs through NATS servers that run elsewhere.
func TestServeClusterExternalNATS(t *testing.T) {
	nats := clustertest.Start(t, 1)
	a := startServe(t, "--listen", "127.0.0.1:0", "--cluster", nats.URL(0))
	b := startServe(t, "--listen", "127.0.0.1:0", "--cluster", nats.URL(0))
	alice, bob := dialNC(t, a.addrs[0], "alice"), dialNC(t, b.addrs[0], "bob")
	fmt.Fprintf(alice.c, "/me waves across hubs\n")
	readUntil(t, bob.r, "* alice waves across hubs")
}
