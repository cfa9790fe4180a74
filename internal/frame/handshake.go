package frame

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/flynn/noise"
	"golang.org/x/crypto/argon2"
)

// Frame types used by the handshake.
const (
	TypeHello = 'H' // JSON [Hello], in the clear
	TypeNoise = 'N' // one Noise handshake message
)

// Key stretching: Argon2id with the parameters OWASP recommends as its
// baseline (19 MiB, two passes, one lane), about 0.1 s on one core.
const (
	saltSize  = 16
	argonTime = 2
)

// argonMemoryKB is a variable only so that this package's tests, which run
// hundreds of handshakes, can make it cheap; every other package's tests
// use the real cost.
var argonMemoryKB uint32 = 19 << 10

// MinTokenLen is the length below which a user-chosen token is weak enough
// that the CLI warns about it.
const MinTokenLen = 16

var (
	// ErrAuth is wrapped by every authentication failure.
	ErrAuth = errors.New("authentication failed")

	suite = noise.NewCipherSuite(noise.DH25519, noise.CipherAESGCM, noise.HashSHA256)
)

// Hello is the first frame each side sends, in the clear.
type Hello struct {
	Proto   string `json:"proto"`          // "hubcat-transfer" or "hubcat-exec"
	Version int    `json:"version"`        // protocol version
	Role    string `json:"role"`           // protocol-specific, such as "send" or "recv"
	Token   bool   `json:"token"`          // the sender of this hello holds a token
	Salt    []byte `json:"salt,omitempty"` // dialer only: 16 random bytes for Argon2id
}

// HandshakeConfig says who this side is.
type HandshakeConfig struct {
	Proto   string
	Version int
	Role    string
	Token   string // shared secret; empty means the channel is trusted otherwise
}

// NewToken returns a random 128-bit token as 32 hex digits.
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Dial runs the dialing side of the handshake on conn and returns the
// secured connection and the listener's hello. It fails unless the
// listener proves the token this side holds.
func Dial(conn net.Conn, c HandshakeConfig) (*Conn, Hello, error) {
	r, w := NewReader(conn, 4<<10), NewWriter(conn)
	me := c.hello()
	if c.Token != "" {
		me.Salt = make([]byte, saltSize)
		rand.Read(me.Salt)
	}
	mine, err := w.sendJSON(TypeHello, me)
	if err != nil {
		return nil, Hello{}, err
	}
	// Both sides stretch the token at the same time, so the listener's
	// short deadline, renewed after its own Argon2id, hardly waits for ours.
	psk := stretch(c.Token, me.Salt)
	peer, theirs, err := readHello(r, c)
	if err != nil {
		return nil, peer, err
	}
	switch {
	case c.Token != "" && !peer.Token:
		return nil, peer, fmt.Errorf("%w: the listener does not know any token, so it cannot be the peer you meant (or it runs without --token)", ErrAuth)
	case c.Token == "" && peer.Token:
		return nil, peer, fmt.Errorf("%w: the listener requires a token: pass --token or set HUBCAT_TOKEN", ErrAuth)
	}
	hs, err := newHandshake(psk, true, mine, theirs)
	if err != nil {
		return nil, peer, err
	}
	msg, _, _, err := hs.WriteMessage(nil, nil)
	if err != nil {
		return nil, peer, err
	}
	if err := w.Send(TypeNoise, msg); err != nil {
		return nil, peer, err
	}
	msg, err = r.Expect(TypeNoise)
	var re *RemoteError
	if errors.As(err, &re) {
		return nil, peer, fmt.Errorf("%w: the listener refused: %s", ErrAuth, Escape(re.Msg))
	}
	if err != nil {
		return nil, peer, fmt.Errorf("read handshake: %w", err)
	}
	_, send, recv, err := hs.ReadMessage(nil, msg)
	if err != nil {
		return nil, peer, fmt.Errorf("%w: the listener could not prove it knows the token", ErrAuth)
	}
	return newConn(conn, r.br, send, recv), peer, nil
}

// accept runs the listening side; the dialer's failure to prove the token
// is returned as errWrongToken without answering, so the caller can
// record it before it replies. After stretching the token it renews the
// deadline to timeout (when positive).
func accept(conn net.Conn, c HandshakeConfig, timeout time.Duration) (*Conn, Hello, error) {
	r, w := NewReader(conn, 4<<10), NewWriter(conn)
	mine, err := w.sendJSON(TypeHello, c.hello())
	if err != nil {
		return nil, Hello{}, err
	}
	peer, theirs, err := readHello(r, c)
	if err != nil {
		return nil, peer, err
	}
	switch {
	case c.Token != "" && !peer.Token:
		w.SendError("this listener requires a token: pass --token or set HUBCAT_TOKEN")
		return nil, peer, fmt.Errorf("%w: the peer has no token", ErrAuth)
	case c.Token == "" && peer.Token:
		return nil, peer, fmt.Errorf("%w: the peer holds a token and this side has none", ErrAuth)
	case c.Token != "" && len(peer.Salt) != saltSize:
		return nil, peer, fmt.Errorf("frame: protocol error: peer sent a %d-byte salt, want %d", len(peer.Salt), saltSize)
	}
	psk := stretch(c.Token, peer.Salt)
	if timeout > 0 { // the peer gets its full time despite ours
		conn.SetDeadline(time.Now().Add(timeout))
	}
	msg, err := r.Expect(TypeNoise)
	if err != nil {
		return nil, peer, fmt.Errorf("read handshake: %w", err)
	}
	hs, err := newHandshake(psk, false, theirs, mine)
	if err != nil {
		return nil, peer, err
	}
	if _, _, _, err := hs.ReadMessage(nil, msg); err != nil {
		return nil, peer, errWrongToken
	}
	msg, recv, send, err := hs.WriteMessage(nil, nil)
	if err != nil {
		return nil, peer, err
	}
	if err := w.Send(TypeNoise, msg); err != nil {
		return nil, peer, err
	}
	return newConn(conn, r.br, send, recv), peer, nil
}

// errWrongToken is the listener's verdict on a dialer whose first Noise
// message does not decrypt: it does not know the token.
var errWrongToken = fmt.Errorf("%w: the peer does not know the token", ErrAuth)

func (c HandshakeConfig) hello() Hello {
	return Hello{Proto: c.Proto, Version: c.Version, Role: c.Role, Token: c.Token != ""}
}

// readHello reads and checks the peer's hello, returning it with its raw
// payload for the prologue.
func readHello(r *Reader, c HandshakeConfig) (Hello, []byte, error) {
	var peer Hello
	raw, err := r.Expect(TypeHello)
	if err != nil {
		var re *RemoteError
		if errors.As(err, &re) {
			return peer, nil, fmt.Errorf("the peer refused the connection: %s", Escape(re.Msg))
		}
		return peer, nil, fmt.Errorf("read hello: %w", err)
	}
	if err := json.Unmarshal(raw, &peer); err != nil {
		return peer, nil, fmt.Errorf("frame: bad hello: %w", err)
	}
	if peer.Proto != c.Proto {
		return peer, nil, fmt.Errorf("peer speaks %q, not %q: is it the right hubcat command?", peer.Proto, c.Proto)
	}
	if peer.Version != c.Version {
		return peer, nil, fmt.Errorf("peer speaks %s version %d, this hubcat speaks version %d: upgrade the older side", c.Proto, peer.Version, c.Version)
	}
	return peer, raw, nil
}

// newHandshake prepares Noise_NNpsk0_25519_AESGCM_SHA256 keyed by the
// stretched token, with both hellos as the prologue so that neither can be
// changed on the way.
func newHandshake(psk []byte, initiator bool, dialerHello, listenerHello []byte) (*noise.HandshakeState, error) {
	prologue := fmt.Appendf(nil, "hubcat %d:%s %d:%s", len(dialerHello), dialerHello, len(listenerHello), listenerHello)
	return noise.NewHandshakeState(noise.Config{
		CipherSuite:  suite,
		Pattern:      noise.HandshakeNN,
		Initiator:    initiator,
		Prologue:     prologue,
		PresharedKey: psk,
		Random:       rand.Reader,
	})
}

// stretch turns a token into the 32-byte pre-shared key. Without a token
// the key is all zeros: the session is encrypted but not authenticated,
// which is what a caller that trusts the channel otherwise asked for.
func stretch(token string, salt []byte) []byte {
	if token == "" {
		return make([]byte, 32)
	}
	return argon2.IDKey([]byte(token), append([]byte("hubcat psk v2 "), salt...), argonTime, argonMemoryKB, 1, 32)
}

// sendJSON sends v as a frame and returns the payload it sent.
func (w *Writer) sendJSON(typ byte, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return b, w.Send(typ, b)
}
