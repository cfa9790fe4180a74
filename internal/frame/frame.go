// Package frame is the wire layer shared by hubcat's transfer and rexec
// protocols: length-prefixed frames, the token handshake both run first,
// and the encrypted stream that carries everything after it.
//
// # Frames
//
// Every frame is a one-byte type, a four-byte big-endian payload length and
// the payload:
//
//	+------+-----------------+------------------+
//	| type | length (u32 BE) | payload (length) |
//	+------+-----------------+------------------+
//
// A reader refuses a length above its limit before allocating. Type '!'
// is reserved for an error: its payload is a UTF-8 message and [Reader.Next]
// returns it as a [*RemoteError], whose text is shown with control
// characters escaped ([Escape]). Each protocol defines its other types.
// Bulk data may follow a frame unframed when the frame announced its
// length; [Reader.Raw] and [Writer.Raw] give access to the byte stream.
//
// # Handshake
//
// [Dial] and [Gate.Accept] run the two sides. Each first sends a hello
// ('H', JSON [Hello]) in the clear: protocol name, version, role, whether
// it holds a token, and on the dialer's side 16 random bytes of salt. A
// peer of another version gets a clear error from either side. Then the
// dialer and the listener run Noise_NNpsk0_25519_AESGCM_SHA256 (package
// github.com/flynn/noise), one 'N' frame each way, with both hellos as the
// prologue and as pre-shared key Argon2id(token, salt) (19 MiB, 2 passes).
// The dialer's message only decrypts for a listener that knows the token
// and vice versa, so each side proves the token to the other without
// sending it; a dialer that holds a token refuses a listener that has
// none. Every byte after the handshake travels in [Conn] records (two-byte
// length, AES-GCM ciphertext and tag under the session's Noise keys): a
// relay can read nothing and change, drop, swap or replay nothing without
// the next record failing with [ErrTampered]. Without a token on either
// side the pre-shared key is all zeros: encrypted, not authenticated, for
// callers that trust the channel by other means (TLS client certificates,
// an allow list, loopback).
//
// # What a guesser learns
//
// A token-keyed handshake that is not a PAKE always gives whoever receives
// the first token-dependent message something to test guesses against
// offline. NNpsk0 gives it to the listener: the dialer's first Noise
// message is keyed by the token, the listener answers nothing
// token-dependent until that message checked out. The other order
// (NNpsk2) would hand an offline test to anyone who can connect to a
// listener, which is far easier than getting a user to dial an impostor,
// so the listener, the exposed side, learns nothing from a wrong guess
// but a failure, and [Gate] rate-limits those online guesses per network.
// A fake listener (or an on-path relay) does get the dialer's message;
// against it each guess costs one Argon2id evaluation (about 0.1 s and
// 19 MiB on one core), and the salt is the dialer's fresh random choice,
// so no table computed in advance helps and every session must be
// attacked anew. Generated tokens carry 128 random bits, which no amount
// of guessing reaches; the CLI warns about short user-chosen tokens. A
// PAKE such as CPace would remove the offline test altogether; no
// maintained Go implementation is available to this project, and home-made
// cryptography is not an option.
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

// Error shows the message with control characters escaped: it comes from
// a peer, possibly before it proved anything, and may hold escape sequences.
func (e *RemoteError) Error() string { return "peer: " + Escape(e.Msg) }

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
