package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/line"
)

// ProtocolVersion is the JSON event protocol's version (docs/PROTOCOL.md).
const ProtocolVersion = 1

// jsonCommand is a client command of the JSON protocol. Unknown fields
// are refused, so a client learns that this hub does not understand it.
type jsonCommand struct {
	Cmd     string  `json:"cmd"`
	ID      string  `json:"id"`
	Version int     `json:"version"`
	Nick    string  `json:"nick"`
	Name    string  `json:"name"`
	Room    string  `json:"room"`
	To      string  `json:"to"`
	Text    string  `json:"text"`
	After   *uint64 `json:"after"`
	Before  uint64  `json:"before"`
	Limit   int     `json:"limit"`
	Key     string  `json:"key"`
}

// maxClientID bounds the ID a client gives a command.
const maxClientID = 64

// jsonRecent is how many recent events a JSON client gets on joining.
const jsonRecent = 50

// startJSON switches the connection to the JSON protocol and says hello.
func (s *session) startJSON(clientID string) {
	s.switchJSON()
	s.hello(clientID)
}

// switchJSON renders everything from now on as JSON events.
func (s *session) switchJSON() {
	s.json = true
	s.m.SetFormat(s.srv.json)
	s.m.SetAllPresence(true)
}

// hello says who the member is, in the JSON protocol.
func (s *session) hello(clientID string) {
	s.sendJSON(map[string]any{
		"type": "hello", "version": ProtocolVersion, "server": "hubcat", "name": s.m.Name(),
		"rooms": s.m.Rooms(), "client_id": clientID, "time": s.now(),
	})
}

func (s *session) now() string { return jsonTimeOf(time.Now()) }

// sendJSON queues one protocol object of the front end's own, leaving out
// an empty client_id.
func (s *session) sendJSON(v map[string]any) {
	if v["client_id"] == "" {
		delete(v, "client_id")
	}
	s.m.Queue(s.srv.frame(appendJSON(nil, v)))
}

// jsonLine runs one JSON command line; it reports whether the member quit.
func (s *session) jsonLine(text []byte) (quit bool) {
	var c jsonCommand
	if err := decodeCommand(text, &c); err != nil {
		s.sayBurst()
		code := "bad_json"
		if strings.HasPrefix(err.Error(), "json: unknown field") {
			code = "unknown_field"
		}
		s.m.Fail(code, err.Error(), clientIDOf(text))
		return false
	}
	if len(c.ID) > maxClientID {
		s.sayBurst()
		s.m.Fail("bad_json", fmt.Sprintf("id is over %d bytes", maxClientID), "")
		return false
	}
	if c.Cmd != "say" && c.Cmd != "act" {
		s.sayBurst() // what came before is answered first
	}
	return s.jsonCommand(&c)
}

// decodeCommand decodes a command line, refusing fields no command has:
// a plain say at once (decodeSay), anything else with encoding/json.
func decodeCommand(text []byte, c *jsonCommand) error {
	if decodeSay(text, c) {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	return dec.Decode(c)
}

// clientIDOf digs the id out of a command that failed to decode, so the
// error can still name it.
func clientIDOf(text []byte) string {
	var c struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(text, &c) != nil || len(c.ID) > maxClientID {
		return ""
	}
	return c.ID
}

// jsonCommand runs a decoded command.
func (s *session) jsonCommand(c *jsonCommand) (quit bool) {
	m := s.m
	fail := func(err error) {
		if err != nil {
			m.Fail(errorCode(err), err.Error(), c.ID)
		}
	}
	room := strings.TrimPrefix(c.Room, "#")
	switch c.Cmd {
	case "hello":
		if c.Version != 0 && c.Version != ProtocolVersion {
			m.Fail("bad_version", fmt.Sprintf("this hub speaks version %d", ProtocolVersion), c.ID)
		}
		s.switchJSON() // so that a refused nick is told in JSON
		if c.Nick != "" {
			fail(m.Rename(c.Nick))
		}
		s.hello(c.ID)
	case "say", "act":
		kind := hub.KindMessage
		if c.Cmd == "act" {
			kind = hub.KindAction
		}
		if hub.CleanText(c.Text) == "" {
			s.sayBurst()
			fail(hub.ErrEmpty)
			return false
		}
		s.queue(room, true, hub.Said{Kind: kind, Text: c.Text, ClientID: c.ID})
	case "msg":
		fail(m.Private(c.To, c.Text, c.ID))
	case "join":
		s.jsonJoin(room, c)
	case "part":
		fail(m.Part(room))
	case "nick":
		fail(m.Rename(c.Name))
	case "history":
		if s.expensive() {
			fail(m.History(room, hub.HistoryQuery{Before: c.Before, After: ptrValue(c.After), Limit: min(max(c.Limit, 1), 500)}))
		}
	case "who":
		s.jsonWho(room, c.ID)
	case "rooms":
		s.jsonRooms(c.ID)
	case "ping":
		s.sendJSON(map[string]any{"type": "pong", "client_id": c.ID, "time": s.now()})
	case "line":
		cmd, text, isCmd := line.ParseCommand([]byte(hub.CleanText(c.Text)))
		if !isCmd {
			fail(s.post(hub.KindMessage, c.ID, string(text)))
			break
		}
		return s.command(cmd)
	case "quit":
		return true
	default:
		m.Fail("unknown_cmd", fmt.Sprintf("unknown command %q", c.Cmd), c.ID)
	}
	return false
}

func ptrValue(p *uint64) uint64 {
	if p == nil {
		return 0
	}
	return *p
}

// errorCode is hub.ErrorCode, knowing the front end's own errors too.
func errorCode(err error) string {
	if errors.Is(err, errNoFocus) {
		return "not_in_room"
	}
	return hub.ErrorCode(err)
}

func (s *session) jsonJoin(room string, c *jsonCommand) {
	opt := hub.JoinOptions{Recent: jsonRecent, Key: c.Key}
	if c.After != nil {
		opt = hub.JoinOptions{Resume: true, After: *c.After, Key: c.Key}
	}
	res, err := s.m.Join(room, opt)
	if err != nil {
		s.m.Fail(errorCode(err), err.Error(), c.ID)
		return
	}
	if s.m.Focus() == "" {
		s.m.SetFocus(res.Room)
	}
	s.jsonWho(res.Room, c.ID)
}

func (s *session) jsonWho(room, clientID string) {
	if !s.expensive() {
		return
	}
	names, total, err := s.m.WhoLimited(room, maxWho)
	if err != nil {
		s.m.Fail(errorCode(err), err.Error(), clientID)
		return
	}
	s.sendJSON(map[string]any{
		"type": "members", "room": room, "members": names, "total": total,
		"client_id": clientID, "time": s.now(),
	})
}

type jsonRoom struct {
	Name    string `json:"name"`
	Members int    `json:"members"`
	Joined  bool   `json:"joined"`
}

func (s *session) jsonRooms(clientID string) {
	var rooms []jsonRoom
	for _, r := range s.srv.hub.Rooms() {
		_, in := s.m.In(r.Name)
		rooms = append(rooms, jsonRoom{r.Name, r.Members, in})
	}
	s.sendJSON(map[string]any{"type": "rooms", "rooms": rooms, "client_id": clientID, "time": s.now()})
}
