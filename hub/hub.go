package hub

import (
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Errors returned by member operations; their text is fit to show a user.
var (
	ErrNameTaken    = errors.New("that name is taken")
	ErrBadName      = errors.New("names are 1-32 letters, digits, '-' or '_', starting with a letter")
	ErrBadRoom      = errors.New("room names are 1-32 letters, digits, '-' or '_'")
	ErrNoSuchMember = errors.New("no such user")
	ErrNotInRoom    = errors.New("you are not in a room; /join one")
	ErrClosed       = errors.New("hub: closed")
)

// DefaultRoom is where members start.
const DefaultRoom = "lobby"

// Config tunes a Hub. The zero value works.
type Config struct {
	// OutboxBytes caps each member's unwritten bytes before it is cut off
	// as a slow consumer; zero means 1 MiB.
	OutboxBytes int
	// History stores room events; nil means an in-memory ring per room
	// (see NewMemoryHistory).
	History History
	// Bus carries room events to other hubs; nil means this hub is alone.
	Bus Bus
	// Logger receives joins, leaves and cut-offs; nil means slog.Default().
	Logger *slog.Logger
	// AnnounceLimit is the room size above which joins, leaves and renames
	// are no longer announced to the room (a crowd's comings and goings
	// would drown its talk, and cost O(members) writes each). Zero means
	// 100; negative means always announce.
	AnnounceLimit int
	// Now is the clock; nil means time.Now. Tests may set it.
	Now func() time.Time
}

// History stores room events so late joiners can catch up. The hub calls
// Append under the room's lock, in sequence order; implementations should
// be quick (buffer and write behind), safe for concurrent use, and must
// copy what they keep: the hub reuses ev after Append returns.
type History interface {
	Append(ev *Event) error
	// Recent returns up to n of the latest events of room, oldest first.
	Recent(room string, n int) ([]Event, error)
	// LastSeq reports the highest sequence number stored for room, so a
	// restarted hub continues numbering where it stopped.
	LastSeq(room string) (uint64, error)
}

// Bus carries events between hubs. Publish is called for every event that
// originates on this hub (and must not keep ev past its return); events
// from other hubs are handed back through Hub.Deliver.
type Bus interface {
	Publish(ev *Event) error
}

// Hub holds rooms and members.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	guests  atomic.Uint64
	closing atomic.Bool

	mu      sync.Mutex
	rooms   map[string]*Room   // by folded name; guarded by mu
	members map[string]*Member // by folded name; guarded by mu
}

// New returns an empty hub.
func New(cfg Config) *Hub {
	if cfg.OutboxBytes <= 0 {
		cfg.OutboxBytes = 1 << 20
	}
	if cfg.AnnounceLimit == 0 {
		cfg.AnnounceLimit = 100
	}
	if cfg.History == nil {
		cfg.History = NewMemoryHistory(1000)
	}
	h := &Hub{cfg: cfg, log: cfg.Logger, now: cfg.Now, rooms: map[string]*Room{}, members: map[string]*Member{}}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// Peer is the front end's side of a member.
type Peer struct {
	// Addr is the peer's address, for logs and the greeting.
	Addr string
	// Format renders events for this peer.
	Format Format
	// Write writes a batch of rendered bytes (see WriteFunc).
	Write WriteFunc
	// TryWrite, if set, writes without blocking (see TryWriteFunc); the
	// hub then delivers inline when the peer keeps up.
	TryWrite TryWriteFunc
	// Hangup closes the connection when the hub cuts the member off. It
	// is called at most once, on its own goroutine.
	Hangup func()
}

// Attach is how a front end brings a connection in: the member gets a
// unique guest name and an outbox, and is not yet in any room.
func (h *Hub) Attach(p Peer) (*Member, error) {
	if h.closing.Load() {
		return nil, ErrClosed
	}
	m := &Member{hub: h, addr: p.Addr, closeConn: p.Hangup}
	m.SetFormat(p.Format)
	m.out = newOutbox(h.cfg.OutboxBytes, p, m.cutOff)
	h.mu.Lock()
	for {
		name := "guest-" + strconv.FormatUint(h.guests.Add(1), 10)
		if _, taken := h.members[fold(name)]; !taken {
			m.name = name
			h.members[fold(name)] = m
			break
		}
	}
	h.mu.Unlock()
	h.log.Info("connect", "member", m.name, "remote", p.Addr)
	return m, nil
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
	slices.SortFunc(out, func(a, b RoomInfo) int { return compareFold(a.Name, b.Name) })
	return out
}

// room returns the room called name, creating it.
func (h *Hub) room(name string) *Room {
	h.mu.Lock()
	defer h.mu.Unlock()
	key := fold(name)
	r := h.rooms[key]
	if r == nil {
		r = newRoom(h, name)
		h.rooms[key] = r
	}
	return r
}

// Deliver fans out an event that arrived from another hub through the Bus.
func (h *Hub) Deliver(ev *Event) {
	h.room(ev.Room).deliverRemote(ev)
}

// lookup finds a member by name.
func (h *Hub) lookup(name string) *Member {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.members[fold(name)]
}
