package ircmsg

import "strings"

// parseTags parses the tag section without its '@'. A key given twice
// keeps its last value, as IRCv3 says.
func parseTags(s string) ([]Tag, error) {
	var tags []Tag
	for s != "" {
		var kv string
		kv, s, _ = strings.Cut(s, ";")
		if kv == "" {
			continue // tolerate "a;;b" and a trailing ';'
		}
		k, v, _ := strings.Cut(kv, "=")
		if !validTagKey(k) {
			return nil, ErrBadTags
		}
		t := Tag{Key: k, Value: unescapeTag(v)}
		if i := indexTag(tags, k); i >= 0 {
			tags[i] = t
		} else {
			tags = append(tags, t)
		}
	}
	return tags, nil
}

func indexTag(tags []Tag, k string) int {
	for i, t := range tags {
		if t.Key == k {
			return i
		}
	}
	return -1
}

// validTagKey: ['+'] [vendor '/'] name, of letters, digits, '-', '.'.
func validTagKey(k string) bool {
	k = strings.TrimPrefix(k, "+")
	if k == "" || k[len(k)-1] == '/' {
		return false
	}
	slash := false
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', isDigit(c), c == '-', c == '.':
		case c == '/' && !slash && i > 0:
			slash = true
		default:
			return false
		}
	}
	return true
}

// unescapeTag decodes a tag value: \: is ';', \s is ' ', \\ is '\',
// \r and \n are CR and LF; a backslash before anything else is dropped,
// and so is a trailing one.
func unescapeTag(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(v) {
			break
		}
		switch v[i] {
		case ':':
			b.WriteByte(';')
		case 's':
			b.WriteByte(' ')
		case 'r':
			b.WriteByte('\r')
		case 'n':
			b.WriteByte('\n')
		default:
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// appendEscapedTag appends v escaped for a tag value.
func appendEscapedTag(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case ';':
			dst = append(dst, `\:`...)
		case ' ':
			dst = append(dst, `\s`...)
		case '\\':
			dst = append(dst, `\\`...)
		case '\r':
			dst = append(dst, `\r`...)
		case '\n':
			dst = append(dst, `\n`...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// AppendTags appends a tag section ("@k=v;k2 ") for tags, or nothing
// when there are none.
func AppendTags(dst []byte, tags []Tag) []byte {
	for i, t := range tags {
		if i == 0 {
			dst = append(dst, '@')
		} else {
			dst = append(dst, ';')
		}
		dst = append(dst, t.Key...)
		if t.Value != "" {
			dst = append(dst, '=')
			dst = appendEscapedTag(dst, t.Value)
		}
	}
	if len(tags) > 0 {
		dst = append(dst, ' ')
	}
	return dst
}
