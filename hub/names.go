package hub

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

const maxNameLen = 32

// NamePolicy decides which member and room names are allowed and when two
// names are the same. The IRC front end plugs IRC's casemapping in here;
// every front end then shares one namespace.
type NamePolicy interface {
	// CheckName reports why name may not be a member's name, or nil.
	// The error's text is fit to show a user.
	CheckName(name string) error
	// CheckRoom reports why room may not be a room's name, or nil.
	CheckRoom(room string) error
	// Fold returns the key under which names (and rooms) are compared.
	Fold(s string) string
}

// DefaultNames is the policy used when Config.Names is nil: names of
// 1-32 letters, digits, '-' or '_' starting with a letter, whose letters
// all come from one script (so "pаypal" with a Cyrillic "а" is refused),
// compared by PRECIS's case-mapped username profile.
var DefaultNames NamePolicy = defaultNames{}

type defaultNames struct{}

// CheckName implements NamePolicy.
func (defaultNames) CheckName(s string) error {
	if !wellFormed(s, true) {
		return ErrBadName
	}
	return nil
}

// CheckRoom implements NamePolicy.
func (defaultNames) CheckRoom(s string) error {
	if !wellFormed(s, false) {
		return ErrBadRoom
	}
	return nil
}

// Fold implements NamePolicy.
func (defaultNames) Fold(s string) string {
	if isLowerASCII(s) {
		return s
	}
	if f, err := precis.UsernameCaseMapped.String(s); err == nil {
		return f
	}
	return strings.ToLower(s)
}

// wellFormed checks length, characters and script mixing.
func wellFormed(s string, letterFirst bool) bool {
	if s == "" || len(s) > maxNameLen || !utf8.ValidString(s) {
		return false
	}
	var script *unicode.RangeTable
	for i, r := range s {
		switch {
		case unicode.IsLetter(r):
			if script == nil {
				script = scriptOf(r)
			} else if !unicode.Is(script, r) && !compatibleScripts(script, r) {
				return false
			}
		case i == 0 && letterFirst:
			return false
		case unicode.IsDigit(r) || r == '-' || r == '_':
		default:
			return false
		}
	}
	if _, err := precis.UsernameCaseMapped.String(s); err != nil {
		return false
	}
	return true
}

// scriptOf finds the script table holding r.
func scriptOf(r rune) *unicode.RangeTable {
	if r < utf8.RuneSelf {
		return unicode.Latin
	}
	for _, t := range unicode.Scripts {
		if t != unicode.Common && t != unicode.Inherited && unicode.Is(t, r) {
			return t
		}
	}
	return unicode.Common
}

// compatibleScripts allows the scripts Japanese writes together.
func compatibleScripts(first *unicode.RangeTable, r rune) bool {
	japanese := []*unicode.RangeTable{unicode.Han, unicode.Hiragana, unicode.Katakana}
	in := func(t *unicode.RangeTable) bool {
		for _, j := range japanese {
			if t == j {
				return true
			}
		}
		return false
	}
	return in(first) && unicode.In(r, japanese...)
}

func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// CleanText makes text safe for every front end: invalid UTF-8 becomes
// U+FFFD, a tab a space, and other control characters (C0, DEL, C1) and
// line or paragraph separators are removed, so no sender can start a new
// line or forge a hub notice in anyone's client. The core applies it to
// every text it accepts.
func CleanText(s string) string {
	if isPlainText(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20, r == 0x7f, 0x80 <= r && r < 0xa0, r == '\u2028', r == '\u2029':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// isPlainText reports whether s is printable ASCII only: the common case,
// checked without allocating.
func isPlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// sortFolded sorts items by the folded form of their names, folding each
// name once rather than at every comparison.
func sortFolded[T any](items []T, name func(T) string, fold func(string) string) {
	keys := make([]string, len(items))
	idx := make([]int, len(items))
	for i, it := range items {
		keys[i], idx[i] = fold(name(it)), i
	}
	slices.SortFunc(idx, func(a, b int) int { return strings.Compare(keys[a], keys[b]) })
	sorted := make([]T, len(items))
	for i, j := range idx {
		sorted[i] = items[j]
	}
	copy(items, sorted)
}
