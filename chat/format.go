package chat

import (
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

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
//
// Acks render as nothing: a line user sees its own line as it typed it.
type Text struct {
	// Away prefixes room events with "[room] ": the rendering of rooms
	// other than the member's focus.
	Away bool
}

// TextFormat renders events of the member's focus room and everything
// else; TextAwayFormat renders events of its other rooms.
var (
	TextFormat     hub.Format = &Text{}
	TextAwayFormat hub.Format = &Text{Away: true}
)

// Append implements hub.Format.
func (t *Text) Append(b []byte, ev *hub.Event) []byte {
	if ev.Kind == hub.KindAck {
		return b
	}
	if ev.Kind == hub.KindHistory {
		return appendTextHistory(b, ev)
	}
	if t.Away && ev.Room != "" {
		b = append(b, '[')
		b = append(b, ev.Room...)
		b = append(b, "] "...)
	}
	return append(appendTextLine(b, ev), '\n')
}

func appendTextLine(b []byte, ev *hub.Event) []byte {
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
	case hub.KindTopic:
		b = fmt.Appendf(b, "*** %s set the topic of %s: %s", ev.From, ev.Room, ev.Text)
	case hub.KindMode:
		b = fmt.Appendf(b, "*** %s sets mode %s on %s", ev.From, ev.Text, ev.Room)
	case hub.KindKick:
		b = fmt.Appendf(b, "*** %s was kicked from %s by %s", ev.To, ev.Room, ev.From)
		if ev.Text != "" {
			b = fmt.Appendf(b, " (%s)", ev.Text)
		}
	case hub.KindInvite:
		b = fmt.Appendf(b, "*** %s invites you to %s; /join %s", ev.From, ev.Room, ev.Room)
	default:
		b = append(b, "*** "...)
		b = append(b, ev.Text...)
	}
	return b
}

// appendTextHistory renders a history batch between two notices.
func appendTextHistory(b []byte, ev *hub.Event) []byte {
	evs := ev.Batch.Events
	b = append(b, "*** last "...)
	b = strconv.AppendInt(b, int64(len(evs)), 10)
	b = append(b, " events in "...)
	b = append(b, ev.Room...)
	b = append(b, ":\n"...)
	if !ev.Batch.Complete {
		b = append(b, "*** (older events were not kept)\n"...)
	}
	for i := range evs {
		b = append(appendTextLine(b, &evs[i]), '\n')
	}
	return append(b, "*** end of history\n"...)
}

// JSON renders each event as one JSON object per line, the event
// protocol v1 of docs/PROTOCOL.md:
//
//	{"type":"message","room":"lobby","seq":7,"id":"h1-7","time":"…","from":"alice","text":"hello"}
type JSON struct{}

// JSONFormat is the shared JSON renderer.
var JSONFormat hub.Format = &JSON{}

// jsonEvent is the wire shape of an event.
type jsonEvent struct {
	Type     string      `json:"type"`
	Room     string      `json:"room,omitempty"`
	Seq      uint64      `json:"seq,omitempty"`
	ID       string      `json:"id,omitempty"`
	Time     string      `json:"time"`
	From     string      `json:"from,omitempty"`
	To       string      `json:"to,omitempty"`
	Name     string      `json:"name,omitempty"`
	Text     string      `json:"text,omitempty"`
	Reason   string      `json:"reason,omitempty"`
	ClientID string      `json:"client_id,omitempty"`
	Code     string      `json:"code,omitempty"`
	Events   []jsonEvent `json:"events,omitempty"`
	Complete *bool       `json:"complete,omitempty"`
	More     *bool       `json:"more,omitempty"`
}

func toJSON(ev *hub.Event) jsonEvent {
	je := jsonEvent{
		Type: ev.Kind.String(), Room: ev.Room, Seq: ev.Seq, ID: ev.ID, Time: jsonTimeOf(ev.Time),
		From: ev.From, To: ev.To, Text: ev.Text, ClientID: ev.ClientID, Code: ev.Code,
	}
	switch ev.Kind {
	case hub.KindLeave:
		if ev.Reason != hub.StillConnected {
			je.Reason = ev.Reason.String()
		}
	case hub.KindRename:
		je.Name, je.Text = ev.Text, ""
	case hub.KindHistory:
		je.Events = make([]jsonEvent, len(ev.Batch.Events))
		for i := range ev.Batch.Events {
			je.Events[i] = toJSON(&ev.Batch.Events[i])
		}
		je.Complete, je.More = &ev.Batch.Complete, &ev.Batch.More
	}
	return je
}

// Append implements hub.Format.
func (*JSON) Append(b []byte, ev *hub.Event) []byte {
	je := toJSON(ev)
	return appendEvent(b, &je)
}

// appendJSON encodes v as one line.
func appendJSON(b []byte, v any) []byte {
	out, err := json.Marshal(v)
	if err != nil { // cannot happen for the types used here
		return append(b, `{"type":"error","code":"error","text":`+strconv.Quote(err.Error())+"}\n"...)
	}
	return append(append(b, out...), '\n')
}

// framed renders events with f and frames them with frame (Config.Framer).
type framed struct {
	f     hub.Format
	frame func(dst, lines []byte) []byte
}

// Append implements hub.Format.
func (f *framed) Append(dst []byte, ev *hub.Event) []byte {
	buf := renderBufs.Get().(*[]byte)
	lines := f.f.Append((*buf)[:0], ev)
	dst = f.frame(dst, lines)
	if cap(lines) <= 64<<10 {
		*buf = lines[:0]
		renderBufs.Put(buf)
	}
	return dst
}

var renderBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}
