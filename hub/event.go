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
)

var kindNames = [...]string{"message", "action", "private", "join", "leave", "rename", "notice"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Event is one thing that happens in the hub, before any wire format.
type Event struct {
	Kind   Kind
	Room   string      // the room, for room events
	Seq    uint64      // per-room sequence number; 0 for events outside a room
	Time   time.Time   // when the hub accepted it
	From   string      // who said or did it
	To     string      // the recipient of a private message
	Text   string      // the message, action, new name or notice
	Reason CloseReason // for KindLeave when the member disconnected
}

// Format renders events for one wire format. Implementations must be
// comparable (a pointer or a small struct) because the hub caches one
// rendering per Format per event.
type Format interface {
	// Append appends the encoded event, including any framing such as a
	// trailing newline, to dst.
	Append(dst []byte, ev *Event) []byte
}
