package transfer

import (
	"errors"
	"io"
	"os"
	"syscall"
	"unsafe"
)

// blockSize is the alignment O_DIRECT asks of file offsets, lengths and
// memory; 4 KiB satisfies every Linux file system.
const blockSize = 4096

// aligned reports whether writing b at off meets O_DIRECT's rules.
func aligned(off int64, b []byte) bool {
	return off%blockSize == 0 && len(b)%blockSize == 0 &&
		uintptr(unsafe.Pointer(unsafe.SliceData(b)))%blockSize == 0
}

// alignedBuffer returns n bytes starting on a block boundary.
func alignedBuffer(n int) []byte {
	b := make([]byte, n+blockSize)
	skip := (blockSize - int(uintptr(unsafe.Pointer(&b[0]))%blockSize)) % blockSize
	return b[skip : skip+n : skip+n]
}

// directMin is the file size from which reads bypass the page cache. A
// large file is read once, and filling the cache with it costs more than
// the disk's own time; small files are often cached already.
const directMin = 16 << 20

// source reads a file sequentially from an offset, through O_DIRECT when
// the file is large and the file system allows it.
type source struct {
	f, direct *os.File
	pos       int64
}

// newSource reads f from off. The caller closes f; close closes the rest.
func newSource(f *os.File, size, off int64) *source {
	s := &source{f: f, pos: off}
	if size >= directMin {
		s.direct = reopenDirect(f, os.O_RDONLY)
	}
	return s
}

// fill fills b from the file, or fails with io.ErrUnexpectedEOF.
func (s *source) fill(b []byte) (int, error) {
	n, err := s.read(b)
	s.pos += int64(n)
	if n == len(b) {
		return n, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (s *source) read(b []byte) (int, error) {
	whole := b[:min(cap(b), roundUp(len(b)))]
	if s.direct != nil && aligned(s.pos, whole) {
		n, err := s.direct.ReadAt(whole, s.pos)
		if !errors.Is(err, syscall.EINVAL) {
			return min(n, len(b)), err
		}
		s.direct.Close() // the file system refused after all
		s.direct = nil
	}
	return s.f.ReadAt(b, s.pos)
}

func (s *source) close() {
	if s.direct != nil {
		s.direct.Close()
	}
}

func roundUp(n int) int { return (n + blockSize - 1) / blockSize * blockSize }
