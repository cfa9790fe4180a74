// Package frame is the wire framing shared by hubcat's transfer and rexec
// protocols, plus the mutual token proof both run before anything else.
//
// # Frames
//
// Every frame is a one-byte type, a four-byte big-endian payload length and
// the payload:
//
//	+------+----------------+-----------------+
//	| type | length (u32 BE) | payload (length) |
//	+------+----------------+-----------------+
//
// A reader refuses a length above its limit before allocating. Type '!'
// is reserved for an error: its payload is a UTF-8 message and [Reader.Next]
// returns it as a [*RemoteError]. Each protocol defines its other types.
// Bulk data may follow a frame unframed when the frame announced its
// length; [Reader.Raw] and [Writer.Raw] give access to the byte stream.
package frame

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
)

// TypeError is the frame type that carries an error message.
const TypeError = '!'

// DefaultMax is the largest payload a Reader accepts when Max is zero.
const DefaultMax = 1 << 20

var (
	// ErrTooLarge is returned for a frame longer than the reader's limit.
	ErrTooLarge = errors.New("frame: frame too large")
)

// RemoteError is an error message sent by the peer.
type RemoteError struct {
	Msg string
}

func (e *RemoteError) Error() string { return "peer: " + e.Msg }

// Reader reads frames from a buffered stream. It is not safe for
// concurrent use.
type Reader struct {
	br  *bufio.Reader
	max int
	hdr [5]byte
}

// NewReader returns a Reader on r that accepts payloads up to max bytes
// (DefaultMax when max is zero).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMax
	}
	return &Reader{br: bufio.NewReaderSize(r, 64<<10), max: max}
}

// Next reads one frame. An error frame is returned as a *RemoteError.
func (r *Reader) Next() (typ byte, payload []byte, err error) {
	if _, err := io.ReadFull(r.br, r.hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(r.hdr[1:])
	if int64(n) > int64(r.max) {
		return 0, nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, n, r.max)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r.br, payload); err != nil {
		return 0, nil, unexpected(err)
	}
	if r.hdr[0] == TypeError {
		return 0, nil, &RemoteError{Msg: string(payload)}
	}
	return r.hdr[0], payload, nil
}

// Expect reads one frame and fails unless it has type want.
func (r *Reader) Expect(want byte) ([]byte, error) {
	typ, p, err := r.Next()
	if err != nil {
		return nil, err
	}
	if typ != want {
		return nil, fmt.Errorf("frame: protocol error: got frame %q, want %q", typ, want)
	}
	return p, nil
}

// ExpectJSON reads a frame of type want and decodes its JSON payload into v.
func (r *Reader) ExpectJSON(want byte, v any) error {
	p, err := r.Expect(want)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(p, v); err != nil {
		return fmt.Errorf("frame: bad %q frame: %w", want, err)
	}
	return nil
}

// Raw is the underlying buffered stream, for unframed bulk data.
func (r *Reader) Raw() *bufio.Reader { return r.br }

// Writer writes frames. Send and SendJSON are safe for concurrent use; each
// frame is written and flushed whole.
type Writer struct {
	mu sync.Mutex
	bw *bufio.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	return &Writer{bw: bufio.NewWriterSize(w, 64<<10)}
}

// Send writes one frame and flushes it.
func (w *Writer) Send(typ byte, payload []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.writeLocked(typ, payload); err != nil {
		return err
	}
	return w.bw.Flush()
}

// Queue writes one frame without flushing, so several small frames leave
// in one segment; a later Send or Flush pushes them out.
func (w *Writer) Queue(typ byte, payload []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writeLocked(typ, payload)
}

// SendJSON writes v as the JSON payload of a frame of type typ.
func (w *Writer) SendJSON(typ byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return w.Send(typ, b)
}

// SendError sends an error frame with msg.
func (w *Writer) SendError(msg string) error {
	return w.Send(TypeError, []byte(msg))
}

// Flush pushes out queued frames.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.bw.Flush()
}

// Raw is the underlying buffered stream, for unframed bulk data. The caller
// must not use it concurrently with Send.
func (w *Writer) Raw() *bufio.Writer { return w.bw }

// writeLocked writes the header and payload; w.mu must be held.
func (w *Writer) writeLocked(typ byte, payload []byte) error {
	var hdr [5]byte
	hdr[0] = typ
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	if _, err := w.bw.Write(hdr[:]); err != nil {
		return err
	}
	_, err := w.bw.Write(payload)
	return err
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
