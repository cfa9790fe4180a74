package chat

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/hubcat/hubcat/hub"
)

// Text renders events as the lines a plain nc or telnet user reads:
//
//	<alice> hello
//	* alice waves
//	*alice* a private word
//	*** bob joined lobby
//	*** bob left lobby (connection lost)
//	*** bob is now known as robert
//	*** a notice
type Text struct{}

// TextFormat is the shared Text renderer.
var TextFormat hub.Format = &Text{}

// Append implements hub.Format.
func (*Text) Append(b []byte, ev *hub.Event) []byte {
	switch ev.Kind {
	case hub.KindMessage:
		b = append(b, '<')
		b = append(b, ev.From...)
		b = append(b, "> "...)
		b = append(b, ev.Text...)
	case hub.KindAction:
		b = append(b, "* "...)
		b = append(b, ev.From...)
		b = append(b, ' ')
		b = append(b, ev.Text...)
	case hub.KindPrivate:
		b = append(b, '*')
		b = append(b, ev.From...)
		b = append(b, "* "...)
		b = append(b, ev.Text...)
	case hub.KindJoin:
		b = append(b, "*** "...)
		b = append(b, ev.From...)
		b = append(b, " joined "...)
		b = append(b, ev.Room...)
	case hub.KindLeave:
		b = append(b, "*** "...)
		b = append(b, ev.From...)
		b = append(b, " left "...)
		b = append(b, ev.Room...)
		if ev.Reason != hub.StillConnected {
			b = append(b, " ("...)
			b = append(b, ev.Reason.String()...)
			b = append(b, ')')
		}
	case hub.KindRename:
		b = append(b, "*** "...)
		b = append(b, ev.From...)
		b = append(b, " is now known as "...)
		b = append(b, ev.Text...)
	default:
		b = append(b, "*** "...)
		b = append(b, ev.Text...)
	}
	return append(b, '\n')
}

// JSON renders each event as one JSON object per line, for rich clients:
//
//	{"type":"message","room":"lobby","seq":7,"time":"…","from":"alice","text":"hello"}
type JSON struct{}

// JSONFormat is the shared JSON renderer.
var JSONFormat hub.Format = &JSON{}

// jsonEvent is the wire shape of an event.
type jsonEvent struct {
	Type   string `json:"type"`
	Room   string `json:"room,omitempty"`
	Seq    uint64 `json:"seq,omitempty"`
	Time   string `json:"time"`
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Text   string `json:"text,omitempty"`
	Reason string `json:"reason,omitempty"`
}

// Append implements hub.Format.
func (*JSON) Append(b []byte, ev *hub.Event) []byte {
	je := jsonEvent{
		Type: ev.Kind.String(), Room: ev.Room, Seq: ev.Seq, Time: ev.Time.UTC().Format(time.RFC3339Nano),
		From: ev.From, To: ev.To, Text: ev.Text,
	}
	if ev.Kind == hub.KindLeave && ev.Reason != hub.StillConnected {
		je.Reason = ev.Reason.String()
	}
	out, err := json.Marshal(je)
	if err != nil { // cannot happen for strings and numbers
		return append(b, `{"type":"error","text":`+strconv.Quote(err.Error())+"}\n"...)
	}
	return append(append(b, out...), '\n')
}
