package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// setup creates (or updates) the event stream and the name bucket,
// retrying while JetStream is not ready yet.
func (c *Cluster) setup(ctx context.Context) error {
	scfg := jetstream.StreamConfig{
		Name:        c.names,
		Description: "hubcat room events and private messages",
		Subjects:    []string{c.cfg.Prefix + ".room.>", c.cfg.Prefix + ".private.>"},
		Storage:     jetstream.FileStorage,
		Replicas:    c.cfg.Replicas,
		MaxAge:      c.cfg.MaxAge,
		MaxBytes:    c.cfg.MaxBytes,
		Discard:     jetstream.DiscardOld,
		Duplicates:  2 * time.Minute,
		AllowDirect: true,
	}
	if scfg.MaxBytes == 0 {
		scfg.MaxBytes = -1
	}
	kcfg := jetstream.KeyValueConfig{
		Bucket:      c.names + "-names",
		Description: "hubcat name claims: folded name → holder",
		TTL:         c.cfg.ClaimTTL,
		Storage:     jetstream.FileStorage,
		Replicas:    c.cfg.Replicas,
	}
	return retryUntilReady(ctx, c, func(ctx context.Context) (err error) {
		if c.stream, err = c.js.CreateOrUpdateStream(ctx, scfg); err != nil {
			return fmt.Errorf("cluster: stream %s: %w", scfg.Name, err)
		}
		if c.kv, err = c.js.CreateOrUpdateKeyValue(ctx, kcfg); err != nil {
			return fmt.Errorf("cluster: bucket %s: %w", kcfg.Bucket, err)
		}
		return nil
	})
}

// retryUntilReady runs f until it succeeds or ctx ends, each try bounded
// by the request timeout (2s at most). A JetStream cluster still
// electing its meta leader answers late or not at all for a few seconds
// after it starts.
func retryUntilReady(ctx context.Context, c *Cluster, f func(context.Context) error) error {
	var last error
	for {
		tctx, cancel := context.WithTimeout(ctx, min(c.cfg.Timeout, 2*time.Second))
		err := f(tctx)
		cancel()
		if err == nil {
			return nil
		}
		if last == nil {
			c.log.Info("waiting for JetStream", "err", err)
		}
		last = err
		select {
		case <-ctx.Done():
			return errors.Join(last, ctx.Err())
		case <-time.After(250 * time.Millisecond):
		}
	}
}
