package frame

import (
	"sync"
	"time"
)

// Backoff slows down peers that fail to authenticate: after a few free
// failures each further one doubles the time an address must wait, up to
// a minute. The zero value is ready to use and safe for concurrent use.
type Backoff struct {
	mu    sync.Mutex
	fails map[string]failState // keyed by IP; guarded by mu
}

type failState struct {
	n     int
	until time.Time
}

const (
	freeFailures = 3
	firstDelay   = 250 * time.Millisecond
	maxDelay     = time.Minute
	maxTracked   = 4096
)

// Wait reports how long ip must still wait before it may try again.
func (b *Backoff) Wait(ip string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return time.Until(b.fails[ip].until)
}

// Fail records a failure from ip and returns the delay now imposed on it.
func (b *Backoff) Fail(ip string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fails == nil {
		b.fails = map[string]failState{}
	}
	if len(b.fails) >= maxTracked {
		b.pruneLocked()
	}
	f := b.fails[ip]
	f.n++
	var d time.Duration
	if f.n > freeFailures {
		d = firstDelay << min(f.n-freeFailures-1, 10)
		d = min(d, maxDelay)
	}
	f.until = time.Now().Add(d)
	b.fails[ip] = f
	return d
}

// Success forgets ip's failures.
func (b *Backoff) Success(ip string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.fails, ip)
}

// pruneLocked drops entries whose wait has passed; b.mu must be held.
func (b *Backoff) pruneLocked() {
	now := time.Now()
	for ip, f := range b.fails {
		if f.until.Before(now) {
			delete(b.fails, ip)
		}
	}
}
