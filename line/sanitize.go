package line

import (
	"bytes"
	"unicode/utf8"
)

// Telnet command bytes (RFC 854).
const (
	iac  = 255
	dont = 254
	do   = 253
	wont = 252
	will = 251
	sb   = 250
	se   = 240
)

// sanitize appends the cleaned form of raw to dst: telnet negotiation
// removed, control characters dropped (tab becomes a space), invalid UTF-8
// replaced with U+FFFD. It reports whether any UTF-8 was repaired.
func sanitize(dst, raw []byte) ([]byte, bool) {
	raw = stripTelnet(raw)
	repaired := false
	for len(raw) > 0 {
		c := raw[0]
		if c < utf8.RuneSelf {
			switch {
			case c == '\t':
				dst = append(dst, ' ')
			case c >= 0x20 && c != 0x7f:
				dst = append(dst, c)
			}
			raw = raw[1:]
			continue
		}
		ru, size := utf8.DecodeRune(raw)
		switch {
		case ru == utf8.RuneError && size <= 1:
			dst = utf8.AppendRune(dst, utf8.RuneError)
			repaired = true
		case ru >= 0x80 && ru <= 0x9f: // C1 controls
		default:
			dst = append(dst, raw[:size]...)
		}
		raw = raw[size:]
	}
	return dst, repaired
}

// subnegotiationEnd is IAC SE, which ends IAC SB … .
var subnegotiationEnd = []byte{iac, se}

// stripTelnet removes telnet commands from a line in place and returns the
// rest. An escaped IAC IAC stands for byte 255, which is never valid UTF-8,
// so it is dropped along with the commands. A command never runs past the
// end of its line: hubcat negotiates no option, so no client has cause to
// send one that does. In particular IAC SB without its IAC SE on the same
// line is not taken for a subnegotiation — 0xFF 0xFA is also "ÿú" in
// Latin-1 — and only those two bytes are dropped; the rest of the line,
// and every line after it, is read as usual.
func stripTelnet(raw []byte) []byte {
	out := raw[:0] // written behind the reading position
	for i := 0; i < len(raw); i++ {
		if raw[i] != iac {
			out = append(out, raw[i])
			continue
		}
		if i+1 == len(raw) {
			break
		}
		switch raw[i+1] {
		case will, wont, do, dont:
			i += 2 // the command and its option
		case sb:
			if end := bytes.Index(raw[i+2:], subnegotiationEnd); end >= 0 {
				i += 2 + end + 1 // through IAC SE
			} else {
				i++ // a stray IAC SB: drop just it
			}
		default: // IAC IAC, or a two-byte command such as NOP or AYT
			i++
		}
	}
	return out
}
