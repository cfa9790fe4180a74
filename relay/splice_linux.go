package relay

import (
	"net"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// splicePipe moves bytes from a pipe to a TCP or Unix socket with
// splice(2), so they never enter user space. Go's own io.Copy cannot: it
// only splices socket to socket and socket to file, and sendfile(2) refuses
// a pipe as its source. blocked reports whether the socket is full.
// handled is false when src is not a blocking pipe
// or dst has no socket, and nothing has been read.
func splicePipe(dst net.Conn, src *os.File, blocked func(bool)) (handled bool, err error) {
	sc, ok := dst.(syscall.Conn)
	if !ok {
		return false, nil
	}
	fi, err := src.Stat()
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		return false, nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false, nil
	}
	srcFd := int(src.Fd()) // puts src in blocking mode, which splice relies on
	if fl, err := unix.FcntlInt(uintptr(srcFd), unix.F_GETFL, 0); err != nil || fl&unix.O_NONBLOCK != 0 {
		return false, nil
	}
	// A bigger pipe means fewer, larger splices; failing to grow it is harmless.
	unix.FcntlInt(uintptr(srcFd), unix.F_SETPIPE_SZ, 1<<20)
	for {
		var n int64
		var serr error
		werr := rc.Write(func(fd uintptr) bool {
			n, serr = unix.Splice(srcFd, nil, int(fd), nil, 1<<20, unix.SPLICE_F_MOVE)
			blocked(serr == unix.EAGAIN) // the socket is full; input is not quiet
			return serr != unix.EAGAIN
		})
		switch {
		case werr != nil:
			return true, werr
		case serr == unix.EINTR:
			continue
		case serr != nil:
			return true, os.NewSyscallError("splice", serr)
		case n == 0:
			return true, nil
		}
	}
}
