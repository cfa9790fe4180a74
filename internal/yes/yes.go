// Package yes is a test helper: standard input that never ends, like
// yes(1), for tests of remote programs that do not read theirs.
package yes

import (
	"sync/atomic"
	"testing"
	"time"
)

// Reader never ends: every Read fills its buffer with 'y'. It counts what
// was read from it.
type Reader struct{ n atomic.Int64 }

// Read implements io.Reader.
func (r *Reader) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = 'y'
	}
	r.n.Add(int64(len(b)))
	return len(b), nil
}

// BackedUp waits until nobody has read from r for 300 ms, so that every
// buffer between it and the program it feeds is full, failing t after 20 s.
func (r *Reader) BackedUp(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	last, since := r.n.Load(), time.Now()
	for time.Since(since) < 300*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatal("standard input never backed up")
		}
		time.Sleep(10 * time.Millisecond)
		if n := r.n.Load(); n != last {
			last, since = n, time.Now()
		}
	}
}
