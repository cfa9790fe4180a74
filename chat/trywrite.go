package chat

import (
	"errors"
	"net"
	"syscall"

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
		k, err := syscall.Write(int(fd), w.b[w.n:])
		if k > 0 {
			w.n += k
		}
		switch {
		case err == nil:
		case errors.Is(err, syscall.EINTR):
		case errors.Is(err, syscall.EAGAIN):
			return true
		default:
			w.err = err
			return true
		}
	}
	return true
}
