package relay

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// bigPipe is the capacity asked of an input pipe: fewer, larger reads let
// the relay keep pace with the producer.
const bigPipe = 1 << 20

// growPipe enlarges in's pipe buffer when in is a pipe; errors are
// ignored, the default size still works.
func growPipe(in io.Reader) {
	f, ok := in.(*os.File)
	if !ok {
		return
	}
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return
	}
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, bigPipe)
}
