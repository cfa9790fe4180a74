package endpoint

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Error is a failure to listen on or connect to an endpoint, phrased for the
// user. Kind classifies it so a command can pick an exit code.
type Error struct {
	Op   string // "listen" or "connect"
	Addr string
	Kind ErrorKind
	Msg  string // a sentence without the address, such as "port 7000 is already in use"
	Err  error
}

// ErrorKind classifies an [Error].
type ErrorKind int

// The kinds of endpoint failure a script may tell apart.
const (
	Other     ErrorKind = iota
	InUse               // address already in use
	Refused             // connection refused
	Timeout             // connect timed out
	NoHost              // DNS lookup failed
	TLSVerify           // TLS certificate or fingerprint check failed
	Denied              // permission denied
)

func (e *Error) Error() string { return fmt.Sprintf("%s %s: %s", e.Op, e.Addr, e.Msg) }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// explain turns a raw network error into an *Error with a clear message.
func explain(op string, e Endpoint, err error) error {
	if err == nil {
		return nil
	}
	out := &Error{Op: op, Addr: e.String(), Err: err, Msg: err.Error()}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var pinErr *FingerprintError
	var addrErr *net.AddrError
	host, port, _ := net.SplitHostPort(e.Address)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		out.Kind = InUse
		if e.Scheme == Unix {
			out.Msg = fmt.Sprintf("socket %s is already in use by a running server", e.Address)
		} else {
			out.Msg = fmt.Sprintf("port %s is already in use", port)
		}
	case errors.Is(err, syscall.EACCES) || errors.Is(err, os.ErrPermission):
		out.Kind = Denied
		out.Msg = "permission denied"
		if op == "listen" && e.Scheme != Unix {
			out.Msg = fmt.Sprintf("permission denied (ports below 1024 need privileges; port %s)", port)
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		out.Kind = Refused
		out.Msg = "connection refused"
	case errors.Is(err, syscall.ENOENT) && e.Scheme == Unix:
		out.Kind = Refused
		out.Msg = "no such socket"
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		out.Kind = Timeout
		out.Msg = "timed out"
	case errors.As(err, &dnsErr):
		out.Kind = NoHost
		out.Msg = fmt.Sprintf("cannot resolve host %q", dnsErr.Name)
	case errors.As(err, &addrErr) && addrErr.Err == "no suitable address found":
		// The name resolved to nothing usable, as a .onion name does
		// without Tor (RFC 7686: never looked up in DNS).
		out.Kind = NoHost
		out.Msg = fmt.Sprintf("cannot resolve host %q", host)
	case errors.As(err, &pinErr):
		out.Kind = TLSVerify
		out.Msg = pinErr.Error()
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		out.Kind = TLSVerify
		out.Msg = "TLS certificate not trusted: " + err.Error()
	}
	return out
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// KindOf reports the kind of an endpoint error anywhere in err's chain, or
// Other.
func KindOf(err error) ErrorKind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Other
}
