package line

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// DefaultMaxLength is the line limit when none is given.
const DefaultMaxLength = 4096

// Buffer sizes: a Reader starts small, so an idle connection costs little,
// grows while reads keep filling it, and shrinks again when traffic is light.
const (
	minBuffer = 256
	maxBuffer = 64 << 10
)

// TooLongError reports a line over the limit. The line has been discarded;
// the Reader is ready for the next one.
type TooLongError struct {
	Limit int // the limit in bytes
	Size  int // how many bytes the line had
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("line too long (%d bytes, limit %d)", e.Size, e.Limit)
}

// IncompleteError reports that input ended in the middle of a line: the
// peer closed or the connection was reset before the line's end. The
// partial line is dropped, never delivered as if it were whole (a cut-off
// "transfer the $1000" must not arrive as "transfer the $10"). Err is why
// input ended: io.EOF for a close, which errors.Is sees through.
type IncompleteError struct {
	Size int   // bytes of the partial line
	Err  error // the source's error
}

func (e *IncompleteError) Error() string {
	return fmt.Sprintf("input ended in the middle of a line (%d bytes not delivered): %v", e.Size, e.Err)
}

// Unwrap returns the source's error.
func (e *IncompleteError) Unwrap() error { return e.Err }

// Line is one cleaned line.
type Line struct {
	// Text is the line without its ending. It aliases the Reader's buffer
	// and is valid only until the next call to ReadLine.
	Text []byte
	// Repaired is set when invalid UTF-8 was replaced.
	Repaired bool
}

// Reader reads cleaned lines of at most a given length.
type Reader struct {
	src        io.Reader
	max        int
	buf        []byte
	start, end int   // buf[start:end] is read but not yet returned
	err        error // the source's error, returned once buffered lines are done
	filled     bool  // the last read filled all the free space: grow
	scratch    []byte
}

// NewReader returns a Reader of lines up to max bytes (the ending not
// counted); max <= 0 means DefaultMaxLength.
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxLength
	}
	return &Reader{src: r, max: max}
}

// ReadLine returns the next line. Input that ends without a final line
// ending yields *IncompleteError before the source's error (io.EOF at a
// clean end). An over-long line yields *TooLongError and is skipped.
func (r *Reader) ReadLine() (Line, error) {
	scanned := 0
	for {
		if i := bytes.IndexByte(r.buf[r.start+scanned:r.end], '\n'); i >= 0 {
			raw := r.buf[r.start : r.start+scanned+i+1]
			r.start += scanned + i + 1
			return r.clean(raw)
		}
		scanned = r.end - r.start
		if scanned > r.max+1 { // even a final CR leaves more than max
			return Line{}, r.skipLong()
		}
		if r.err != nil {
			if scanned == 0 {
				return Line{}, r.err
			}
			r.start = r.end
			return Line{}, &IncompleteError{Size: scanned, Err: r.err}
		}
		r.fill()
	}
}

// fill reads once from the source into the free end of the buffer, making
// room first.
func (r *Reader) fill() {
	if r.start == r.end {
		r.start, r.end = 0, 0
		if cap(r.buf) > minBuffer && !r.filled {
			r.buf = nil // traffic is light again: give the big buffer back
		}
		if w, ok := r.src.(InputWaiter); ok {
			r.waitInput(w)
		}
	}
	switch {
	case r.buf == nil:
		r.buf = make([]byte, minBuffer)
	case r.end == len(r.buf) && (r.filled || r.start == 0) && len(r.buf) < r.bufferLimit():
		grown := make([]byte, min(2*len(r.buf), r.bufferLimit()))
		r.end = copy(grown, r.buf[r.start:r.end])
		r.start, r.buf = 0, grown
	case r.end == len(r.buf):
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
	}
	n, err := r.src.Read(r.buf[r.end:])
	r.filled = n == len(r.buf)-r.end
	r.end += n
	if err != nil {
		r.err = err
	}
}

// InputWaiter is a source that can wait for input without a buffer (a
// WebSocket adapter peeking at its socket). A Reader of one holds no buffer
// while it waits, so an idle connection costs none.
type InputWaiter interface {
	// WaitInput returns when a Read would not block, or would fail.
	WaitInput()
}

// waitInput lends the empty buffer out while w waits for input.
func (r *Reader) waitInput(w InputWaiter) {
	if b := r.buf; cap(b) == minBuffer {
		idleBufs.Put(&b)
		r.buf = nil
	}
	w.WaitInput()
	if r.buf == nil {
		r.buf = *idleBufs.Get().(*[]byte)
	}
}

var idleBufs = sync.Pool{New: func() any { b := make([]byte, minBuffer); return &b }}

// Buffered reports how many bytes have been read but not yet returned: zero
// means the next ReadLine will read from the source (and may block).
func (r *Reader) Buffered() int { return r.end - r.start }

// bufferLimit is the most the buffer grows to: enough for the longest line
// with its CR LF, and at least maxBuffer for throughput.
func (r *Reader) bufferLimit() int { return max(maxBuffer, r.max+3) }

// skipLong discards the rest of an over-long line.
func (r *Reader) skipLong() error {
	size := 0
	for {
		if i := bytes.IndexByte(r.buf[r.start:r.end], '\n'); i >= 0 {
			size += i
			if i > 0 && r.buf[r.start+i-1] == '\r' {
				size--
			}
			r.start += i + 1
			return &TooLongError{Limit: r.max, Size: size}
		}
		size += r.end - r.start
		r.start = r.end
		if r.err != nil {
			return &TooLongError{Limit: r.max, Size: size}
		}
		r.fill()
	}
}

func trailing(raw []byte) int {
	n := 0
	if bytes.HasSuffix(raw, []byte("\n")) {
		n++
		if bytes.HasSuffix(raw, []byte("\r\n")) {
			n++
		}
	}
	return n
}

// clean strips the ending and sanitises raw, in place when it is already
// clean printable ASCII (the common case, which allocates nothing). The
// limit applies to the raw line, so the verdict never depends on how the
// input was segmented, and again to the result, which repair may lengthen.
func (r *Reader) clean(raw []byte) (Line, error) {
	raw = raw[:len(raw)-trailing(raw)]
	if len(raw) > r.max {
		return Line{}, &TooLongError{Limit: r.max, Size: len(raw)}
	}
	if plainASCII(raw) {
		return Line{Text: raw}, nil
	}
	out, repaired := sanitize(r.scratch[:0], raw)
	r.scratch = out
	if len(out) > r.max {
		return Line{}, &TooLongError{Limit: r.max, Size: len(out)}
	}
	return Line{Text: out, Repaired: repaired}, nil
}

func plainASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}
