package transfer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"hash"
	"io"
	"io/fs"
	"os"
	"syscall"
	"time"
)

// partial is a file being received into the partial directory.
type partial struct {
	root       *os.Root
	data, meta string // names inside root
	f          *os.File
	direct     *os.File  // the same file opened O_DIRECT, or nil
	offset     int64     // bytes already held and hashed
	pos        int64     // where the next write goes
	hash       hash.Hash // state after offset bytes
}

// partialMeta is the sidecar that says which file a partial belongs to.
type partialMeta struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	Mode  uint32 `json:"mode"`
	MTime int64  `json:"mtime"`
}

// openPartial opens the partial file for e, keeping and hashing what an
// earlier session left when it was for the same file (path, size, mtime).
func openPartial(root *os.Root, e entry) (*partial, error) {
	if err := root.Mkdir(partialDir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, err
	}
	id := sha256.Sum256([]byte(e.Path))
	name := partialDir + "/" + hex.EncodeToString(id[:16])
	pt := &partial{root: root, data: name, meta: name + ".meta", hash: newHash()}
	var old partialMeta
	b, err := root.ReadFile(pt.meta)
	same := err == nil && json.Unmarshal(b, &old) == nil &&
		old.Path == e.Path && old.Size == e.Size && old.MTime == e.MTime
	flags := os.O_RDWR | os.O_CREATE
	if !same {
		flags |= os.O_TRUNC
	}
	if pt.f, err = root.OpenFile(pt.data, flags, 0o600); err != nil {
		return nil, err
	}
	if same {
		if err := pt.hashPrefix(e.Size); err != nil {
			pt.f.Close()
			return nil, err
		}
	}
	pt.direct = reopenDirect(pt.f, os.O_WRONLY)
	b, _ = json.Marshal(partialMeta{Path: e.Path, Size: e.Size, Mode: e.Mode, MTime: e.MTime})
	if err := root.WriteFile(pt.meta, b, 0o600); err != nil {
		pt.f.Close()
		return nil, err
	}
	return pt, nil
}

// hashPrefix hashes the bytes already held, up to size.
func (pt *partial) hashPrefix(size int64) error {
	fi, err := pt.f.Stat()
	if err != nil {
		return err
	}
	n, err := io.CopyN(pt.hash, pt.f, min(fi.Size(), size))
	pt.offset = n
	return err
}

// restartAt positions the file at off, which is pt.offset or 0.
func (pt *partial) restartAt(off int64) error {
	if off != pt.offset {
		pt.hash.Reset()
		pt.offset = off
	}
	pt.pos = off
	return pt.f.Truncate(off)
}

// write appends b to the file. Whole aligned blocks bypass the page cache
// through the O_DIRECT descriptor: on a VM, filling the cache with a new
// file's pages costs the receiver more CPU than everything else it does.
func (pt *partial) write(b []byte) error {
	if pt.direct != nil && aligned(pt.pos, b) {
		n, err := pt.direct.WriteAt(b, pt.pos)
		pt.pos += int64(n)
		if !errors.Is(err, syscall.EINVAL) {
			return err
		}
		pt.direct.Close() // the file system refused after all
		pt.direct = nil
		b = b[n:]
	}
	n, err := pt.f.WriteAt(b, pt.pos)
	pt.pos += int64(n)
	return err
}

// finish gives the file e's mode and time, makes it durable and moves it
// into place, so a crash never leaves a short file under the real name.
func (pt *partial) finish(e entry) error {
	if err := pt.f.Chmod(fs.FileMode(e.Mode & 0o777)); err != nil {
		return err
	}
	if err := pt.f.Sync(); err != nil {
		return err
	}
	err := pt.f.Close()
	pt.f = nil
	if err != nil {
		return err
	}
	t := time.Unix(0, e.MTime)
	if err := pt.root.Chtimes(pt.data, t, t); err != nil {
		return err
	}
	if err := pt.root.Rename(pt.data, e.Path); err != nil {
		return err
	}
	pt.root.Remove(pt.meta)
	pt.root.Remove(partialDir) // only succeeds once empty
	return nil
}

// discard deletes the partial file and its sidecar.
func (pt *partial) discard() {
	pt.close()
	pt.root.Remove(pt.data)
	pt.root.Remove(pt.meta)
	pt.root.Remove(partialDir)
}

// close releases the file, keeping it on disk.
func (pt *partial) close() {
	if pt.f != nil {
		pt.f.Close()
		pt.f = nil
	}
	if pt.direct != nil {
		pt.direct.Close()
		pt.direct = nil
	}
}
