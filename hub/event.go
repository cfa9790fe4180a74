package hub

import "time"

// Kind says what an Event is.
type Kind uint8

// Event kinds.
const (
	KindMessage Kind = iota // a line said to a room
	KindAction              // "/me waves"
	KindPrivate             // a private message to one member
	KindJoin                // a member entered a room
	KindLeave               // a member left a room; Reason says why
	KindRename              // From changed name to Text
	KindNotice              // a hub notice to one member
	KindAck                 // to a sender: its message was stored and delivered
	KindError               // to one member: a request failed; Code says how
)

var kindNames = [...]string{"message", "action", "private", "join", "leave", "rename", "notice", "ack", "error"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Event is one thing that happens in the hub, before any wire format.
//
// Room events (message, action, join, leave, rename) and private messages
// are logged; notices, acks and errors go to one member and are not.
type Event struct {
	Kind   Kind
	Room   string      // the room, for room events (and acks)
	Seq    uint64      // per-room sequence number: increasing, never reused; 0 outside a room
	ID     string      // unique event ID: Origin, '-', a counter
	Origin string      // the hub that accepted the event
	Time   time.Time   // when the hub accepted it
	From   string      // who said or did it
	To     string      // the recipient of a private message
	Text   string      // the message, action, new name (rename) or notice
	Reason CloseReason // for KindLeave when the member disconnected

	ClientID string // for acks and errors: the ID the client gave its request
	Code     string // for errors: a stable code (see docs/PROTOCOL.md)
}

// Logged reports whether events of this kind belong in the log.
func (k Kind) Logged() bool {
	switch k {
	case KindMessage, KindAction, KindPrivate, KindJoin, KindLeave, KindRename:
		return true
	}
	return false
}

// Format renders events for one wire format. Implementations must be
// comparable (a pointer or a small struct) because the hub caches one
// rendering per Format per event.
type Format interface {
	// Append appends the encoded event, including any framing such as a
	// trailing newline, to dst.
	Append(dst []byte, ev *Event) []byte
}
