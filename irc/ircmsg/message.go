// Package ircmsg parses and serialises IRC protocol lines (RFC 1459 and
// 2812 framing with IRCv3 message tags). It is pure: no sockets, no
// goroutines, no server state, so it can be fuzzed on its own.
//
// A line is
//
//	['@' tags SPACE] [':' source SPACE] command *(SPACE param) [SPACE ':' trailing] CRLF
//
// The body (everything after the tags) is limited to 512 bytes including
// CRLF; the tag section a client sends to 4096 bytes including '@' and the
// space after it, and the one a server sends to 8191 bytes.
package ircmsg

import (
	"errors"
	"strings"
)

// Limits of the wire format, in bytes.
const (
	// MaxBody is the longest body, CRLF included.
	MaxBody = 512
	// MaxClientTags is the longest tag section a client may send,
	// '@' and the trailing space included.
	MaxClientTags = 4096
	// MaxServerTags is the longest tag section a server may send.
	MaxServerTags = 8191
	// MaxLine is the longest line a client may send: tags and body.
	MaxLine = MaxClientTags + MaxBody
	// maxParams is the most parameters a message may have (RFC 2812).
	maxParams = 15
)

// Errors from Parse. Only ErrBodyTooLong comes with a usable message.
var (
	// ErrEmpty: the line holds nothing but spaces.
	ErrEmpty = errors.New("ircmsg: empty line")
	// ErrNoCommand: tags or a source with no command after them.
	ErrNoCommand = errors.New("ircmsg: no command")
	// ErrBadCommand: the command is neither letters nor three digits.
	ErrBadCommand = errors.New("ircmsg: bad command")
	// ErrTagsTooLong: the tag section is over MaxClientTags.
	ErrTagsTooLong = errors.New("ircmsg: tags too long")
	// ErrBadTags: a tag with an empty or invalid key.
	ErrBadTags = errors.New("ircmsg: bad tags")
	// ErrBadChar: NUL, or CR or LF before the end of the line.
	ErrBadChar = errors.New("ircmsg: NUL, CR or LF inside the line")
	// ErrBodyTooLong: the body is over MaxBody. It is not fatal: Parse
	// returns the message parsed from the body cut at the limit, so a
	// server may answer 417 or carry on with the truncated message.
	ErrBodyTooLong = errors.New("ircmsg: line too long")
)

// Tag is one IRCv3 message tag. Value holds the unescaped value; an
// absent value and an empty one are the same.
type Tag struct {
	Key, Value string
}

// Message is one IRC message.
type Message struct {
	Tags    []Tag
	Source  string // without the ':'; "" when absent
	Command string // upper-cased letters, or three digits
	Params  []string
}

// Tag returns the value of the tag named key, and whether it is present.
func (m *Message) Tag(key string) (string, bool) {
	for _, t := range m.Tags {
		if t.Key == key {
			return t.Value, true
		}
	}
	return "", false
}

// Param returns the i-th parameter, or "" when there are fewer.
func (m *Message) Param(i int) string {
	if i < len(m.Params) {
		return m.Params[i]
	}
	return ""
}

// Parse parses one line as sent by a client. A trailing LF or CRLF (or
// lone CR) is removed first. The command is upper-cased. A body over the
// limit is cut at MaxBody-2 bytes and reported with ErrBodyTooLong along
// with the message parsed from what remains.
func Parse(line string) (Message, error) {
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if strings.ContainsAny(line, "\x00\r\n") {
		return Message{}, ErrBadChar
	}
	var m Message
	line = strings.TrimLeft(line, " ")
	if line == "" {
		return m, ErrEmpty
	}
	if line[0] == '@' {
		end := strings.IndexByte(line, ' ')
		if end < 0 {
			return m, ErrNoCommand
		}
		if end+1 > MaxClientTags {
			return m, ErrTagsTooLong
		}
		tags, err := parseTags(line[1:end])
		if err != nil {
			return m, err
		}
		m.Tags = tags
		line = strings.TrimLeft(line[end+1:], " ")
	}
	var tooLong error
	if len(line) > MaxBody-2 {
		line, tooLong = line[:MaxBody-2], ErrBodyTooLong
	}
	if err := m.parseBody(line); err != nil {
		return Message{}, err
	}
	return m, tooLong
}

// parseBody parses the source, command and parameters.
func (m *Message) parseBody(line string) error {
	if line == "" {
		return ErrNoCommand
	}
	if line[0] == ':' {
		end := strings.IndexByte(line, ' ')
		if end < 0 {
			return ErrNoCommand
		}
		m.Source = line[1:end]
		line = strings.TrimLeft(line[end+1:], " ")
	}
	cmd, rest, _ := strings.Cut(line, " ")
	if !validCommand(cmd) {
		if cmd == "" {
			return ErrNoCommand
		}
		return ErrBadCommand
	}
	m.Command = strings.ToUpper(cmd)
	for {
		rest = strings.TrimLeft(rest, " ")
		if rest == "" {
			return nil
		}
		if rest[0] == ':' || len(m.Params) == maxParams-1 {
			m.Params = append(m.Params, strings.TrimPrefix(rest, ":"))
			return nil
		}
		var p string
		p, rest, _ = strings.Cut(rest, " ")
		m.Params = append(m.Params, p)
	}
}

// validCommand: letters only, or exactly three digits.
func validCommand(s string) bool {
	if s == "" {
		return false
	}
	if len(s) == 3 && isDigit(s[0]) && isDigit(s[1]) && isDigit(s[2]) {
		return true
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
