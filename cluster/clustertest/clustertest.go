// Package clustertest runs NATS servers with JetStream inside a test
// process, for tests of the cluster bridge and of hubs joined by it: no
// installed nats-server, no fixed port, a store directory per test.
package clustertest

import (
	"fmt"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubcat/hubcat/cluster"
)

// NATS is a running set of NATS nodes forming one JetStream cluster (or
// a single node when n is 1).
type NATS struct {
	t     testing.TB
	cfgs  []cluster.NodeConfig
	nodes []*cluster.Node // nil while stopped
}

// Start runs n nodes on loopback, routed to each other, and waits until
// their JetStream has a leader that knows all n. They are stopped when
// the test ends.
func Start(t testing.TB, n int) *NATS {
	t.Helper()
	c := &NATS{t: t, cfgs: make([]cluster.NodeConfig, n), nodes: make([]*cluster.Node, n)}
	var routes []string
	if n > 1 {
		for range n {
			routes = append(routes, freeAddr(t))
		}
	}
	dir := t.TempDir()
	for i := range n {
		c.cfgs[i] = cluster.NodeConfig{
			Name:     fmt.Sprintf("n%d", i),
			Listen:   "127.0.0.1:-1",
			StoreDir: filepath.Join(dir, fmt.Sprintf("n%d", i)),
			Routes:   routes,
		}
		if n > 1 {
			c.cfgs[i].ClusterListen = routes[i]
		}
	}
	t.Cleanup(c.StopAll)
	for i := range n {
		c.Restart(i)
	}
	c.WaitLeader()
	return c
}

// freeAddr returns a loopback address with a port that was free a moment
// ago: route addresses must be known before the nodes that dial them
// start.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// URLs are the client URLs of every node, running or not.
func (c *NATS) URLs() []string {
	urls := make([]string, len(c.cfgs))
	for i := range c.cfgs {
		urls[i] = c.URL(i)
	}
	return urls
}

// URL is node i's client URL; it stays the same across restarts.
func (c *NATS) URL(i int) string { return "nats://" + c.cfgs[i].Listen }

// Node returns node i, or nil while it is stopped.
func (c *NATS) Node(i int) *cluster.Node { return c.nodes[i] }

// Kill stops node i.
func (c *NATS) Kill(i int) {
	if c.nodes[i] != nil {
		c.nodes[i].Shutdown()
		c.nodes[i] = nil
	}
}

// StopAll stops every node.
func (c *NATS) StopAll() {
	for i := range c.nodes {
		c.Kill(i)
	}
}

// Restart starts node i again (or for the first time) with the same
// ports and store directory.
func (c *NATS) Restart(i int) {
	c.t.Helper()
	if c.nodes[i] != nil {
		return
	}
	nd, err := cluster.StartNode(c.cfgs[i])
	if err != nil {
		c.t.Fatalf("node %d: %v", i, err)
	}
	c.nodes[i] = nd
	c.cfgs[i].Listen = nd.ClientURL()[len("nats://"):]
}

// WaitLeader waits until a running node leads JetStream and knows every
// node, failing the test after 30 seconds.
func (c *NATS) WaitLeader() {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, nd := range c.nodes {
			if nd != nil && nd.JetStreamLeader() && nd.JetStreamPeers() == len(c.nodes) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.t.Fatalf("no JetStream leader with %d peers after 30s", len(c.nodes))
}
