package hub

import (
	"strings"
	"unicode"
)

const maxNameLen = 32

// fold is the case-insensitive key for names and rooms.
func fold(s string) string { return strings.ToLower(s) }

func compareFold(a, b string) int { return strings.Compare(fold(a), fold(b)) }

// ValidName reports whether s may be a member's name: 1-32 letters,
// digits, '-' or '_', starting with a letter.
func ValidName(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for i, r := range s {
		if !unicode.IsLetter(r) && (i == 0 || !(unicode.IsDigit(r) || r == '-' || r == '_')) {
			return false
		}
	}
	return true
}

// ValidRoom reports whether s may be a room name: 1-32 letters, digits,
// '-' or '_'. A leading '#' is accepted by front ends and stripped before.
func ValidRoom(s string) bool {
	if s == "" || len(s) > maxNameLen {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' {
			return false
		}
	}
	return true
}
