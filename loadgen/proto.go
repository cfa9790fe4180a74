package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Proto names the wire protocol the load generator speaks.
type Proto string

// The protocols the load generator speaks.
const (
	// Lines is a plain line chat: every line a client sends reaches the
	// other clients, perhaps behind a "<name> " prefix (hubcat, ncat --chat,
	// the seed 001 server).
	Lines Proto = "lines"
	// NATS is the NATS text protocol: every client subscribes to one
	// subject and publishes to it; the server echoes to the publisher.
	NATS Proto = "nats"
	// IRC is the IRC client protocol: every client joins one channel and
	// sends PRIVMSGs to it (hubcat serve --irc, ngircd, inspircd).
	IRC Proto = "irc"
	// WS is WebSocket with JSON messages at /ws (hubcat serve's web
	// listener, or a broadcast server relaying each message to the others).
	WS Proto = "ws"
)

// subject is the NATS subject every client subscribes and publishes to.
const subject = "hubcat.bench"

// wire is what differs between the protocols.
type wire interface {
	// join does the handshake on a fresh connection; when it returns, the
	// server has the client in its broadcast set (as far as the protocol
	// can tell).
	join(c *client) error
	// appendPublish frames one message for sending.
	appendPublish(b, payload []byte) []byte
	// readLoop reads until the connection fails, calling c.handle with every
	// received message payload.
	readLoop(c *client) error
	// echoes reports whether a sender receives its own messages.
	echoes() bool
}

func newWire(p Proto) (wire, error) {
	switch p {
	case Lines, "":
		return lineWire{}, nil
	case NATS:
		return natsWire{}, nil
	case IRC:
		return ircWire{}, nil
	case WS:
		return wsWire{}, nil
	}
	return nil, fmt.Errorf("unknown protocol %q (want lines, nats, irc or ws)", p)
}

// lineWire is the plain line chat.
type lineWire struct{}

// join waits for the server's first line when the config says it greets;
// a server that accepts slowly (a short listen backlog) is then never
// flooded with more pending connections than DialConcurrency.
func (lineWire) join(c *client) error {
	if !c.run.cfg.Greeting {
		return nil
	}
	line, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return skipLine(c.br)
	}
	c.bytesIn.Add(int64(len(line)))
	return err
}

func (lineWire) appendPublish(b, payload []byte) []byte {
	b = append(b, payload...)
	return append(b, '\n')
}

func (lineWire) echoes() bool { return false }

// nextLine returns the next whole line, counting its bytes; a line too
// long for the buffer is counted as garbled and skipped.
func (c *client) nextLine() ([]byte, error) {
	for {
		line, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			c.garbledLine()
			if err = skipLine(c.br); err != nil {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		c.bytesIn.Add(int64(len(line)))
		return line, nil
	}
}

func (lineWire) readLoop(c *client) error {
	for {
		line, err := c.nextLine()
		if err != nil {
			return err
		}
		line = bytes.TrimSuffix(line[:len(line)-1], []byte{'\r'})
		c.handle(line)
	}
}

// skipLine discards input up to and including the next newline.
func skipLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// natsWire is the NATS client protocol, text form.
type natsWire struct{}

func (natsWire) join(c *client) error {
	_, err := io.WriteString(c.conn, "CONNECT {\"verbose\":false,\"pedantic\":false,\"echo\":true,\"name\":\"hubcat-bench\"}\r\nSUB "+subject+" 1\r\nPING\r\n")
	if err != nil {
		return err
	}
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		switch {
		case bytes.HasPrefix(line, []byte("PONG")):
			return nil
		case bytes.HasPrefix(line, []byte("-ERR")):
			return fmt.Errorf("server refused: %s", bytes.TrimSpace(line))
		case bytes.HasPrefix(line, []byte("PING")):
			if err := c.write([]byte("PONG\r\n")); err != nil {
				return err
			}
		}
	}
}

func (natsWire) appendPublish(b, payload []byte) []byte {
	b = append(b, "PUB "+subject+" "...)
	b = strconv.AppendInt(b, int64(len(payload)), 10)
	b = append(b, '\r', '\n')
	b = append(b, payload...)
	return append(b, '\r', '\n')
}

func (natsWire) echoes() bool { return true }

func (natsWire) readLoop(c *client) error {
	for {
		line, err := c.br.ReadSlice('\n')
		if err != nil {
			return err
		}
		c.bytesIn.Add(int64(len(line)))
		switch {
		case bytes.HasPrefix(line, []byte("MSG ")):
			if err := natsMessage(c, line); err != nil {
				return err
			}
		case bytes.HasPrefix(line, []byte("PING")):
			if err := c.write([]byte("PONG\r\n")); err != nil {
				return err
			}
		case bytes.HasPrefix(line, []byte("-ERR")):
			c.garbledLine()
		}
	}
}

// natsMessage reads the payload announced by a "MSG subject sid [reply] n"
// line and hands it to the client.
func natsMessage(c *client, line []byte) error {
	line = bytes.TrimRight(line, "\r\n")
	i := bytes.LastIndexByte(line, ' ')
	size, rest, ok := parseUint(line[i+1:])
	if !ok || len(rest) > 0 || size > 1<<26 {
		return fmt.Errorf("bad MSG line %q", line)
	}
	n := int(size)
	if n+2 > c.br.Size() {
		c.garbledLine()
		_, err := c.br.Discard(n + 2)
		return err
	}
	payload, err := c.br.Peek(n + 2)
	if err != nil {
		return err
	}
	c.bytesIn.Add(int64(n + 2))
	c.handle(payload[:n])
	_, err = c.br.Discard(n + 2)
	return err
}
