package sqlitelog

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/store/storetest"
)

// waitPasses waits until the log has completed n more retention passes.
func waitPasses(t *testing.T, l *Log, n uint64) {
	t.Helper()
	target := l.Stats().Passes + n
	deadline := time.Now().Add(20 * time.Second)
	for l.Stats().Passes < target {
		if time.Now().After(deadline) {
			t.Fatalf("retention passes: %d, want %d", l.Stats().Passes, target)
		}
		time.Sleep(time.Millisecond) // poll the condition; retention runs every few ms
	}
}

// seqs lists the sequence numbers stored for room.
func seqs(t *testing.T, l *Log, room string) []uint64 {
	t.Helper()
	evs, err := l.Since(room, 0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var s []uint64
	for _, ev := range evs {
		s = append(s, ev.Seq)
	}
	return s
}

func span(from, to uint64) []uint64 {
	var s []uint64
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func equalSeqs(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRetentionByCount(t *testing.T) {
	l := openTest(t, "", Options{MaxPerRoom: 10, RetentionEvery: 2 * time.Millisecond})
	var big []hub.Event
	for seq := uint64(1); seq <= 2500; seq++ { // more than one chunk to trim
		big = append(big, storetest.Msg("big", seq))
	}
	if err := storetest.AppendWait(l, big...); err != nil {
		t.Fatal(err)
	}
	for seq := uint64(1); seq <= 4; seq++ {
		if err := storetest.AppendWait(l, storetest.Msg("small", seq)); err != nil {
			t.Fatal(err)
		}
	}
	waitPasses(t, l, 2) // a pass may have been under way before the appends
	if got := seqs(t, l, "big"); !equalSeqs(got, span(2491, 2500)) {
		t.Fatalf("big room keeps %v, want 2491..2500", got)
	}
	if got := seqs(t, l, "small"); !equalSeqs(got, span(1, 4)) {
		t.Fatalf("small room keeps %v, want 1..4", got)
	}
	if last, _ := l.Last("big"); last != 2500 {
		t.Fatalf("Last = %d", last)
	}
	if s := l.Stats(); s.Trimmed != 2490 {
		t.Fatalf("Trimmed = %d, want 2490", s.Trimmed)
	}
}

func TestRetentionByAge(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Unix(1000, 0).UnixNano())
	l := openTest(t, "", Options{
		MaxAge:         time.Minute,
		RetentionEvery: 2 * time.Millisecond,
		Now:            func() time.Time { return time.Unix(0, now.Load()) },
	})
	at := func(ev hub.Event, sec int64) hub.Event { ev.Time = time.Unix(sec, 0); return ev }
	var evs []hub.Event
	for seq := uint64(1); seq <= 10; seq++ {
		evs = append(evs, at(storetest.Msg("r", seq), 1000+int64(seq)*10)) // seq s at 1000+10s
	}
	oldPriv := hub.Event{Kind: hub.KindPrivate, ID: "p1", Origin: "h1", Time: time.Unix(1005, 0), From: "a", To: "b", Text: "old"}
	newPriv := hub.Event{Kind: hub.KindPrivate, ID: "p2", Origin: "h1", Time: time.Unix(1095, 0), From: "a", To: "b", Text: "new"}
	if err := storetest.AppendWait(l, append(evs, oldPriv, newPriv)...); err != nil {
		t.Fatal(err)
	}
	waitPasses(t, l, 2)
	if got := seqs(t, l, "r"); !equalSeqs(got, span(1, 10)) {
		t.Fatalf("nothing is a minute old yet, but the room keeps %v", got)
	}
	now.Store(time.Unix(1100, 0).UnixNano()) // cut-off 1040: seqs 1..3 are older
	waitPasses(t, l, 2)
	if got := seqs(t, l, "r"); !equalSeqs(got, span(4, 10)) {
		t.Fatalf("room keeps %v, want 4..10", got)
	}
	if got, _ := l.Private("a", 10); len(got) != 1 || got[0].Text != "new" {
		t.Fatalf("private messages kept: %+v, want only the new one", got)
	}
	now.Store(time.Unix(5000, 0).UnixNano()) // everything is old
	waitPasses(t, l, 2)
	if got := seqs(t, l, "r"); len(got) != 0 {
		t.Fatalf("room keeps %v, want nothing", got)
	}
	if last, _ := l.Last("r"); last != 10 {
		t.Fatalf("Last after retention emptied the room = %d, want 10", last)
	}
	if err := storetest.AppendWait(l, storetest.Msg("r", 5)); err == nil {
		t.Fatal("a sequence number below the high-water mark was accepted after retention")
	}
	if err := storetest.AppendWait(l, storetest.Msg("r", 11)); err != nil {
		t.Fatal(err)
	}
}

// sinceComplete reads a resume and its completeness, failing on error.
func sinceComplete(t *testing.T, l *Log, room string, after uint64) ([]uint64, bool) {
	t.Helper()
	evs, complete, err := l.SinceComplete(room, after, 100)
	if err != nil {
		t.Fatal(err)
	}
	var s []uint64
	for _, ev := range evs {
		s = append(s, ev.Seq)
	}
	return s, complete
}

// A resume from before what retention kept is reported incomplete; one
// from what was kept, or from a room never trimmed, is complete.
func TestResumeAcrossRetentionIsIncomplete(t *testing.T) {
	l := openTest(t, "", Options{MaxPerRoom: 3, RetentionEvery: 2 * time.Millisecond})
	for seq := uint64(1); seq <= 10; seq++ {
		if err := storetest.AppendWait(l, storetest.Msg("r", seq)); err != nil {
			t.Fatal(err)
		}
	}
	if err := storetest.AppendWait(l, storetest.Msg("kept", 1), storetest.Msg("kept", 2)); err != nil {
		t.Fatal(err)
	}
	waitPasses(t, l, 2)
	for _, c := range []struct {
		after    uint64
		want     []uint64
		complete bool
	}{
		{0, span(8, 10), false},
		{6, span(8, 10), false},
		{7, span(8, 10), true}, // 7 was removed, but the resumer saw it
		{8, span(9, 10), true},
		{10, nil, true},
	} {
		got, complete := sinceComplete(t, l, "r", c.after)
		if !equalSeqs(got, c.want) || complete != c.complete {
			t.Errorf("SinceComplete(r, %d) = %v, complete=%v; want %v, complete=%v", c.after, got, complete, c.want, c.complete)
		}
	}
	if got, complete := sinceComplete(t, l, "kept", 0); !equalSeqs(got, span(1, 2)) || !complete {
		t.Errorf("untrimmed room: %v, complete=%v", got, complete)
	}
	if got, complete := sinceComplete(t, l, "unknown", 0); got != nil || !complete {
		t.Errorf("unknown room: %v, complete=%v", got, complete)
	}
}
