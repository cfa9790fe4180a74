package cluster

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/hubcat/hubcat/hub"
)

// wireEvent is an event as stored in the stream: JSON, so that an operator
// can read the stream with the nats CLI. Seq is not stored: the stream
// sequence is the event's sequence.
type wireEvent struct {
	Kind     string    `json:"k"`
	Room     string    `json:"r,omitempty"`
	ID       string    `json:"id"`
	Origin   string    `json:"o"`
	Time     time.Time `json:"t"`
	From     string    `json:"f,omitempty"`
	To       string    `json:"to,omitempty"`
	Text     string    `json:"x,omitempty"`
	Reason   uint8     `json:"why,omitempty"`
	ClientID string    `json:"c,omitempty"`
}

// kinds maps stored kind names back to kinds.
var kinds = func() map[string]hub.Kind {
	m := map[string]hub.Kind{}
	for k := hub.Kind(0); k.String() != "unknown"; k++ {
		m[k.String()] = k
	}
	return m
}()

// encodeEvent renders ev for the stream.
func encodeEvent(ev *hub.Event) ([]byte, error) {
	return json.Marshal(wireEvent{
		Kind: ev.Kind.String(), Room: ev.Room, ID: ev.ID, Origin: ev.Origin, Time: ev.Time,
		From: ev.From, To: ev.To, Text: ev.Text, Reason: uint8(ev.Reason), ClientID: ev.ClientID,
	})
}

// decodeEvent parses a stored event and gives it the stream sequence seq.
func decodeEvent(data []byte, seq uint64) (hub.Event, error) {
	var w wireEvent
	if err := json.Unmarshal(data, &w); err != nil {
		return hub.Event{}, fmt.Errorf("cluster: bad event at sequence %d: %w", seq, err)
	}
	k, ok := kinds[w.Kind]
	if !ok || !k.Logged() {
		return hub.Event{}, fmt.Errorf("cluster: bad event kind %q at sequence %d", w.Kind, seq)
	}
	return hub.Event{
		Kind: k, Room: w.Room, Seq: seq, ID: w.ID, Origin: w.Origin, Time: w.Time,
		From: w.From, To: w.To, Text: w.Text, Reason: hub.CloseReason(w.Reason), ClientID: w.ClientID,
	}, nil
}

// escapeToken makes s one NATS subject token that is also a valid
// JetStream key-value key: letters, digits, '-' and '_' stay; every other
// byte becomes '=' and two hex digits. The mapping is one to one.
func escapeToken(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('=')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	if b.Len() == 0 {
		return "="
	}
	return b.String()
}
