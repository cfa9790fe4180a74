package hub

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by member operations; their text is fit to show a user.
var (
	ErrNameTaken    = errors.New("that name is taken")
	ErrBadName      = errors.New("names are 1-32 letters, digits, '-' or '_' of one script, starting with a letter")
	ErrBadRoom      = errors.New("room names are 1-32 letters, digits, '-' or '_' of one script")
	ErrNoSuchMember = errors.New("no such user")
	ErrNotInRoom    = errors.New("you are not in that room")
	ErrEmpty        = errors.New("nothing to send")
	ErrClosed       = errors.New("hub: closed")
	ErrNotStored    = errors.New("the message could not be stored; it was not sent")
	ErrUnavailable  = errors.New("the hub cannot order messages now; try again")
)

// ErrorCode is the stable code of a member operation's error, for the JSON
// protocol (docs/PROTOCOL.md); "error" for errors it does not know.
func ErrorCode(err error) string {
	for _, c := range []struct {
		err  error
		code string
	}{
		{ErrNameTaken, "name_taken"}, {ErrBadName, "bad_name"}, {ErrBadRoom, "bad_room"},
		{ErrNoSuchMember, "no_such_user"}, {ErrNotInRoom, "not_in_room"}, {ErrEmpty, "empty"},
		{ErrNotStored, "not_stored"}, {ErrUnavailable, "unavailable"}, {ErrClosed, "unavailable"},
		{ErrUnknownMode, "bad_mode"}, {ErrModeArg, "bad_mode"},
	} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	for _, e := range moderationErrors {
		if errors.Is(err, e) {
			return "forbidden"
		}
	}
	return "error"
}

// DefaultRoom is where members start.
const DefaultRoom = "lobby"

// Config tunes a Hub. The zero value works.
type Config struct {
	// OutboxBytes caps each member's unwritten bytes before it is cut off
	// as a slow consumer; zero means 4 MiB.
	OutboxBytes int
	// Log keeps events durably (see Log); nil keeps recent events in
	// memory only.
	Log Log
	// Sequencer orders room events across hubs (see Sequencer); nil means
	// each room numbers its own events.
	Sequencer Sequencer
	// Names decides valid names and how they compare; nil means
	// DefaultNames.
	Names NamePolicy
	// Claims makes names unique beyond this hub; nil means unique here.
	Claims NameClaims
	// ID names this hub as the origin of the events it accepts; "" means
	// a random one.
	ID string
	// HistoryPerRoom is how many recent events each room keeps in memory;
	// zero means 1000. HistoryBytes bounds them all; zero means
	// DefaultHistoryBytes.
	HistoryPerRoom, HistoryBytes int
	// AnnounceLimit is the room size above which joins, leaves and renames
	// are delivered only to members that asked for all presence
	// (Peer.AllPresence): a crowd's comings and goings would drown its
	// talk for nc users. They are sequenced and logged whatever the size.
	// Zero means 100; negative means always deliver.
	AnnounceLimit int
	// Logger receives joins, leaves and cut-offs; nil means slog.Default().
	Logger *slog.Logger
	// Now is the clock; nil means time.Now. Tests may set it.
	Now func() time.Time
}

// Sequencer orders room events across hubs (a cluster's shared log).
type Sequencer interface {
	// Order submits events of one room (ID and Origin set, Seq 0) to the
	// shared order. It must not block for long. done reports a failure:
	// the sender is told ErrUnavailable. Ordered events, this hub's own
	// included, come back through Hub.Apply; a sender's ack is sent when
	// its event is applied here. With a Sequencer the hub never calls
	// Log.Append: the sequencer's log holds the events.
	Order(events []Event, done func(error))
}

// NameClaims makes names unique across hubs. The hub calls it outside
// every lock, with names folded by the NamePolicy.
type NameClaims interface {
	// Claim takes folded for holder, or fails with ErrNameTaken.
	Claim(folded, holder string) error
	// Release gives a claimed name back.
	Release(folded, holder string)
}

// Hub holds rooms and members.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	names   NamePolicy
	recent  *recentCache
	guests  atomic.Uint64
	ids     atomic.Uint64
	closing atomic.Bool
	stats   counters

	mu      sync.Mutex
	rooms   map[string]*Room   // by folded name; guarded by mu
	members map[string]*Member // by folded name; guarded by mu
}

// New returns an empty hub.
func New(cfg Config) *Hub {
	if cfg.OutboxBytes <= 0 {
		cfg.OutboxBytes = 4 << 20
	}
	if cfg.AnnounceLimit == 0 {
		cfg.AnnounceLimit = 100
	}
	if cfg.HistoryPerRoom <= 0 {
		cfg.HistoryPerRoom = 1000
	}
	if cfg.HistoryBytes <= 0 {
		cfg.HistoryBytes = DefaultHistoryBytes
	}
	if cfg.Names == nil {
		cfg.Names = DefaultNames
	}
	if cfg.ID == "" {
		var b [4]byte
		rand.Read(b[:])
		cfg.ID = hex.EncodeToString(b[:])
	}
	h := &Hub{
		cfg: cfg, log: cfg.Logger, now: cfg.Now, names: cfg.Names,
		recent: newRecentCache(cfg.HistoryPerRoom, cfg.HistoryBytes),
		rooms:  map[string]*Room{}, members: map[string]*Member{},
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// ID is the hub's origin name in event IDs.
func (h *Hub) ID() string { return h.cfg.ID }

// newID returns a fresh event ID.
func (h *Hub) newID() string {
	return h.cfg.ID + "-" + strconv.FormatUint(h.ids.Add(1), 36)
}

// Peer is the front end's side of a member.
type Peer struct {
	// Addr is the peer's address, for logs and the greeting.
	Addr string
	// Frontend names the front end ("line", "ws", "irc"), for Stats.
	Frontend string
	// Format renders events for this peer.
	Format Format
	// AwayFormat, if set, renders events of the member's rooms other than
	// its focus (see Member.SetFocus): the line protocol prefixes them.
	AwayFormat Format
	// Write writes a batch of rendered bytes (see WriteFunc).
	Write WriteFunc
	// TryWrite, if set, writes without blocking (see TryWriteFunc); the
	// hub then delivers inline when the peer keeps up.
	TryWrite TryWriteFunc
	// Hangup closes the connection when the hub cuts the member off,
	// discarding what the kernel still holds for it. It is called at most
	// once, on its own goroutine.
	Hangup func()
	// AllPresence asks for every join, leave and rename, the member's own
	// included, whatever the room's size (clients that keep member lists).
	AllPresence bool
}

// Attach is how a front end brings a connection in: the member gets a
// unique guest name and an outbox, and is not yet in any room.
func (h *Hub) Attach(p Peer) (*Member, error) {
	if h.closing.Load() {
		return nil, ErrClosed
	}
	if p.Frontend == "" {
		p.Frontend = "other"
	}
	m := &Member{hub: h, addr: p.Addr, frontend: p.Frontend, closeConn: p.Hangup}
	m.allPresence.Store(p.AllPresence)
	m.SetFormats(p.Format, p.AwayFormat)
	m.out = newOutbox(h.cfg.OutboxBytes, p, m.cutOff)
	prefix := "guest-"
	if h.cfg.Claims != nil { // guests of different hubs must not collide
		prefix += h.cfg.ID + "-"
	}
	for {
		name := prefix + strconv.FormatUint(h.guests.Add(1), 10)
		if h.claim(name, m) == nil {
			m.name = name
			break
		}
	}
	h.log.Info("connect", "member", m.name, "remote", p.Addr)
	return m, nil
}

// claim reserves name for m, here and through Config.Claims.
func (h *Hub) claim(name string, m *Member) error {
	key := h.names.Fold(name)
	if c := h.cfg.Claims; c != nil {
		if err := c.Claim(key, h.cfg.ID); err != nil {
			return err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if o, taken := h.members[key]; taken && o != m {
		if c := h.cfg.Claims; c != nil {
			c.Release(key, h.cfg.ID)
		}
		return ErrNameTaken
	}
	h.members[key] = m
	return nil
}

// release gives up name, held by m.
func (h *Hub) release(name string, m *Member) {
	key := h.names.Fold(name)
	h.mu.Lock()
	mine := h.members[key] == m
	if mine {
		delete(h.members, key)
	}
	h.mu.Unlock()
	if c := h.cfg.Claims; c != nil && mine {
		c.Release(key, h.cfg.ID)
	}
}

// Close marks the hub as shutting down: no new members, and leaves are no
// longer announced (everyone is leaving). Front ends then say goodbye to
// their members.
func (h *Hub) Close() { h.closing.Store(true) }

// RoomInfo describes a room for listings.
type RoomInfo struct {
	Name    string
	Members int
}

// Rooms lists the rooms that have members, by name.
func (h *Hub) Rooms() []RoomInfo {
	h.mu.Lock()
	rooms := make([]*Room, 0, len(h.rooms))
	for _, r := range h.rooms {
		rooms = append(rooms, r)
	}
	h.mu.Unlock()
	out := make([]RoomInfo, 0, len(rooms))
	for _, r := range rooms {
		if n := r.size(); n > 0 {
			out = append(out, RoomInfo{Name: r.name, Members: n})
		}
	}
	sortFolded(out, func(r RoomInfo) string { return r.Name }, h.names.Fold)
	return out
}

// room returns the room called name, creating it. Its numbering continues
// from what the log or the cache knows of it; a room nobody remembers
// starts from the clock, so that numbers are never reused even after the
// memory-only hub forgot the room or restarted.
func (h *Hub) room(name string) *Room {
	key := h.names.Fold(name)
	h.mu.Lock()
	r := h.rooms[key]
	h.mu.Unlock()
	if r != nil {
		return r
	}
	last := h.recent.last(key)
	if h.cfg.Log != nil {
		if l, err := h.safeLast(name); err == nil {
			last = max(last, l)
		} else {
			h.log.Warn("log: last sequence number", "room", name, "err", err)
			last = max(last, uint64(h.now().UnixMicro()))
		}
	} else if last == 0 {
		last = uint64(h.now().UnixMicro())
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if r := h.rooms[key]; r != nil {
		return r
	}
	r = newRoom(h, name, key, last)
	h.rooms[key] = r
	return r
}

// existingRoom returns the room called name, or nil.
func (h *Hub) existingRoom(name string) *Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.rooms[h.names.Fold(name)]
}

// Apply brings events ordered by the Sequencer into their room: events of
// one room, Seq set, in order. Events already applied are skipped, so a
// redelivery is harmless.
func (h *Hub) Apply(events []Event) {
	if len(events) == 0 {
		return
	}
	if events[0].Room == "" { // private messages: to their local recipients
		for i := range events {
			if t := h.lookup(events[i].To); t != nil && events[i].Kind == KindPrivate {
				t.send(&events[i])
			}
		}
		return
	}
	h.room(events[0].Room).applyOrdered(events)
}

// lookup finds a member by name.
func (h *Hub) lookup(name string) *Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.members[h.names.Fold(name)]
}

// retire removes an empty room from the hub so unused names cost nothing.
func (h *Hub) retire(r *Room) {
	h.mu.Lock()
	defer h.mu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.members) == 0 && len(r.pending) == 0 && len(r.acks) == 0 && h.rooms[r.key] == r {
		r.dead = true
		delete(h.rooms, r.key)
	}
}
