package hub

import "fmt"

// CloseReason says why a member left.
type CloseReason uint8

// Why a member can leave.
const (
	StillConnected    CloseReason = iota // the member has not left
	ClientQuit                           // sent /quit
	ClientClosed                         // closed its side (EOF)
	ReadError                            // the connection broke (reset, keepalive timeout)
	WriteError                           // writing failed
	SlowConsumer                         // its outbox overflowed or a write timed out
	IdleTimeout                          // silent longer than the idle limit
	ProtocolViolation                    // sent something the front end refuses
	ServerShutdown                       // the hub is shutting down
	Kicked                               // removed by an operator
)

var reasonNames = [...]string{
	"still connected", "quit", "connection closed", "connection lost", "write failed",
	"slow consumer", "idle timeout", "protocol violation", "server shutting down", "kicked",
}

func (r CloseReason) String() string {
	if int(r) < len(reasonNames) {
		return reasonNames[r]
	}
	return fmt.Sprintf("CloseReason(%d)", int(r))
}
