package transfer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/hubcat/hubcat/internal/frame"
)

// errStopped ends a file's data when the receiver has refused it.
var errStopped = errors.New("transfer: the receiver stopped the transfer")

// item is one entry to send and where it lives locally.
type item struct {
	entry
	local string
}

// Send sends paths (files or directories, recursively) over conn, which
// the caller closes. Each argument arrives under its base name.
func Send(ctx context.Context, conn net.Conn, paths []string, o Options) (Stats, error) {
	items, skipped, err := collect(paths)
	if err != nil {
		return Stats{Skipped: skipped}, err
	}
	s, stop, err := open(ctx, conn, "send", "recv", o)
	if err != nil {
		return Stats{Skipped: skipped}, err
	}
	defer stop()
	st := Stats{Skipped: skipped}
	start := time.Now()
	err = s.sendAll(items, o.progress(), &st)
	st.Elapsed = time.Since(start)
	return st, s.ctxErr(ctx, err)
}

// collect walks the arguments into entries, a directory before its
// contents, and lists what it had to leave out.
func collect(paths []string) ([]item, []string, error) {
	var items []item
	var skipped []string
	seen := map[string]string{}
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, nil, err
		}
		base := filepath.Base(abs)
		if prev, dup := seen[base]; dup {
			return nil, nil, fmt.Errorf("%s and %s would both arrive as %q: send them separately", prev, p, base)
		}
		seen[base] = p
		err = filepath.WalkDir(abs, func(local string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(abs, local)
			name := path.Join(base, filepath.ToSlash(rel))
			info, err := d.Info()
			if err != nil {
				return err
			}
			e := entry{Path: name, Mode: uint32(info.Mode().Perm()), MTime: info.ModTime().UnixNano()}
			switch {
			case info.IsDir():
				e.Kind = kindDir
			case info.Mode().IsRegular():
				e.Kind, e.Size = kindFile, info.Size()
			default:
				skipped = append(skipped, local)
				return nil
			}
			items = append(items, item{entry: e, local: local})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
	}
	return items, skipped, nil
}

func (s *session) sendAll(items []item, p Progress, st *Stats) error {
	var pl plan
	for _, it := range items {
		if it.Kind == kindDir {
			pl.Dirs++
		} else {
			pl.Files++
			pl.Bytes += it.Size
		}
	}
	p.Plan(pl.Files, pl.Bytes)
	if err := s.w.SendJSON(typePlan, pl); err != nil {
		return err
	}
	for _, it := range items {
		if err := s.sendItem(it, p, st); err != nil {
			return err
		}
	}
	if err := s.w.SendJSON(typeDone, struct{}{}); err != nil {
		return err
	}
	_, err := s.r.Expect(typeDone)
	return err
}

func (s *session) sendItem(it item, p Progress, st *Stats) error {
	if err := s.w.SendJSON(typeEntry, it.entry); err != nil {
		return err
	}
	if it.Kind == kindDir {
		if _, err := s.r.Expect(typeAck); err != nil {
			return err
		}
		st.Dirs++
		return nil
	}
	f, err := os.Open(it.local)
	if err != nil {
		s.w.SendError("sender cannot read " + it.Path)
		return err
	}
	defer f.Close()
	var rs resume
	if err := s.r.ExpectJSON(typeResume, &rs); err != nil {
		return err
	}
	h, offset, err := matchPrefix(f, rs)
	if err != nil {
		s.w.SendError("sender cannot read " + it.Path)
		return fmt.Errorf("read %s: %w", it.local, err)
	}
	st.Resumed += offset
	p.Add(offset)
	if err := s.w.SendJSON(typeGo, goAhead{Offset: offset}); err != nil {
		return err
	}
	// During the data the receiver speaks only to refuse (a full disk, a
	// write error); watch for that so the copy stops at once.
	reply := make(chan error, 1)
	var stopped atomic.Bool
	go func() {
		_, err := s.r.Expect(typeAck)
		if err != nil {
			stopped.Store(true)
			s.conn.SetWriteDeadline(time.Now())
		}
		reply <- err
	}()
	n, err := s.sendData(f, it, offset, h, p, &stopped)
	st.Bytes += n
	if err == nil {
		err = s.w.Send(typeSum, h.Sum(nil))
	}
	if err != nil {
		return s.peerReason(err, reply)
	}
	if err := <-reply; err != nil {
		return err
	}
	st.Files++
	return nil
}

// peerReason prefers the receiver's explanation, if one arrives soon, to
// the local write error it caused.
func (s *session) peerReason(err error, reply <-chan error) error {
	var re *frame.RemoteError
	select {
	case rerr := <-reply:
		if errors.As(rerr, &re) {
			return rerr
		}
	case <-time.After(2 * time.Second):
	}
	return err
}

// matchPrefix hashes the first rs.Offset bytes of f and returns the hash
// state and the offset to continue from: rs.Offset when the receiver's
// prefix matches, else 0 with a fresh hash.
func matchPrefix(f *os.File, rs resume) (hash.Hash, int64, error) {
	h := sha256.New()
	if rs.Offset <= 0 {
		return h, 0, nil
	}
	n, err := io.CopyN(h, f, rs.Offset)
	if err == nil && hex.EncodeToString(h.Sum(nil)) == rs.SHA256 {
		return h, n, nil
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, 0, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, 0, err
	}
	return sha256.New(), 0, nil
}

// sendData streams the file from offset: a goroutine reads and hashes
// while this one writes to the socket.
func (s *session) sendData(f *os.File, it item, offset int64, h hash.Hash, p Progress, stopped *atomic.Bool) (int64, error) {
	src := newSource(f, it.Size, offset)
	defer src.close()
	out := s.w.Raw()
	if err := out.Flush(); err != nil {
		return 0, err
	}
	return pump(it.Size-offset,
		func(b []byte) (int, error) {
			k, err := src.fill(b)
			if errors.Is(err, io.ErrUnexpectedEOF) {
				err = fmt.Errorf("%s shrank while being sent", it.local)
			}
			return k, err
		},
		func(b []byte) error {
			if stopped.Load() {
				return errStopped
			}
			return alongside(h, b, func() error {
				_, err := s.conn.Write(b)
				p.Add(int64(len(b)))
				return err
			})
		})
}
