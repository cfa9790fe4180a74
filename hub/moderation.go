package hub

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Errors of room moderation; ErrorCode gives them all "forbidden".
var (
	ErrNotOperator = errors.New("you are not an operator of that room")
	ErrBanned      = errors.New("you are banned from that room")
	ErrInviteOnly  = errors.New("that room is invite-only")
	ErrBadKey      = errors.New("that room needs the right key")
	ErrRoomFull    = errors.New("that room is full")
	ErrModerated   = errors.New("that room is moderated: only operators and voiced members may talk")
	ErrUnknownMode = errors.New("unknown room mode")
	ErrModeArg     = errors.New("that mode needs a valid argument")
)

// moderationErrors are the errors ErrorCode reports as "forbidden".
var moderationErrors = []error{ErrNotOperator, ErrBanned, ErrInviteOnly, ErrBadKey, ErrRoomFull, ErrModerated}

// RoomModes is a room's moderation state. The first member of a new room
// is its operator; operators give and take operator status and voice, set
// the topic (anyone may, unless TopicLock), kick, ban by name mask, and set
// the modes below.
type RoomModes struct {
	InviteOnly bool      // +i: only invited members may join
	Moderated  bool      // +m: only operators and voiced members may talk
	TopicLock  bool      // +t: only operators may set the topic
	Key        string    // +k: joining needs this key
	Limit      int       // +l: at most this many members (0: none)
	Bans       []string  // +b: name masks (nick!user@host, with * and ?)
	Created    time.Time // when the room was created on this hub
}

// String renders the flags as an IRC mode string, such as "+ntk key".
func (rm RoomModes) String() string {
	flags, args := "+", []string(nil)
	for _, f := range []struct {
		on bool
		c  byte
	}{{rm.InviteOnly, 'i'}, {rm.Moderated, 'm'}, {rm.TopicLock, 't'}} {
		if f.on {
			flags += string(f.c)
		}
	}
	if rm.Key != "" {
		flags, args = flags+"k", append(args, rm.Key)
	}
	if rm.Limit > 0 {
		flags, args = flags+"l", append(args, strconv.Itoa(rm.Limit))
	}
	return strings.Join(append([]string{flags}, args...), " ")
}

// ModeChange is one change of a room's modes: Mode is one of o v b i m t
// k l; Arg is the name (o, v), mask (b), key (k) or limit (l).
type ModeChange struct {
	Add  bool
	Mode byte
	Arg  string
}

// TopicInfo is a room's topic and who set it when.
type TopicInfo struct {
	Text string
	By   string
	At   time.Time
}

// RosterEntry is one member of a room with its status.
type RosterEntry struct {
	Name      string
	Op, Voice bool
}

// moderation is a room's moderation state; guarded by the room's mu.
type moderation struct {
	modes   RoomModes
	topic   TopicInfo
	ops     map[*Member]bool
	voiced  map[*Member]bool
	invited map[string]bool // folded names
}

func (md *moderation) isOp(m *Member) bool { return md.ops[m] }

// admitLocked checks whether m may join. r.mu must be held.
func (r *Room) admitLocked(m *Member, key string) error {
	md := &r.mod
	invited := md.invited[r.hub.names.Fold(m.Name())]
	switch {
	case r.bannedLocked(m) && !invited:
		return ErrBanned
	case md.modes.InviteOnly && !invited:
		return ErrInviteOnly
	case md.modes.Key != "" && key != md.modes.Key:
		return ErrBadKey
	case md.modes.Limit > 0 && len(r.members)+len(r.remote) >= md.modes.Limit:
		return ErrRoomFull
	}
	return nil
}

// enterLocked records a new member's status: the first is an operator.
func (r *Room) enterLocked(m *Member) {
	md := &r.mod
	if md.ops == nil {
		md.ops, md.voiced = map[*Member]bool{}, map[*Member]bool{}
	}
	if len(r.members) == 0 && len(r.remote) == 0 && len(md.ops) == 0 {
		md.ops[m] = true
	}
	delete(md.invited, r.hub.names.Fold(m.Name()))
}

// leftLocked forgets a departed member's status.
func (r *Room) leftLocked(m *Member) {
	delete(r.mod.ops, m)
	delete(r.mod.voiced, m)
}

// mayTalkLocked reports whether m may post in a moderated room.
func (r *Room) mayTalkLocked(m *Member) bool {
	return !r.mod.modes.Moderated || r.mod.ops[m] || r.mod.voiced[m]
}

// bannedLocked matches m against the room's ban masks.
func (r *Room) bannedLocked(m *Member) bool {
	if len(r.mod.modes.Bans) == 0 {
		return false
	}
	who := r.hub.names.Fold(m.Name() + "!" + m.Name() + "@" + hostOf(m.addr))
	for _, mask := range r.mod.modes.Bans {
		if wildMatch(r.hub.names.Fold(mask), who) {
			return true
		}
	}
	return false
}

// hostOf is the host part of a peer address.
func hostOf(addr string) string {
	if i := strings.LastIndexByte(addr, ':'); i >= 0 {
		addr = addr[:i]
	}
	return strings.Trim(addr, "[]")
}

// wildMatch matches s against pattern, where * is any run and ? any one
// character.
func wildMatch(pattern, s string) bool {
	p, str := []rune(pattern), []rune(s)
	star, mark := -1, 0
	i, j := 0, 0
	for j < len(str) {
		switch {
		case i < len(p) && (p[i] == '?' || p[i] == str[j]):
			i++
			j++
		case i < len(p) && p[i] == '*':
			star, mark = i, j
			i++
		case star >= 0:
			i, mark = star+1, mark+1
			j = mark
		default:
			return false
		}
	}
	for i < len(p) && p[i] == '*' {
		i++
	}
	return i == len(p)
}

// moderate runs fn under the room lock for m, a member of room, and
// publishes the events it returns.
func (m *Member) moderate(room string, fn func(r *Room, fl *flushList) ([]Event, error)) error {
	r := m.roomNamed(room)
	if r == nil {
		return ErrNotInRoom
	}
	fl := newFlushList()
	r.mu.Lock()
	events, err := fn(r, fl)
	var next func()
	if err == nil && len(events) > 0 {
		next = r.submitLocked(events, m, nil, fl)
	}
	r.mu.Unlock()
	fl.run()
	if next != nil {
		next()
	}
	return err
}

// Topic returns room's topic.
func (m *Member) Topic(room string) (TopicInfo, error) {
	var t TopicInfo
	err := m.moderate(room, func(r *Room, _ *flushList) ([]Event, error) {
		t = r.mod.topic
		return nil, nil
	})
	return t, err
}

// SetTopic sets room's topic; with +t only operators may.
func (m *Member) SetTopic(room, text string) error {
	text = CleanText(text)
	return m.moderate(room, func(r *Room, _ *flushList) ([]Event, error) {
		if r.mod.modes.TopicLock && !r.mod.isOp(m) {
			return nil, ErrNotOperator
		}
		r.mod.topic = TopicInfo{Text: text, By: m.Name(), At: r.hub.now()}
		return []Event{{Kind: KindTopic, From: m.Name(), Text: text}}, nil
	})
}

// Kick removes the member called name from room; operators only.
func (m *Member) Kick(room, name, reason string) error {
	reason = CleanText(reason)
	return m.moderate(room, func(r *Room, fl *flushList) ([]Event, error) {
		if !r.mod.isOp(m) {
			return nil, ErrNotOperator
		}
		key := r.hub.names.Fold(name)
		i := slices.IndexFunc(r.members, func(o *Member) bool { return r.hub.names.Fold(o.Name()) == key })
		if i < 0 {
			return nil, ErrNoSuchMember
		}
		target := r.members[i]
		r.members = slices.Delete(r.members, i, i+1)
		r.leftLocked(target)
		target.dropRoom(r)
		ev := Event{Kind: KindKick, From: m.Name(), To: target.Name(), Text: reason, Room: r.name, Time: r.hub.now()}
		target.pushLocked(&ev, fl) // the kicked member no longer hears the room
		return []Event{ev}, nil
	})
}

// Invite lets the member called name join room even when it is
// invite-only or bans it, and tells it so; in an invite-only room only
// operators may invite.
func (m *Member) Invite(room, name string) error {
	t := m.hub.lookup(name)
	if t == nil {
		return ErrNoSuchMember
	}
	var roomName string
	err := m.moderate(room, func(r *Room, _ *flushList) ([]Event, error) {
		if r.mod.modes.InviteOnly && !r.mod.isOp(m) {
			return nil, ErrNotOperator
		}
		if r.mod.invited == nil {
			r.mod.invited = map[string]bool{}
		}
		r.mod.invited[r.hub.names.Fold(t.Name())] = true
		roomName = r.name
		return nil, nil
	})
	if err == nil {
		t.send(&Event{Kind: KindInvite, From: m.Name(), To: t.Name(), Room: roomName, Time: m.hub.now()})
	}
	return err
}

// RoomModes returns room's modes.
func (m *Member) RoomModes(room string) (RoomModes, error) {
	var rm RoomModes
	err := m.moderate(room, func(r *Room, _ *flushList) ([]Event, error) {
		rm = r.mod.modes
		rm.Bans = slices.Clone(rm.Bans)
		return nil, nil
	})
	return rm, err
}

// Roster lists room's members with their status, sorted by name.
func (m *Member) Roster(room string) ([]RosterEntry, error) {
	var out []RosterEntry
	err := m.moderate(room, func(r *Room, _ *flushList) ([]Event, error) {
		for _, o := range r.members {
			out = append(out, RosterEntry{Name: o.Name(), Op: r.mod.ops[o], Voice: r.mod.voiced[o]})
		}
		for _, n := range r.remote {
			out = append(out, RosterEntry{Name: n})
		}
		return nil, nil
	})
	sortFolded(out, func(e RosterEntry) string { return e.Name }, m.hub.names.Fold)
	return out, err
}

// Mode applies changes to room's modes; operators only. The changes that
// took effect are published as one mode event; the first invalid change
// stops the rest and is reported.
func (m *Member) Mode(room string, changes []ModeChange) error {
	return m.moderate(room, func(r *Room, _ *flushList) ([]Event, error) {
		if !r.mod.isOp(m) {
			return nil, ErrNotOperator
		}
		var applied []string
		var err error
		for _, c := range changes {
			if err = r.applyModeLocked(c); err != nil {
				break
			}
			applied = append(applied, modeString(c))
		}
		if len(applied) == 0 {
			return nil, err
		}
		return []Event{{Kind: KindMode, From: m.Name(), Text: strings.Join(applied, " ")}}, err
	})
}

func modeString(c ModeChange) string {
	sign := "-"
	if c.Add {
		sign = "+"
	}
	s := sign + string(c.Mode)
	if c.Arg != "" {
		s += " " + c.Arg
	}
	return s
}

// applyModeLocked applies one change. r.mu must be held.
func (r *Room) applyModeLocked(c ModeChange) error {
	md := &r.mod
	switch c.Mode {
	case 'i':
		md.modes.InviteOnly = c.Add
	case 'm':
		md.modes.Moderated = c.Add
	case 't':
		md.modes.TopicLock = c.Add
	case 'k':
		c.Arg = CleanText(c.Arg)
		if c.Add && (c.Arg == "" || strings.ContainsAny(c.Arg, " ,")) {
			return ErrModeArg
		}
		md.modes.Key = map[bool]string{true: c.Arg}[c.Add]
	case 'l':
		if !c.Add {
			md.modes.Limit = 0
			break
		}
		n, err := strconv.Atoi(c.Arg)
		if err != nil || n < 1 {
			return ErrModeArg
		}
		md.modes.Limit = n
	case 'b':
		return r.banLocked(c)
	case 'o', 'v':
		return r.statusLocked(c)
	default:
		return ErrUnknownMode
	}
	return nil
}

func (r *Room) banLocked(c ModeChange) error {
	mask := CleanText(c.Arg)
	if mask == "" || strings.ContainsAny(mask, " ,") || len(mask) > 200 {
		return ErrModeArg
	}
	md := &r.mod
	i := slices.Index(md.modes.Bans, mask)
	switch {
	case c.Add && i < 0:
		if len(md.modes.Bans) >= 100 {
			return ErrModeArg
		}
		md.modes.Bans = append(md.modes.Bans, mask)
	case !c.Add && i >= 0:
		md.modes.Bans = slices.Delete(md.modes.Bans, i, i+1)
	}
	return nil
}

func (r *Room) statusLocked(c ModeChange) error {
	key := r.hub.names.Fold(c.Arg)
	i := slices.IndexFunc(r.members, func(o *Member) bool { return r.hub.names.Fold(o.Name()) == key })
	if i < 0 {
		return ErrNoSuchMember
	}
	set := r.mod.ops
	if c.Mode == 'v' {
		set = r.mod.voiced
	}
	if c.Add {
		set[r.members[i]] = true
	} else {
		delete(set, r.members[i])
	}
	return nil
}
