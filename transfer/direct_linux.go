package transfer

import (
	"os"
	"strconv"
	"syscall"
)

// reopenDirect opens the file f has open a second time, with flag and
// O_DIRECT, through /proc/self/fd so that it is the same file whatever
// happened to its name. It returns nil where that fails or the file system
// refuses O_DIRECT; the caller then goes through the page cache.
func reopenDirect(f *os.File, flag int) *os.File {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil
	}
	var d *os.File
	rc.Control(func(fd uintptr) {
		d, err = os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(fd)), flag|syscall.O_DIRECT, 0)
	})
	if err != nil {
		return nil
	}
	return d
}
