package irc

import (
	"strconv"
	"time"

	"github.com/hubcat/hubcat/hub"
)

// This file is the seam to the hub's member API.

// queue hands raw protocol bytes to the member's outbox, in order with
// the events it receives.
func (cl *client) queue(b []byte) { cl.m.Queue(b) }

// joinWait bounds how long a JOIN waits for the hub to deliver the
// client's own JOIN line (it is stored first when the hub has a Log).
const joinWait = 5 * time.Second

// join puts the member in room. It returns the room's display name, who
// is there (itself included) once the client's JOIN line is queued, the
// JOIN's sequence number (0 if it did not come in time), and
// already=true when it was there before.
func (cl *client) join(room, key string) (name string, names []hub.RosterEntry, seq uint64, already bool, err error) {
	res, err := cl.m.Join(room, hub.JoinOptions{Key: key})
	if err != nil || res.Already {
		return res.Room, nil, 0, res.Already, err
	}
	seq = cl.awaitJoin(res.Room)
	names, err = cl.m.Roster(res.Room)
	return res.Room, names, seq, false, err
}

// joinSeen is our JOIN of a room, rendered with its sequence number.
type joinSeen struct {
	room string
	seq  uint64
}

// joined tells the reader that the client's JOIN of room was rendered
// (called by the format, under the room's lock).
func (cl *client) joined(room string, seq uint64) {
	select {
	case cl.joins <- joinSeen{fold(room), seq}:
	default:
	}
}

// awaitJoin waits until the client's own JOIN of room has been rendered,
// so that the names and history that follow come after it, and returns
// its sequence number. The hub queues the rendering under the room's
// lock, and Who takes that lock after, so once awaitJoin returns a Who
// call orders everything behind the JOIN.
func (cl *client) awaitJoin(room string) uint64 {
	key := fold(room)
	timeout := time.NewTimer(joinWait)
	defer timeout.Stop()
	for {
		select {
		case j := <-cl.joins:
			if j.room == key {
				return j.seq
			}
		case <-timeout.C:
			return 0
		}
	}
}

// part takes the member out of room.
func (cl *client) part(room string) error { return cl.m.Part(room) }

// post says text (or does an action) in room; with echo, the client gets
// it back once the hub has stored and delivered it.
func (cl *client) post(room string, k hub.Kind, text string, e *echo) error {
	id := cl.expectEcho(e)
	err := cl.m.Post(room, k, id, text)
	if err != nil {
		cl.dropEcho(id)
	}
	return err
}

// private sends text to the member called to (see post for e).
func (cl *client) private(to, text string, e *echo) error {
	id := cl.expectEcho(e)
	err := cl.m.Private(to, text, id)
	if err != nil {
		cl.dropEcho(id)
	}
	return err
}

// expectEcho files e under a fresh client ID for the ack to find, or
// returns "" when there is nothing to echo.
func (cl *client) expectEcho(e *echo) string {
	if e == nil {
		return ""
	}
	cl.echoSeq++
	id := strconv.FormatUint(cl.echoSeq, 36)
	cl.mu.Lock()
	cl.echoes[id] = *e
	cl.mu.Unlock()
	return id
}

// dropEcho forgets an echo whose message failed or was refused.
func (cl *client) dropEcho(id string) {
	if id != "" {
		cl.mu.Lock()
		delete(cl.echoes, id)
		cl.mu.Unlock()
	}
}

// appendEcho renders the echo an ack stands for (called by the format).
func (cl *client) appendEcho(b []byte, ev *hub.Event, caps capSet) []byte {
	cl.mu.Lock()
	e, ok := cl.echoes[ev.ClientID]
	delete(cl.echoes, ev.ClientID)
	nick := cl.nick
	cl.mu.Unlock()
	if !ok {
		return b
	}
	return cl.srv.appendText(b, ev, caps, "", nick, e.cmd, e.target, "", e.text, "")
}

// prefix is a member's status prefix in NAMES and WHO: '@' for an
// operator, '+' for voice; both with multi-prefix.
func (cl *client) prefix(e hub.RosterEntry) string {
	switch {
	case e.Op && e.Voice && cl.caps&capMultiPrefix != 0:
		return "@+"
	case e.Op:
		return "@"
	case e.Voice:
		return "+"
	}
	return ""
}

// who lists the names in room.
func (cl *client) who(room string) ([]string, error) { return cl.m.Who(room) }

// rooms lists the rooms the member is in.
func (cl *client) rooms() []string { return cl.m.Rooms() }

func (cl *client) inRoom(room string) bool {
	_, in := cl.m.In(room)
	return in
}

// replay queues the recent messages of room from before the client's
// JOIN (sequence number joinSeq): later ones reach it live, so none comes
// twice.
func (cl *client) replay(room string, joinSeq uint64) {
	if n := cl.srv.cfg.JoinHistory; n > 0 && joinSeq > 0 {
		cl.m.History(room, hub.HistoryQuery{Before: joinSeq, Limit: n})
	}
}
