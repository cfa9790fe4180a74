package frame

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// Frame types used by [Handshake].
const (
	TypeHello = 'H' // JSON [Hello]
	TypeProof = 'P' // 32-byte HMAC-SHA256 proof
)

var (
	// ErrAuth is wrapped by every authentication failure.
	ErrAuth = errors.New("authentication failed")
)

// Hello is the first frame each side sends.
type Hello struct {
	Proto   string `json:"proto"`   // "hubcat-transfer" or "hubcat-exec"
	Version int    `json:"version"` // protocol version
	Role    string `json:"role"`    // protocol-specific, such as "send" or "recv"
	Nonce   []byte `json:"nonce"`   // 32 random bytes, base64 in JSON
	Token   bool   `json:"token"`   // the sender of this hello holds a token
}

// HandshakeConfig says who this side is.
type HandshakeConfig struct {
	Proto    string
	Version  int
	Role     string
	Token    string // shared secret; empty means the channel is trusted otherwise
	Listener bool   // this side accepted the connection
}

// NewToken returns a random 128-bit token as 32 hex digits.
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Handshake exchanges hellos and, when the listener holds a token, proves
// knowledge of it in both directions without sending it: each side sends
// HMAC-SHA256(token, proto|version|side|dialer nonce|listener nonce). The
// dialer proves first; the listener answers with its own proof only after
// checking the dialer's, so a guesser learns nothing to attack offline. It
// returns the peer's hello.
func Handshake(r *Reader, w *Writer, c HandshakeConfig) (Hello, error) {
	me := Hello{Proto: c.Proto, Version: c.Version, Role: c.Role, Nonce: make([]byte, 32), Token: c.Token != ""}
	rand.Read(me.Nonce)
	if err := w.SendJSON(TypeHello, me); err != nil {
		return Hello{}, err
	}
	var peer Hello
	if err := r.ExpectJSON(TypeHello, &peer); err != nil {
		return Hello{}, fmt.Errorf("read hello: %w", err)
	}
	if peer.Proto != c.Proto {
		return peer, fmt.Errorf("peer speaks %q, not %q: is it the right hubcat command?", peer.Proto, c.Proto)
	}
	if peer.Version != c.Version {
		return peer, fmt.Errorf("peer speaks %s version %d, this hubcat speaks version %d: upgrade the older side", c.Proto, peer.Version, c.Version)
	}
	if len(peer.Nonce) != 32 {
		return peer, fmt.Errorf("peer sent a %d-byte nonce, want 32", len(peer.Nonce))
	}
	dialerNonce, listenerNonce := me.Nonce, peer.Nonce
	listenerWants := peer.Token
	if c.Listener {
		dialerNonce, listenerNonce = peer.Nonce, me.Nonce
		listenerWants = c.Token != ""
	}
	if !listenerWants {
		return peer, nil
	}
	if c.Token == "" {
		return peer, fmt.Errorf("%w: the listener requires a token: pass --token or set HUBCAT_TOKEN", ErrAuth)
	}
	dialerProof := proof(c, "dialer", dialerNonce, listenerNonce)
	listenerProof := proof(c, "listener", dialerNonce, listenerNonce)
	if c.Listener {
		got, err := r.Expect(TypeProof)
		if err != nil {
			return peer, fmt.Errorf("read proof: %w", err)
		}
		if !hmac.Equal(got, dialerProof) {
			w.SendError("authentication failed: wrong token")
			return peer, fmt.Errorf("%w: the peer does not know the token", ErrAuth)
		}
		return peer, w.Send(TypeProof, listenerProof)
	}
	if err := w.Send(TypeProof, dialerProof); err != nil {
		return peer, err
	}
	got, err := r.Expect(TypeProof)
	var re *RemoteError
	if errors.As(err, &re) {
		return peer, fmt.Errorf("%w: the listener refused the token", ErrAuth)
	}
	if err != nil {
		return peer, fmt.Errorf("read proof: %w", err)
	}
	if !hmac.Equal(got, listenerProof) {
		return peer, fmt.Errorf("%w: the listener could not prove it knows the token", ErrAuth)
	}
	return peer, nil
}

// proof is one side's HMAC over the session's nonces.
func proof(c HandshakeConfig, side string, dialerNonce, listenerNonce []byte) []byte {
	m := hmac.New(sha256.New, []byte(c.Token))
	fmt.Fprintf(m, "%s|%d|%s|", c.Proto, c.Version, side)
	m.Write(dialerNonce)
	m.Write(listenerNonce)
	return m.Sum(nil)
}
