// Package sockwrite gives front ends a non-blocking write to a socket, for
// hub.Peer.TryWrite: the hub then delivers a line to a member that keeps up
// with one write(2) on the publisher's goroutine, instead of waking a
// writer goroutine per member.
package sockwrite

import (
	"net"
	"syscall"
	"unsafe"

	"github.com/hubcat/hubcat/hub"
)

// writer is the state of one connection's non-blocking writes. The hub
// calls a TryWriteFunc from one goroutine at a time (the outbox's writer
// role), so the fields need no lock.
type writer struct {
	rc   syscall.RawConn
	buf  []byte
	done int
	err  error
	cb   func(fd uintptr) bool // w.write, bound once: calls allocate nothing
}

// TryWriter returns a non-blocking write for c: its own, when c offers one
// (a TryWriter method, as the WebSocket adapter has, framing lines on its
// socket), or one on c's file descriptor. It returns nil when c has neither
// (TLS, pipes): those are written by the hub's writer goroutine alone.
func TryWriter(c net.Conn) hub.TryWriteFunc {
	if tw, ok := c.(interface{ TryWriter() hub.TryWriteFunc }); ok {
		return tw.TryWriter()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	w := &writer{rc: rc}
	w.cb = w.write
	return w.try
}

// try writes as much of b as the socket takes now.
func (w *writer) try(b []byte) (int, error) {
	w.buf, w.done, w.err = b, 0, nil
	err := w.rc.Write(w.cb)
	w.buf = nil
	if err != nil {
		return w.done, err
	}
	return w.done, w.err
}

// write runs with the descriptor: it writes until everything is out or the
// socket is full, and always returns true so the runtime never parks the
// caller waiting for the socket.
func (w *writer) write(fd uintptr) bool {
	for w.done < len(w.buf) {
		n, errno := rawWrite(fd, w.buf[w.done:])
		w.done += n
		switch errno {
		case 0, syscall.EINTR:
		case syscall.EAGAIN:
			return true
		default:
			w.err = errno
			return true
		}
	}
	return true
}

// rawWrite is write(2) on a non-blocking descriptor, without the
// scheduler's bookkeeping for calls that may block: this one cannot.
func rawWrite(fd uintptr, b []byte) (int, syscall.Errno) {
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
}
