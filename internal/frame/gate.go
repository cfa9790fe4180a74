package frame

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Gate guards the listening side of the handshake. It bounds the
// handshakes in progress, per network and in all, gives each a short
// deadline, and slows down networks, and past a global threshold everyone,
// that fail to prove the token. A network is an IPv4 address (/32) or an
// IPv6 /64, since one host usually owns a whole /64; all Unix-socket peers
// are one network. A failure is recorded before the peer is answered, so
// a guesser cannot race its own backoff. The zero value is ready to use;
// its fields must not change once it is in use.
type Gate struct {
	// MaxPending caps handshakes in progress at once; zero means 16.
	MaxPending int
	// MaxPendingPerNet caps those from one network; zero means 4.
	MaxPendingPerNet int
	// Timeout bounds one handshake; zero means 5 seconds.
	Timeout time.Duration

	mu      sync.Mutex
	nets    map[netip.Prefix]*netState // guarded by mu
	global  failState                  // guarded by mu
	pending int                        // guarded by mu
}

type netState struct {
	fail    failState
	pending int
}

// failState counts recent failures and the wait they impose.
type failState struct {
	n     int
	until time.Time // no attempt before this
	last  time.Time // time of the latest failure
}

// Backoff policy: a network's first failures are free, then each doubles
// its wait up to a minute; everyone together gets more free failures and
// waits of at most ten seconds. Failures are forgotten after a quiet spell.
const (
	netFree        = 3
	netMaxDelay    = time.Minute
	allFree        = 24
	allMaxDelay    = 10 * time.Second
	firstDelay     = 250 * time.Millisecond
	forgetAfter    = 10 * time.Minute
	maxTracked     = 4096
	defaultSlots   = 16
	defaultPerNet  = 4
	defaultTimeout = 5 * time.Second
)

var (
	// ErrBusy is returned (and told to the peer) when the handshake slots
	// are full.
	ErrBusy = errors.New("frame: too many connections are authenticating")
)

// WaitError refuses a peer whose network, or everyone, must wait after
// failed authentications.
type WaitError struct {
	Wait   time.Duration // how long until the next attempt is allowed
	Global bool          // everyone waits, not only the peer's network
}

func (e *WaitError) Error() string {
	who := "from your network"
	if e.Global {
		who = "from many addresses; the listener is slowing everyone down"
	}
	return fmt.Sprintf("too many failed authentications %s; retry in %s", who, e.Wait.Round(time.Millisecond))
}

// Accept admits conn (or refuses it with an error frame) and runs the
// listening side of the handshake under the gate's deadline. It returns
// the secured connection and the dialer's hello. A dialer that fails to
// prove the token is counted against its network, then told so.
func (g *Gate) Accept(conn net.Conn, c HandshakeConfig) (*Conn, Hello, error) {
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	conn.SetDeadline(time.Now().Add(timeout))
	w := NewWriter(conn)
	network := NetworkOf(conn.RemoteAddr())
	if err := g.enter(network); err != nil {
		w.SendError(err.Error())
		return nil, Hello{}, err
	}
	sc, peer, err := accept(conn, c, timeout)
	if errors.Is(err, errWrongToken) {
		d := g.fail(network)
		w.SendError(fmt.Sprintf("authentication failed: wrong token (next attempt allowed in %s)", d.Round(time.Millisecond)))
		return nil, peer, &AuthError{Wait: d}
	}
	g.leave(network, err == nil)
	if err != nil {
		return nil, peer, err
	}
	conn.SetDeadline(time.Time{})
	return sc, peer, nil
}

// AuthError is a dialer's failure to prove the token, with the wait now
// imposed on its network.
type AuthError struct {
	Wait time.Duration
}

func (e *AuthError) Error() string {
	return fmt.Sprintf("%v: the peer does not know the token (next attempt allowed in %s)", ErrAuth, e.Wait)
}

// Unwrap makes errors.Is(err, ErrAuth) hold.
func (e *AuthError) Unwrap() error { return ErrAuth }

// NetworkOf is the network an address is counted in: /32 for IPv4, /64
// for IPv6, and one shared zero prefix for anything else.
func NetworkOf(a net.Addr) netip.Prefix {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Prefix{}
	}
	ip := ap.Addr().Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}

// enter checks the backoffs and takes a handshake slot.
func (g *Gate) enter(network netip.Prefix) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	ns := g.netLocked(network, now)
	if d := ns.fail.until.Sub(now); d > 0 {
		return &WaitError{Wait: d}
	}
	if d := g.global.until.Sub(now); d > 0 {
		return &WaitError{Wait: d, Global: true}
	}
	perNet, all := g.MaxPendingPerNet, g.MaxPending
	if perNet <= 0 {
		perNet = defaultPerNet
	}
	if all <= 0 {
		all = defaultSlots
	}
	switch {
	case ns.pending >= perNet:
		return fmt.Errorf("%w from your network (%d at once); retry shortly", ErrBusy, perNet)
	case g.pending >= all:
		return fmt.Errorf("%w (%d at once); retry shortly", ErrBusy, all)
	}
	ns.pending++
	g.pending++
	return nil
}

// leave gives the slot back; a success forgets the network's failures.
func (g *Gate) leave(network netip.Prefix, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	ns := g.nets[network]
	ns.pending--
	g.pending--
	if ok {
		ns.fail = failState{}
	}
}

// fail records a failed proof, gives the slot back and returns the wait
// now imposed on the network.
func (g *Gate) fail(network netip.Prefix) time.Duration {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := time.Now()
	ns := g.nets[network]
	ns.pending--
	g.pending--
	g.global.record(now, allFree, allMaxDelay)
	return ns.fail.record(now, netFree, netMaxDelay)
}

// netLocked returns the state of network, creating it; g.mu must be held.
func (g *Gate) netLocked(network netip.Prefix, now time.Time) *netState {
	if g.nets == nil {
		g.nets = map[netip.Prefix]*netState{}
	}
	ns := g.nets[network]
	if ns == nil {
		if len(g.nets) >= maxTracked {
			g.pruneLocked(now)
		}
		ns = &netState{}
		g.nets[network] = ns
	}
	return ns
}

// pruneLocked forgets idle networks whose wait has passed; g.mu must be
// held. The global backoff still bounds a guesser spread over more
// networks than the table holds.
func (g *Gate) pruneLocked(now time.Time) {
	for p, ns := range g.nets {
		if ns.pending == 0 && ns.fail.until.Before(now) {
			delete(g.nets, p)
		}
	}
}

// record counts a failure at now and returns the wait it imposes.
func (f *failState) record(now time.Time, free int, maxDelay time.Duration) time.Duration {
	if now.Sub(f.last) > forgetAfter {
		f.n = 0
	}
	f.n++
	f.last = now
	var d time.Duration
	if f.n > free {
		d = min(firstDelay<<min(f.n-free-1, 16), maxDelay)
	}
	f.until = now.Add(d)
	return d
}
