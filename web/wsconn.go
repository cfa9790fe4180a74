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
	"time"

	"github.com/coder/websocket"
)

// msgConn adapts a WebSocket to the net.Conn a line front end reads and
// writes: each message received reads as one line (its text followed by
// '\n'; newlines inside a message read as spaces), and each '\n'-terminated
// line written goes out as one text message without the newline.
//
// One Read returns every message already buffered, so that a burst of
// messages reaches the front end as a burst of lines (which it hands to
// the hub at once). One Write frames all its lines into one buffer and
// sends it with one system call: data frames from a server are unmasked
// and simple, so msgConn writes them itself, under the socket's write
// deadline, and leaves the handshake, reading, control frames (pings,
// close) to the WebSocket library. Both write whole frames in one call on
// the socket, so their frames never interleave.
//
// Caveats, as for websocket.NetConn:
//   - the read limit is off: messages stream through Read, so the line
//     reader's maximum line length is the only size cap;
//   - a read deadline that passes closes the WebSocket (the library cannot
//     abandon a read without closing), so Read then fails for good;
//   - close code 1000 or 1001 from the peer reads as io.EOF.
//
// Read is called by one goroutine at a time, Write likewise.
type msgConn struct {
	ws  *websocket.Conn
	raw net.Conn      // the hijacked connection under ws
	br  *bufio.Reader // what ws reads from: its Buffered input is not yet read

	readCtx    context.Context
	readCancel context.CancelFunc
	readTimer  atomic.Pointer[time.Timer]
	readExpiry atomic.Bool
	msg        io.Reader // the message being read, nil between messages
	eol        bool      // the newline ending the last message is still owed

	closing   atomic.Bool // Close was called: write no more data frames
	closeOnce sync.Once
	closed    chan struct{} // closed when the close handshake has ended
}

func newMsgConn(ws *websocket.Conn, h *hijacked) *msgConn {
	ws.SetReadLimit(-1)
	c := &msgConn{ws: ws, raw: h.conn, br: h.br, closed: make(chan struct{})}
	c.readCtx, c.readCancel = context.WithCancel(context.Background())
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
			_, r, err := c.ws.Reader(c.readCtx)
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
	case c.readExpiry.Load():
		return os.ErrDeadlineExceeded
	case websocket.CloseStatus(err) == websocket.StatusNormalClosure,
		websocket.CloseStatus(err) == websocket.StatusGoingAway:
		return io.EOF
	}
	return err
}

// Write implements net.Conn: each line of b becomes one text frame, and
// all of them leave in one write to the socket.
func (c *msgConn) Write(b []byte) (int, error) {
	if c.closing.Load() {
		return 0, net.ErrClosed
	}
	buf := frameBufs.Get().(*[]byte)
	out := appendFrames((*buf)[:0], b)
	_, err := c.raw.Write(out)
	if cap(out) <= 64<<10 {
		*buf = out[:0]
		frameBufs.Put(buf)
	}
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendFrames appends each '\n'-terminated line of b (the last may lack
// its newline) as one final, unmasked text frame.
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
		c.readCancel()
		if t := c.readTimer.Load(); t != nil {
			t.Stop()
		}
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

// SetReadDeadline implements net.Conn. A deadline that passes closes the
// WebSocket (see msgConn).
func (c *msgConn) SetReadDeadline(t time.Time) error {
	var next *time.Timer
	if !t.IsZero() {
		next = time.AfterFunc(time.Until(t), func() {
			c.readExpiry.Store(true)
			c.readCancel()
		})
	}
	if old := c.readTimer.Swap(next); old != nil {
		old.Stop()
	}
	return nil
}

// SetWriteDeadline implements net.Conn: it bounds the socket writes (data
// frames as well as the library's control frames).
func (c *msgConn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

// hijacked records the connection and reader that the WebSocket library
// takes over from the HTTP server.
type hijacked struct {
	http.ResponseWriter
	conn net.Conn
	br   *bufio.Reader
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
	// The library writes only control frames: a small buffer does.
	return nc, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(nc, 256)), nil
}
