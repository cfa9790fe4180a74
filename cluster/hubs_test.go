package cluster_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/cluster/clustertest"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
)

// testHub is a hub joined to the cluster, serving the line and JSON
// protocols on a loopback port.
type testHub struct {
	c    *cluster.Cluster
	h    *hub.Hub
	srv  *server.Server
	addr string
}

// startHub starts hub i on the NATS nodes, preferring node i.
func startHub(t testing.TB, nats *clustertest.NATS, i int, cfg cluster.Config) *testHub {
	t.Helper()
	urls := nats.URLs()
	cfg.URLs = append([]string{urls[i%len(urls)]}, urls...)
	cfg.HubID = fmt.Sprintf("h%d", i)
	cfg.Replicas = min(3, len(urls))
	cfg.Fold = hub.DefaultNames.Fold
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Logger = quiet
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := cluster.Dial(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := hub.New(hub.Config{ID: c.HubID(), Sequencer: c, Log: c, Claims: c, Logger: quiet})
	if err := c.Start(ctx, h); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := server.New(chat.NewServer(h, chat.Config{Logger: quiet}), server.Config{Logger: quiet})
	go srv.Serve(ln)
	th := &testHub{c: c, h: h, srv: srv, addr: ln.Addr().String()}
	t.Cleanup(th.stop)
	return th
}

// stop shuts the hub down in order: members leave, then the cluster.
func (th *testHub) stop() {
	th.h.Close()
	th.srv.Close()
	th.c.Close()
}

// kill stops the hub as a crash would: its NATS connection drops first,
// so that it says no goodbye through the cluster.
func (th *testHub) kill() {
	th.c.Crash()
	th.srv.Close()
}

// jclient is a client speaking the JSON protocol.
type jclient struct {
	t      testing.TB
	conn   net.Conn
	events chan map[string]any
	name   string
	n      int
}

// connect opens a JSON session on th as nick and reads the hello.
func connect(t testing.TB, th *testHub, nick string) *jclient {
	t.Helper()
	conn, err := net.Dial("tcp", th.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &jclient{t: t, conn: conn, events: make(chan map[string]any, 10000)}
	go c.read()
	c.send(map[string]any{"cmd": "hello", "version": 1, "nick": nick})
	hello := c.next(func(ev map[string]any) bool { return ev["type"] == "hello" })
	c.name, _ = hello["name"].(string)
	return c
}

func (c *jclient) read() {
	defer close(c.events)
	sc := bufio.NewScanner(c.conn)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "{") {
			continue // the text greeting before hello
		}
		var ev map[string]any
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			panic(fmt.Sprintf("bad JSON from hub: %q", sc.Text()))
		}
		c.events <- ev
	}
}

// send sends one command.
func (c *jclient) send(cmd map[string]any) {
	b, _ := json.Marshal(cmd)
	if _, err := c.conn.Write(append(b, '\n')); err != nil {
		c.t.Errorf("send: %v", err)
	}
}

// cmd sends a command with a fresh id and returns the id.
func (c *jclient) cmd(cmd map[string]any) string {
	c.n++
	id := fmt.Sprintf("%s-%d", c.name, c.n)
	cmd["id"] = id
	c.send(cmd)
	return id
}

// next returns the next event matching ok, failing after 20 seconds.
func (c *jclient) next(ok func(map[string]any) bool) map[string]any {
	c.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case ev, open := <-c.events:
			if !open {
				c.t.Fatalf("%s: connection closed", c.name)
			}
			if ok(ev) {
				return ev
			}
		case <-timeout:
			c.t.Fatalf("%s: no expected event within 20s", c.name)
		}
	}
}

// reply waits for the ack or error of command id.
func (c *jclient) reply(id string) map[string]any {
	c.t.Helper()
	return c.next(func(ev map[string]any) bool {
		return ev["client_id"] == id && (ev["type"] == "ack" || ev["type"] == "error")
	})
}

// seqOf reads an event's seq.
func seqOf(ev map[string]any) uint64 {
	f, _ := ev["seq"].(float64)
	return uint64(f)
}

// waitUntil polls cond until it holds, failing the test after 20 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s after 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
