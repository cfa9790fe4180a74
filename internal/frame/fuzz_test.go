package frame

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/flynn/noise"
)

// FuzzReader: arbitrary input never panics, never yields a payload over
// the limit, and frames written by Writer read back identically.
func FuzzReader(f *testing.F) {
	f.Add([]byte("H\x00\x00\x00\x02{}"), byte('X'), []byte("payload"))
	f.Add([]byte("!\x00\x00\x00\x03bad"), byte('!'), []byte("msg"))
	f.Add([]byte("Z\xff\xff\xff\xff"), byte(0), []byte{})
	f.Fuzz(func(t *testing.T, raw []byte, typ byte, payload []byte) {
		r := NewReader(bytes.NewReader(raw), 64)
		for {
			_, p, err := r.Next()
			if err != nil {
				break
			}
			if len(p) > 64 {
				t.Fatalf("payload of %d bytes passed a 64-byte limit", len(p))
			}
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		if err := w.Send(typ, payload); err != nil {
			t.Fatal(err)
		}
		gotTyp, got, err := NewReader(&buf, len(payload)+1).Next()
		var re *RemoteError
		switch {
		case typ == TypeError:
			if !errors.As(err, &re) || re.Msg != string(payload) {
				t.Fatalf("error frame read back as %v", err)
			}
		case err != nil && err != io.EOF:
			t.Fatal(err)
		case gotTyp != typ || !bytes.Equal(got, payload):
			t.Fatalf("round trip: got %q %q, want %q %q", gotTyp, got, typ, payload)
		}
	})
}

// memConn is a connection whose peer sent in and reads nothing back; for
// fuzzing only, where sockets would be too slow.
type memConn struct {
	net.Conn // nil: methods not overridden here are never called
	in       *bytes.Reader
}

func (c *memConn) Read(b []byte) (int, error)       { return c.in.Read(b) }
func (c *memConn) Write(b []byte) (int, error)      { return len(b), nil }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv6loopback} }
func (c *memConn) CloseWrite() error                { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }

// writerConn collects what is written to it.
type writerConn struct {
	net.Conn // nil: only Write is called
	w        io.Writer
}

func (c writerConn) Write(b []byte) (int, error) { return c.w.Write(b) }

// FuzzHandshake feeds arbitrary bytes to the listening side of the
// handshake and, for a tokenless listener whose handshake passes, to the
// secured stream's record reader: nothing panics, nothing is accepted as
// authenticated with a token, and the reader returns at most what the
// records held.
func FuzzHandshake(f *testing.F) {
	hello := func(v int, token bool, salt []byte) []byte {
		var buf bytes.Buffer
		NewWriter(&buf).SendJSON(TypeHello, Hello{Proto: "p", Version: v, Role: "send", Token: token, Salt: salt})
		return buf.Bytes()
	}
	salt := []byte("0123456789abcdef")
	f.Add(hello(2, true, salt))
	f.Add(append(hello(2, false, nil), "N\x00\x00\x00\x30"+strings.Repeat("\x00", 48)+"\x00\x20xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"...))
	f.Add(hello(1, true, nil))
	f.Add([]byte("H\xff\xff\xff\xff"))
	f.Add([]byte("!\x00\x00\x00\x05\x1b[2J!"))
	var key [32]byte
	rec := noise.UnsafeNewCipherState(suite, key, 0)
	var records bytes.Buffer
	c := &Conn{Conn: writerConn{w: &records}, send: rec}
	c.Write([]byte("a record the reader must accept"))
	f.Add(records.Bytes())
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, token := range []string{"", "secret"} {
			g := Gate{Timeout: time.Second}
			sc, _, err := g.Accept(&memConn{in: bytes.NewReader(in)}, HandshakeConfig{Proto: "p", Version: 2, Role: "recv", Token: token})
			if err != nil {
				continue
			}
			if token != "" {
				t.Fatal("a random dialer proved the token")
			}
			io.Copy(io.Discard, sc)
		}
		// The record reader on its own, with a known key.
		var key [32]byte
		c := newConn(&memConn{in: bytes.NewReader(in)}, bufio.NewReader(bytes.NewReader(in)),
			noise.UnsafeNewCipherState(suite, key, 0), noise.UnsafeNewCipherState(suite, key, 0))
		n, _ := io.Copy(io.Discard, c)
		if n > int64(len(in)) {
			t.Fatalf("read %d plaintext bytes from %d input bytes", n, len(in))
		}
	})
}
