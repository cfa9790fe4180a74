package transfer

import (
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// idleConn fails a session that makes no progress: before and after every
// read or write it pushes both deadlines idle into the future. Pushing the
// read deadline on writes keeps the sender's reply watcher alive while the
// data flows one way.
type idleConn struct {
	net.Conn
	idle time.Duration // zero: off; set before the connection is shared
}

func (c *idleConn) touch() {
	if c.idle > 0 {
		c.Conn.SetDeadline(time.Now().Add(c.idle))
	}
}

func (c *idleConn) Read(b []byte) (int, error) {
	c.touch()
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

func (c *idleConn) Write(b []byte) (int, error) {
	c.touch()
	n, err := c.Conn.Write(b)
	if n > 0 {
		c.touch()
	}
	return n, err
}

// explainIdle rewords a deadline error as the stall it stands for.
func explainIdle(err error, idle time.Duration) error {
	if idle > 0 && errors.Is(err, os.ErrDeadlineExceeded) {
		return fmt.Errorf("no progress for %s: the peer stalled or the network is down (%w)", idle, err)
	}
	return err
}

// CloseWrite half-closes the underlying connection when it can.
func (c *idleConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
