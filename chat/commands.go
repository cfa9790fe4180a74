package chat

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/line"
)

// helpText is what /help prints, one notice per line.
var helpText = []string{
	"commands:",
	"  /nick NAME        choose your name",
	"  /join ROOM        enter ROOM (creating it), leaving your current room",
	"  /part             leave your room",
	"  /rooms            list rooms",
	"  /who              list who is in your room",
	"  /msg NAME TEXT    private message",
	"  /me TEXT          action (* you TEXT)",
	"  /history [N]      the last N events of your room (default 20)",
	"  /format json|text receive events as JSON objects (one per line) or as text",
	"  /help             this list",
	"  /quit             leave",
	"a line without / is said to your room; start it with // to say a line that begins with /",
}

// greet welcomes a new member and puts it in the default room.
func (s *Server) greet(m *hub.Member) {
	welcome := fmt.Sprintf("welcome to hubcat, %s; you are %s", m.Addr(), m.Name())
	p, err := m.Join(hub.DefaultRoom)
	if err != nil { // cannot happen for the default room
		m.Notice(welcome, err.Error())
		return
	}
	m.Notice(welcome, "type /help for commands, /nick NAME to choose a name", joined(m.Room(), p))
}

// command runs one command from the member; it reports whether the member
// quit.
func (s *Server) command(m *hub.Member, cmd line.Command) (quit bool) {
	switch cmd.Verb {
	case "nick":
		s.nick(m, cmd.Args)
	case "join":
		s.join(m, strings.TrimPrefix(cmd.Args, "#"))
	case "part":
		if m.Room() == "" {
			m.Notice(hub.ErrNotInRoom.Error())
			break
		}
		room := m.Room()
		m.Part()
		m.Notice("you left " + room + "; /join a room to talk")
	case "rooms":
		s.rooms(m)
	case "who":
		names, err := m.Who()
		if err == nil {
			m.Notice(fmt.Sprintf("in %s (%d): %s", m.Room(), len(names), listNames(names[:min(len(names), maxWho)], len(names))))
		}
		s.report(m, err)
	case "msg":
		to, text := cmd.Fields()
		if to == "" || text == "" {
			m.Notice("usage: /msg NAME TEXT")
			break
		}
		s.report(m, m.Private(to, text))
	case "me":
		if cmd.Args == "" {
			m.Notice("usage: /me TEXT")
			break
		}
		s.report(m, m.Act(cmd.Args))
	case "history":
		s.history(m, cmd.Args)
	case "format":
		s.format(m, cmd.Args)
	case "help":
		m.Notice(helpText...)
	case "quit":
		m.Notice("bye")
		return true
	default:
		m.Notice("unknown command /" + cmd.Verb + "; try /help")
	}
	return false
}

// report tells the member about a failed operation.
func (s *Server) report(m *hub.Member, err error) {
	if err != nil {
		m.Notice(err.Error())
	}
}

func (s *Server) nick(m *hub.Member, name string) {
	if name == "" {
		m.Notice("you are " + m.Name() + "; usage: /nick NAME")
		return
	}
	if err := m.Rename(name); err != nil {
		m.Notice(fmt.Sprintf("cannot take name %q: %v", name, err))
		return
	}
	m.Notice("you are now known as " + name)
}

func (s *Server) join(m *hub.Member, room string) {
	if room == "" {
		m.Notice("usage: /join ROOM")
		return
	}
	p, err := m.Join(room)
	if err != nil {
		m.Notice(fmt.Sprintf("cannot join %q: %v", room, err))
		return
	}
	m.Notice(joined(m.Room(), p))
}

// joined tells a member who is in the room it just joined.
func joined(room string, p hub.Presence) string {
	if p.Total == 0 {
		return "you joined " + room + "; nobody else is here"
	}
	return fmt.Sprintf("you joined %s; here: %s", room, listNames(p.Names, p.Total))
}

func (s *Server) rooms(m *hub.Member) {
	rooms := s.hub.Rooms()
	if len(rooms) == 0 {
		m.Notice("no rooms; /join one")
		return
	}
	parts := make([]string, len(rooms))
	for i, r := range rooms {
		parts[i] = fmt.Sprintf("%s (%d)", r.Name, r.Members)
	}
	m.Notice("rooms: " + strings.Join(parts, ", "))
}

func (s *Server) history(m *hub.Member, arg string) {
	n := 20
	if arg != "" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 1 {
			m.Notice("usage: /history [N], N a positive number")
			return
		}
		n = min(v, 1000)
	}
	events, err := m.History(n)
	if err != nil {
		s.report(m, err)
		return
	}
	m.Notice(fmt.Sprintf("last %d events in %s:", len(events), m.Room()))
	m.Replay(events)
	m.Notice("end of history")
}

// maxWho bounds the names /who prints.
const maxWho = 200

// listNames joins names, saying how many more there are beyond them.
func listNames(names []string, total int) string {
	s := strings.Join(names, ", ")
	if more := total - len(names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// format switches the member between text lines and JSON events.
func (s *Server) format(m *hub.Member, arg string) {
	switch strings.ToLower(arg) {
	case "json":
		m.SetFormat(JSONFormat)
	case "text":
		m.SetFormat(TextFormat)
	default:
		m.Notice("usage: /format json|text")
		return
	}
	m.Notice("format is now " + strings.ToLower(arg))
}
