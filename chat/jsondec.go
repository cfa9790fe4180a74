package chat

import (
	"bytes"
	"unicode/utf8"
)

// decodeSay decodes the commonest commands without the reflective decoder:
// {"cmd":"say","room":R,"text":T} (or "act"), with ,"id":I before the
// closing brace or without it, the shape the page and the load generator
// send, whose strings hold nothing a JSON decoder would change (no
// escapes, no control characters, valid UTF-8). It reports false for
// anything else, which goes through encoding/json.
func decodeSay(b []byte, c *jsonCommand) bool {
	var cmd string
	switch {
	case bytes.HasPrefix(b, []byte(`{"cmd":"say","room":"`)):
		cmd = "say"
	case bytes.HasPrefix(b, []byte(`{"cmd":"act","room":"`)):
		cmd = "act"
	default:
		return false
	}
	room, rest, ok := cutPlainString(b[len(`{"cmd":"say","room":"`):])
	if !ok {
		return false
	}
	rest, ok = bytes.CutPrefix(rest, []byte(`,"text":"`))
	if !ok {
		return false
	}
	text, rest, ok := cutPlainString(rest)
	if !ok {
		return false
	}
	var id []byte
	if after, found := bytes.CutPrefix(rest, []byte(`,"id":"`)); found {
		if id, rest, ok = cutPlainString(after); !ok {
			return false
		}
	}
	if string(rest) != "}" {
		return false
	}
	*c = jsonCommand{Cmd: cmd, Room: string(room), Text: string(text), ID: string(id)}
	return true
}

// cutPlainString cuts a JSON string's contents, up to its closing quote,
// off the front of b, when decoding would leave them as they are.
func cutPlainString(b []byte) (s, rest []byte, ok bool) {
	end := bytes.IndexByte(b, '"')
	if end < 0 {
		return nil, nil, false
	}
	s = b[:end]
	for _, c := range s {
		if c < ' ' || c == '\\' {
			return nil, nil, false
		}
	}
	return s, b[end+1:], utf8.Valid(s)
}
