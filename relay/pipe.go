package relay

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Errors returned by the relay functions.
var (
	// ErrIdle is returned when nothing moved for Options.IdleTimeout. It is
	// a net.Error whose Timeout method reports true.
	ErrIdle error = idleError{}
)

type idleError struct{}

func (idleError) Error() string   { return "relay: idle timeout" }
func (idleError) Timeout() bool   { return true }
func (idleError) Temporary() bool { return false }

// Options tune [Pipe]. The zero value relays both ways and half-closes at
// the end of input.
type Options struct {
	// CloseOnEOF closes the connection when input ends instead of shutting
	// down its write side and waiting for the peer to close.
	CloseOnEOF bool
	// SendOnly discards what the peer sends (it is still read, so the
	// peer's close is seen and no reset destroys data in flight).
	SendOnly bool
	// RecvOnly never reads the input.
	RecvOnly bool
	// CRLF turns each LF in the input that is not already preceded by CR
	// into CRLF.
	CRLF bool
	// IdleTimeout ends the relay with ErrIdle when no byte has moved in
	// either direction for this long; zero means never.
	IdleTimeout time.Duration
	// Hex, if set, receives a hex dump of the traffic: "<" lines for bytes
	// received, ">" lines for bytes sent.
	Hex io.Writer
}

// fast reports whether the bytes can go straight from io.Copy to io.Copy,
// which keeps *net.TCPConn and *os.File visible for splice(2).
func (o Options) fast() bool {
	return !o.CRLF && o.IdleTimeout == 0 && o.Hex == nil
}

// Linger is how long Pipe keeps sending after the peer has closed its
// side, once the input has gone quiet: input still flowing reaches the
// peer, and an idle terminal does not keep a finished session open.
const Linger = 500 * time.Millisecond

// Pipe relays in → c and c → out until both directions are done, the input
// ends with CloseOnEOF set, ctx is cancelled, or an error occurs. At the end
// of input (without CloseOnEOF) only the write side of c is shut down and
// Pipe reads on until the peer closes. If the peer closes first, Pipe keeps
// sending while input flows and returns once input ends or has been quiet
// for [Linger]. Pipe closes c before it returns. A read from in may still be
// blocked when Pipe returns; in is never closed.
func Pipe(ctx context.Context, c net.Conn, in io.Reader, out io.Writer, o Options) error {
	defer c.Close()
	if err := handshake(ctx, c); err != nil {
		return err
	}
	var fromPeer io.Reader = c
	if o.SendOnly {
		out = io.Discard
	}
	if o.CRLF {
		in = &crlfReader{r: in}
	}
	var idle *idleWatch
	if !o.fast() {
		var hexMu sync.Mutex
		sent := &tap{r: in}
		got := &tap{r: c}
		if o.IdleTimeout > 0 {
			idle = newIdleWatch(o.IdleTimeout, c)
			defer idle.stop()
			sent.touch, got.touch = idle.touch, idle.touch
		}
		if o.Hex != nil {
			sent.hex = &hexDumper{w: o.Hex, mu: &hexMu, dir: '>'}
			got.hex = &hexDumper{w: o.Hex, mu: &hexMu, dir: '<'}
		}
		in, fromPeer = sent, got
	}

	var s sender
	var closed atomic.Bool // c closed on purpose at the end of input
	s.progress()           // the linger clock starts now, not when the goroutine runs
	up := make(chan error, 1)
	if !o.RecvOnly {
		go func() {
			err := s.send(c, in)
			if err == nil {
				if o.CloseOnEOF {
					closed.Store(true)
					c.Close()
				} else {
					err = closeWrite(c)
				}
			}
			up <- err
		}()
	}
	down := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, fromPeer)
		down <- err
	}()

	select {
	case err := <-up:
		if err != nil && !isPeerGone(err) {
			return err
		}
		select {
		case err = <-down:
		case <-ctx.Done():
			return ctx.Err()
		}
		return finish(err, idle, closed.Load())
	case err := <-down:
		if err != nil || o.RecvOnly {
			return finish(err, idle, closed.Load())
		}
		if err := s.linger(ctx, up); err != nil && !isPeerGone(err) {
			return err
		}
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendBuffer is the size of the buffer between input and connection. On
// Linux a plain read/write loop through it outruns splice(2) from a pipe
// and sendfile(2) from a file into a loopback TCP socket (bench/RESULTS.md);
// the receiving side is left to io.Copy, where splice wins.
const sendBuffer = 256 << 10

// sender copies input to the connection and notes when input last moved.
// Input is quiet when nothing has been read from it for a while and
// nothing read is still waiting to be written: a peer that is merely slow
// to take the bytes does not make the input quiet.
type sender struct {
	last atomic.Int64 // unix nanoseconds of the last read or write
	busy atomic.Bool  // bytes read from input are waiting to be written
}

func (s *sender) progress() { s.last.Store(time.Now().UnixNano()) }

// blocked records whether input bytes wait for the connection.
func (s *sender) blocked(b bool) {
	s.busy.Store(b)
	s.progress()
}

// send copies in to c through sendBuffer, marking each read as progress
// and as pending until the next read begins.
func (s *sender) send(c net.Conn, in io.Reader) error {
	growPipe(in)
	r := readFunc(func(p []byte) (int, error) {
		s.blocked(false) // the previous chunk has been written
		n, err := in.Read(p)
		if n > 0 {
			s.blocked(true)
		}
		return n, err
	})
	_, err := io.CopyBuffer(writeFunc(c.Write), r, make([]byte, sendBuffer))
	return err
}

type readFunc func([]byte) (int, error)

func (f readFunc) Read(p []byte) (int, error) { return f(p) }

type writeFunc func([]byte) (int, error)

func (f writeFunc) Write(p []byte) (int, error) { return f(p) }

// linger waits for the input to end or go quiet for Linger.
func (s *sender) linger(ctx context.Context, up <-chan error) error {
	for {
		wait := Linger
		if !s.busy.Load() {
			wait = time.Duration(s.last.Load()) + Linger - time.Duration(time.Now().UnixNano())
		}
		if wait <= 0 {
			return nil
		}
		t := time.NewTimer(wait)
		select {
		case err := <-up:
			t.Stop()
			return err
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// isPeerGone reports errors that only mean the peer has closed.
func isPeerGone(err error) bool {
	return errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ENOTCONN) || errors.Is(err, net.ErrClosed)
}

// finish turns the receiving side's end into Pipe's result.
func finish(err error, idle *idleWatch, closedByUs bool) error {
	if idle != nil && idle.fired.Load() {
		return ErrIdle
	}
	if closedByUs && errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// HandshakeTimeout bounds the TLS handshake of each accepted connection,
// so a peer that connects and says nothing holds no slot for long.
const HandshakeTimeout = 10 * time.Second

// handshake completes a TLS handshake up front, so that an input that
// ends at once can still shut down the write side cleanly.
func handshake(ctx context.Context, c net.Conn) error {
	if hc, ok := c.(interface{ HandshakeContext(context.Context) error }); ok {
		return hc.HandshakeContext(ctx)
	}
	return nil
}

// serverHandshake is handshake for an accepted connection, within
// HandshakeTimeout.
func serverHandshake(ctx context.Context, c net.Conn) error {
	ctx, cancel := context.WithTimeout(ctx, HandshakeTimeout)
	defer cancel()
	return handshake(ctx, c)
}

// closeWrite shuts down the write side of c when the transport can.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// tap passes reads through, noting activity and feeding a hex dump.
type tap struct {
	r     io.Reader
	touch func()
	hex   *hexDumper
}

func (t *tap) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		if t.touch != nil {
			t.touch()
		}
		if t.hex != nil {
			t.hex.dump(p[:n])
		}
	}
	return n, err
}

// idleWatch closes a connection when touch has not been called for d.
type idleWatch struct {
	d     time.Duration
	c     io.Closer
	last  atomic.Int64 // unix nanoseconds of the last activity
	fired atomic.Bool
	timer *time.Timer // nil until start; set and stopped by one goroutine
}

// newIdleWatch returns a watch whose clock runs from now.
func newIdleWatch(d time.Duration, c io.Closer) *idleWatch {
	w := &idleWatch{d: d, c: c}
	w.start()
	return w
}

// start starts the clock of a watch made without one.
func (w *idleWatch) start() {
	w.touch()
	w.timer = time.AfterFunc(w.d, w.check)
}

func (w *idleWatch) started() bool { return w.timer != nil }

// check closes the connection if it has been idle for d, or looks again
// when it may have been.
func (w *idleWatch) check() {
	left := time.Duration(w.last.Load()+int64(w.d)) - time.Duration(time.Now().UnixNano())
	if left > 0 {
		w.timer.Reset(left)
		return
	}
	w.fired.Store(true)
	w.c.Close()
}

func (w *idleWatch) touch() { w.last.Store(time.Now().UnixNano()) }

// stop ends the watch; a nil watch (no idle timeout) or one never started
// is fine.
func (w *idleWatch) stop() {
	if w != nil && w.timer != nil {
		w.timer.Stop()
	}
}

// crlfReader turns bare LF into CRLF.
type crlfReader struct {
	r      io.Reader
	buf    []byte
	out    []byte
	pend   []byte
	err    error
	lastCR bool
}

func (c *crlfReader) Read(p []byte) (int, error) {
	if len(c.pend) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		if c.buf == nil {
			c.buf = make([]byte, 32<<10)
		}
		n, err := c.r.Read(c.buf)
		c.err = err
		c.out = c.out[:0]
		for _, b := range c.buf[:n] {
			if b == '\n' && !c.lastCR {
				c.out = append(c.out, '\r')
			}
			c.out = append(c.out, b)
			c.lastCR = b == '\r'
		}
		c.pend = c.out
		if len(c.pend) == 0 {
			return 0, err
		}
	}
	n := copy(p, c.pend)
	c.pend = c.pend[n:]
	return n, nil
}
