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
	bufs [][]byte
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

// try writes as much of bufs as the socket takes now.
func (w *writer) try(bufs [][]byte) (int, error) {
	w.bufs, w.done, w.err = bufs, 0, nil
	err := w.rc.Write(w.cb)
	w.bufs = nil
	if err != nil {
		return w.done, err
	}
	return w.done, w.err
}

// maxIov is how many buffers one writev(2) takes here: its vector lives
// on the stack (2 KiB), so a connection keeps no memory between writes.
const maxIov = 128

// write runs with the descriptor: it writes until everything is out or the
// socket is full, and always returns true so the runtime never parks the
// caller waiting for the socket.
func (w *writer) write(fd uintptr) bool {
	bufs, off := w.bufs, 0 // what is left: bufs, less off bytes of the first
	for {
		for len(bufs) > 0 && off >= len(bufs[0]) {
			off -= len(bufs[0])
			bufs = bufs[1:]
		}
		if len(bufs) == 0 {
			return true
		}
		var n int
		var errno syscall.Errno
		if len(bufs) == 1 {
			n, errno = rawWrite(fd, bufs[0][off:])
		} else {
			n, errno = rawWritev(fd, bufs, off)
		}
		w.done += n
		off += n
		switch errno {
		case 0, syscall.EINTR:
		case syscall.EAGAIN:
			return true
		default:
			w.err = errno
			return true
		}
	}
}

// rawWritev is writev(2) of up to maxIov of bufs, skipping off bytes of
// the first, on a non-blocking descriptor (see rawWrite).
func rawWritev(fd uintptr, bufs [][]byte, off int) (int, syscall.Errno) {
	var vec [maxIov]syscall.Iovec
	iov := vec[:0]
	for i, b := range bufs {
		if i == 0 {
			b = b[off:]
		}
		if len(b) == 0 {
			continue
		}
		if len(iov) == maxIov {
			break
		}
		v := syscall.Iovec{Base: unsafe.SliceData(b)}
		v.SetLen(len(b))
		iov = append(iov, v)
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&vec[0])), uintptr(len(iov)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), 0
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
