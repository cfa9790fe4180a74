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
// frame is looked at in place in the read buffer, header and payload.
func (wsWire) readLoop(c *client) error {
	for {
		hdr, err := c.br.Peek(2)
		if err != nil {
			return err
		}
		fin, op, masked := hdr[0]&0x80 != 0, hdr[0]&0x0f, hdr[1]&0x80 != 0
		head, n, err := wsFrameSize(c.br, hdr[1]&0x7f)
		if err != nil {
			return err
		}
		size := head + n
		if masked || size > c.br.Size() {
			c.garbledLine() // a masked server frame, or one we cannot peek
			if _, err := c.br.Discard(size); err != nil {
				return err
			}
			continue
		}
		frame, err := c.br.Peek(size)
		if err != nil {
			return err
		}
		payload := frame[head:]
		c.bytesIn.Add(int64(size))
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
		if _, err := c.br.Discard(size); err != nil {
			return err
		}
	}
}

// wsFrameSize reads the sizes of a server frame's header and payload from
// its 7-bit length code and the extended length that may follow.
func wsFrameSize(br *bufio.Reader, code byte) (head, n int, err error) {
	switch code {
	case 126:
		b, err := br.Peek(4)
		if err != nil {
			return 0, 0, err
		}
		return 4, int(binary.BigEndian.Uint16(b[2:])), nil
	case 127:
		b, err := br.Peek(10)
		if err != nil {
			return 0, 0, err
		}
		n := binary.BigEndian.Uint64(b[2:])
		if n > 1<<40 {
			return 0, 0, errors.New("websocket frame too large")
		}
		return 10, int(n), nil
	}
	return 2, int(code), nil
}

var (
	wsChat    = []byte(`{"type":"message"`)
	wsRelayed = []byte(`{"cmd":"say"`)
	wsTextKey = []byte(`"text":"`)
	wsEnd     = []byte(`"}`)
)

// wsMessage hands the text of a chat message to the client.
func wsMessage(c *client, m []byte) {
	if !bytes.HasPrefix(m, wsChat) && !bytes.HasPrefix(m, wsRelayed) {
		return
	}
	text, ok := wsMessageText(m)
	if !ok {
		c.garbledLine()
		return
	}
	c.handle(text)
}

// wsMessageText finds the text field of a chat message. Both hubcat's
// events and the relayed commands end with it, so it is looked for from
// the end first: the last quote before the closing one opens it. Only
// when another field follows it is the whole message searched.
func wsMessageText(m []byte) ([]byte, bool) {
	if body, ok := bytes.CutSuffix(m, wsEnd); ok {
		q := bytes.LastIndexByte(body, '"')
		if q >= 0 && bytes.HasSuffix(body[:q+1], wsTextKey) {
			return body[q+1:], true
		}
	}
	i := bytes.Index(m, wsTextKey)
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
