package irc

import (
	"github.com/hubcat/hubcat/hub"
)

// This file is the seam to the hub's member API.

// queue hands raw protocol bytes to the member's outbox, in order with
// the events it receives.
func (cl *client) queue(b []byte) { cl.m.Queue(b) }

// join puts the member in room and returns who is there, itself included.
func (cl *client) join(room string) ([]string, error) {
	res, err := cl.m.Join(room, hub.JoinOptions{})
	if err != nil {
		return nil, err
	}
	return cl.m.Who(res.Room)
}

// part takes the member out of room.
func (cl *client) part(room string) error { return cl.m.Part(room) }

// post says text (or does an action) in room.
func (cl *client) post(room string, k hub.Kind, text string) error {
	return cl.m.Post(room, k, "", text)
}

// private sends text to the member called to.
func (cl *client) private(to, text string) error { return cl.m.Private(to, text, "") }

// who lists the names in room.
func (cl *client) who(room string) ([]string, error) { return cl.m.Who(room) }

// rooms lists the rooms the member is in.
func (cl *client) rooms() []string { return cl.m.Rooms() }

func (cl *client) inRoom(room string) bool {
	_, in := cl.m.In(room)
	return in
}
