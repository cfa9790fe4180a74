package transfer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// conns returns the two ends of a real loopback TCP connection.
func conns(t *testing.T) (dialer, listener net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	dialer, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	listener = <-accepted
	if listener == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { dialer.Close(); listener.Close() })
	return dialer, listener
}

type result struct {
	st  Stats
	err error
}

// transfer sends paths to dst with the given tokens; the receiver listens.
func transfer(t *testing.T, paths []string, dst string, sendTok, recvTok string, force bool) (send, recv result) {
	t.Helper()
	d, l := conns(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan result, 1)
	go func() {
		st, err := Receive(ctx, l, dst, Options{Token: recvTok, Listener: true, Force: force})
		l.Close()
		done <- result{st, err}
	}()
	st, err := Send(ctx, d, paths, Options{Token: sendTok})
	d.Close()
	return result{st, err}, <-done
}

func writeFile(t *testing.T, name string, data []byte, mode fs.FileMode, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(name, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func fileSum(t *testing.T, name string) [32]byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

// sameTree checks that every file and directory under a exists under b
// with the same bytes, mode and mtime.
func sameTree(t *testing.T, a, b string) {
	t.Helper()
	err := filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		if rel == "." {
			return nil
		}
		want, _ := d.Info()
		got, err := os.Lstat(filepath.Join(b, rel))
		if err != nil {
			t.Errorf("%s missing: %v", rel, err)
			return nil
		}
		if got.Mode() != want.Mode() {
			t.Errorf("%s: mode %v, want %v", rel, got.Mode(), want.Mode())
		}
		if !got.ModTime().Equal(want.ModTime()) {
			t.Errorf("%s: mtime %v, want %v", rel, got.ModTime(), want.ModTime())
		}
		if d.Type().IsRegular() && fileSum(t, p) != fileSum(t, filepath.Join(b, rel)) {
			t.Errorf("%s: contents differ", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRoundTripFilesAndTree(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	bin := make([]byte, directMin+3<<20+17) // large enough for O_DIRECT, with a ragged tail
	rand.Read(bin)
	old := time.Date(2020, 2, 29, 12, 30, 0, 123456789, time.UTC)
	writeFile(t, filepath.Join(src, "text.txt"), []byte("hello, hubcat\n"), 0o640, old)
	writeFile(t, filepath.Join(src, "binary.bin"), bin, 0o600, old.Add(time.Hour))
	writeFile(t, filepath.Join(src, "empty"), nil, 0o644, old)
	tree := filepath.Join(src, "tree")
	writeFile(t, filepath.Join(tree, "a", "b", "deep.txt"), []byte("deep"), 0o755, old)
	writeFile(t, filepath.Join(tree, "a", "sibling"), bin[:1000], 0o644, old)
	if err := os.Mkdir(filepath.Join(tree, "emptydir"), 0o750); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(tree, "a", "b"), filepath.Join(tree, "a"), filepath.Join(tree, "emptydir"), tree} {
		os.Chtimes(d, old, old)
	}
	paths := []string{filepath.Join(src, "text.txt"), filepath.Join(src, "binary.bin"), filepath.Join(src, "empty"), tree}
	s, r := transfer(t, paths, dst, "tok", "tok", false)
	if s.err != nil || r.err != nil {
		t.Fatalf("send: %v, recv: %v", s.err, r.err)
	}
	if r.st.Files != 5 || r.st.Dirs != 4 || s.st.Files != 5 {
		t.Errorf("stats: send %+v recv %+v", s.st, r.st)
	}
	sameTree(t, src, dst)
	if _, err := os.Stat(filepath.Join(dst, partialDir)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("partial directory left behind: %v", err)
	}
}

func TestWrongTokenRefusedBeforeData(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "f"), []byte("secret"), 0o644, time.Now())
	s, r := transfer(t, []string{filepath.Join(src, "f")}, dst, "guess", "right", false)
	if !errors.Is(s.err, ErrAuth) || !errors.Is(r.err, ErrAuth) {
		t.Fatalf("send: %v, recv: %v; want ErrAuth on both", s.err, r.err)
	}
	assertEmpty(t, dst)
}

func TestOverwriteNeedsForce(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "f"), []byte("new"), 0o644, time.Now())
	writeFile(t, filepath.Join(dst, "f"), []byte("old"), 0o644, time.Now())
	s, r := transfer(t, []string{filepath.Join(src, "f")}, dst, "t", "t", false)
	if !errors.Is(r.err, ErrExists) || s.err == nil {
		t.Fatalf("send: %v, recv: %v; want ErrExists", s.err, r.err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "f")); string(b) != "old" {
		t.Fatalf("existing file changed to %q", b)
	}
	s, r = transfer(t, []string{filepath.Join(src, "f")}, dst, "t", "t", true)
	if s.err != nil || r.err != nil {
		t.Fatalf("with force: send %v, recv %v", s.err, r.err)
	}
	if b, _ := os.ReadFile(filepath.Join(dst, "f")); string(b) != "new" {
		t.Fatalf("with force got %q", b)
	}
}

// assertEmpty fails unless dir has no entries at all.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("unexpected %s in %s", e.Name(), dir)
	}
}

func TestLargeSparseFile(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	name := filepath.Join(src, "sparse.img")
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	// Data at both ends and the middle so misplaced bytes would show.
	for _, off := range []int64{0, largeSize / 2, largeSize - 5} {
		f.WriteAt([]byte("hubc!"), off)
	}
	f.Close()
	s, r := transfer(t, []string{name}, dst, "t", "t", false)
	if s.err != nil || r.err != nil {
		t.Fatalf("send: %v, recv: %v", s.err, r.err)
	}
	if r.st.Bytes != largeSize {
		t.Errorf("received %d bytes, want %d", r.st.Bytes, largeSize)
	}
	if fileSum(t, name) != fileSum(t, filepath.Join(dst, "sparse.img")) {
		t.Fatal("large file differs")
	}
}

func TestDuplicateBaseNamesRefused(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(a, "same"), nil, 0o644, time.Now())
	writeFile(t, filepath.Join(b, "same"), nil, 0o644, time.Now())
	_, _, err := collect([]string{filepath.Join(a, "same"), filepath.Join(b, "same")})
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(`both arrive as "same"`)) {
		t.Fatalf("got %v", err)
	}
}

// An existing directory is an existing entry: without Force a transfer
// of a directory of the same name is refused and the directory keeps its
// mode, time and contents; with Force the trees merge.
func TestExistingDirectoryLeftAlone(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "photos", "new.jpg"), []byte("new"), 0o644, time.Now())
	if err := os.Chmod(filepath.Join(src, "photos"), 0o777); err != nil {
		t.Fatal(err)
	}
	old := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	existing := filepath.Join(dst, "photos")
	writeFile(t, filepath.Join(existing, "mine.jpg"), []byte("mine"), 0o600, old)
	if err := os.Chmod(existing, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(existing, old, old); err != nil {
		t.Fatal(err)
	}
	s, r := transfer(t, []string{filepath.Join(src, "photos")}, dst, "t", "t", false)
	if !errors.Is(r.err, ErrExists) || s.err == nil {
		t.Fatalf("send: %v, recv: %v; want ErrExists", s.err, r.err)
	}
	fi, err := os.Stat(existing)
	if err != nil || fi.Mode().Perm() != 0o700 || !fi.ModTime().Equal(old) {
		t.Fatalf("existing directory changed: %v %v (want drwx------ %v), %v", fi.Mode(), fi.ModTime(), old, err)
	}
	assertOnly(t, existing, "mine.jpg")

	s, r = transfer(t, []string{filepath.Join(src, "photos")}, dst, "t", "t", true)
	if s.err != nil || r.err != nil {
		t.Fatalf("with force: send %v, recv %v", s.err, r.err)
	}
	assertOnly(t, existing, "mine.jpg", "new.jpg")
}

// A hostile sender cannot slip a file into an existing directory by
// naming it without sending the directory first.
func TestFileIntoExistingDirectoryRefused(t *testing.T) {
	dst := t.TempDir()
	old := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	if err := os.Mkdir(filepath.Join(dst, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(filepath.Join(dst, "keep"), old, old)
	rs := startRaw(t, dst)
	rs.send(typeEntry, entry{Path: "keep/sub/f", Kind: kindFile, Size: 5, Mode: 0o644})
	rs.refused(ErrExists)
	assertOnly(t, filepath.Join(dst, "keep"))
	if fi, _ := os.Stat(filepath.Join(dst, "keep")); !fi.ModTime().Equal(old) {
		t.Fatalf("existing directory's time changed to %v", fi.ModTime())
	}
}
