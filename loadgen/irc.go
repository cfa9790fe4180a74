package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// ircChannel is the channel every IRC client joins.
const ircChannel = "#bench"

// ircWire is the IRC client protocol: every client registers as "b<id>",
// joins one channel and sends PRIVMSGs to it. Servers do not echo them.
type ircWire struct{}

// join registers, then joins once welcomed (some servers refuse a JOIN
// until registration is complete), answering pings, until the server has
// sent the end of the channel's names list.
func (ircWire) join(c *client) error {
	hello := "NICK b" + strconv.Itoa(c.id) + "\r\nUSER b 0 * :hubcat bench\r\n"
	if err := c.write([]byte(hello)); err != nil {
		return err
	}
	for {
		line, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			err = skipLine(c.br)
		}
		if err != nil {
			return err
		}
		c.bytesIn.Add(int64(len(line)))
		cmd, _ := ircCommand(line)
		switch string(cmd) {
		case "PING":
			if err := c.write(ircPong(line)); err != nil {
				return err
			}
		case "001":
			if err := c.write([]byte("JOIN " + ircChannel + "\r\n")); err != nil {
				return err
			}
		case "366":
			return nil
		case "ERROR", "432", "433", "465", "471", "473", "474", "475":
			return fmt.Errorf("server refused: %s", bytes.TrimSpace(line))
		}
	}
}

func (ircWire) appendPublish(b, payload []byte) []byte {
	b = append(b, "PRIVMSG "+ircChannel+" :"...)
	b = append(b, payload...)
	return append(b, '\r', '\n')
}

func (ircWire) echoes() bool { return false }

// readLoop hands the text of every PRIVMSG to the client and answers
// pings; other lines (joins, numerics) are ignored.
func (ircWire) readLoop(c *client) error {
	for {
		line, err := c.nextLine()
		if err != nil {
			return err
		}
		cmd, rest := ircCommand(line)
		switch string(cmd) {
		case "PRIVMSG":
			i := bytes.Index(rest, []byte(" :"))
			if i < 0 {
				c.garbledLine()
				continue
			}
			c.handle(bytes.TrimSuffix(bytes.TrimSuffix(rest[i+2:], []byte{'\n'}), []byte{'\r'}))
		case "PING":
			if err := c.write(ircPong(line)); err != nil {
				return err
			}
		}
	}
}

// ircCommand splits a line into its command and what follows, skipping
// tags and the source.
func ircCommand(line []byte) (cmd, rest []byte) {
	if len(line) > 0 && line[0] == '@' {
		_, line, _ = bytes.Cut(line, []byte{' '})
	}
	if len(line) > 0 && line[0] == ':' {
		_, line, _ = bytes.Cut(line, []byte{' '})
	}
	cmd, rest, _ = bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte{' '})
	return cmd, rest
}

// ircPong answers a PING line with its token.
func ircPong(ping []byte) []byte {
	_, token := ircCommand(ping)
	return append(append([]byte("PONG "), token...), '\r', '\n')
}
