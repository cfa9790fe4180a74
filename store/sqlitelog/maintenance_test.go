package sqlitelog

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/store/storetest"
)

// TestBackupWhileWriting copies a database that a writer keeps appending
// to: the copy is a healthy snapshot holding a prefix of the room.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir, Options{})
	if err := storetest.AppendWait(l, storetest.Msg("r", 1)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Go(func() {
		for seq := uint64(2); ctx.Err() == nil; seq++ {
			if err := storetest.AppendWait(l, storetest.Msg("r", seq)); err != nil {
				t.Error(err)
				return
			}
		}
	})
	dst := filepath.Join(t.TempDir(), "copy")
	if err := Backup(t.Context(), dir, filepath.Join(dst, DBFile)); err == nil {
		t.Fatal("backup into a missing directory succeeded")
	}
	copyDir := t.TempDir()
	err := Backup(t.Context(), dir, filepath.Join(copyDir, DBFile))
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	c := openTest(t, copyDir, Options{})
	got := seqs(t, c, "r")
	if len(got) == 0 {
		t.Fatal("the copy is empty")
	}
	for i, seq := range got {
		if seq != uint64(i+1) {
			t.Fatalf("the copy is not a prefix: event %d has seq %d", i, seq)
		}
	}
	if last, _ := c.Last("r"); last != uint64(len(got)) {
		t.Fatalf("the copy's high-water mark %d does not match its %d events", last, len(got))
	}
}

func TestBackupRoundTrip(t *testing.T) {
	dir := t.TempDir()
	l := openTest(t, dir, Options{})
	var evs []hub.Event
	for seq := uint64(1); seq <= 100; seq++ {
		evs = append(evs, storetest.Msg("r", seq))
	}
	if err := storetest.AppendWait(l, evs...); err != nil {
		t.Fatal(err)
	}
	copyDir := t.TempDir()
	dst := filepath.Join(copyDir, DBFile)
	if err := Backup(t.Context(), dir, dst); err != nil {
		t.Fatal(err)
	}
	if err := Backup(t.Context(), dir, dst); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("backup over an existing file: %v", err)
	}
	if problems, err := Check(t.Context(), copyDir); err != nil || len(problems) > 0 {
		t.Fatalf("Check of the copy: %v, %v", problems, err)
	}
	c := openTest(t, copyDir, Options{})
	got, err := c.Since("r", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if d := storetest.Same(got, evs); d != "" {
		t.Fatal(d)
	}
}

func TestCheckMissing(t *testing.T) {
	dir := t.TempDir()
	_, err := Check(t.Context(), dir)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, DBFile)) {
		t.Fatalf("Check of an empty directory: %v", err)
	}
}
