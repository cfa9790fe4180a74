package ircmsg

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that any input parses without panic, that what parses
// encodes to a line that parses back to the same message, and that a
// parsed message respects the limits.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"PING x\r\n", "CAP LS 302\r\n", "USER u 0 * :Real Name\r\n", ":n!u@h PRIVMSG #c :hi there\r\n",
		"@time=2024-01-01T00:00:00.000Z;+x=a\\sb :s 001 n :w\n", "JOIN #a,#b k\n", "@a;;b= X\n", "::: :\n",
		"PRIVMSG #c ::)\r\n", "A 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		m, err := Parse(in)
		if err != nil && !errors.Is(err, ErrBodyTooLong) {
			return
		}
		if len(m.Params) > maxParams {
			t.Fatalf("%d params", len(m.Params))
		}
		b, err := m.Append(nil)
		if err != nil {
			t.Fatalf("parsed %#v does not encode: %v", m, err)
		}
		again, err := Parse(string(b))
		if err != nil && !errors.Is(err, ErrBodyTooLong) {
			t.Fatalf("re-parse of %q: %v", b, err)
		}
		if !errors.Is(err, ErrBodyTooLong) && !reflect.DeepEqual(normal(m), normal(again)) {
			t.Fatalf("round trip changed the message:\n%#v\n%#v", m, again)
		}
	})
}

// normal makes nil and empty slices compare equal.
func normal(m Message) Message {
	if len(m.Tags) == 0 {
		m.Tags = nil
	}
	if len(m.Params) == 0 {
		m.Params = nil
	}
	return m
}
