package ircmsg

import (
	"errors"
	"strings"
)

// ErrBadParam is returned by Append for a message that has no faithful
// encoding: a parameter with CR, LF or NUL, or a parameter other than the
// last that is empty, holds a space or starts with ':'.
var ErrBadParam = errors.New("ircmsg: parameter cannot be encoded")

// Append appends m as one line, CRLF included. The last parameter gets a
// ':' only when it needs one. Append does not enforce MaxBody: callers
// that relay text cut it first.
func (m *Message) Append(dst []byte) ([]byte, error) {
	if !validCommand(m.Command) {
		return dst, ErrBadCommand
	}
	for i, p := range m.Params {
		if strings.ContainsAny(p, "\r\n\x00") || (i < len(m.Params)-1 && needsColon(p)) {
			return dst, ErrBadParam
		}
	}
	dst = AppendTags(dst, m.Tags)
	if m.Source != "" {
		dst = append(dst, ':')
		dst = append(dst, m.Source...)
		dst = append(dst, ' ')
	}
	dst = append(dst, m.Command...)
	for i, p := range m.Params {
		dst = append(dst, ' ')
		if i == len(m.Params)-1 && needsColon(p) {
			dst = append(dst, ':')
		}
		dst = append(dst, p...)
	}
	return append(dst, '\r', '\n'), nil
}

// String returns m encoded without its CRLF, or "" when it cannot be.
func (m *Message) String() string {
	b, err := m.Append(nil)
	if err != nil {
		return ""
	}
	return string(b[:len(b)-2])
}

// needsColon reports whether p can only be sent as a trailing parameter.
func needsColon(p string) bool {
	return p == "" || p[0] == ':' || strings.IndexByte(p, ' ') >= 0
}
