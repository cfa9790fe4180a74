package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/store/sqlitelog"
)

// TestDBBackupAndCheck backs up a live log with hubcat db backup, and
// checks both the original and the copy.
func TestDBBackupAndCheck(t *testing.T) {
	dir := t.TempDir()
	l, err := sqlitelog.Open(dir, sqlitelog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	done := make(chan error, 1)
	l.Append([]hub.Event{{Kind: hub.KindMessage, Room: "lobby", Seq: 1, ID: "h-1", Origin: "h", Time: time.Now(), From: "ann", Text: "hi"}},
		func(err error) { done <- err })
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	copyDir := t.TempDir()
	dst := filepath.Join(copyDir, sqlitelog.DBFile)
	var out, errOut bytes.Buffer
	if code := run(t.Context(), []string{"db", "backup", "--data", dir, dst}, nil, &out, &errOut); code != exitOK {
		t.Fatalf("db backup: exit %d: %s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "backed up") {
		t.Fatalf("db backup said %q", errOut.String())
	}
	for _, d := range []string{dir, copyDir} {
		out.Reset()
		if code := run(t.Context(), []string{"db", "check", "--data", d}, nil, &out, &errOut); code != exitOK {
			t.Fatalf("db check %s: exit %d: %s", d, code, errOut.String())
		}
		if want := filepath.Join(d, sqlitelog.DBFile) + ": ok\n"; out.String() != want {
			t.Fatalf("db check said %q, want %q", out.String(), want)
		}
	}
	c, err := sqlitelog.Open(copyDir, sqlitelog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if evs, err := c.Since("lobby", 0, 10); err != nil || len(evs) != 1 || evs[0].Text != "hi" {
		t.Fatalf("the copy holds %+v, %v", evs, err)
	}
}
