package line

import (
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

// telnetState carries a negotiation that spans reads or lines.
type telnetState uint8

const (
	telnetData   telnetState = iota
	telnetIAC                // saw IAC
	telnetOption             // saw IAC WILL/WONT/DO/DONT, option byte next
	telnetSub                // inside IAC SB … IAC SE
	telnetSubIAC             // saw IAC inside a subnegotiation
)

// sanitize appends the cleaned form of raw to dst: telnet negotiation
// removed, control characters dropped (tab becomes a space), invalid UTF-8
// replaced with U+FFFD. It reports whether any UTF-8 was repaired.
func (r *Reader) sanitize(dst, raw []byte) ([]byte, bool) {
	raw = r.stripTelnet(raw)
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

// stripTelnet removes IAC sequences from raw in place and returns the rest.
// An escaped IAC IAC stands for byte 255, which is never valid UTF-8, so it
// is dropped along with the commands.
func (r *Reader) stripTelnet(raw []byte) []byte {
	out := raw[:0]
	for _, c := range raw {
		switch r.telnet {
		case telnetData:
			if c == iac {
				r.telnet = telnetIAC
			} else {
				out = append(out, c)
			}
		case telnetIAC:
			switch c {
			case will, wont, do, dont:
				r.telnet = telnetOption
			case sb:
				r.telnet = telnetSub
			default: // IAC IAC, or a two-byte command such as NOP or AYT
				r.telnet = telnetData
			}
		case telnetOption:
			r.telnet = telnetData
		case telnetSub:
			if c == iac {
				r.telnet = telnetSubIAC
			}
		case telnetSubIAC:
			if c == se {
				r.telnet = telnetData
			} else {
				r.telnet = telnetSub
			}
		}
	}
	return out
}
