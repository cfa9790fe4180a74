package frame

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"

	"github.com/flynn/noise"
)

// Records of the secured stream: a two-byte big-endian length, then that
// many bytes of AES-GCM ciphertext and tag. Noise caps a message at 65535
// bytes, so a record carries at most maxPlain bytes of the stream.
const (
	maxRecord = noise.MaxMsgLen
	tagSize   = 16
	maxPlain  = maxRecord - tagSize
	// writeBatch is how much ciphertext Write gathers before one system
	// call: a 1 MiB chunk of a file leaves as a single write.
	writeBatch = 1<<20 + 64<<10
)

// ErrTampered is returned when a record fails authentication: the
// connection was altered in transit, or the peer is not who it claimed.
var ErrTampered = errors.New("frame: message authentication failed: the connection was altered in transit")

// Conn is a connection secured by the handshake: every byte written is
// encrypted and authenticated, every byte read was checked. Deadlines,
// addresses, Close and CloseWrite go to the underlying connection. Read
// and Write may run concurrently with each other; Write is safe for
// concurrent use.
type Conn struct {
	net.Conn
	br   *bufio.Reader // owned by the reading goroutine, like the fields below
	recv *noise.CipherState
	rbuf []byte // decrypted bytes not yet read
	rerr error  // sticky read error

	wmu  sync.Mutex
	send *noise.CipherState // guarded by wmu
	wbuf []byte             // guarded by wmu
}

// newConn wraps conn after a handshake; br holds what was already read
// from conn.
func newConn(conn net.Conn, br *bufio.Reader, send, recv *noise.CipherState) *Conn {
	return &Conn{Conn: conn, br: bufio.NewReaderSize(br, 1<<20), send: send, recv: recv}
}

// Read reads decrypted bytes. When b is large and whole records are
// already buffered, they are decrypted straight into b.
func (c *Conn) Read(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		if len(c.rbuf) > 0 {
			k := copy(b, c.rbuf)
			c.rbuf = c.rbuf[k:]
			n += k
			b = b[k:]
			continue
		}
		if c.rerr != nil || (n > 0 && c.br.Buffered() < 2) {
			break
		}
		if err := c.readRecord(b, n > 0); err != nil {
			if errors.Is(err, errNotBuffered) {
				break
			}
			c.rerr = err
			break
		}
		k := len(c.rbuf)
		if k > 0 && &c.rbuf[0] == &b[0] { // decrypted in place into b
			c.rbuf = nil
			n += k
			b = b[k:]
		}
	}
	if n > 0 {
		return n, nil
	}
	return 0, c.rerr
}

var errNotBuffered = errors.New("record not buffered")

// readRecord decrypts the next record into b when it fits, else into an
// internal buffer; c.rbuf then holds the plaintext. With onlyBuffered it
// does not wait for the network.
func (c *Conn) readRecord(b []byte, onlyBuffered bool) error {
	hdr, err := c.br.Peek(2)
	if err != nil {
		if errors.Is(err, io.EOF) && c.br.Buffered() > 0 {
			return io.ErrUnexpectedEOF
		}
		return err
	}
	size := int(binary.BigEndian.Uint16(hdr))
	if size < tagSize {
		return ErrTampered
	}
	if onlyBuffered && c.br.Buffered() < 2+size {
		return errNotBuffered
	}
	rec, err := c.br.Peek(2 + size)
	if err != nil {
		return unexpected(err)
	}
	out := b[:0]
	if len(b) < size-tagSize {
		out = make([]byte, 0, size-tagSize)
	}
	plain, err := c.recv.Decrypt(out, nil, rec[2:])
	if err != nil {
		return ErrTampered
	}
	c.br.Discard(2 + size)
	c.rbuf = plain
	return nil
}

// Write encrypts b into records and sends them, gathering up to about
// 1 MiB of records per system call.
func (c *Conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wbuf == nil {
		c.wbuf = make([]byte, 0, writeBatch)
	}
	n := 0
	for len(b) > 0 {
		sent := n
		c.wbuf = c.wbuf[:0]
		for len(b) > 0 && len(c.wbuf) < writeBatch-maxRecord-2 {
			k := min(len(b), maxPlain)
			start := len(c.wbuf)
			c.wbuf = append(c.wbuf, 0, 0)
			var err error
			if c.wbuf, err = c.send.Encrypt(c.wbuf, nil, b[:k]); err != nil {
				return sent, err
			}
			binary.BigEndian.PutUint16(c.wbuf[start:], uint16(len(c.wbuf)-start-2))
			b = b[k:]
			n += k
		}
		if _, err := c.Conn.Write(c.wbuf); err != nil {
			return sent, err
		}
	}
	return n, nil
}

// CloseWrite half-closes the underlying connection when it can.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
