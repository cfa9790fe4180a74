// Package hub is the core of hubcat's chat: rooms, members and the fan-out
// of events between them. It knows no wire format and opens no sockets;
// front ends (package chat for the line protocol, later WebSocket, IRC and
// the cluster bridge) adapt a connection into a [Member] and drain the
// member's [Outbox] to their peer.
//
// # Fan-out
//
// [Member.Say] hands an [Event] to the member's [Room]. Under the room's
// lock the event gets the room's next sequence number, is appended to the
// [History], rendered once per distinct [Format] among the members, and the
// rendered bytes are copied into each other member's outbox. Nothing on this
// path blocks on a socket, so one member can never stall a room.
//
// # Slow consumers
//
// An outbox holds at most Config.OutboxBytes unwritten bytes. A push that
// would exceed that cuts the member off with reason [SlowConsumer]: its
// connection is closed, its leave is announced with the reason, and the
// room carries on. This is the policy nats-server applies to slow clients:
// dropping a member is better than silently dropping its messages.
//
// # Locking
//
// Lock order is Hub.mu, then Room.mu, then Outbox.mu. No lock is held while
// a socket is written; front ends write outside every hub lock.
package hub
