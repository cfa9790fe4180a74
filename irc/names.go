package irc

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/hubcat/hubcat/hub"
)

// Names is the hub name policy to use when IRC clients share the hub: the
// default policy (letters of one script, digits, '-', '_'), plus the
// characters IRC nicks commonly hold ([ ] \ ` ^ { } |), compared under
// IRC's rfc1459 casemapping on top of the default folding, so that "Bob",
// "bob" and (with brackets) "[bob]" and "{BOB}" name the same member for
// every front end. Room names follow the default policy.
var Names hub.NamePolicy = ircNames{}

type ircNames struct{}

// nickSpecials are the punctuation IRC allows in nicks besides '-'.
const nickSpecials = "[]\\`^{}|_"

// CheckName implements hub.NamePolicy.
func (ircNames) CheckName(s string) error {
	if s == "" || len(s) > nickLen || !utf8.ValidString(s) {
		return hub.ErrBadName
	}
	var letters strings.Builder
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters.WriteRune(r)
		case strings.ContainsRune(nickSpecials, r):
		case i > 0 && (unicode.IsDigit(r) || r == '-'):
		default:
			return hub.ErrBadName
		}
	}
	if letters.Len() > 0 && hub.DefaultNames.CheckName(letters.String()) != nil {
		return hub.ErrBadName // letters of mixed scripts
	}
	return nil
}

// CheckRoom implements hub.NamePolicy.
func (ircNames) CheckRoom(s string) error { return hub.DefaultNames.CheckRoom(s) }

// Fold implements hub.NamePolicy.
func (ircNames) Fold(s string) string { return foldName(hub.DefaultNames.Fold(s)) }
