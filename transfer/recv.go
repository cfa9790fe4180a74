package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"
	"time"
)

// receiver is the receiving side of one session.
type receiver struct {
	*session
	root  *os.Root
	force bool
	p     Progress
	st    Stats
	dirs  []entry         // directories to finish: modes and times at the end
	made  map[string]bool // directories this session created
}

// refusal is an error this side explains to the peer before hanging up.
type refusal struct{ err error }

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func refuse(format string, args ...any) error {
	return &refusal{err: fmt.Errorf(format, args...)}
}

// Receive receives a session's files into the existing directory dir over
// conn, which the caller closes. Nothing is written outside dir.
func Receive(ctx context.Context, conn net.Conn, dir string, o Options) (Stats, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("open destination: %w", err)
	}
	defer root.Close()
	s, stop, err := open(ctx, conn, "recv", "send", o)
	if err != nil {
		return Stats{}, err
	}
	defer stop()
	rc := &receiver{session: s, root: root, force: o.Force, p: o.progress(), made: map[string]bool{}}
	start := time.Now()
	err = rc.run()
	rc.st.Elapsed = time.Since(start)
	var rf *refusal
	if errors.As(err, &rf) {
		s.w.SendError(err.Error())
		s.linger()
	}
	return rc.st, s.ctxErr(ctx, err)
}

// linger half-closes and drains briefly so the error frame reaches a peer
// that is still sending instead of being lost to a reset.
func (s *session) linger() {
	if ic, ok := s.conn.(*idleConn); ok {
		ic.idle = 0 // the fixed deadline below applies
	}
	if cw, ok := s.conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	s.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	io.Copy(io.Discard, s.r.Raw())
}

func (rc *receiver) run() error {
	var pl plan
	if err := rc.r.ExpectJSON(typePlan, &pl); err != nil {
		return err
	}
	rc.p.Plan(pl.Files, pl.Bytes)
	for {
		typ, payload, err := rc.r.Next()
		if err != nil {
			return err
		}
		switch typ {
		case typeEntry:
			var e entry
			if err := decode(payload, &e); err != nil {
				return err
			}
			if err := rc.entry(e); err != nil {
				return err
			}
		case typeDone:
			if err := rc.finishDirs(); err != nil {
				return err
			}
			return rc.w.SendJSON(typeDone, struct{}{})
		default:
			return refuse("protocol error: unexpected frame %q", typ)
		}
	}
}

func (rc *receiver) entry(e entry) error {
	if err := checkPath(e.Path); err != nil {
		return err
	}
	switch e.Kind {
	case kindDir:
		return rc.dir(e)
	case kindFile:
		if e.Size < 0 {
			return refuse("%s: negative size %d", e.Path, e.Size)
		}
		return rc.file(e)
	default:
		return refuse("%s: unknown entry kind %q", e.Path, e.Kind)
	}
}

// checkPath refuses names that could leave the destination or clash with
// the partial directory.
func checkPath(p string) error {
	switch {
	case strings.HasPrefix(p, "/"):
		return refuse("%w: %q is absolute", ErrUnsafePath, p)
	case slices.Contains(strings.Split(p, "/"), ".."):
		return refuse("%w: %q contains ..", ErrUnsafePath, p)
	case strings.ContainsRune(p, 0) || !fs.ValidPath(p) || p == ".":
		return refuse("%w: %q is not a clean relative path", ErrUnsafePath, p)
	case strings.Split(p, "/")[0] == partialDir:
		return refuse("%w: %q is inside %s", ErrUnsafePath, p, partialDir)
	}
	return nil
}

// escapes reports whether err is os.Root refusing to follow a path out
// ("path escapes from parent"); the os package exports no sentinel for it.
func escapes(err error) bool {
	return err != nil && strings.Contains(err.Error(), "escapes")
}

// inside explains a root error, calling escapes a safety refusal.
func inside(p string, err error) error {
	if escapes(err) {
		return refuse("%w: %q leads through a symlink out of the destination", ErrUnsafePath, p)
	}
	return refuse("%s: %w", p, err)
}

// dir creates a directory. Without Force an existing entry, a directory
// included, is left alone and the transfer refused, like an existing file.
func (rc *receiver) dir(e entry) error {
	if err := rc.parent(e.Path); err != nil {
		return err
	}
	fi, err := rc.root.Lstat(e.Path)
	switch {
	case err == nil && !fi.IsDir():
		return refuse("%s exists and is not a directory", e.Path)
	case err == nil && !rc.force:
		return refuse("%w: directory %s (use --force to merge into it)", ErrExists, e.Path)
	case err == nil:
	case !errors.Is(err, fs.ErrNotExist):
		return inside(e.Path, err)
	default:
		if err := rc.root.Mkdir(e.Path, 0o700); err != nil {
			return inside(e.Path, err)
		}
		rc.made[e.Path] = true
	}
	rc.dirs = append(rc.dirs, e)
	rc.st.Dirs++
	return rc.w.SendJSON(typeAck, struct{}{})
}

// parent makes sure the directory that will hold p exists. Without Force
// no directory that was there before may receive anything: the nearest
// existing ancestor must be the destination or one this session created.
func (rc *receiver) parent(p string) error {
	dir := path.Dir(p)
	if dir == "." || rc.made[dir] {
		return nil
	}
	for d := dir; !rc.force && d != "." && !rc.made[d]; d = path.Dir(d) {
		_, err := rc.root.Stat(d)
		switch {
		case err == nil:
			return refuse("%w: %s would go into %s, which this transfer did not create (use --force to merge into it)", ErrExists, p, d)
		case !errors.Is(err, fs.ErrNotExist):
			return inside(p, err)
		}
	}
	if err := rc.root.MkdirAll(dir, 0o755); err != nil {
		return inside(p, err)
	}
	for d := dir; d != "." && !rc.made[d]; d = path.Dir(d) {
		rc.made[d] = true
	}
	return nil
}

// finishDirs gives directories their modes and times, deepest first so
// setting a child's time does not disturb its parent's.
func (rc *receiver) finishDirs() error {
	for _, e := range slices.Backward(rc.dirs) {
		if err := rc.root.Chmod(e.Path, fs.FileMode(e.Mode&0o777)|0o700); err != nil {
			return refuse("%s: %w", e.Path, err)
		}
		t := time.Unix(0, e.MTime)
		if err := rc.root.Chtimes(e.Path, t, t); err != nil {
			return refuse("%s: %w", e.Path, err)
		}
	}
	return nil
}

func (rc *receiver) file(e entry) error {
	if err := rc.parent(e.Path); err != nil {
		return err
	}
	fi, err := rc.root.Lstat(e.Path)
	switch {
	case err == nil && fi.IsDir():
		return refuse("%s exists and is a directory", e.Path)
	case err == nil && !rc.force:
		return refuse("%w: %s (use --force to replace it)", ErrExists, e.Path)
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return inside(e.Path, err)
	}
	pt, err := openPartial(rc.root, e)
	if err != nil {
		return inside(e.Path, err)
	}
	defer pt.close()
	if err := rc.w.SendJSON(typeResume, resume{Offset: pt.offset, SHA256: hex.EncodeToString(pt.hash.Sum(nil))}); err != nil {
		return err
	}
	var g goAhead
	if err := rc.r.ExpectJSON(typeGo, &g); err != nil {
		return err
	}
	if g.Offset != pt.offset && g.Offset != 0 {
		return refuse("protocol error: sender resumes at %d, receiver offered %d", g.Offset, pt.offset)
	}
	if err := pt.restartAt(g.Offset); err != nil {
		return refuse("%s: %w", e.Path, err)
	}
	rc.st.Resumed += g.Offset
	rc.p.Add(g.Offset)
	if err := rc.receiveData(e, pt); err != nil {
		return err
	}
	return rc.commit(e, pt)
}

// receiveData copies the file's remaining bytes into the partial file.
func (rc *receiver) receiveData(e entry, pt *partial) error {
	var writeErr bool
	n, err := pump(e.Size-pt.offset,
		func(b []byte) (int, error) { return io.ReadFull(rc.r.Raw(), b) },
		func(b []byte) error {
			return alongside(pt.hash, b, func() error {
				if err := pt.write(b); err != nil {
					writeErr = true
					return err
				}
				rc.p.Add(int64(len(b)))
				return nil
			})
		})
	rc.st.Bytes += n
	have := pt.offset + n
	switch {
	case err == nil:
		return nil
	case writeErr && errors.Is(err, syscall.ENOSPC):
		return refuse("disk full after %d of %d bytes of %s: the partial file is kept in %s; free space and rerun to resume", have, e.Size, e.Path, partialDir)
	case writeErr:
		return refuse("write %s: %w (the partial file is kept in %s)", e.Path, err, partialDir)
	default:
		return fmt.Errorf("connection lost after %d of %d bytes of %s: %w; the partial file is kept, rerun to resume", have, e.Size, e.Path, err)
	}
}

// commit checks the digest and moves the file into place.
func (rc *receiver) commit(e entry, pt *partial) error {
	sum, err := rc.r.Expect(typeSum)
	if err != nil {
		return err
	}
	if got := pt.hash.Sum(nil); !slices.Equal(got, sum) {
		pt.discard()
		return refuse("%w for %s: got sha256 %x, sender has %x; the partial file was deleted", ErrChecksum, e.Path, got, sum)
	}
	if err := pt.finish(e); err != nil {
		return refuse("%s: %w", e.Path, err)
	}
	rc.st.Files++
	return rc.w.SendJSON(typeAck, struct{}{})
}

// decode parses a JSON payload, refusing a malformed one.
func decode(payload []byte, v any) error {
	if err := json.Unmarshal(payload, v); err != nil {
		return refuse("protocol error: %w", err)
	}
	return nil
}

// newHash is the digest used for files.
func newHash() hash.Hash { return sha256.New() }
