package frame

import (
	"bytes"
	"errors"
	"io"
	"testing"
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
