// Package line frames and cleans the text lines of hubcat's chat protocol,
// in the manner of net/textproto: a [Reader] that yields one line per
// message whatever the TCP segmentation, and [ParseCommand] for "/verb args"
// lines. It has no sockets and no goroutines, so it can be fuzzed alone.
//
// # Wire format
//
// A line is UTF-8 text ended by LF; a CR before the LF is dropped, so CRLF
// works too. Reader repairs what a raw terminal or telnet client may send:
//
//   - telnet negotiation (IAC sequences, RFC 854) is removed; a command
//     never runs past the end of its line, so a stray IAC SB (0xFF 0xFA,
//     "ÿú" in Latin-1) costs two bytes, not the rest of the input;
//   - control characters (C0, DEL and C1) are removed, tab becomes a space,
//     so one peer cannot move another's cursor or clear its screen;
//   - invalid UTF-8 is replaced by U+FFFD and [Line.Repaired] is set, so the
//     server can tell the sender;
//   - a line longer than the limit is discarded up to its newline and
//     reported as a [*TooLongError]; the next line is read normally.
//
// Input that ends in the middle of a line — a close or a reset before the
// LF — yields an [*IncompleteError]: the partial line is never delivered as
// if it were whole.
//
// A line that starts with "/" is a command; "//" escapes a literal slash.
package line
