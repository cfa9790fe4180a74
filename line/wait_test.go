package line

import (
	"io"
	"testing"
)

// waitingSource hands out chunks one by one, and checks at each wait that
// the Reader waiting on it holds no buffer.
type waitingSource struct {
	t      *testing.T
	r      *Reader
	chunks []string
	waits  int
}

func (s *waitingSource) WaitInput() {
	s.waits++
	if s.r.buf != nil {
		s.t.Errorf("wait %d: the reader holds a %d-byte buffer while it waits", s.waits, cap(s.r.buf))
	}
}

func (s *waitingSource) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.chunks[0])
	if s.chunks[0] = s.chunks[0][n:]; s.chunks[0] == "" {
		s.chunks = s.chunks[1:]
	}
	return n, nil
}

// A Reader of an InputWaiter lends its buffer out between bursts, and
// still reads every line whole, even one split across reads.
func TestIdleReaderHoldsNoBuffer(t *testing.T) {
	src := &waitingSource{t: t, chunks: []string{"one\ntw", "o\n", "three\n"}}
	r := NewReader(src, 0)
	src.r = r
	var got []string
	for {
		l, err := r.ReadLine()
		if err != nil {
			break
		}
		got = append(got, string(l.Text))
	}
	if len(got) != 3 || got[0] != "one" || got[1] != "two" || got[2] != "three" {
		t.Fatalf("lines %q", got)
	}
	if src.waits < 3 {
		t.Fatalf("the reader waited %d times, want one before each burst", src.waits)
	}
}
