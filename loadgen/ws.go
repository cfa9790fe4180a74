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

// readLoop reads frames until the connection ends, answering pings.
func (wsWire) readLoop(c *client) error {
	var hdr [14]byte
	for {
		if _, err := io.ReadFull(c.br, hdr[:2]); err != nil {
			return err
		}
		fin, op := hdr[0]&0x80 != 0, hdr[0]&0x0f
		n, err := wsLength(c.br, hdr[1]&0x7f)
		if err != nil {
			return err
		}
		if hdr[1]&0x80 != 0 || n > int64(c.br.Size()) {
			c.garbledLine() // a masked server frame, or one we cannot peek
			if _, err := c.br.Discard(int(n)); err != nil {
				return err
			}
			continue
		}
		payload, err := c.br.Peek(int(n))
		if err != nil {
			return err
		}
		c.bytesIn.Add(2 + n)
		switch {
		case op == wsText && fin:
			wsMessage(c, payload)
		case op == wsPing:
			pong := append([]byte{0x8a, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...)
			if err := c.write(pong); err != nil {
				return err
			}
		case op == wsClose:
			return io.EOF
		case op == wsText || op == 0x0:
			c.garbledLine() // fragmented messages: no server here sends them
		}
		if _, err := c.br.Discard(int(n)); err != nil {
			return err
		}
	}
}

// wsLength reads the payload length that follows the 7-bit length code.
func wsLength(br *bufio.Reader, code byte) (int64, error) {
	var ext [8]byte
	switch code {
	case 126:
		if _, err := io.ReadFull(br, ext[:2]); err != nil {
			return 0, err
		}
		return int64(binary.BigEndian.Uint16(ext[:2])), nil
	case 127:
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			return 0, err
		}
		n := binary.BigEndian.Uint64(ext[:])
		if n > 1<<40 {
			return 0, errors.New("websocket frame too large")
		}
		return int64(n), nil
	}
	return int64(code), nil
}

var (
	wsChat    = []byte(`{"type":"message"`)
	wsRelayed = []byte(`{"cmd":"say"`)
	wsTextKey = []byte(`"text":"`)
)

// wsMessage hands the text of a chat message to the client.
func wsMessage(c *client, m []byte) {
	if !bytes.HasPrefix(m, wsChat) && !bytes.HasPrefix(m, wsRelayed) {
		return
	}
	i := bytes.Index(m, wsTextKey)
	if i < 0 {
		c.garbledLine()
		return
	}
	text := m[i+len(wsTextKey):]
	j := bytes.IndexByte(text, '"')
	if j < 0 {
		c.garbledLine()
		return
	}
	c.handle(text[:j])
}
