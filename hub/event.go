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
	KindHistory             // to one member: a batch of past room events (Batch)
	KindTopic               // From set the room's topic to Text
	KindMode                // From changed the room's modes: Text, as "+o bob"
	KindKick                // From removed To from the room; Text is the reason
	KindInvite              // to one member: From invites it (To) to Room
)

var kindNames = [...]string{"message", "action", "private", "join", "leave", "rename", "notice", "ack", "error", "history", "topic", "mode", "kick", "invite"}

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
	Batch    *Batch // for KindHistory
}

// Batch is a run of past events of one room, oldest first.
type Batch struct {
	Events []Event
	// Complete is false when the hub no longer holds some of the events
	// asked for (a resume point older than what is kept).
	Complete bool
	// More is true when older events exist before the first one.
	More bool
}

// IsPresence reports whether the kind changes who is in a room, or how
// they are known: a join, leave, kick or rename.
func (k Kind) IsPresence() bool {
	return k == KindJoin || k == KindLeave || k == KindRename || k == KindKick
}

// Logged reports whether events of this kind belong in the log.
func (k Kind) Logged() bool {
	switch k {
	case KindMessage, KindAction, KindPrivate, KindJoin, KindLeave, KindRename, KindTopic, KindMode, KindKick:
		return true
	}
	return false
}

// Format renders events for one wire format. Implementations must be
// comparable (a pointer or a small struct) because the hub renders a burst
// once per distinct Format and shares the bytes.
type Format interface {
	// Append appends the encoded event to dst. Each event must end with
	// '\n': a front end that frames every event (WebSocket) splits a batch
	// there. Rendering nothing skips the event for this format.
	Append(dst []byte, ev *Event) []byte
}

// PersonalFormat is a Format whose rendering depends on the recipient (an
// IRC line names its recipient). The hub calls AppendTo for each recipient
// instead of sharing one rendering.
type PersonalFormat interface {
	Format
	AppendTo(dst []byte, ev *Event, to *Member) []byte
}
