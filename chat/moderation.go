package chat

import (
	"fmt"
	"strings"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/line"
)

// moderate runs the moderation commands on the room the member talks in.
func (s *session) moderate(cmd line.Command) {
	m := s.m
	room := m.Focus()
	if room == "" {
		s.report(errNoFocus)
		return
	}
	first, rest := cmd.Fields()
	switch cmd.Verb {
	case "topic":
		s.topic(room, cmd.Args)
	case "kick":
		if first == "" {
			m.Notice("usage: /kick NAME [REASON]")
			return
		}
		s.report(m.Kick(room, first, rest))
	case "ban", "unban":
		if first == "" {
			m.Notice("usage: /" + cmd.Verb + " MASK, like bob!*@*")
			return
		}
		s.report(m.Mode(room, []hub.ModeChange{{Add: cmd.Verb == "ban", Mode: 'b', Arg: first}}))
	case "invite":
		if first == "" {
			m.Notice("usage: /invite NAME")
			return
		}
		if err := m.Invite(room, first); err != nil {
			s.report(err)
			return
		}
		m.Notice("invited " + first + " to " + room)
	case "mode":
		s.mode(room, cmd.Args)
	}
}

func (s *session) topic(room, text string) {
	m := s.m
	if text != "" {
		s.report(m.SetTopic(room, text))
		return
	}
	t, err := m.Topic(room)
	switch {
	case err != nil:
		s.report(err)
	case t.Text == "":
		m.Notice("no topic is set in " + room)
	default:
		m.Notice(fmt.Sprintf("topic of %s: %s (set by %s, %s)", room, t.Text, t.By, t.At.UTC().Format("2006-01-02 15:04 UTC")))
	}
}

// mode shows the room's modes, or applies changes like "+o bob" or
// "+kl secret 10".
func (s *session) mode(room, args string) {
	m := s.m
	if args == "" {
		rm, err := m.RoomModes(room)
		if err != nil {
			s.report(err)
			return
		}
		bans := "none"
		if len(rm.Bans) > 0 {
			bans = strings.Join(rm.Bans, ", ")
		}
		m.Notice(fmt.Sprintf("modes of %s: %s; bans: %s", room, rm, bans))
		return
	}
	changes, err := ParseModes(args)
	if err != nil {
		m.Notice(err.Error() + "; usage: /mode [+-]MODES [ARGS], modes o v b i m t k l")
		return
	}
	s.report(m.Mode(room, changes))
}

// ParseModes reads IRC-style mode changes, such as "+o-v bob carol" or
// "+kl secret 10", taking arguments for o, v, b, k (when set) and l (when
// set) in order.
func ParseModes(args string) ([]hub.ModeChange, error) {
	fields := strings.Fields(args)
	if len(fields) == 0 {
		return nil, fmt.Errorf("no modes given")
	}
	params := fields[1:]
	var out []hub.ModeChange
	add := true
	for _, c := range []byte(fields[0]) {
		switch c {
		case '+', '-':
			add = c == '+'
			continue
		}
		ch := hub.ModeChange{Add: add, Mode: c}
		if needsArg(c, add) {
			if len(params) == 0 {
				return nil, fmt.Errorf("mode %c needs an argument", c)
			}
			ch.Arg, params = params[0], params[1:]
		}
		out = append(out, ch)
	}
	return out, nil
}

func needsArg(mode byte, add bool) bool {
	switch mode {
	case 'o', 'v', 'b':
		return true
	case 'k', 'l':
		return add
	}
	return false
}
