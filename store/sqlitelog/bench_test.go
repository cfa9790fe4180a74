package sqlitelog

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/store/storetest"
)

// BenchmarkDurableAppend measures acknowledged (committed and synced)
// messages per second with many concurrent senders, each waiting for its
// ack before sending the next, as a chat client with ids does. Senders
// share rooms; as the hub does, a room numbers its events and calls Append
// in order under its own lock. It reports how many messages each sync
// carried.
func BenchmarkDurableAppend(b *testing.B) {
	for _, c := range []struct{ senders, rooms int }{{1, 1}, {256, 4}, {1024, 16}, {1024, 1024}} {
		b.Run(fmt.Sprintf("senders=%d/rooms=%d", c.senders, c.rooms), func(b *testing.B) {
			l, err := Open(b.TempDir(), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			rooms := make([]benchRoom, c.rooms)
			for i := range rooms {
				rooms[i].name = fmt.Sprintf("room%d", i)
			}
			var sent atomic.Int64
			var wg sync.WaitGroup
			cpu0 := cpuTime()
			b.ResetTimer()
			for s := range c.senders {
				r := &rooms[s%c.rooms]
				wg.Go(func() {
					ch := make(chan error, 1)
					done := func(err error) { ch <- err }
					for sent.Add(1) <= int64(b.N) {
						r.post(l, done)
						if err := <-ch; err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.StopTimer()
			cpu := cpuTime() - cpu0
			s := l.Stats()
			b.ReportMetric(float64(s.Events)/b.Elapsed().Seconds(), "acked/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(s.Events), "cpu-µs/msg")
			b.ReportMetric(float64(s.Events)/float64(max(s.Commits, 1)), "msgs/sync")
		})
	}
}

// cpuTime is the CPU time this process has used: on a shared machine it
// tells the cost of a message apart from the wait for a core.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRoom numbers a room's events and appends them in order, like the
// hub's room.
type benchRoom struct {
	mu   sync.Mutex
	name string
	seq  uint64
	evs  []hub.Event
}

func (r *benchRoom) post(l *Log, done func(error)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	r.evs = append(r.evs[:0], storetest.Msg(r.name, r.seq))
	l.Append(r.evs, done)
}

// BenchmarkSince10000 fetches 10,000 missed events, as a resume after a
// long disconnection does.
func BenchmarkSince10000(b *testing.B) {
	l, err := Open(b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if _, err := l.w.Exec(fillRoom, "r", 20_000); err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		evs, err := l.Since("r", 5_000, 10_000)
		if err != nil || len(evs) != 10_000 {
			b.Fatalf("Since: %d events, %v", len(evs), err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkBefore1000In10M is /history 1000 in a room of 10 million
// events. The database is generated once (by SQLite itself, ~1 minute) and
// kept in the temporary directory for later runs.
func BenchmarkBefore1000In10M(b *testing.B) {
	const n = 10_000_000
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("hubcat-bench-10m-v%d", len(migrations)))
	if _, err := os.Stat(filepath.Join(dir, "complete")); err != nil {
		os.RemoveAll(dir)
		l, err := Open(dir, Options{})
		if err != nil {
			b.Fatal(err)
		}
		_, err = l.w.Exec(fillRoom, "big", n)
		l.Close()
		if err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "complete"), nil, 0o600); err != nil {
			b.Fatal(err)
		}
	}
	l, err := Open(dir, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if last, _ := l.Last("big"); last != n {
		b.Fatalf("Last = %d, want %d", last, n)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		before := uint64(n - (i*7919)%(n-2000)) // spread over the room
		evs, err := l.Before("big", before, 1000)
		if err != nil || len(evs) != 1000 || evs[999].Seq != before-1 {
			b.Fatalf("Before(%d): %d events, %v", before, len(evs), err)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
}

// fillRoom stores events 1..?2 of room ?1 in one statement, much faster
// than Append, for the read benchmarks' setup.
const fillRoom = `
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?2)
INSERT INTO events (room, seq, kind, id, origin, time, sender, text, reason)
	SELECT ?1, x, 0, 'h1-' || x, 'h1', 1700000000000000000 + x, 'alice', 'line number ' || x, 0 FROM c;
INSERT INTO rooms (name, last_seq) VALUES (?1, ?2)`
