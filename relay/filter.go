package relay

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/hubcat/hubcat/endpoint"
)

// Filter decides which peers may connect, from allow and deny lists of IP
// addresses and CIDR prefixes. A peer matching a deny entry is refused; if
// there is an allow list, a peer must match one of its entries. Peers
// without an IP address (Unix sockets) are always allowed: the socket
// file's permissions guard them. The zero Filter allows everyone.
type Filter struct {
	allow, deny []netip.Prefix
}

// ParseFilter reads allow and deny entries; each entry may itself be a
// comma-separated list of addresses ("10.0.0.7", "::1") and prefixes
// ("10.0.0.0/8").
func ParseFilter(allow, deny []string) (*Filter, error) {
	f := &Filter{}
	var err error
	if f.allow, err = ParsePrefixes(allow); err != nil {
		return nil, err
	}
	if f.deny, err = ParsePrefixes(deny); err != nil {
		return nil, err
	}
	return f, nil
}

// ParsePrefixes reads address lists as flags give them: each item an IP or
// a CIDR, items separated by commas or given repeatedly.
func ParsePrefixes(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range list {
		for _, s := range strings.Split(item, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			p, err := parsePrefix(s)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, fmt.Errorf("relay: bad CIDR %q (want an address or a prefix such as 10.0.0.0/8)", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("relay: bad address %q (want an IP address or a prefix such as 10.0.0.0/8)", s)
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}

// HasAllowList reports whether only listed peers are admitted.
func (f *Filter) HasAllowList() bool { return f != nil && len(f.allow) > 0 }

// Allowed reports whether a peer at addr may connect.
func (f *Filter) Allowed(addr net.Addr) bool {
	if f == nil {
		return true
	}
	ip := endpoint.AddrIP(addr)
	if !ip.IsValid() {
		return true
	}
	for _, p := range f.deny {
		if p.Contains(ip) {
			return false
		}
	}
	if len(f.allow) == 0 {
		return true
	}
	for _, p := range f.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// Listener wraps ln so that Accept closes connections from refused peers,
// after calling refused (if not nil) with the peer's address, and returns
// only allowed ones.
func (f *Filter) Listener(ln net.Listener, refused func(net.Addr)) net.Listener {
	return &filterListener{Listener: ln, f: f, refused: refused}
}

type filterListener struct {
	net.Listener
	f       *Filter
	refused func(net.Addr)
}

func (l *filterListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil || l.f.Allowed(c.RemoteAddr()) {
			return c, err
		}
		if l.refused != nil {
			l.refused(c.RemoteAddr())
		}
		c.Close()
	}
}
