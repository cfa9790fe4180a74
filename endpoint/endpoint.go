// Package endpoint parses hubcat's one address syntax and opens listeners
// and connections for it.
//
// # Syntax
//
//	host:port            TCP (IPv6 as [::1]:7000; host may be empty to listen on all)
//	tcp://host:port      TCP
//	udp://host:port      UDP
//	tls://host:port      TCP with TLS
//	unix:///path/to.sock Unix stream socket
//
// Errors from [Listen] and [Dial] are rewritten into sentences a user can act
// on ("port 7000 is already in use") and keep the original error for
// [errors.Is].
package endpoint

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// Scheme names a transport.
type Scheme string

// The transports hubcat speaks.
const (
	TCP  Scheme = "tcp"
	UDP  Scheme = "udp"
	TLS  Scheme = "tls"
	Unix Scheme = "unix"
)

// ErrBadAddress is wrapped by every parse failure.
var ErrBadAddress = errors.New("endpoint: bad address")

// Endpoint is a parsed address: a scheme and either host:port or a socket path.
type Endpoint struct {
	Scheme  Scheme
	Address string // host:port, or the path for Unix
}

// Parse reads an address in hubcat's syntax. A bare "host:port" or ":port"
// means TCP.
func Parse(s string) (Endpoint, error) {
	scheme, rest, found := strings.Cut(s, "://")
	if !found {
		scheme, rest = string(TCP), s
	}
	e := Endpoint{Scheme: Scheme(strings.ToLower(scheme)), Address: rest}
	switch e.Scheme {
	case Unix:
		if rest == "" {
			return Endpoint{}, fmt.Errorf("%w %q: unix:// needs a socket path, as in unix:///tmp/hub.sock", ErrBadAddress, s)
		}
		return e, nil
	case TCP, UDP, TLS:
		_, port, err := net.SplitHostPort(rest)
		if err != nil {
			return Endpoint{}, fmt.Errorf("%w %q: want host:port (IPv6 as [::1]:7000)", ErrBadAddress, s)
		}
		if port == "" {
			return Endpoint{}, fmt.Errorf("%w %q: missing port", ErrBadAddress, s)
		}
		if _, err := net.LookupPort("tcp", port); err != nil {
			return Endpoint{}, fmt.Errorf("%w %q: bad port %q", ErrBadAddress, s, port)
		}
		return e, nil
	default:
		return Endpoint{}, fmt.Errorf("%w %q: unknown scheme %q (want tcp, udp, tls or unix)", ErrBadAddress, s, scheme)
	}
}

// MustParse is like [Parse] but panics on error; for tests and constants.
func MustParse(s string) Endpoint {
	e, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return e
}

// Network is the Go network name for the endpoint: "tcp", "udp" or "unix".
func (e Endpoint) Network() string {
	switch e.Scheme {
	case TLS:
		return "tcp"
	default:
		return string(e.Scheme)
	}
}

// String formats the endpoint in hubcat's syntax.
func (e Endpoint) String() string {
	return string(e.Scheme) + "://" + e.Address
}

// IsLoopback reports whether only this machine can reach e: a Unix socket,
// localhost, or a loopback IP. An empty host (all interfaces) is not.
func (e Endpoint) IsLoopback() bool {
	if e.Scheme == Unix {
		return true
	}
	host, _, err := net.SplitHostPort(e.Address)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// AddrIP returns the IP address of a network address (an IPv4-mapped IPv6
// address as IPv4), or the zero netip.Addr, which is not valid, for an
// address without one, such as a Unix socket's. It is how every package
// here tells peers apart by address.
func AddrIP(a net.Addr) netip.Addr {
	var ip net.IP
	switch a := a.(type) {
	case *net.TCPAddr:
		ip = a.IP
	case *net.UDPAddr:
		ip = a.IP
	case nil:
		return netip.Addr{}
	default: // an adapter's own type, such as a websocket's: go by its text
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return netip.Addr{}
		}
		return ap.Addr().Unmap()
	}
	na, _ := netip.AddrFromSlice(ip)
	return na.Unmap()
}

// FromAddr converts a resolved address back into an Endpoint of the given
// scheme, so a listener on ":0" can report where it really listens.
func FromAddr(scheme Scheme, a net.Addr) Endpoint {
	return Endpoint{Scheme: scheme, Address: a.String()}
}
