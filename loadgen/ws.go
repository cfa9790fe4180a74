package loadgen

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// wsPath is where the WebSocket servers under test listen.
const wsPath = "/ws"

// wsWire is WebSocket with JSON text messages: a client sends
// {"cmd":"say","room":"lobby","text":PAYLOAD} (hubcat's JSON protocol v1)
// and counts every received text message that carries a "text" field,
// whether hubcat's {"type":"message",…,"text":PAYLOAD} or the command
// itself relayed unchanged by a plain broadcast server. Other events
// (hello, history, members, acks) are ignored.
//
// Frames from the client are masked with a zero key: the server does
// all the unmasking work a browser's frames cost it, and the generator
// none.
type wsWire struct{}

// join does the opening handshake; the server has the client from then on.
func (wsWire) join(c *client) error {
	req := "GET " + wsPath + " HTTP/1.1\r\nHost: " + c.run.cfg.Addr.Address +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13" +
		"\r\nSec-WebSocket-Key: aHViY2F0LWJlbmNoLWtleQ==\r\n\r\n"
	if err := c.write([]byte(req)); err != nil {
		return err
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("websocket upgrade refused: %s", res.Status)
	}
	return nil
}

func (wsWire) appendPublish(b, payload []byte) []byte {
	const head, tail = `{"cmd":"say","room":"lobby","text":"`, `"}`
	n := len(head) + len(payload) + len(tail)
	b = append(b, 0x81) // FIN, text
	switch {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n < 1<<16:
		b = append(b, 0x80|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	b = append(b, 0, 0, 0, 0) // the mask key
	b = append(b, head...)
	b = append(b, payload...)
	return append(b, tail...)
}

func (wsWire) echoes() bool { return false }

// The WebSocket opcodes the reader acts on.
const (
	wsText  = 0x1
	wsClose = 0x8
	wsPing  = 0x9
)

// readLoop reads frames until the connection ends, answering pings. Each
// pass handles every whole frame already buffered, in place, and then
// discards them at once.
func (wsWire) readLoop(c *client) error {
	need := 2 // bytes to have buffered before the next pass
	for {
		if _, err := c.br.Peek(need); err != nil {
			if !errors.Is(err, bufio.ErrBufferFull) {
				return err
			}
			// A frame larger than the buffer: no server here sends one.
			c.garbledLine()
			if _, err := c.br.Discard(need); err != nil {
				return err
			}
			need = 2
			continue
		}
		buf, _ := c.br.Peek(c.br.Buffered())
		used, next, err := wsFrames(c, buf)
		if err != nil {
			return err
		}
		c.br.Discard(used)
		need = next
	}
}

// wsFrames handles the whole frames at the start of buf and returns how
// many bytes they took and how many the next frame needs buffered (at
// least its header, else all of it).
func wsFrames(c *client, buf []byte) (used, need int, err error) {
	defer func() { c.bytesIn.Add(int64(used)) }() // once per pass, not per frame
	for {
		b := buf[used:]
		if len(b) < 2 {
			return used, 2, nil
		}
		head, n := wsFrameSize(b)
		if head < 0 {
			return used, -head, nil // the extended length is not here yet
		}
		if n > 1<<40 {
			return used, 0, errors.New("websocket frame too large")
		}
		size := head + n
		if len(b) < size {
			return used, size, nil
		}
		if err := wsFrame(c, b[0], b[1]&0x80 != 0, b[head:size]); err != nil {
			return used, 0, err
		}
		used += size
	}
}

// wsFrameSize reads the sizes of the header and payload of the server
// frame at the start of b (at least 2 bytes); a negative head is the
// header's length when b does not hold all of it yet.
func wsFrameSize(b []byte) (head, n int) {
	switch code := b[1] & 0x7f; code {
	case 126:
		if len(b) < 4 {
			return -4, 0
		}
		return 4, int(binary.BigEndian.Uint16(b[2:]))
	case 127:
		if len(b) < 10 {
			return -10, 0
		}
		return 10, int(min(binary.BigEndian.Uint64(b[2:]), 1<<41))
	default:
		return 2, int(code)
	}
}

// wsFrame acts on one whole frame: first is its first byte (FIN and
// opcode).
func wsFrame(c *client, first byte, masked bool, payload []byte) error {
	fin, op := first&0x80 != 0, first&0x0f
	switch {
	case masked:
		c.garbledLine() // servers never mask
	case op == wsText && fin:
		wsMessage(c, payload)
	case op == wsPing:
		pong := append([]byte{0x8a, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
		return c.write(pong)
	case op == wsClose:
		return io.EOF
	case op == wsText || op == 0x0:
		c.garbledLine() // fragmented messages: no server here sends them
	}
	return nil
}

// The JSON that marks a chat message, and its text field.
const (
	wsChat    = `{"type":"message"`
	wsRelayed = `{"cmd":"say"`
	wsTextKey = `"text":"`
)

// wsMessage hands the text of a chat message to the client.
func wsMessage(c *client, m []byte) {
	if !hasPrefix(m, wsChat) && !hasPrefix(m, wsRelayed) {
		return
	}
	text, ok := wsMessageText(m)
	if !ok {
		c.garbledLine()
		return
	}
	c.handle(text)
}

// hasPrefix is bytes.HasPrefix for a constant prefix, which the compiler
// compares a word at a time.
func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// wsMessageText finds the text field of a chat message. Both hubcat's
// events and the relayed commands end with it, so it is looked for from
// the end first: the last quote before the closing one opens it. Only
// when another field follows it is the whole message searched.
func wsMessageText(m []byte) ([]byte, bool) {
	if n := len(m); n >= 2 && m[n-1] == '}' && m[n-2] == '"' {
		for q := n - 3; q >= 0; q-- {
			if m[q] == '"' {
				if q+1 >= len(wsTextKey) && string(m[q+1-len(wsTextKey):q+1]) == wsTextKey {
					return m[q+1 : n-2], true
				}
				break
			}
		}
	}
	i := bytes.Index(m, []byte(wsTextKey))
	if i < 0 {
		return nil, false
	}
	text := m[i+len(wsTextKey):]
	j := bytes.IndexByte(text, '"')
	if j < 0 {
		return nil, false
	}
	return text[:j], true
}
