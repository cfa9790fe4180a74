package irc

import (
	"strings"

	"github.com/hubcat/hubcat/hub"
)

// This file is the seam to the hub's member API. Until the core's
// many-rooms API lands, a member is in one room at a time and raw
// protocol bytes travel as notices the IRC format passes through.

// queue hands raw protocol bytes to the member's outbox, in order with
// the events it receives.
func (cl *client) queue(b []byte) { cl.m.Notice(string(b)) }

// join puts the member in room and returns who is there, itself included.
func (cl *client) join(room string) ([]string, error) {
	if _, err := cl.m.Join(room); err != nil {
		return nil, err
	}
	return cl.m.Who()
}

// part takes the member out of room.
func (cl *client) part(room string) error {
	if !cl.inRoom(room) {
		return hub.ErrNotInRoom
	}
	cl.m.Part()
	return nil
}

// post says text (or does an action) in room.
func (cl *client) post(room string, k hub.Kind, text string) error {
	if !cl.inRoom(room) {
		return hub.ErrNotInRoom
	}
	if k == hub.KindAction {
		return cl.m.Act(text)
	}
	return cl.m.Say(text)
}

// private sends text to the member called to.
func (cl *client) private(to, text string) error { return cl.m.Private(to, text) }

// who lists the names in room.
func (cl *client) who(room string) ([]string, error) {
	if !cl.inRoom(room) {
		return nil, hub.ErrNotInRoom
	}
	return cl.m.Who()
}

// rooms lists the rooms the member is in.
func (cl *client) rooms() []string {
	if r := cl.m.Room(); r != "" {
		return []string{r}
	}
	return nil
}

func (cl *client) inRoom(room string) bool {
	return strings.EqualFold(cl.m.Room(), room)
}
