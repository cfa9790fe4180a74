package irc

import (
	"strings"

	"github.com/hubcat/hubcat/irc/ircmsg"
)

// response collects the lines one command produces, to be queued to the
// member's outbox in one piece once the command is done: handlers never
// write to the connection.
type response struct {
	server string // the server name, source of server lines
	nick   string // the client's nick, or "*" before it has one
	buf    []byte
}

// numeric appends a numeric reply to the client: ":server code nick params…".
func (r *response) numeric(code string, params ...string) {
	r.buf = appendLine(r.buf, r.server, code, r.nick, params...)
}

// line appends a server line with any command: ":server cmd params…".
func (r *response) line(cmd string, params ...string) []byte {
	start := len(r.buf)
	r.buf = appendLine(r.buf, r.server, cmd, "", params...)
	return r.buf[start:]
}

// notice appends a server notice to the client.
func (r *response) notice(text string) {
	r.buf = appendLine(r.buf, r.server, "NOTICE", r.nick, text)
}

// errorLine returns an ERROR line, the last thing a dropped client reads.
func (r *response) errorLine(text string) []byte {
	return appendLine(nil, r.server, "ERROR", "", text)
}

// appendLine appends ":source cmd [first] params…" with CRLF. Every
// parameter but the last must be a single word (nicks, channels, codes);
// the last gets a ':' when it needs one. A line over the IRC limit is cut
// at a UTF-8 boundary.
func appendLine(dst []byte, source, cmd, first string, params ...string) []byte {
	start := len(dst)
	if source != "" {
		dst = append(dst, ':')
		dst = append(dst, source...)
		dst = append(dst, ' ')
	}
	dst = append(dst, cmd...)
	if first != "" {
		dst = append(dst, ' ')
		dst = append(dst, first...)
	}
	for i, p := range params {
		dst = append(dst, ' ')
		if i == len(params)-1 && (p == "" || p[0] == ':' || strings.IndexByte(p, ' ') >= 0) {
			dst = append(dst, ':')
		}
		dst = append(dst, p...)
	}
	if n := len(dst) - start; n > ircmsg.MaxBody-2 {
		dst = dst[:start+utf8Cut(dst[start:], ircmsg.MaxBody-2)]
	}
	return append(dst, '\r', '\n')
}

// utf8Cut returns the largest n <= limit such that b[:n] does not end in
// the middle of a UTF-8 sequence.
func utf8Cut[T string | []byte](b T, limit int) int {
	if len(b) <= limit {
		return len(b)
	}
	n := limit
	for n > 0 && n > limit-4 && b[n]&0xC0 == 0x80 { // b[n] continues a sequence
		n--
	}
	return n
}
