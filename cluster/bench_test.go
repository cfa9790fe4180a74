package cluster_test

import (
	"io"
	"log/slog"
	"net"
	"strconv"
	"testing"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/cluster/clustertest"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/server"
)

// loneHub serves a hub without a cluster, for comparison.
func loneHub(b *testing.B) *testHub {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := hub.New(hub.Config{Logger: quiet})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := server.New(chat.NewServer(h, chat.Config{Logger: quiet}), server.Config{Logger: quiet})
	go srv.Serve(ln)
	b.Cleanup(func() { h.Close(); srv.Close() })
	return &testHub{h: h, srv: srv, addr: ln.Addr().String()}
}

// BenchmarkMessage measures one message from a JSON client to another,
// with window messages in flight: ns/op is the time per delivered
// message. The sender and receiver are on one hub alone, on one hub of
// a cluster, or on two hubs of a cluster (one NATS node, R1; three, R3).
func BenchmarkMessage(b *testing.B) {
	setups := []struct {
		name  string
		start func(b *testing.B) (from, to *testHub)
	}{
		{"lone-hub", func(b *testing.B) (*testHub, *testHub) { h := loneHub(b); return h, h }},
		{"cluster-same-hub", func(b *testing.B) (*testHub, *testHub) {
			h := startHub(b, clustertest.Start(b, 1), 0, cluster.Config{})
			return h, h
		}},
		{"cross-hub-R1", func(b *testing.B) (*testHub, *testHub) {
			n := clustertest.Start(b, 1)
			return startHub(b, n, 0, cluster.Config{}), startHub(b, n, 1, cluster.Config{})
		}},
		{"cross-hub-R3", func(b *testing.B) (*testHub, *testHub) {
			n := clustertest.Start(b, 3)
			return startHub(b, n, 0, cluster.Config{}), startHub(b, n, 1, cluster.Config{})
		}},
	}
	for _, s := range setups {
		for _, window := range []int{1, 64} {
			b.Run(s.name+"/window-"+strconv.Itoa(window), func(b *testing.B) {
				from, to := s.start(b)
				alice, bob := connect(b, from, "alice"), connect(b, to, "bob")
				b.ResetTimer()
				sent := 0
				for got := 0; got < b.N; got++ {
					for sent < b.N && sent-got < window {
						alice.send(map[string]any{"cmd": "say", "room": "lobby", "text": "x"})
						sent++
					}
					bob.next(func(ev map[string]any) bool { return ev["type"] == "message" })
				}
			})
		}
	}
}
