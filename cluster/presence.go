package cluster

import (
	"errors"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hubcat/hubcat/hub"
)

// presence remembers, from the join, leave and rename events the feed
// delivers, which members of other hubs are in which rooms, so that when
// a hub dies without saying goodbye its members can be seen to leave.
// Each hub proves it is alive with a key in the name bucket, refreshed
// like its names; a hub whose key has expired is dead, and every hub
// that knows some of its members orders their leaves. The leaves' IDs
// are derived from the joins they end, so hubs that reap at the same
// moment store each leave once.
type presence struct {
	c  *Cluster
	mu sync.Mutex
	// by origin hub, then by folded room and folded name; guarded by mu
	hubs map[string]map[string]map[string]member
}

// member is a member of another hub in one room.
type member struct {
	room, name string
	since      uint64 // stream sequence of its join (or rename)
}

// hubKey is the bucket key that shows hub id is alive; names never
// contain a '.' once escaped, so it cannot be taken as a name.
func hubKey(id string) string { return "hub." + escapeToken(id) }

// track updates the rosters with one delivered event.
func (p *presence) track(ev *hub.Event) {
	if ev.Origin == p.c.cfg.HubID || ev.Room == "" || !ev.Kind.IsPresence() {
		return
	}
	fold := p.c.cfg.Fold
	p.mu.Lock()
	defer p.mu.Unlock()
	rooms := p.hubs[ev.Origin]
	if rooms == nil {
		rooms = map[string]map[string]member{}
		p.hubs[ev.Origin] = rooms
	}
	room := fold(ev.Room)
	if rooms[room] == nil {
		rooms[room] = map[string]member{}
	}
	switch ev.Kind {
	case hub.KindJoin:
		rooms[room][fold(ev.From)] = member{ev.Room, ev.From, ev.Seq}
	case hub.KindLeave:
		delete(rooms[room], fold(ev.From))
	case hub.KindRename:
		delete(rooms[room], fold(ev.From))
		rooms[room][fold(ev.Text)] = member{ev.Room, ev.Text, ev.Seq}
	}
}

// reapLoop looks for dead hubs once per claim TTL until Close.
func (p *presence) reapLoop() {
	t := time.NewTicker(p.c.cfg.ClaimTTL)
	defer t.Stop()
	for {
		select {
		case <-p.c.quit:
			return
		case <-t.C:
			p.reap()
		}
	}
}

// reap orders the leaves of the members of every hub whose key is gone.
func (p *presence) reap() {
	if !p.c.nc.IsConnected() {
		return
	}
	p.mu.Lock()
	origins := make([]string, 0, len(p.hubs))
	for o := range p.hubs {
		origins = append(origins, o)
	}
	p.mu.Unlock()
	for _, origin := range origins {
		ctx, cancel := p.c.ctx()
		_, err := p.c.kv.Get(ctx, hubKey(origin))
		cancel()
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // alive, or NATS cannot say
		}
		p.mu.Lock()
		rooms := p.hubs[origin]
		delete(p.hubs, origin)
		p.mu.Unlock()
		p.c.log.Warn("hub gone; its members leave its rooms", "gone", origin)
		for _, members := range rooms {
			p.leave(origin, members)
		}
	}
}

// leave orders the leaves of one room's members of a dead hub.
func (p *presence) leave(origin string, members map[string]member) {
	var evs []hub.Event
	for _, m := range members {
		evs = append(evs, hub.Event{
			Kind: hub.KindLeave, Room: m.room, From: m.name, Reason: hub.ReadError,
			ID: origin + "-gone-" + strconv.FormatUint(m.since, 36), Origin: origin, Time: time.Now(),
		})
	}
	if len(evs) == 0 {
		return
	}
	p.c.Order(evs, func(err error) {
		if err != nil {
			p.c.log.Warn("leaves of a gone hub not ordered", "gone", origin, "err", err)
		}
	})
}
