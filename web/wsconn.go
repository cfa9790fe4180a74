package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/internal/sockwrite"
)

// msgConn adapts a WebSocket to the net.Conn a line front end reads and
// writes: each message received reads as one line (its text followed by
// '\n'; newlines inside a message read as spaces), and what is written is
// whole text frames, which the front end frames as it renders events
// (appendFrames, as chat.Config.Framer), once per burst for all members.
//
// One Read returns every message already buffered, so that a burst of
// messages reaches the front end as a burst of lines (which it hands to
// the hub at once). One Write sends its frames with one system call: data
// frames from a server are unmasked and simple, so msgConn writes them
// itself, under the socket's write deadline, and leaves the handshake,
// reading and control frames (pings, close) to the WebSocket library.
// TryWriter gives the hub the same write without blocking, so a browser
// that keeps up is written to inline, as a TCP client is. Every write to
// the socket goes through one frameWriter, so frames never interleave.
//
// Caveats, as for websocket.NetConn:
//   - the read limit is off: messages stream through Read, so the line
//     reader's maximum line length is the only size cap;
//   - a read deadline that passes in the middle of a frame leaves the
//     WebSocket out of step, so Read then fails for good;
//   - close code 1000 or 1001 from the peer reads as io.EOF.
//
// Read is called by one goroutine at a time, Write likewise.
type msgConn struct {
	ws  *websocket.Conn
	raw net.Conn        // the hijacked connection under ws
	rc  syscall.RawConn // raw's descriptor, for WaitInput; nil for TLS
	out *frameWriter    // every write to raw
	br  *bufio.Reader   // what ws reads from: its Buffered input is not yet read

	msg io.Reader // the message being read, nil between messages
	eol bool      // the newline ending the last message is still owed

	closing   atomic.Bool // Close was called: write no more data frames
	closeOnce sync.Once
	closed    chan struct{} // closed when the close handshake has ended
}

func newMsgConn(ws *websocket.Conn, h *hijacked) *msgConn {
	ws.SetReadLimit(-1)
	c := &msgConn{ws: ws, raw: h.conn, out: h.out, br: h.br, closed: make(chan struct{})}
	if sc, ok := h.conn.(syscall.Conn); ok {
		c.rc, _ = sc.SyscallConn()
	}
	return c
}

// Read implements net.Conn: it returns the rest of the message being read
// and then, while p has room and more input is buffered, further messages.
func (c *msgConn) Read(p []byte) (int, error) {
	n := 0
	if c.eol && len(p) > 0 {
		c.eol = false
		p[0] = '\n'
		n = 1
	}
	for n < len(p) {
		if c.msg == nil {
			if n > 0 && c.br.Buffered() == 0 {
				return n, nil // nothing more at hand
			}
			c.WaitInput()
			_, r, err := c.ws.Reader(context.Background()) // the socket's read deadline bounds it
			if err != nil {
				if n > 0 {
					return n, nil // the error comes again on the next call
				}
				return 0, c.readErr(err)
			}
			c.msg = r
		}
		m, err := c.msg.Read(p[n:])
		flatten(p[n : n+m])
		n += m
		if errors.Is(err, io.EOF) {
			c.msg = nil
			if n == len(p) {
				c.eol = true
				return n, nil
			}
			p[n] = '\n'
			n++
			continue
		}
		if err != nil {
			if n > 0 {
				return n, nil
			}
			return 0, c.readErr(err)
		}
		if m > 0 && c.msg != nil && c.br.Buffered() == 0 {
			return n, nil // the message goes on, but not yet
		}
	}
	return n, nil
}

// WaitInput blocks until the socket has input, or an error or EOF to
// report, or the read deadline passes (line.InputWaiter). An idle client's reader goroutine
// waits here, a few calls deep, rather than deep in the WebSocket library,
// so its stack stays small: ten thousand idle clients hold ten thousand of
// them. Without a descriptor (TLS) it returns at once.
func (c *msgConn) WaitInput() {
	if c.rc == nil || c.msg != nil || c.eol || c.br.Buffered() > 0 {
		return // input is at hand already, or cannot be waited for here
	}
	var b [1]byte
	c.rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN
	})
}

// flatten turns the line breaks inside a message into spaces, so that one
// message stays one line (JSON treats them alike).
func flatten(b []byte) {
	for {
		i := bytes.IndexAny(b, "\r\n")
		if i < 0 {
			return
		}
		b[i] = ' '
		b = b[i+1:]
	}
}

// readErr maps the library's read errors to what a net.Conn reader expects.
func (c *msgConn) readErr(err error) error {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return os.ErrDeadlineExceeded
	case websocket.CloseStatus(err) == websocket.StatusNormalClosure,
		websocket.CloseStatus(err) == websocket.StatusGoingAway:
		return io.EOF
	}
	return err
}

// Write implements net.Conn: b holds whole text frames (the chat front
// end frames what it writes, see chat.Config.Framer), written as they are.
func (c *msgConn) Write(b []byte) (int, error) {
	if c.closing.Load() {
		return 0, net.ErrClosed
	}
	if err := c.out.writeFrames(b); err != nil {
		return 0, err
	}
	return len(b), nil
}

// TryWriter gives the hub a non-blocking write of frames (see
// sockwrite.TryWriter), or nil when the socket has no descriptor of its
// own (TLS).
func (c *msgConn) TryWriter() hub.TryWriteFunc {
	if c.out.try == nil {
		return nil
	}
	return func(bufs [][]byte) (int, error) {
		if c.closing.Load() {
			return 0, net.ErrClosed
		}
		return c.out.tryFrames(bufs)
	}
}

// frameWriter is the one way to the socket under a WebSocket: the hub's
// data frames, written inline without blocking or by its writer
// goroutine, and the library's control frames (pings, pongs, close), which
// it writes through Write. A frame the socket took only in part leaves its
// unsent end in tail, which whoever writes next sends first, so frames
// never interleave.
type frameWriter struct {
	conn net.Conn
	try  hub.TryWriteFunc // non-blocking write to conn; nil without a descriptor

	mu   sync.Mutex
	tail [1][]byte // the unsent end of a frame, if any; guarded by mu
}

// Write implements io.Writer for the library: a blocking write of whole
// control frames, after any tail.
func (w *frameWriter) Write(b []byte) (int, error) {
	return len(b), w.writeFrames(b)
}

// writeFrames writes b, whole frames, after any tail, blocking as needed.
func (w *frameWriter) writeFrames(b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.tail[0]) > 0 {
		if _, err := w.conn.Write(w.tail[0]); err != nil {
			return err
		}
		w.tail[0] = nil
	}
	_, err := w.conn.Write(b)
	return err
}

// tryFrames writes what the socket takes now of bufs, each whole frames,
// after any tail. It reports how much of bufs it has dealt with: what went
// out, and the rest of a frame that went out in part, kept as the tail.
// When the library is writing a control frame, or the tail does not go out
// whole, it writes nothing and leaves bufs to the blocking writer.
func (w *frameWriter) tryFrames(bufs [][]byte) (int, error) {
	if !w.mu.TryLock() {
		return 0, nil
	}
	defer w.mu.Unlock()
	if len(w.tail[0]) > 0 {
		n, err := w.try(w.tail[:])
		w.tail[0] = w.tail[0][n:]
		if err != nil || len(w.tail[0]) > 0 {
			return 0, err
		}
		w.tail[0] = nil
	}
	n, err := w.try(bufs)
	if err != nil || n == 0 {
		return n, err
	}
	done := 0 // bytes of the buffers before b
	for _, b := range bufs {
		if n > done+len(b) {
			done += len(b)
			continue
		}
		end := frameEnd(b, n-done) // n-done > 0: b holds byte n-1
		if end > n-done {
			w.tail[0] = append([]byte(nil), b[n-done:end]...)
		}
		return done + end, nil
	}
	return n, nil
}

// frameEnd is where, in b (whole frames), the frame holding byte n-1 ends.
func frameEnd(b []byte, n int) int {
	end := 0
	for end < n {
		end += frameLen(b[end:])
	}
	return end
}

// frameLen is the length of the unmasked frame at the start of b.
func frameLen(b []byte) int {
	switch n := b[1] & 0x7f; n {
	case 126:
		return 4 + int(binary.BigEndian.Uint16(b[2:]))
	case 127:
		return 10 + int(binary.BigEndian.Uint64(b[2:]))
	default:
		return 2 + int(n)
	}
}

// appendFrames appends each '\n'-terminated line of b (the last may lack
// its newline) as one final, unmasked text frame: the chat front end's
// Framer for WebSocket clients.
func appendFrames(out, b []byte) []byte {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		out = append(out, 0x81) // FIN, text
		switch n := len(line); {
		case n < 126:
			out = append(out, byte(n))
		case n < 1<<16:
			out = append(out, 126)
			out = binary.BigEndian.AppendUint16(out, uint16(n))
		default:
			out = append(out, 127)
			out = binary.BigEndian.AppendUint64(out, uint64(n))
		}
		out = append(out, line...)
	}
	return out
}

// Close starts the close handshake and returns at once: the hub calls
// Close to hang up on a slow consumer, and must not wait for it. The
// socket is closed within a second whatever the peer does.
func (c *msgConn) Close() error {
	c.closeOnce.Do(func() {
		c.closing.Store(true)
		c.raw.SetReadDeadline(time.Now()) // ends a read under way
		force := time.AfterFunc(time.Second, func() { c.ws.CloseNow() })
		go func() {
			defer close(c.closed)
			c.ws.Close(websocket.StatusNormalClosure, "")
			force.Stop()
		}()
	})
	return nil
}

// LocalAddr implements net.Conn.
func (c *msgConn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr implements net.Conn.
func (c *msgConn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// SetDeadline implements net.Conn.
func (c *msgConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// SetReadDeadline implements net.Conn: it is the socket's, so it costs
// no timer of its own. A deadline that passes in the middle of a frame
// leaves the WebSocket unreadable (see msgConn).
func (c *msgConn) SetReadDeadline(t time.Time) error { return c.raw.SetReadDeadline(t) }

// SetWriteDeadline implements net.Conn: it bounds the socket writes (data
// frames as well as the library's control frames).
func (c *msgConn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

// wsReadBuffer is the size of a WebSocket's read buffer.
const wsReadBuffer = 128

// hijacked records the connection and reader that the WebSocket library
// takes over from the HTTP server, and puts a frameWriter under its
// writes.
type hijacked struct {
	http.ResponseWriter
	conn net.Conn
	br   *bufio.Reader
	out  *frameWriter
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (h *hijacked) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// Hijack implements http.Hijacker.
func (h *hijacked) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(h.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	h.conn, h.br = nc, brw.Reader
	if h.br.Buffered() == 0 {
		// The HTTP server's 4 KiB reader would be most of what an idle
		// client costs; a browser's messages are small, and longer reads
		// go around a buffer anyway.
		h.br = bufio.NewReaderSize(nc, wsReadBuffer)
	}
	h.out = &frameWriter{conn: nc, try: sockwrite.TryWriter(nc)}
	// The library writes only control frames: a small buffer does.
	return nc, bufio.NewReadWriter(h.br, bufio.NewWriterSize(h.out, 256)), nil
}
