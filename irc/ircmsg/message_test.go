package ircmsg

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Message
	}{
		{"PING x\r\n", Message{Command: "PING", Params: []string{"x"}}},
		{"ping x\n", Message{Command: "PING", Params: []string{"x"}}},
		{"NICK bob", Message{Command: "NICK", Params: []string{"bob"}}},
		{"USER u 0 * :Real Name\r\n", Message{Command: "USER", Params: []string{"u", "0", "*", "Real Name"}}},
		{":srv 001 bob :Welcome home", Message{Source: "srv", Command: "001", Params: []string{"bob", "Welcome home"}}},
		{"PRIVMSG #a ::-)", Message{Command: "PRIVMSG", Params: []string{"#a", ":-)"}}},
		{"PRIVMSG #a :", Message{Command: "PRIVMSG", Params: []string{"#a", ""}}},
		{"JOIN   #a,#b   key  ", Message{Command: "JOIN", Params: []string{"#a,#b", "key"}}},
		{"  CAP LS 302", Message{Command: "CAP", Params: []string{"LS", "302"}}},
		{"@time=2024-01-01T00:00:00.000Z;+draft/x=a\\sb\\:c\\\\d\\ne :n!u@h PRIVMSG #c :hi",
			Message{
				Tags:   []Tag{{"time", "2024-01-01T00:00:00.000Z"}, {"+draft/x", "a b;c\\d\ne"}},
				Source: "n!u@h", Command: "PRIVMSG", Params: []string{"#c", "hi"},
			}},
		{"@a;b=;a=2 TAGMSG #c", Message{Tags: []Tag{{"a", "2"}, {"b", ""}}, Command: "TAGMSG", Params: []string{"#c"}}},
		{"@x=\\q\\ TAGMSG", Message{Tags: []Tag{{"x", "q"}}, Command: "TAGMSG"}},
		{"A 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", Message{Command: "A",
			Params: []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15 16"}}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in   string
		want error
	}{
		{"", ErrEmpty},
		{"   \r\n", ErrEmpty},
		{":src", ErrNoCommand},
		{":src ", ErrNoCommand},
		{"@a=b", ErrNoCommand},
		{"@a=b ", ErrNoCommand},
		{"PRIV-MSG x", ErrBadCommand},
		{"12 x", ErrBadCommand},
		{"1234 x", ErrBadCommand},
		{"@=v PING", ErrBadTags},
		{"@a/ PING", ErrBadTags},
		{"@a b=c PING", ErrBadCommand}, // "b=c" is the command
		{"@k!=v PING", ErrBadTags},
		{"PING a\x00b", ErrBadChar},
		{"@" + strings.Repeat("a", MaxClientTags) + " PING", ErrTagsTooLong},
	}
	for _, tt := range tests {
		if _, err := Parse(tt.in); !errors.Is(err, tt.want) {
			t.Errorf("Parse(%q) = %v, want %v", tt.in, err, tt.want)
		}
	}
}

// A body over the limit is cut, parsed and reported; tags do not count
// towards it.
func TestParseBodyTooLong(t *testing.T) {
	text := strings.Repeat("x", 600)
	m, err := Parse("@" + strings.Repeat("t", 1000) + " PRIVMSG #c :" + text + "\r\n")
	if !errors.Is(err, ErrBodyTooLong) {
		t.Fatalf("err = %v, want ErrBodyTooLong", err)
	}
	if want := MaxBody - 2 - len("PRIVMSG #c :"); len(m.Param(1)) != want {
		t.Fatalf("trailing cut to %d bytes, want %d", len(m.Param(1)), want)
	}
	exact := "PRIVMSG #c :" + strings.Repeat("y", MaxBody-2-len("PRIVMSG #c :"))
	if _, err := Parse(exact + "\r\n"); err != nil {
		t.Fatalf("a body of exactly %d bytes: %v", MaxBody, err)
	}
}

func TestAppend(t *testing.T) {
	tests := []struct {
		m    Message
		want string
	}{
		{Message{Command: "PING", Params: []string{"x"}}, "PING x\r\n"},
		{Message{Source: "srv", Command: "001", Params: []string{"bob", "Welcome home"}}, ":srv 001 bob :Welcome home\r\n"},
		{Message{Command: "PRIVMSG", Params: []string{"#c", ""}}, "PRIVMSG #c :\r\n"},
		{Message{Command: "PRIVMSG", Params: []string{"#c", ":)"}}, "PRIVMSG #c ::)\r\n"},
		{Message{Tags: []Tag{{"time", "t"}, {"a", ""}, {"+x", "a b;c\\"}}, Command: "TAGMSG", Params: []string{"#c"}},
			"@time=t;a;+x=a\\sb\\:c\\\\ TAGMSG #c\r\n"},
	}
	for _, tt := range tests {
		got, err := tt.m.Append(nil)
		if err != nil || string(got) != tt.want {
			t.Errorf("Append(%#v) = %q, %v; want %q", tt.m, got, err, tt.want)
		}
	}
	for _, bad := range []Message{
		{Command: "PRIV MSG"},
		{Command: "PRIVMSG", Params: []string{"a b", "c"}},
		{Command: "PRIVMSG", Params: []string{"", "c"}},
		{Command: "PRIVMSG", Params: []string{":a", "c"}},
		{Command: "PRIVMSG", Params: []string{"a", "c\r\nQUIT"}},
	} {
		if _, err := bad.Append(nil); !errors.Is(err, ErrBadParam) && !errors.Is(err, ErrBadCommand) {
			t.Errorf("Append(%#v): err = %v, want a refusal", bad, err)
		}
	}
}
