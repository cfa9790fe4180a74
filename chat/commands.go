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
	"  /join ROOM        enter ROOM (creating it) and talk there; you stay in your other rooms",
	"  /part [ROOM]      leave ROOM (default: the room you talk in)",
	"  /rooms            list rooms; * marks yours, > the one you talk in",
	"  /who [ROOM]       list who is in a room",
	"  /msg NAME TEXT    private message",
	"  /me TEXT          action (* you TEXT)",
	"  /history [N]      the last N events of the room you talk in (default 20)",
	"  /format json|text receive events as JSON objects (one per line) or as text",
	"  /topic [TEXT]     show or set the topic of the room you talk in",
	"  /kick NAME [WHY]  remove someone from the room (operators)",
	"  /ban MASK         ban names matching MASK, like bob!*@* (operators); /unban MASK",
	"  /invite NAME      invite someone to the room you talk in",
	"  /mode [+-MODES ARGS] show or change the room's modes: o v b i m t k l (operators)",
	"  /help             this list",
	"  /quit             leave",
	"a line without / is said to the room you talk in; lines from your other rooms start with [room]",
	"start a line with // to say a line that begins with /",
}

// greet welcomes a new member and puts it in the default room.
func (s *session) greet() {
	m := s.m
	welcome := fmt.Sprintf("welcome to hubcat, %s; you are %s", m.Addr(), m.Name())
	res, err := m.Join(hub.DefaultRoom, hub.JoinOptions{})
	if err != nil { // cannot happen for the default room
		m.Notice(welcome, err.Error())
		return
	}
	m.SetFocus(res.Room)
	m.Notice(welcome, "type /help for commands, /nick NAME to choose a name", joined(res))
}

// command runs one command from the member; it reports whether the member
// quit.
func (s *session) command(cmd line.Command) (quit bool) {
	m := s.m
	switch cmd.Verb {
	case "nick":
		s.nick(cmd.Args)
	case "join":
		room, key := cmd.Fields()
		s.join(strings.TrimPrefix(room, "#"), key)
	case "part":
		s.part(strings.TrimPrefix(cmd.Args, "#"))
	case "rooms":
		s.rooms()
	case "who":
		s.who(strings.TrimPrefix(cmd.Args, "#"))
	case "msg":
		to, text := cmd.Fields()
		if to == "" || text == "" {
			m.Notice("usage: /msg NAME TEXT")
			break
		}
		s.report(m.Private(to, text, ""))
	case "me":
		if cmd.Args == "" {
			m.Notice("usage: /me TEXT")
			break
		}
		s.report(s.post(hub.KindAction, "", cmd.Args))
	case "history":
		s.history(cmd.Args)
	case "topic", "kick", "ban", "unban", "invite", "mode":
		s.moderate(cmd)
	case "format":
		s.format(cmd.Args)
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
func (s *session) report(err error) {
	if err != nil {
		s.m.Notice(err.Error())
	}
}

// post sends texts to the focus room.
func (s *session) post(k hub.Kind, clientID string, texts ...string) error {
	focus, err := s.focus()
	if err != nil {
		return err
	}
	return s.m.Post(focus, k, clientID, texts...)
}

// focus is the room plain lines go to.
func (s *session) focus() (string, error) {
	if focus := s.m.Focus(); focus != "" {
		return focus, nil
	}
	return "", errNoFocus
}

var errNoFocus = fmt.Errorf("you are not in a room; /join one")

func (s *session) nick(name string) {
	m := s.m
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

func (s *session) join(room, key string) {
	m := s.m
	if room == "" {
		m.Notice("usage: /join ROOM [KEY]")
		return
	}
	res, err := m.Join(room, hub.JoinOptions{Key: key})
	if err != nil {
		m.Notice(fmt.Sprintf("cannot join %q: %v", room, err))
		return
	}
	m.SetFocus(res.Room)
	if res.Already {
		m.Notice("you now talk in " + res.Room)
		return
	}
	m.Notice(joined(res))
}

func (s *session) part(room string) {
	m := s.m
	if room == "" {
		room = m.Focus()
	}
	name, in := m.In(room)
	if !in {
		m.Notice(hub.ErrNotInRoom.Error())
		return
	}
	wasFocus := name == m.Focus()
	m.Part(name)
	if rooms := m.Rooms(); wasFocus && len(rooms) > 0 {
		m.SetFocus(rooms[len(rooms)-1])
		m.Notice("you left " + name + "; you now talk in " + m.Focus())
		return
	}
	if m.Focus() == "" {
		m.Notice("you left " + name + "; /join a room to talk")
		return
	}
	m.Notice("you left " + name)
}

// joined tells a member who is in the room it just joined.
func joined(res hub.JoinResult) string {
	if res.Total == 0 {
		return "you joined " + res.Room + "; nobody else is here"
	}
	return fmt.Sprintf("you joined %s; here: %s", res.Room, listNames(res.Names, res.Total))
}

func (s *session) rooms() {
	m := s.m
	rooms := s.srv.hub.Rooms()
	if len(rooms) == 0 {
		m.Notice("no rooms; /join one")
		return
	}
	focus := m.Focus()
	parts := make([]string, len(rooms))
	for i, r := range rooms {
		mark := ""
		if _, in := m.In(r.Name); in {
			mark = "*"
		}
		if r.Name == focus {
			mark = ">"
		}
		parts[i] = fmt.Sprintf("%s%s (%d)", mark, r.Name, r.Members)
	}
	m.Notice("rooms: " + strings.Join(parts, ", "))
}

func (s *session) who(room string) {
	m := s.m
	if room == "" {
		room = m.Focus()
	}
	if !s.expensive() {
		return
	}
	names, total, err := m.WhoLimited(room, maxWho)
	if err != nil {
		s.report(err)
		return
	}
	m.Notice(fmt.Sprintf("in %s (%d): %s", room, total, listNames(names, total)))
}

func (s *session) history(arg string) {
	m := s.m
	n := 20
	if arg != "" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 1 {
			m.Notice("usage: /history [N], N a positive number")
			return
		}
		n = min(v, 1000)
	}
	if m.Focus() == "" {
		s.report(errNoFocus)
		return
	}
	if s.expensive() {
		s.report(m.History(m.Focus(), hub.HistoryQuery{Limit: n}))
	}
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
func (s *session) format(arg string) {
	switch strings.ToLower(arg) {
	case "json":
		s.startJSON("")
	case "text":
		s.json = false
		s.m.SetFormats(s.srv.text, s.srv.textAway)
		s.m.SetAllPresence(false)
		s.m.Notice("format is now text")
	default:
		s.m.Notice("usage: /format json|text")
	}
}
