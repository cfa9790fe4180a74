// Package cluster joins hubs into one chat over NATS JetStream: members
// of a room see the same events in the same order on every hub, each
// once, and a member may reconnect to any hub and resume.
//
// A [Cluster] is three of the hub's seams at once:
//
//   - hub.Sequencer: [Cluster.Order] publishes a room's events to the
//     room's subject (prefix.room.<folded room>) in one stream, each
//     with its event ID as Nats-Msg-Id, so a retried publish is stored
//     once. JetStream's stream sequence becomes the event's Seq:
//     increasing within a room, not consecutive (other rooms' events
//     share the sequence).
//   - delivery: [Cluster.Start] runs one ordered consumer per hub over
//     the whole stream and hands each room's committed events, in
//     stream order, to the hub's Apply — the hub's own events included,
//     which is when their senders get their acks.
//   - hub.Log, read side: Since, Before and Last read the stream with a
//     subject filter; the stream is the history.
//   - hub.NameClaims: a key-value bucket maps each folded name to its
//     holder. Create is the atomic claim; the owning hub refreshes its
//     keys and the bucket's TTL frees the names of a hub that died.
//
// # Presence
//
// Joins, leaves and renames flow through the stream like messages, so
// each hub keeps, per room, the roster of the other hubs' members from
// them: /who lists local members and the remote members whose joins the
// hub has applied since its room came to be (a hub that starts later
// than a member joined does not list that member until it speaks up by
// joining again). Each hub holds a live key in the name bucket, refreshed
// with its names; when a hub dies its key expires after
// Config.ClaimTTL, and the hubs that saw its members join order leave
// events for them (reason "connection lost"), with IDs derived from the
// joins so that several hubs reaping at once store each leave once.
// Hub IDs must be unique in the cluster.
//
// # When NATS is unreachable
//
// The connection never buffers while it is down: [Cluster.Order] fails
// at once with [ErrUnavailable] (the hub answers "unavailable"), so a
// sender is never told that something was stored which was not. A
// publish whose ack does not come (a stream leader being re-elected
// after a node died) is sent again with the same message ID, which
// JetStream deduplicates, for up to twice Config.Timeout. The client
// reconnects forever; the ordered consumer starts again after the last
// sequence it delivered, so a hub misses nothing that was stored while
// it was cut off. Config.OnStatus lets the hub tell its members.
//
// # Cost and scale
//
// A message costs one publish to the stream leader, its replication to
// R-1 followers (one round of the stream's Raft group before the ack),
// and one delivery to each hub's consumer: with H hubs and replicas R,
// about 1 + (R-1) + H copies cross the NATS network whatever the
// number of members; the fan-out to members stays inside each hub.
//
// One stream orders every room, which bounds the cluster at the rate one
// Raft group commits (some 100k small messages per second on good
// disks). Past that the design scales by splitting the subject space,
// which is already per room: several streams, each holding a hash range
// of room subjects, each with its own leader on a different node; a hub
// then runs one consumer per stream. Stream limits (MaxAge, MaxBytes)
// bound the history kept. Hubs far apart join through leaf nodes, which
// keep client traffic local and forward only the subjects in use, and a
// supercluster (gateways between NATS clusters) lets each region keep
// its rooms' streams near their members while any hub can still reach
// any room.
package cluster
