// Package hub is the core of hubcat's chat: rooms, members and the path
// of every event between them. It knows no wire format and opens no
// sockets; front ends (package chat for the line and JSON protocols, the
// WebSocket and IRC front ends, the cluster bridge) adapt a connection
// into a [Member] and drain the member's [Outbox] to their peer.
//
// # Many rooms, one ordered path
//
// A member may be in many rooms. Every room event — message, action,
// join, leave, rename — takes one path, whoever sent it:
//
//  1. Numbered: the room gives it the next sequence number under its lock
//     (or, in a cluster, the [Sequencer] orders it and hands it back
//     through [Hub.Apply]). Numbers increase within a room and are never
//     reused, even after the hub forgets a room or restarts; they need
//     not be consecutive.
//  2. Stored: with a [Log], the room hands its numbered batches to
//     Log.Append one at a time, in order, outside every lock, and waits
//     for the durability callback.
//  3. Applied: in sequence order, under the room lock, the event enters
//     the memory cache of recent events, is rendered once per distinct
//     [Format] and copied into each member's outbox, and the sender gets
//     an ack carrying the number. Nothing is delivered or acknowledged
//     before it is stored.
//
// Each event has a unique ID and its origin hub, so a redelivered event is
// recognised. Presence events are always numbered and stored; whether a
// member is shown them in a big room is decided at delivery. A rename or
// quit publishes one event per room, sharing an ID base, and each member
// sees it once.
//
// # Joining and resuming
//
// A join adds the member and queues its history under the room lock: the
// events after the member's resume point (from the Log, read outside the
// lock, then from the cache up to the last applied event), then live
// events follow. So a resume has no gap and no duplicate while others
// publish. When events after the resume point are gone (forgotten by the
// cache with no Log, or removed by the retention of a [TrimmingLog]), the
// history says so: Batch.Complete is false.
//
// # Slow consumers
//
// An outbox holds at most Config.OutboxBytes unwritten bytes, counting
// what its writer is writing. A push that would exceed that cuts the
// member off with reason [SlowConsumer]: its connection is closed
// abortively, its leave is announced with the reason, and the room
// carries on. A closed outbox (a member leaving) refuses pushes quietly.
// The bytes are counted as the member would receive them, but a rendering
// shared by a room's members is held once: members lagging in one room
// keep at most about Config.OutboxBytes of its renderings alive between
// them (per format), unless their format is personal.
//
// # Pluggable code
//
// Formats, the Log, the Sequencer and the name policy are called through
// guards that turn a panic into a logged error failing one message or
// one member; no lock is held across a call that could panic without a
// deferred unlock.
//
// # Locking
//
// Lock order is Hub.mu, then Room.mu, then the recent cache's lock, then
// Outbox.mu and Member's small locks. A member's operations lock one room
// at a time. No lock is held while a socket is written or while the Log
// or the Sequencer is called.
package hub
