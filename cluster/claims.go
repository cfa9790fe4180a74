package cluster

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hubcat/hubcat/hub"
)

// claims holds this hub's names in the bucket. A claim is a key (the
// escaped folded name) whose value is its holder; the bucket's TTL drops
// a key that is not refreshed, so the names of a hub that died come free
// after Config.ClaimTTL. The owning hub refreshes each of its keys three
// times per TTL with a compare-and-set on the revision it last wrote.
type claims struct {
	c    *Cluster
	mu   sync.Mutex
	held map[string]claim // by key; guarded by mu
}

// claim is one name held here.
type claim struct {
	holder string
	rev    uint64
}

func (cl *claims) init(c *Cluster) {
	cl.c = c
	cl.held = map[string]claim{}
}

// Claim takes the folded name for holder, atomically across the
// cluster: hub.ErrNameTaken if another holder has it, an error wrapping
// ErrUnavailable if NATS cannot be asked. Claiming a name one already
// holds succeeds.
func (c *Cluster) Claim(folded, holder string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := c.ctx()
	defer cancel()
	key := escapeToken(folded)
	for try := 0; try < 3; try++ {
		rev, err := c.kv.Create(ctx, key, []byte(holder))
		if err == nil {
			c.claims.keep(key, claim{holder, rev})
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return unavailable(err)
		}
		e, err := c.kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released or expired meanwhile: try again
		}
		if err != nil {
			return unavailable(err)
		}
		if string(e.Value()) != holder {
			return hub.ErrNameTaken
		}
		c.claims.keep(key, claim{holder, e.Revision()})
		return nil
	}
	return hub.ErrNameTaken
}

// Release gives the folded name up if holder holds it.
func (c *Cluster) Release(folded, holder string) {
	key := escapeToken(folded)
	c.claims.mu.Lock()
	cl, ok := c.claims.held[key]
	if ok && cl.holder == holder {
		delete(c.claims.held, key)
	}
	c.claims.mu.Unlock()
	if !ok || cl.holder != holder {
		return
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.kv.Delete(ctx, key, jetstream.LastRevision(cl.rev)); err != nil {
		c.log.Warn("name release failed; it expires with its TTL", "name", folded, "err", err)
	}
}

// keep records a claim held here.
func (cl *claims) keep(key string, c claim) {
	cl.mu.Lock()
	cl.held[key] = c
	cl.mu.Unlock()
}

// refreshLoop refreshes the held claims three times per TTL until Close.
func (cl *claims) refreshLoop() {
	t := time.NewTicker(cl.c.cfg.ClaimTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-cl.c.quit:
			return
		case <-t.C:
			cl.refresh()
		}
	}
}

// refresh rewrites each held key with its holder, resetting its age. A
// key that expired while NATS was away is created again if still free;
// one that another hub took meanwhile is lost, and logged.
func (cl *claims) refresh() {
	if !cl.c.nc.IsConnected() {
		return
	}
	cl.mu.Lock()
	held := make(map[string]claim, len(cl.held))
	for k, v := range cl.held {
		held[k] = v
	}
	cl.mu.Unlock()
	for key, c := range held {
		ctx, cancel := cl.c.ctx()
		rev, err := cl.c.kv.Update(ctx, key, []byte(c.holder), c.rev)
		if err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			cancel()
			cl.c.log.Debug("name refresh failed", "key", key, "err", err)
			continue
		}
		if err != nil {
			rev, err = cl.c.kv.Create(ctx, key, []byte(c.holder))
		}
		cancel()
		cl.mu.Lock()
		if cur, ok := cl.held[key]; ok && cur.rev == c.rev {
			if err == nil {
				cl.held[key] = claim{c.holder, rev}
			} else {
				delete(cl.held, key)
				cl.c.log.Warn("name claim lost to another hub while NATS was away", "key", key, "holder", c.holder)
			}
		}
		cl.mu.Unlock()
	}
}

// releaseAll deletes every held key (on Close).
func (cl *claims) releaseAll() {
	cl.mu.Lock()
	held := cl.held
	cl.held = map[string]claim{}
	cl.mu.Unlock()
	for key, c := range held {
		ctx, cancel := context.WithTimeout(context.Background(), cl.c.cfg.Timeout)
		cl.c.kv.Delete(ctx, key, jetstream.LastRevision(c.rev))
		cancel()
	}
}
