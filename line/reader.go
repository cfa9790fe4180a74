package line

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLength is the line limit when none is given.
const DefaultMaxLength = 4096

// TooLongError reports a line over the limit. The line has been discarded;
// the Reader is ready for the next one.
type TooLongError struct {
	Limit int // the limit in bytes
	Size  int // how many bytes the line had
}

func (e *TooLongError) Error() string {
	return fmt.Sprintf("line too long (%d bytes, limit %d)", e.Size, e.Limit)
}

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
	br      *bufio.Reader
	max     int
	scratch []byte
	telnet  telnetState
}

// NewReader returns a Reader of lines up to max bytes (the ending not
// counted); max <= 0 means DefaultMaxLength.
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxLength
	}
	// Room for the longest line, its CR LF, and telnet bytes around it.
	return &Reader{br: bufio.NewReaderSize(r, max+64), max: max}
}

// ReadLine returns the next line. At the end of input a final unterminated
// line is returned before io.EOF. An over-long line yields *TooLongError
// and is skipped.
func (r *Reader) ReadLine() (Line, error) {
	raw, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return Line{}, r.skipLong(len(raw))
	}
	if err != nil && (err != io.EOF || len(raw) == 0) {
		return Line{}, err
	}
	return r.clean(raw)
}

// skipLong discards the rest of an over-long line.
func (r *Reader) skipLong(size int) error {
	for {
		raw, err := r.br.ReadSlice('\n')
		size += len(raw)
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && err != io.EOF {
			return err
		}
		return &TooLongError{Limit: r.max, Size: size - trailing(raw)}
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
// clean printable ASCII (the common case, which allocates nothing).
func (r *Reader) clean(raw []byte) (Line, error) {
	raw = raw[:len(raw)-trailing(raw)]
	if plainASCII(raw) && r.telnet == telnetData {
		if len(raw) > r.max {
			return Line{}, &TooLongError{Limit: r.max, Size: len(raw)}
		}
		return Line{Text: raw}, nil
	}
	out, repaired := r.sanitize(r.scratch[:0], raw)
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
