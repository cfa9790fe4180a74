package line

import (
	"bytes"
	"strings"
)

// Command is a parsed "/verb args" line.
type Command struct {
	Verb string // lower-cased, without the slash
	Args string // the rest of the line, trimmed of surrounding spaces
}

// ParseCommand splits a line into a command. ok is false for a plain
// message; a line starting with "//" is a message whose text starts with
// one "/", returned as text.
func ParseCommand(l []byte) (cmd Command, text []byte, ok bool) {
	if len(l) == 0 || l[0] != '/' {
		return Command{}, l, false
	}
	if len(l) > 1 && l[1] == '/' {
		return Command{}, l[1:], false
	}
	verb, args, _ := bytes.Cut(l[1:], []byte(" "))
	return Command{Verb: strings.ToLower(string(verb)), Args: strings.TrimSpace(string(args))}, nil, true
}

// Fields splits a command's arguments into the first word and the rest,
// as "/msg bob hello there" needs.
func (c Command) Fields() (first, rest string) {
	first, rest, _ = strings.Cut(c.Args, " ")
	return first, strings.TrimSpace(rest)
}
