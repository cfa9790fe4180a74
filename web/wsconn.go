package web

import (
	"bufio"
	"bytes"
	"context"
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
// line written goes out as one text message without the newline. The lines
// of one Write are framed into one buffer and sent with one system call.
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
	raw *corkConn

	readCtx    context.Context
	readCancel context.CancelFunc
	readTimer  atomic.Pointer[time.Timer]
	readExpiry atomic.Bool
	msg        io.Reader // the message being read, nil between messages
	eol        bool      // the newline ending the last message is still owed

	closeOnce sync.Once
	closed    chan struct{} // closed when the close handshake has ended
}

func newMsgConn(ws *websocket.Conn, raw *corkConn) *msgConn {
	ws.SetReadLimit(-1)
	c := &msgConn{ws: ws, raw: raw, closed: make(chan struct{})}
	c.readCtx, c.readCancel = context.WithCancel(context.Background())
	return c
}

// Read implements net.Conn.
func (c *msgConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if c.eol {
		c.eol = false
		p[0] = '\n'
		return 1, nil
	}
	for {
		if c.msg == nil {
			_, r, err := c.ws.Reader(c.readCtx)
			if err != nil {
				return 0, c.readErr(err)
			}
			c.msg = r
		}
		n, err := c.msg.Read(p)
		flatten(p[:n])
		if errors.Is(err, io.EOF) {
			c.msg = nil
			if n < len(p) {
				p[n] = '\n'
				return n + 1, nil
			}
			c.eol = true
			return n, nil
		}
		if err != nil {
			return n, c.readErr(err)
		}
		if n > 0 {
			return n, nil
		}
	}
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

// Write implements net.Conn: each line of b becomes one text message, and
// all of them leave in one write to the socket.
func (c *msgConn) Write(b []byte) (int, error) {
	c.raw.cork()
	rest := b
	var err error
	for len(rest) > 0 && err == nil {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			i = len(rest)
		}
		err = c.ws.Write(context.Background(), websocket.MessageText, rest[:i])
		rest = rest[min(i+1, len(rest)):]
	}
	if uerr := c.raw.uncork(); err == nil {
		err = uerr
	}
	if err != nil {
		return len(b) - len(rest), err
	}
	return len(b), nil
}

// Close starts the close handshake and returns at once: the hub calls
// Close to hang up on a slow consumer, and must not wait for it. The
// socket is closed within a second whatever the peer does.
func (c *msgConn) Close() error {
	c.closeOnce.Do(func() {
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

// SetWriteDeadline implements net.Conn: it bounds the socket writes.
func (c *msgConn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

// corkConn is the hijacked connection under a WebSocket. While corked, it
// collects what the WebSocket library writes, frame by frame; uncork sends
// it all in one write.
type corkConn struct {
	net.Conn
	mu     sync.Mutex
	corked bool
	buf    *[]byte
}

var corkBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Write implements net.Conn.
func (c *corkConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.corked {
		*c.buf = append(*c.buf, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *corkConn) cork() {
	c.mu.Lock()
	c.corked = true
	c.buf = corkBufs.Get().(*[]byte)
	c.mu.Unlock()
}

func (c *corkConn) uncork() error {
	c.mu.Lock()
	c.corked = false
	buf := c.buf
	c.buf = nil
	c.mu.Unlock()
	_, err := c.Conn.Write(*buf)
	if cap(*buf) <= 64<<10 {
		*buf = (*buf)[:0]
		corkBufs.Put(buf)
	}
	return err
}

// corkingWriter hands the WebSocket library a corkConn when it hijacks
// the HTTP connection.
type corkingWriter struct {
	http.ResponseWriter
	conn *corkConn
}

// Unwrap lets http.ResponseController reach the wrapped writer.
func (w *corkingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack implements http.Hijacker.
func (w *corkingWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.conn = &corkConn{Conn: nc}
	return w.conn, bufio.NewReadWriter(brw.Reader, bufio.NewWriterSize(w.conn, 512)), nil
}
