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
	refs   int // successful Claims not yet Released
}

func (cl *claims) init(c *Cluster) {
	cl.c = c
	cl.held = map[string]claim{}
}

// Claim takes the folded name for holder, atomically across the
// cluster: hub.ErrNameTaken if another holder has it, an error wrapping
// ErrUnavailable if NATS cannot be asked. Claiming a name one already
// holds succeeds and counts: the name is given up when every Claim has
// been matched by a Release (a hub, the holder, may claim a name for a
// second member and release it again when it finds its own member has
// it).
func (c *Cluster) Claim(folded, holder string) error {
	if c.closed.Load() {
		return ErrClosed
	}
	ctx, cancel := c.ctx()
	defer cancel()
	return c.claims.take(ctx, escapeToken(folded), holder)
}

// take claims key for holder (see Claim).
func (cl *claims) take(ctx context.Context, key, holder string) error {
	if cl.addRef(key, holder) {
		return nil
	}
	kv := cl.c.kv
	for try := 0; try < 3; try++ {
		rev, err := kv.Create(ctx, key, []byte(holder))
		if err == nil {
			cl.keep(key, holder, rev)
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return unavailable(err)
		}
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // released or expired meanwhile: try again
		}
		if err != nil {
			return unavailable(err)
		}
		if string(e.Value()) != holder {
			return hub.ErrNameTaken
		}
		cl.keep(key, holder, e.Revision())
		return nil
	}
	return hub.ErrNameTaken
}

// Release gives the folded name up if holder holds it.
func (c *Cluster) Release(folded, holder string) {
	key := escapeToken(folded)
	c.claims.mu.Lock()
	cl, ok := c.claims.held[key]
	ok = ok && cl.holder == holder
	if ok {
		cl.refs--
		c.claims.held[key] = cl
		if cl.refs <= 0 {
			delete(c.claims.held, key)
		}
	}
	c.claims.mu.Unlock()
	if !ok || cl.refs > 0 {
		return
	}
	ctx, cancel := c.ctx()
	defer cancel()
	if err := c.kv.Delete(ctx, key, jetstream.LastRevision(cl.rev)); err != nil {
		c.log.Warn("name release failed; it expires with its TTL", "name", folded, "err", err)
	}
}

// addRef counts one more Claim of a name holder holds here already.
func (cl *claims) addRef(key, holder string) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	c, ok := cl.held[key]
	if !ok || c.holder != holder {
		return false
	}
	c.refs++
	cl.held[key] = c
	return true
}

// keep records a claim taken in the bucket (or found there, written by
// holder before: a restarted hub with the same ID).
func (cl *claims) keep(key, holder string, rev uint64) {
	cl.mu.Lock()
	c := cl.held[key]
	cl.held[key] = claim{holder: holder, rev: rev, refs: c.refs + 1}
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
				cur.rev = rev
				cl.held[key] = cur
			} else {
				delete(cl.held, key)
				cl.c.log.Warn("name claim lost to another hub while NATS was away", "key", key, "holder", c.holder)
			}
		}
		cl.mu.Unlock()
	}
}

// releaseAll deletes every held key (on Close), within one timeout:
// what is left expires with its TTL.
func (cl *claims) releaseAll() {
	cl.mu.Lock()
	held := cl.held
	cl.held = map[string]claim{}
	cl.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), cl.c.cfg.Timeout)
	defer cancel()
	for key, c := range held {
		cl.c.kv.Delete(ctx, key, jetstream.LastRevision(c.rev))
	}
}
