package chat

import (
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// jsonTime is how events give their time: RFC 3339 in UTC, to the
// millisecond.
const jsonTime = "2006-01-02T15:04:05.000Z07:00"

// msTime is a time formatted as jsonTime, and its Unix millisecond.
type msTime struct {
	ms int64
	s  string
}

// lastTime is the last time jsonTimeOf formatted: the events of a burst,
// and of the bursts around it, share their millisecond.
var lastTime atomic.Pointer[msTime]

// jsonTimeOf returns t formatted as jsonTime.
func jsonTimeOf(t time.Time) string {
	ms := t.UnixMilli()
	if p := lastTime.Load(); p != nil && p.ms == ms {
		return p.s
	}
	s := t.UTC().Format(jsonTime)
	lastTime.Store(&msTime{ms, s})
	return s
}

// appendEvent appends je as encoding/json would encode it, field by field:
// an event is rendered once per burst for every member of a room, and the
// reflective encoder is the larger part of that cost. Events holding
// other events (history) go through encoding/json itself.
func appendEvent(b []byte, je *jsonEvent) []byte {
	if je.Events != nil || je.Complete != nil || je.More != nil {
		v := *je // je itself stays on the caller's stack
		return appendJSON(b, v)
	}
	b = append(b, `{"type":`...)
	b = appendJSONString(b, je.Type)
	b = appendField(b, `,"room":`, je.Room)
	if je.Seq != 0 {
		b = strconv.AppendUint(append(b, `,"seq":`...), je.Seq, 10)
	}
	b = appendField(b, `,"id":`, je.ID)
	b = appendJSONString(append(b, `,"time":`...), je.Time)
	b = appendField(b, `,"from":`, je.From)
	b = appendField(b, `,"to":`, je.To)
	b = appendField(b, `,"name":`, je.Name)
	b = appendField(b, `,"text":`, je.Text)
	b = appendField(b, `,"reason":`, je.Reason)
	b = appendField(b, `,"client_id":`, je.ClientID)
	b = appendField(b, `,"code":`, je.Code)
	return append(b, "}\n"...)
}

// appendField appends an omitempty string field: key (with its comma and
// colon) and value, unless the value is empty.
func appendField(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	return appendJSONString(append(b, key...), v)
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string with encoding/json's escapes:
// quotes, backslashes and control characters; <, > and & (so that JSON is
// safe inside HTML); U+2028 and U+2029 (JavaScript line ends); and invalid
// UTF-8 as U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(append(b, s[start:i]...), `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(append(b, s[start:i]...), '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(append(b, s[start:]...), '"')
}
