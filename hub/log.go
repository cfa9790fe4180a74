package hub

// Log keeps room events and private messages beyond the memory of one
// process: the durable store (SQLite) or a cluster's shared log. The hub
// never calls it under a room lock. Without a Log the hub keeps recent
// events in memory only (see Config.HistoryPerRoom).
//
// Ordering: for each room the hub calls Append in sequence order, one call
// at a time per room, and delivers the events of an Append to the room's
// members (and acknowledges them to their senders) only after done reports
// success. Calls for different rooms may run concurrently.
type Log interface {
	// Append stores events: room events of one room in sequence order, or
	// private messages (Room "", Seq 0, kept for their two parties only).
	// It must not block for long — queue the events and commit them in
	// groups — and must copy what it keeps: the hub reuses the slice.
	// done is called exactly once, on any goroutine, when every event is
	// durable, or with the error that kept them from being stored (the hub
	// then delivers none of them and tells the sender). For one room, done
	// calls come in the order of the Appends.
	Append(events []Event, done func(error))
	// Since returns up to limit events of room with Seq > after, oldest
	// first.
	Since(room string, after uint64, limit int) ([]Event, error)
	// Before returns the latest limit events of room with Seq < before,
	// oldest first.
	Before(room string, before uint64, limit int) ([]Event, error)
	// Last reports the highest sequence number ever stored for room (0 if
	// none), so numbering continues across restarts.
	Last(room string) (uint64, error)
}

// TrimmingLog is a Log that removes old events (retention). The hub reads
// resumes through SinceComplete when its Log has it, so a member whose
// resume point is older than what was kept is told that its history has a
// gap.
type TrimmingLog interface {
	Log
	// SinceComplete is Since, also reporting whether the events returned
	// are all there were after `after` (up to limit): false when events
	// with Seq > after were removed.
	SinceComplete(room string, after uint64, limit int) (evs []Event, complete bool, err error)
}
