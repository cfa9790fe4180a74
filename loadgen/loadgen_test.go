package loadgen

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/hubcat/hubcat/endpoint"
)

// runLoad runs cfg against addr with test-friendly timeouts.
func runLoad(t *testing.T, addr endpoint.Endpoint, cfg Config) *Report {
	t.Helper()
	cfg.Addr = addr
	cfg.JoinTimeout = cmp.Or(cfg.JoinTimeout, 10*time.Second)
	cfg.Drain = cmp.Or(cfg.Drain, 500*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// checkExact asserts a clean run: every expected delivery, nothing else.
func checkExact(t *testing.T, rep *Report, receiversPerMessage int) {
	t.Helper()
	if rep.Connected != rep.Clients || rep.Joined != rep.Clients {
		t.Errorf("connected %d, joined %d of %d clients (first error: %s)", rep.Connected, rep.Joined, rep.Clients, rep.FirstConnectError)
	}
	if rep.Sent == 0 {
		t.Fatal("nothing sent")
	}
	if want := rep.Sent * int64(receiversPerMessage); rep.Expected != want || rep.Delivered != want {
		t.Errorf("sent %d: expected %d, delivered %d; want both %d", rep.Sent, rep.Expected, rep.Delivered, want)
	}
	if rep.Lost != 0 || rep.Duplicates != 0 || rep.Garbled != 0 || rep.Disconnected != 0 {
		t.Errorf("lost %d, duplicates %d, garbled %d, disconnected %d; want all 0", rep.Lost, rep.Duplicates, rep.Garbled, rep.Disconnected)
	}
	l := rep.Latency
	if !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.P999 && l.P999 <= l.Max) {
		t.Errorf("latency percentiles not positive and ordered: %+v", l)
	}
	if rep.DeliveriesPerSec <= 0 {
		t.Errorf("deliveries/s = %v", rep.DeliveriesPerSec)
	}
	checkChartPoints(t, l.Percentiles)
}

// checkChartPoints asserts the plotting points rise in both coordinates.
func checkChartPoints(t *testing.T, pts [][2]float64) {
	t.Helper()
	if len(pts) < 10 || pts[len(pts)-1][0] != 100 {
		t.Fatalf("percentile points = %v", pts)
	}
	for i := 1; i < len(pts); i++ {
		if pts[i][0] <= pts[i-1][0] || pts[i][1] < pts[i-1][1] {
			t.Fatalf("percentile points not increasing at %d: %v", i, pts)
		}
	}
}

func TestPacedBroadcastIsCountedExactly(t *testing.T) {
	addr := chatServer(t, plain)
	rep := runLoad(t, addr, Config{Clients: 20, Senders: 4, Rate: 200, Duration: 300 * time.Millisecond, Greeting: true})
	checkExact(t, rep, 19)
	if rep.Sent < 4*30 {
		t.Errorf("sent %d, want about 4 × 60", rep.Sent)
	}
}

func TestFlatOutSendingStaysWithinTheWindow(t *testing.T) {
	addr := chatServer(t, plain)
	rep := runLoad(t, addr, Config{Clients: 8, Senders: 8, Rate: 0, Window: 16, Size: 100, Duration: 300 * time.Millisecond})
	checkExact(t, rep, 7)
	if rep.WindowStalls != 0 {
		t.Errorf("window stalls = %d; every message was delivered, so acks never stopped", rep.WindowStalls)
	}
}

// tokenLines applies f to benchmark messages and relays everything else
// (the sync lines) unchanged.
func tokenLines(f func(name string) relay) func(string) relay {
	return func(name string) relay {
		mangled, pass := f(name), plain(name)
		return func(n int, line []byte) []byte {
			if bytes.HasPrefix(line, tokenMark) {
				return mangled(n, line)
			}
			return pass(n, line)
		}
	}
}

func TestDamagedDeliveriesAreCounted(t *testing.T) {
	const clients = 6
	tests := []struct {
		name  string
		relay func(name string) relay
		check func(t *testing.T, r *Report)
	}{{
		name: "merged pairs",
		relay: func(name string) relay {
			var held []byte
			return func(_ int, line []byte) []byte {
				if held == nil {
					held = fmt.Appendf(nil, "<%s> %s", name, line)
					return nil
				}
				out := append(append(held, line...), '\n')
				held = nil
				return out
			}
		},
		check: func(t *testing.T, r *Report) {
			// Each of the 2 senders' streams is merged in pairs; a sender
			// that sent an odd number leaves its last line held back.
			most := (r.Sent / 2) * (clients - 1)
			least := ((r.Sent - 2) / 2) * (clients - 1)
			if r.Delivered != 0 || r.Lost != r.Expected || r.Garbled%(clients-1) != 0 || r.Garbled < least || r.Garbled > most {
				t.Errorf("delivered %d, lost %d of %d, garbled %d; want 0, all, between %d and %d", r.Delivered, r.Lost, r.Expected, r.Garbled, least, most)
			}
		},
	}, {
		name: "split lines",
		relay: func(name string) relay {
			return func(_ int, line []byte) []byte {
				h := len(line) / 2
				return fmt.Appendf(nil, "<%s> %s\n<%s> %s\n", name, line[:h], name, line[h:])
			}
		},
		check: func(t *testing.T, r *Report) {
			if r.Delivered != 0 || r.Lost != r.Expected || r.Garbled != 2*r.Expected {
				t.Errorf("delivered %d, lost %d of %d, garbled %d; want 0, all, twice", r.Delivered, r.Lost, r.Expected, r.Garbled)
			}
		},
	}, {
		name: "duplicated lines",
		relay: func(name string) relay {
			return func(_ int, line []byte) []byte { return fmt.Appendf(nil, "<%s> %s\n<%s> %s\n", name, line, name, line) }
		},
		check: func(t *testing.T, r *Report) {
			if r.Delivered != r.Expected || r.Duplicates != r.Expected || r.Lost != 0 || r.Garbled != 0 {
				t.Errorf("delivered %d of %d, duplicates %d, lost %d, garbled %d", r.Delivered, r.Expected, r.Duplicates, r.Lost, r.Garbled)
			}
		},
	}, {
		name: "every fourth line dropped",
		relay: func(name string) relay {
			n := 0
			return func(_ int, line []byte) []byte {
				if n++; n%4 == 0 {
					return nil
				}
				return fmt.Appendf(nil, "<%s> %s\n", name, line)
			}
		},
		check: func(t *testing.T, r *Report) {
			if r.Lost == 0 || r.Lost%(clients-1) != 0 || r.Delivered+r.Lost != r.Expected || r.Garbled != 0 || r.Duplicates != 0 {
				t.Errorf("delivered %d + lost %d of %d, garbled %d, duplicates %d", r.Delivered, r.Lost, r.Expected, r.Garbled, r.Duplicates)
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := chatServer(t, tokenLines(tt.relay))
			rep := runLoad(t, addr, Config{Clients: clients, Senders: 2, Rate: 100, Duration: 200 * time.Millisecond, Drain: time.Second})
			if rep.Joined != clients || rep.Sent < 2*10 {
				t.Fatalf("joined %d of %d, sent %d", rep.Joined, clients, rep.Sent)
			}
			tt.check(t, rep)
		})
	}
}

func TestIdleClientsReportServerMemory(t *testing.T) {
	addr := chatServer(t, plain)
	// The test process runs the server, so its own PID is the hub's.
	rep := runLoad(t, addr, Config{Clients: 50, Senders: 0, Duration: 50 * time.Millisecond, PID: os.Getpid(), Greeting: true})
	if rep.Joined != 50 || rep.Sent != 0 || rep.Delivered != 0 {
		t.Errorf("joined %d, sent %d, delivered %d; want 50, 0, 0", rep.Joined, rep.Sent, rep.Delivered)
	}
	if rep.Hub == nil || rep.Hub.RSSBytes <= 0 || rep.Hub.PeakRSSBytes < rep.Hub.RSSBytes || rep.Hub.PID != os.Getpid() {
		t.Errorf("hub usage = %+v", rep.Hub)
	}
	if rep.ConnectSeconds <= 0 {
		t.Errorf("connect time = %v", rep.ConnectSeconds)
	}
}

func TestSourceAddressesSpreadOverLoopback(t *testing.T) {
	e := endpoint.MustParse("127.0.0.1:7000")
	if a, b := sourceAddr(e, 0).String(), sourceAddr(e, 253).String(); a != "127.0.0.1:0" || b != "127.0.0.254:0" {
		t.Errorf("source addresses %s, %s", a, b)
	}
	if sourceAddr(e, 254).String() != "127.0.0.1:0" {
		t.Errorf("address 254 should wrap to 127.0.0.1")
	}
	for _, s := range []string{"[::1]:7000", "192.0.2.1:7000", "unix:///tmp/x.sock"} {
		if a := sourceAddr(endpoint.MustParse(s), 3); a != nil {
			t.Errorf("%s: source %v, want none", s, a)
		}
	}
}

func TestRunRefusedIsAnError(t *testing.T) {
	// A port nothing listens on: a listener's, once closed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := endpoint.MustParse(ln.Addr().String())
	ln.Close()
	_, err = Run(context.Background(), Config{Addr: addr, Clients: 3, Senders: 1, Duration: time.Second})
	if endpoint.KindOf(err) != endpoint.Refused {
		t.Fatalf("err = %v, want connection refused", err)
	}
}

func TestStalledClientsAreLeftOutOfTheCounts(t *testing.T) {
	addr := chatServer(t, plain)
	rep := runLoad(t, addr, Config{Clients: 10, Senders: 3, Stalled: 2, Rate: 100, Duration: 300 * time.Millisecond})
	if rep.Stalled != 2 || rep.StalledDropped != 0 {
		t.Errorf("stalled %d, cut off %d; want 2, 0 (the test server keeps everyone)", rep.Stalled, rep.StalledDropped)
	}
	checkExact(t, rep, 7) // 8 reading clients; the sender doesn't hear itself
}
