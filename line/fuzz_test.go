package line_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/hubcat/hubcat/line"
)

// FuzzReader checks the Reader's promises on any input: every line is valid
// UTF-8 without control characters or line endings, within the limit, and
// the lines are the same whether the input arrives whole or byte by byte.
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		"hello\n", "a\r\nb\r\n", "\xff\xfb\x01hi\n", "\xff\xfa\x18xterm\xff\xf0ok\n",
		"bad \xc3\x28\n", "caf\xff\xfa au lait\nnext\n", "cut", "x\x1b[31mred\n", "/nick bob\n/join #go\nhi\n", "\u0085\u009b\n",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\nb\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		whole := collect(t, bytes.NewReader(in))
		split := collect(t, iotest.OneByteReader(bytes.NewReader(in)))
		if !equal(whole, split) {
			t.Fatalf("segmentation changed the lines:\nwhole %q\nsplit %q", whole, split)
		}
		for _, l := range whole {
			if !utf8.ValidString(l) {
				t.Fatalf("invalid UTF-8 in %q", l)
			}
			for _, r := range l {
				if r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) {
					t.Fatalf("control character %U in %q", r, l)
				}
			}
			if len(l) > 64 {
				t.Fatalf("line over the limit: %d bytes", len(l))
			}
		}
		if cmd, _, ok := line.ParseCommand(in); ok && cmd.Verb != string(bytes.ToLower([]byte(cmd.Verb))) {
			t.Fatalf("verb not lower-cased: %q", cmd.Verb)
		}
	})
}

func collect(t *testing.T, r io.Reader) []string {
	lr := line.NewReader(r, 64)
	var out []string
	for {
		l, err := lr.ReadLine()
		var tl *line.TooLongError
		var inc *line.IncompleteError
		switch {
		case errors.As(err, &tl):
			out = append(out, "!too long")
		case errors.As(err, &inc):
			out = append(out, "!incomplete")
		case err == io.EOF:
			return out
		case err != nil:
			t.Fatal(err)
		default:
			out = append(out, string(l.Text))
		}
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
