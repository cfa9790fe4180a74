package transfer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/internal/frame"
)

// rawSender is a hand-driven sender for crafting hostile sessions.
type rawSender struct {
	t    *testing.T
	conn net.Conn
	r    *frame.Reader
	w    *frame.Writer
	recv chan result
}

// startRaw starts a receiver into dst and handshakes with it by hand.
func startRaw(t *testing.T, dst string) *rawSender {
	t.Helper()
	return startRawWith(t, dst, Options{Token: "t", Listener: true})
}

func startRawWith(t *testing.T, dst string, o Options) *rawSender {
	t.Helper()
	d, l := conns(t)
	rs := &rawSender{t: t, recv: make(chan result, 1)}
	go func() {
		st, err := Receive(context.Background(), l, dst, o)
		l.Close()
		rs.recv <- result{st, err}
	}()
	sc, _, err := frame.Dial(d, frame.HandshakeConfig{Proto: proto, Version: Version, Role: "send", Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	rs.conn, rs.r, rs.w = sc, frame.NewReader(sc, 0), frame.NewWriter(sc)
	rs.send(typePlan, plan{Files: 1, Bytes: 5})
	return rs
}

func (rs *rawSender) send(typ byte, v any) {
	rs.t.Helper()
	if err := rs.w.SendJSON(typ, v); err != nil {
		rs.t.Fatal(err)
	}
}

// refused waits for the receiver's error frame and its return value.
func (rs *rawSender) refused(want error) {
	rs.t.Helper()
	_, _, err := rs.r.Next()
	var re *frame.RemoteError
	if !errors.As(err, &re) {
		rs.t.Fatalf("want an error frame, got %v", err)
	}
	rs.conn.Close()
	res := <-rs.recv
	if !errors.Is(res.err, want) {
		rs.t.Fatalf("receiver returned %v, want %v", res.err, want)
	}
}

func TestHostilePathsRefused(t *testing.T) {
	outside := t.TempDir()
	cases := []struct{ name, path, kind string }{
		{"dotdot", "../escaped", kindFile},
		{"dotdot inside", "a/../../escaped", kindFile},
		{"absolute", filepath.Join(outside, "abs"), kindFile},
		{"unclean", "a//b", kindFile},
		{"partial dir", partialDir + "/x", kindFile},
		{"through symlink", "link/escaped", kindFile},
		{"dir through symlink", "link/newdir", kindDir},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dst := t.TempDir()
			if err := os.Symlink(outside, filepath.Join(dst, "link")); err != nil {
				t.Fatal(err)
			}
			rs := startRaw(t, dst)
			rs.send(typeEntry, entry{Path: c.path, Kind: c.kind, Size: 5, Mode: 0o644})
			rs.refused(ErrUnsafePath)
			assertEmpty(t, outside)
			assertOnly(t, dst, "link")
		})
	}
}

func TestSymlinkTargetNotOverwritten(t *testing.T) {
	outside, dst := t.TempDir(), t.TempDir()
	target := filepath.Join(outside, "target")
	writeFile(t, target, []byte("keep"), 0o644, time.Now())
	if err := os.Symlink(target, filepath.Join(dst, "f")); err != nil {
		t.Fatal(err)
	}
	rs := startRaw(t, dst)
	rs.send(typeEntry, entry{Path: "f", Kind: kindFile, Size: 5, Mode: 0o644})
	rs.refused(ErrExists)
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Fatalf("symlink target changed to %q", b)
	}
}

// assertOnly fails unless dir holds exactly the named entries.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("%s holds %v, want %v", dir, got, names)
	}
}

func TestChecksumMismatchDeletesPartial(t *testing.T) {
	dst := t.TempDir()
	rs := startRaw(t, dst)
	rs.send(typeEntry, entry{Path: "f", Kind: kindFile, Size: 5, Mode: 0o644})
	var r resume
	if err := rs.r.ExpectJSON(typeResume, &r); err != nil {
		t.Fatal(err)
	}
	rs.send(typeGo, goAhead{})
	rs.conn.Write([]byte("hello"))
	bad := sha256.Sum256([]byte("other"))
	rs.w.Send(typeSum, bad[:])
	rs.refused(ErrChecksum)
	assertEmpty(t, dst)
}

// cutOff sends the first n bytes of data as file "f" and hangs up.
func cutOff(t *testing.T, dst string, data []byte, n int, mtime time.Time) {
	t.Helper()
	rs := startRaw(t, dst)
	rs.send(typeEntry, entry{Path: "f", Kind: kindFile, Size: int64(len(data)), Mode: 0o644, MTime: mtime.UnixNano()})
	var r resume
	if err := rs.r.ExpectJSON(typeResume, &r); err != nil {
		t.Fatal(err)
	}
	rs.send(typeGo, goAhead{})
	rs.conn.Write(data[:n])
	rs.conn.Close()
	if res := <-rs.recv; res.err == nil || !strings.Contains(res.err.Error(), "rerun to resume") {
		t.Fatalf("receiver returned %v, want a resumable cut-off", res.err)
	}
}

func TestResumeAfterCutOff(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	data := make([]byte, 5<<20)
	rand.Read(data)
	mtime := time.Now().Add(-time.Hour)
	writeFile(t, filepath.Join(src, "f"), data, 0o644, mtime)
	cutOff(t, dst, data, 2<<20, mtime)
	s, r := transfer(t, []string{filepath.Join(src, "f")}, dst, "t", "t", false)
	if s.err != nil || r.err != nil {
		t.Fatalf("send: %v, recv: %v", s.err, r.err)
	}
	if s.st.Resumed != 2<<20 || s.st.Bytes != 3<<20 {
		t.Errorf("resumed %d and sent %d, want %d and %d", s.st.Resumed, s.st.Bytes, 2<<20, 3<<20)
	}
	sameTree(t, src, dst)
}

func TestResumeWithChangedPrefixStartsOver(t *testing.T) {
	src, dst := t.TempDir(), t.TempDir()
	data := make([]byte, 1<<20)
	rand.Read(data)
	mtime := time.Now().Add(-time.Hour)
	writeFile(t, filepath.Join(src, "f"), data, 0o644, mtime)
	stale := make([]byte, len(data))
	rand.Read(stale)
	cutOff(t, dst, stale, 1000, mtime)
	s, r := transfer(t, []string{filepath.Join(src, "f")}, dst, "t", "t", false)
	if s.err != nil || r.err != nil {
		t.Fatalf("send: %v, recv: %v", s.err, r.err)
	}
	if s.st.Resumed != 0 || s.st.Bytes != int64(len(data)) {
		t.Errorf("resumed %d and sent %d, want 0 and %d", s.st.Resumed, s.st.Bytes, len(data))
	}
	sameTree(t, src, dst)
}

func TestStalledSenderTimesOut(t *testing.T) {
	dst := t.TempDir()
	rs := startRawWith(t, dst, Options{Token: "t", Listener: true, IdleTimeout: 200 * time.Millisecond})
	rs.send(typeEntry, entry{Path: "f", Kind: kindFile, Size: 10, Mode: 0o644})
	var r resume
	if err := rs.r.ExpectJSON(typeResume, &r); err != nil {
		t.Fatal(err)
	}
	rs.send(typeGo, goAhead{})
	rs.conn.Write([]byte("half"))
	// ...and nothing more, without hanging up.
	select {
	case res := <-rs.recv:
		if res.err == nil || !strings.Contains(res.err.Error(), "no progress for 200ms") {
			t.Fatalf("receiver returned %v", res.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("receiver still waiting for a stalled sender")
	}
	if partialBytes(t, dst) != 4 {
		t.Fatalf("partial holds %d bytes, want 4", partialBytes(t, dst))
	}
}

// partialBytes is the size of the single partial data file under dst.
func partialBytes(t *testing.T, dst string) int64 {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(dst, partialDir))
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".meta") {
			fi, _ := e.Info()
			return fi.Size()
		}
	}
	return -1
}
