package loadgen

import (
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc"
	"github.com/hubcat/hubcat/server"
)

// ircServer serves hubcat's IRC front end on a random loopback port.
func ircServer(t *testing.T) endpoint.Endpoint {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h := hub.New(hub.Config{Logger: log, Names: irc.Names})
	srv := server.New(irc.NewServer(h, irc.Config{Logger: log}), server.Config{Logger: log})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return endpoint.MustParse(ln.Addr().String())
}

func TestIRCChannelReachesEveryMember(t *testing.T) {
	addr := ircServer(t)
	rep := runLoad(t, addr, Config{Proto: IRC, Clients: 12, Senders: 3, Rate: 200, Duration: 300 * time.Millisecond})
	checkExact(t, rep, 11) // IRC does not echo to the sender
}

func TestIRCFlatOut(t *testing.T) {
	addr := ircServer(t)
	rep := runLoad(t, addr, Config{Proto: IRC, Clients: 6, Senders: 6, Rate: 0, Window: 32, Duration: 200 * time.Millisecond})
	checkExact(t, rep, 5)
}
