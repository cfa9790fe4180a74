package loadgen

import (
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/hubcat/hubcat/endpoint"
)

// natsServer starts an in-process nats-server on a random loopback port.
func natsServer(t *testing.T) endpoint.Endpoint {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	t.Cleanup(s.Shutdown)
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	return endpoint.MustParse(s.Addr().String())
}

func TestNATSPublishReachesEverySubscriber(t *testing.T) {
	addr := natsServer(t)
	rep := runLoad(t, addr, Config{Proto: NATS, Clients: 12, Senders: 3, Rate: 200, Duration: 300 * time.Millisecond})
	checkExact(t, rep, 12) // NATS echoes to the publisher
}

func TestNATSFlatOut(t *testing.T) {
	addr := natsServer(t)
	rep := runLoad(t, addr, Config{Proto: NATS, Clients: 6, Senders: 6, Rate: 0, Window: 32, Duration: 200 * time.Millisecond})
	checkExact(t, rep, 6)
}
