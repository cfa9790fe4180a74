package tui

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// DialFunc opens a new connection to the hub.
type DialFunc func(ctx context.Context) (net.Conn, error)

// Errors of the protocol client.
var (
	// ErrNotConnected is returned by a send while no connection is up, or
	// when the connection it was meant for has gone.
	ErrNotConnected = errors.New("tui: not connected")
)

// Messages from the client to the model. Gen numbers each connection, so
// that the model can tell a late message of a dead connection from the
// current one.
type (
	// ConnectingMsg says a dial is under way.
	ConnectingMsg struct{ Attempt int }
	// ConnectedMsg says connection Gen is up (nothing sent on it yet).
	ConnectedMsg struct{ Gen int }
	// DisconnectedMsg says connection Gen has gone, why, and when the
	// next attempt starts. A failed dial reports Gen 0.
	DisconnectedMsg struct {
		Gen   int
		Err   error
		Retry time.Duration
	}
	// EventMsg is one or more events read on connection Gen, in order.
	EventMsg struct {
		Gen    int
		Events []Event
	}
	// SentMsg reports that a batch of commands was written (Err nil) or
	// could not be.
	SentMsg struct {
		Gen int
		N   int
		Err error
	}
)

// Client keeps one connection to the hub alive: its run goroutine dials,
// reads every event and redials with backoff when the connection breaks.
// It is the only reader of the socket; writes come from the model's
// commands, one batch at a time. Everything it learns reaches the model as
// a message on its channel.
type Client struct {
	dial DialFunc
	msgs chan tea.Msg

	mu   sync.Mutex
	conn net.Conn
	gen  int

	// MinBackoff and MaxBackoff bound the wait between attempts.
	MinBackoff, MaxBackoff time.Duration
	// ReadTimeout closes a connection silent for this long (the model
	// pings well within it); zero means 90s.
	ReadTimeout time.Duration
	// WriteTimeout bounds each batch written; zero means 10s.
	WriteTimeout time.Duration
}

// NewClient returns a client that dials with dial. Start it with Run.
func NewClient(dial DialFunc) *Client {
	return &Client{
		dial: dial, msgs: make(chan tea.Msg, 256),
		MinBackoff: 200 * time.Millisecond, MaxBackoff: 10 * time.Second,
		ReadTimeout: 90 * time.Second, WriteTimeout: 10 * time.Second,
	}
}

// Wait is a tea.Cmd that delivers the client's next message; the model
// re-arms it after each one.
func (c *Client) Wait() tea.Msg { return <-c.msgs }

// Run dials, reads and redials until ctx ends.
func (c *Client) Run(ctx context.Context) {
	backoff := c.MinBackoff
	for attempt := 1; ctx.Err() == nil; attempt++ {
		c.post(ctx, ConnectingMsg{Attempt: attempt})
		conn, err := c.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			wait := jitter(backoff)
			c.post(ctx, DisconnectedMsg{Err: err, Retry: wait})
			backoff = min(2*backoff, c.MaxBackoff)
			if !sleep(ctx, wait) {
				return
			}
			continue
		}
		start := time.Now()
		gen := c.attach(conn)
		c.post(ctx, ConnectedMsg{Gen: gen})
		err = c.read(ctx, gen, conn)
		c.detach(gen)
		if ctx.Err() != nil {
			return
		}
		if time.Since(start) > 10*time.Second {
			backoff = c.MinBackoff // it was up a while: a fresh failure
		}
		attempt = 0
		wait := jitter(backoff)
		c.post(ctx, DisconnectedMsg{Gen: gen, Err: err, Retry: wait})
		backoff = min(2*backoff, c.MaxBackoff)
		if !sleep(ctx, wait) {
			return
		}
	}
}

// Send writes cmds on connection gen, as one batch.
func (c *Client) Send(gen int, cmds []Command) error {
	c.mu.Lock()
	conn := c.conn
	if c.gen != gen || conn == nil {
		c.mu.Unlock()
		return ErrNotConnected
	}
	c.mu.Unlock()
	var b []byte
	for _, cmd := range cmds {
		b = cmd.encode(b)
	}
	conn.SetWriteDeadline(time.Now().Add(c.WriteTimeout))
	if _, err := conn.Write(b); err != nil {
		conn.Close() // the reader notices and redials
		return err
	}
	return nil
}

// Drop closes the current connection, as a broken one would be; the
// client redials.
func (c *Client) Drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil {
		c.conn.Close()
	}
}

func (c *Client) attach(conn net.Conn) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.conn = conn
	return c.gen
}

func (c *Client) detach(gen int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen && c.conn != nil {
		c.conn.Close()
		c.conn = nil
	}
}

// read delivers the connection's events until it fails. Lines that are not
// JSON objects (a hub's text greeting before the hello) are skipped. Lines
// already buffered go together in one message, so that a busy room costs
// the model one update and one frame per read, not per line.
func (c *Client) read(ctx context.Context, gen int, conn net.Conn) error {
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	r := bufio.NewReaderSize(conn, 64<<10)
	for {
		conn.SetReadDeadline(time.Now().Add(c.ReadTimeout))
		var batch []Event
		for len(batch) == 0 || (r.Buffered() > 0 && len(batch) < maxBatch) {
			line, err := r.ReadSlice('\n')
			if err == bufio.ErrBufferFull {
				line, err = readLong(r, line)
			}
			if err != nil {
				if len(batch) > 0 {
					c.post(ctx, EventMsg{Gen: gen, Events: batch})
				}
				return err
			}
			var ev Event
			if len(line) > 0 && line[0] == '{' && json.Unmarshal(line, &ev) == nil {
				batch = append(batch, ev)
			}
		}
		if !c.post(ctx, EventMsg{Gen: gen, Events: batch}) {
			return ctx.Err()
		}
	}
}

// maxBatch is the most events one message carries.
const maxBatch = 256

// readLong finishes a line longer than the reader's buffer.
func readLong(r *bufio.Reader, first []byte) ([]byte, error) {
	buf := append([]byte(nil), first...)
	for {
		more, err := r.ReadSlice('\n')
		buf = append(buf, more...)
		if err != bufio.ErrBufferFull {
			return buf, err
		}
	}
}

func (c *Client) post(ctx context.Context, m tea.Msg) bool {
	select {
	case c.msgs <- m:
		return true
	case <-ctx.Done():
		return false
	}
}

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
