package relay

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"testing"
	"time"
)

// startEcho runs EchoPackets on 127.0.0.1 until the test ends.
func startEcho(t *testing.T) *net.UDPAddr {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- EchoPackets(ctx, pc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("EchoPackets: %v", err)
		}
	})
	return pc.LocalAddr().(*net.UDPAddr)
}

// The finding: one forged datagram between two echo servers bounced
// forever. Here the test is the other echo server; the ball must be
// dropped after echoLoopLimit answers, and the server go on answering.
func TestEchoDropsABouncingDatagram(t *testing.T) {
	echo := startEcho(t)
	other, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetDeadline(time.Now().Add(30 * time.Second))
	ball, probe := []byte("ball"), []byte("probe")
	buf := make([]byte, 64)
	read := func() []byte {
		t.Helper()
		n, from, err := other.ReadFromUDP(buf)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		if from.Port != echo.Port {
			t.Fatalf("datagram from %v", from)
		}
		return buf[:n]
	}
	other.WriteToUDP(ball, echo) // as if the echo server had sent it
	for answers := 1; answers <= echoLoopLimit; answers++ {
		if got := read(); !bytes.Equal(got, ball) {
			t.Fatalf("answer %d: %q", answers, got)
		}
		other.WriteToUDP(ball, echo) // an echo server returns it
	}
	// The echo server read the ball's last return before this probe, so
	// had it answered the ball, that answer would come first.
	other.WriteToUDP(probe, echo)
	if got := read(); !bytes.Equal(got, probe) {
		t.Fatalf("got %q after %d returns of the ball, want the probe's answer", got, echoLoopLimit)
	}
}

func TestEchoGuard(t *testing.T) {
	udp := func(s string) *net.UDPAddr { return net.UDPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	now := time.Now()

	bound := newEchoGuard(udp("127.0.0.1:9000"))
	if bound.answer(udp("127.0.0.1:9000"), []byte("x"), now) {
		t.Error("answered its own address")
	}
	if !bound.answer(udp("127.0.0.1:9001"), []byte("x"), now) {
		t.Error("did not answer another port")
	}
	wildcard := newEchoGuard(udp("[::]:9000"))
	for _, self := range []string{"127.0.0.1:9000", "[::1]:9000", "[::ffff:127.0.0.1]:9000", "0.0.0.0:9000"} {
		if wildcard.answer(udp(self), []byte("x"), now) {
			t.Errorf("wildcard socket answered itself at %s", self)
		}
	}

	// The budget: a burst, then the rate, per peer.
	g := newEchoGuard(udp("127.0.0.1:9000"))
	peer := udp("127.0.0.1:5000")
	answered := 0
	for i := range 2 * echoPeerBurst {
		if g.answer(peer, []byte{byte(i), byte(i >> 8)}, now) {
			answered++
		}
	}
	if answered != echoPeerBurst {
		t.Errorf("answered %d of a burst of %d, want %d", answered, 2*echoPeerBurst, echoPeerBurst)
	}
	if !g.answer(peer, []byte("later"), now.Add(time.Second)) {
		t.Error("budget not refilled a second later")
	}
	// Another peer has its own budget (one found in another slot).
	exhausted := g.peer(peer.AddrPort())
	for port := uint16(5001); ; port++ {
		other := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)
		if g.peer(other) == exhausted {
			continue
		}
		if !g.answer(net.UDPAddrFromAddrPort(other), []byte("x"), now) {
			t.Error("a fresh peer was refused")
		}
		break
	}
}
