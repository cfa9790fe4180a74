package chat

import (
	"net"
	"syscall"
	"unsafe"

	"github.com/hubcat/hubcat/hub"
)

// rawWriter writes to a socket's descriptor without blocking, so the hub
// can deliver a line inline with one system call instead of waking a
// writer goroutine. Only the outbox's writer-role holder calls it, one call
// at a time, so its fields need no lock.
type rawWriter struct {
	rc  syscall.RawConn
	b   []byte
	n   int
	err error
	fn  func(fd uintptr) bool // w.writeFD, bound once so calls allocate nothing
}

// tryWriter returns a non-blocking write for c, or nil when c does not
// expose its descriptor (TLS, pipes, websockets): those use the writer
// goroutine alone.
func tryWriter(c net.Conn) hub.TryWriteFunc {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &rawWriter{rc: rc}
	w.fn = w.writeFD
	return w.tryWrite
}

func (w *rawWriter) tryWrite(b []byte) (int, error) {
	w.b, w.n, w.err = b, 0, nil
	if err := w.rc.Write(w.fn); err != nil {
		return w.n, err
	}
	w.b = nil
	return w.n, w.err
}

// writeFD writes until done or the socket is full; returning true tells
// the runtime not to wait for writability.
func (w *rawWriter) writeFD(fd uintptr) bool {
	for w.n < len(w.b) {
		k, err := writeNonblocking(fd, w.b[w.n:])
		if k > 0 {
			w.n += k
		}
		switch err {
		case 0:
		case syscall.EINTR:
		case syscall.EAGAIN:
			return true
		default:
			w.err = err
			return true
		}
	}
	return true
}

// writeNonblocking is write(2) on a non-blocking descriptor. It cannot
// block, so it skips the scheduler's bookkeeping for system calls that
// might (syscall.Write's): with thousands of writes a second, that
// bookkeeping and the runtime monitor it keeps awake cost more than the
// writes' own user-space work.
func writeNonblocking(fd uintptr, b []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}
