package transfer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/hubcat/hubcat/internal/frame"
)

// Version is the protocol version this package speaks.
const Version = 2

const proto = "hubcat-transfer"

// Frame types of the protocol; see the package documentation.
const (
	typePlan   = 'T'
	typeEntry  = 'F'
	typeResume = 'R'
	typeGo     = 'G'
	typeSum    = 'S'
	typeAck    = 'K'
	typeDone   = 'D'
)

// Entry kinds.
const (
	kindDir  = "dir"
	kindFile = "file"
)

// partialDir holds partial files inside the destination.
const partialDir = ".hubcat-partial"

// handshakeTimeout bounds the dialer's hello and token exchange; the
// listener's is the shorter one of its [frame.Gate].
const handshakeTimeout = 15 * time.Second

var (
	// ErrExists is returned when a file exists and Force is not set.
	ErrExists = errors.New("transfer: file exists")
	// ErrUnsafePath is returned for a path that would leave the destination.
	ErrUnsafePath = errors.New("transfer: unsafe path")
	// ErrChecksum is returned when a received file's SHA-256 does not match.
	ErrChecksum = errors.New("transfer: checksum mismatch")
	// ErrAuth is wrapped by authentication failures.
	ErrAuth = frame.ErrAuth
)

type plan struct {
	Files int   `json:"files"`
	Dirs  int   `json:"dirs"`
	Bytes int64 `json:"bytes"`
}

type entry struct {
	Path  string `json:"path"`
	Kind  string `json:"kind"`
	Size  int64  `json:"size"`
	Mode  uint32 `json:"mode"`
	MTime int64  `json:"mtime"`
}

type resume struct {
	Offset int64  `json:"offset"`
	SHA256 string `json:"sha256,omitempty"`
}

type goAhead struct {
	Offset int64 `json:"offset"`
}

// Progress observes a session; the CLI draws a bar with it.
type Progress interface {
	// Plan is called once with the totals announced by the sender.
	Plan(files int, bytes int64)
	// Add is called as file bytes are sent or received, and with the bytes
	// a resume skipped.
	Add(n int64)
}

// Options configure one side of a session. The zero value connects
// without a token, which a token-holding listener refuses.
type Options struct {
	// Token is the shared secret proved during the handshake. A dialer
	// with a token refuses a listener that cannot prove it.
	Token string
	// Listener is true on the side that accepted the connection. [Once]
	// sets it; a caller that accepts by itself gets no backoff across
	// connections.
	Listener bool
	// Force lets the receiver replace existing files.
	Force bool
	// Progress, if set, observes the session.
	Progress Progress
	// IdleTimeout, if positive, ends the session when neither side makes
	// progress for that long; partial files stay resumable.
	IdleTimeout time.Duration
	// Claim, if set, is called after a successful handshake; returning
	// false ends the session with a "busy" error. A listener uses it to let
	// only the first authenticated peer through a one-time token.
	Claim func() bool

	gate *frame.Gate // the listener's, shared across its connections
}

// ErrBusy is returned when Claim turned an authenticated peer away.
var ErrBusy = errors.New("transfer: another peer already claimed this session")

// Stats summarises a finished (or failed) session.
type Stats struct {
	Files   int           // files completed
	Dirs    int           // directories created or merged
	Bytes   int64         // file bytes that crossed the wire
	Resumed int64         // bytes not sent again thanks to resume
	Skipped []string      // sender paths left out (symlinks, devices)
	Elapsed time.Duration // time since the handshake finished
}

type noProgress struct{}

func (noProgress) Plan(int, int64) {}
func (noProgress) Add(int64)       {}

func (o *Options) progress() Progress {
	if o.Progress == nil {
		return noProgress{}
	}
	return o.Progress
}

// session is one connection's framing, over the secured stream.
type session struct {
	conn net.Conn
	r    *frame.Reader
	w    *frame.Writer
	idle time.Duration // Options.IdleTimeout
}

// open ties conn to ctx, runs the handshake as role and wraps the secured
// stream.
func open(ctx context.Context, conn net.Conn, role, peerRole string, o Options) (*session, func() bool, error) {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	cfg := frame.HandshakeConfig{Proto: proto, Version: Version, Role: role, Token: o.Token}
	var sc *frame.Conn
	var peer frame.Hello
	var err error
	if o.Listener {
		gate := o.gate
		if gate == nil {
			gate = new(frame.Gate)
		}
		sc, peer, err = gate.Accept(conn, cfg)
	} else {
		conn.SetDeadline(time.Now().Add(handshakeTimeout))
		sc, peer, err = frame.Dial(conn, cfg)
	}
	if err != nil {
		stop()
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		return nil, nil, err
	}
	ic := &idleConn{Conn: sc}
	s := &session{conn: ic, r: frame.NewReader(ic, 64<<10), w: frame.NewWriter(ic)}
	if peer.Role != peerRole {
		stop()
		s.w.SendError(fmt.Sprintf("both sides want to %s", role))
		return nil, nil, fmt.Errorf("the peer also wants to %s: run send on one side and recv on the other", role)
	}
	if o.Claim != nil && !o.Claim() {
		stop()
		s.w.SendError("busy: another peer already claimed this session")
		return nil, nil, ErrBusy
	}
	conn.SetDeadline(time.Time{})
	ic.idle, s.idle = o.IdleTimeout, o.IdleTimeout // off during the handshake
	return s, stop, nil
}

// ctxErr prefers the context's error when the connection was closed
// because ctx ended.
func (s *session) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return explainIdle(err, s.idle)
}
