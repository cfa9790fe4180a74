package line_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/hubcat/hubcat/line"
)

// readAll reads every line, recording errors inline as "!error".
func readAll(t *testing.T, r io.Reader, max int) []string {
	t.Helper()
	lr := line.NewReader(r, max)
	var got []string
	for {
		l, err := lr.ReadLine()
		var tl *line.TooLongError
		var inc *line.IncompleteError
		switch {
		case errors.As(err, &tl):
			got = append(got, "!"+err.Error())
			continue
		case errors.As(err, &inc):
			got = append(got, fmt.Sprintf("!incomplete %d", inc.Size))
			continue
		case err == io.EOF:
			return got
		case err != nil:
			t.Fatalf("ReadLine: %v", err)
		}
		s := string(l.Text)
		if l.Repaired {
			s += " (repaired)"
		}
		got = append(got, s)
	}
}

func TestReaderFraming(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"lf", "hello\nworld\n", []string{"hello", "world"}},
		{"crlf", "hello\r\nworld\r\n", []string{"hello", "world"}},
		{"final line without newline", "a\nbc", []string{"a", "!incomplete 2"}},
		{"empty lines kept", "\n\nx\n", []string{"", "", "x"}},
		{"telnet negotiation stripped", "\xff\xfb\x01\xff\xfd\x03hi\xff\xf1 there\n", []string{"hi there"}},
		{"telnet subnegotiation stripped", "\xff\xfa\x18\x00xterm\xff\xf0ok\n", []string{"ok"}},
		{"stray IAC SB swallows nothing", "caf\xff\xfa au lait\nnext line\n", []string{"caf au lait", "next line"}},
		{"subnegotiation ends with its line", "a\xff\xfa\x18\nb\xff\xf0c\nd\n", []string{"a", "bc", "d"}},
		{"option byte not taken from the next line", "x\xff\xfd\nyz\n", []string{"x", "yz"}},
		{"controls removed", "a\x1b[2Jb\x07c\x7fd\n", []string{"a[2Jbcd"}},
		{"tab to space", "a\tb\n", []string{"a b"}},
		{"c1 controls removed", "a\u0085b\u009bc\n", []string{"abc"}},
		{"utf8 kept", "héllo 世界 👋\n", []string{"héllo 世界 👋"}},
		{"invalid utf8 repaired", "bad \xc3\x28 byte\n", []string{"bad \uFFFD( byte (repaired)"}},
		{"telnet CR NUL", "hi\r\x00\n", []string{"hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, strings.NewReader(tt.in), 100)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The same lines must come out whatever the segmentation: one byte per read.
func TestReaderSegmentation(t *testing.T) {
	in := "first line\r\nsecond\xff\xfb\x01 line\nthird\n"
	whole := readAll(t, strings.NewReader(in), 100)
	bytewise := readAll(t, iotest.OneByteReader(strings.NewReader(in)), 100)
	if strings.Join(whole, "|") != strings.Join(bytewise, "|") || len(whole) != 3 {
		t.Fatalf("whole %q, byte-wise %q", whole, bytewise)
	}
}

// A line cut short by a reset is reported as incomplete, with the reset
// as its cause, and never delivered.
func TestReaderCutLineIsIncomplete(t *testing.T) {
	reset := errors.New("connection reset by peer")
	src := io.MultiReader(strings.NewReader("hello\ntransfer the $10"), iotest.ErrReader(reset))
	lr := line.NewReader(src, 100)
	if l, err := lr.ReadLine(); err != nil || string(l.Text) != "hello" {
		t.Fatalf("first line: %q, %v", l.Text, err)
	}
	l, err := lr.ReadLine()
	var inc *line.IncompleteError
	if !errors.As(err, &inc) || !errors.Is(err, reset) || inc.Size != len("transfer the $10") || l.Text != nil {
		t.Fatalf("cut line: %q, %v; want *IncompleteError wrapping the reset", l.Text, err)
	}
	if _, err := lr.ReadLine(); err != reset {
		t.Fatalf("after the cut line: %v, want the reset", err)
	}
}

func TestReaderTooLongKeepsGoing(t *testing.T) {
	long := strings.Repeat("x", 250)
	got := readAll(t, strings.NewReader("ok\n"+long+"\r\nafter\n"+strings.Repeat("y", 21)+"\nend\n"), 20)
	want := []string{"ok", "!line too long (250 bytes, limit 20)", "after", "!line too long (21 bytes, limit 20)", "end"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestParseCommand(t *testing.T) {
	tests := []struct {
		in         string
		verb, args string
		text       string
		isCmd      bool
	}{
		{"/nick  Bob ", "nick", "Bob", "", true},
		{"/MSG bob hi there", "msg", "bob hi there", "", true},
		{"/quit", "quit", "", "", true},
		{"//not a command", "", "", "/not a command", false},
		{"hello", "", "", "hello", false},
		{"", "", "", "", false},
	}
	for _, tt := range tests {
		cmd, text, ok := line.ParseCommand([]byte(tt.in))
		if ok != tt.isCmd || cmd.Verb != tt.verb || cmd.Args != tt.args || string(text) != tt.text {
			t.Errorf("ParseCommand(%q) = %+v, %q, %v", tt.in, cmd, text, ok)
		}
	}
	first, rest := line.Command{Args: "bob  hello there"}.Fields()
	if first != "bob" || rest != "hello there" {
		t.Errorf("Fields = %q, %q", first, rest)
	}
}

func BenchmarkReadLine(b *testing.B) {
	data := strings.Repeat("<guest-12> the quick brown fox jumps over the lazy dog\n", 1000)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	r := strings.NewReader(data)
	for b.Loop() {
		r.Reset(data)
		lr := line.NewReader(r, 4096)
		for {
			if _, err := lr.ReadLine(); err != nil {
				break
			}
		}
	}
}
