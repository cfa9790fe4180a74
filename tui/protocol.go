package tui

import (
	"encoding/json"
	"time"
)

// Version is the JSON event protocol version this client speaks
// (docs/PROTOCOL.md).
const Version = 1

// Event is one event from the hub, decoded from a JSON line. Fields that a
// type does not use stay zero; fields this version does not know are
// ignored, as the protocol asks.
type Event struct {
	Type     string    `json:"type"`
	Time     time.Time `json:"time"`
	Room     string    `json:"room,omitempty"`
	Seq      uint64    `json:"seq,omitempty"`
	ID       string    `json:"id,omitempty"`
	From     string    `json:"from,omitempty"`
	To       string    `json:"to,omitempty"`
	Text     string    `json:"text,omitempty"`
	Name     string    `json:"name,omitempty"`
	Reason   string    `json:"reason,omitempty"`
	Code     string    `json:"code,omitempty"`
	ClientID string    `json:"client_id,omitempty"`

	// hello
	Version int      `json:"version,omitempty"`
	Server  string   `json:"server,omitempty"`
	Rooms   []Room   `json:"-"`
	Joined  []string `json:"-"`

	// members
	Members []string `json:"members,omitempty"`
	Total   int      `json:"total,omitempty"`

	// history
	Events   []Event `json:"events,omitempty"`
	Complete bool    `json:"complete,omitempty"`
	More     bool    `json:"more,omitempty"`
}

// Room is one entry of a rooms event.
type Room struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
	Joined  bool   `json:"joined"`
}

// UnmarshalJSON decodes an event. The field "rooms" is a list of names in
// a hello and a list of objects in a rooms event; both land in their own
// field.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	var raw struct {
		*plain
		Rooms json.RawMessage `json:"rooms"`
	}
	raw.plain = (*plain)(e)
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if len(raw.Rooms) == 0 {
		return nil
	}
	if e.Type == "hello" {
		return json.Unmarshal(raw.Rooms, &e.Joined)
	}
	return json.Unmarshal(raw.Rooms, &e.Rooms)
}

// roomEvent reports whether the event belongs to a room's numbered
// sequence (and so to its history).
func (e *Event) roomEvent() bool {
	switch e.Type {
	case "message", "action", "join", "leave", "rename":
		return e.Room != "" && e.Seq > 0
	}
	return false
}

// Command is one command to the hub, encoded as a JSON line.
type Command struct {
	Cmd     string  `json:"cmd"`
	ID      string  `json:"id,omitempty"`
	Version int     `json:"version,omitempty"`
	Nick    string  `json:"nick,omitempty"`
	Room    string  `json:"room,omitempty"`
	To      string  `json:"to,omitempty"`
	Text    string  `json:"text,omitempty"`
	Name    string  `json:"name,omitempty"`
	After   *uint64 `json:"after,omitempty"`
	Before  uint64  `json:"before,omitempty"`
	Limit   int     `json:"limit,omitempty"`
}

// encode appends the command as one JSON line.
func (c Command) encode(b []byte) []byte {
	out, _ := json.Marshal(c) // strings and numbers only: cannot fail
	return append(append(b, out...), '\n')
}
