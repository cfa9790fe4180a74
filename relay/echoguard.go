package relay

import (
	"hash/maphash"
	"net"
	"net/netip"
	"time"

	"golang.org/x/time/rate"
)

// What [EchoPackets] answers each peer. Two echo servers made to talk to
// each other (one forged datagram does it) bounce the same datagram back
// and forth: the one that sees its own answer come back echoLoopLimit
// times in a row drops it. Several different datagrams bouncing at once
// are held to the budget of a burst, then a steady rate.
const (
	echoLoopLimit = 100
	echoPeerRate  = 1000 // datagrams a second
	echoPeerBurst = 1000
	// echoPeerSlots bounds the memory spent on peers, whatever the number
	// of (possibly forged) source addresses: peers share a slot when their
	// addresses hash alike.
	echoPeerSlots = 1024
)

// echoPeer is what EchoPackets remembers of a peer (or of the peers
// sharing its slot).
type echoPeer struct {
	budget   *rate.Limiter
	answered uint64 // hash of the last datagram answered
	returns  int    // how many datagrams in a row were that answer again
}

// echoGuard decides which datagrams EchoPackets answers. It is used by
// the receiving goroutine only.
type echoGuard struct {
	self     netip.AddrPort      // the socket's address
	wildcard bool                // bound to every address: any of this host's is self
	hostIPs  map[netip.Addr]bool // this host's addresses, when wildcard
	seed     maphash.Seed
	peers    [echoPeerSlots]echoPeer
}

func newEchoGuard(local net.Addr) *echoGuard {
	g := &echoGuard{seed: maphash.MakeSeed()}
	if ua, ok := local.(*net.UDPAddr); ok {
		g.self = unmapped(ua.AddrPort())
	}
	if g.self.Addr().IsUnspecified() {
		g.wildcard = true
		g.hostIPs = map[netip.Addr]bool{}
		addrs, _ := net.InterfaceAddrs() // best effort: loopback is checked anyway
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil {
				g.hostIPs[p.Addr().Unmap()] = true
			}
		}
	}
	return g
}

// answer reports whether payload, arriving from addr at now, is echoed:
// never one from the socket's own address (a forged source would make it
// talk to itself forever), not the echoLoopLimit-th return in a row of
// the peer's last answer, and no more than the peer's budget.
func (g *echoGuard) answer(addr net.Addr, payload []byte, now time.Time) bool {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return false
	}
	from := unmapped(ua.AddrPort())
	if g.isSelf(from) {
		return false
	}
	p := g.peer(from)
	sum := maphash.Bytes(g.seed, payload)
	if sum != p.answered {
		p.returns = 0
	} else if p.returns++; p.returns >= echoLoopLimit {
		p.returns = 0
		return false // the ball is dropped
	}
	if !p.budget.AllowN(now, 1) {
		return false
	}
	p.answered = sum
	return true
}

// peer returns the slot of the peer at from.
func (g *echoGuard) peer(from netip.AddrPort) *echoPeer {
	p := &g.peers[maphash.Comparable(g.seed, from)%echoPeerSlots]
	if p.budget == nil {
		p.budget = rate.NewLimiter(echoPeerRate, echoPeerBurst)
	}
	return p
}

func (g *echoGuard) isSelf(from netip.AddrPort) bool {
	if from.Port() != g.self.Port() {
		return false
	}
	if !g.wildcard {
		return from.Addr() == g.self.Addr()
	}
	return from.Addr().IsLoopback() || from.Addr().IsUnspecified() || g.hostIPs[from.Addr()]
}

func unmapped(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
