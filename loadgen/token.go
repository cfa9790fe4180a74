package loadgen

import "bytes"

// A token is the payload every benchmark message carries:
//
//	#m <sender> <seq> <sent-ns> <check>
//
// sent-ns is the sender's monotonic clock (nanoseconds since the run began)
// and check is a hash of the three numbers, so a line glued together from
// the pieces of two messages is caught instead of read as a valid one.
// A sync token, "#s <n>", is broadcast before the run to learn which
// clients are in the room.

var (
	tokenMark = []byte("#m ")
	syncMark  = []byte("#s ")
)

// token is one parsed benchmark message.
type token struct {
	sender, seq int
	sentNs      int64
}

// check mixes the token's numbers into a short value the receiver verifies.
func check(sender, seq int, sentNs int64) uint64 {
	h := uint64(sender)*0x9E3779B97F4A7C15 ^ uint64(seq)*0xC2B2AE3D27D4EB4F ^ uint64(sentNs)
	h ^= h >> 29
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 32
	return h & 0xFFFFF
}

// appendToken appends the token text (without a line ending), padded with
// 'x' to at least size bytes.
func appendToken(b []byte, t token, size int) []byte {
	start := len(b)
	b = append(b, tokenMark...)
	b = appendUint(b, uint64(t.sender))
	b = append(b, ' ')
	b = appendUint(b, uint64(t.seq))
	b = append(b, ' ')
	b = appendUint(b, uint64(t.sentNs))
	b = append(b, ' ')
	b = appendUint(b, check(t.sender, t.seq, t.sentNs))
	if pad := size - (len(b) - start); pad > 1 {
		b = append(b, ' ')
		for range pad - 1 {
			b = append(b, 'x')
		}
	}
	return b
}

// appendUint appends n in decimal without allocating.
func appendUint(b []byte, n uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// lineKind says what a received line turned out to be.
type lineKind int

const (
	lineNotice  lineKind = iota // a server notice, ignored
	lineToken                   // a benchmark message
	lineSync                    // a sync token
	lineGarbled                 // anything else: split, merged or damaged
)

// classify parses one received line (without its line ending). It accepts
// the token bare, behind hubcat's "<name> " prefix or ncat's "<user3> ";
// lines starting with "*** " (hubcat) or "<announce> " (ncat) are notices.
func classify(line []byte) (lineKind, token) {
	if len(line) == 0 || line[0] == '*' && bytes.HasPrefix(line, []byte("*** ")) {
		return lineNotice, token{}
	}
	if line[0] == '<' {
		i := bytes.IndexByte(line, '>')
		if i < 0 || i+1 == len(line) || line[i+1] != ' ' {
			return lineGarbled, token{}
		}
		if string(line[:i+2]) == "<announce> " {
			return lineNotice, token{}
		}
		line = line[i+2:]
	}
	if bytes.HasPrefix(line, syncMark) {
		return lineSync, token{}
	}
	t, ok := parseToken(line)
	if !ok {
		return lineGarbled, token{}
	}
	return lineToken, t
}

// parseToken reads "#m sender seq ns check[ padding]" exactly.
func parseToken(b []byte) (token, bool) {
	if !bytes.HasPrefix(b, tokenMark) {
		return token{}, false
	}
	b = b[len(tokenMark):]
	var nums [4]uint64
	for i := range nums {
		n, rest, ok := parseUint(b)
		if !ok {
			return token{}, false
		}
		nums[i] = n
		b = rest
		if i < len(nums)-1 {
			if len(b) == 0 || b[0] != ' ' {
				return token{}, false
			}
			b = b[1:]
		}
	}
	if len(b) > 0 && (b[0] != ' ' || !allX(b[1:])) {
		return token{}, false
	}
	t := token{sender: int(nums[0]), seq: int(nums[1]), sentNs: int64(nums[2])}
	if nums[0] > 1<<30 || nums[1] > 1<<40 || nums[2] > 1<<62 || check(t.sender, t.seq, t.sentNs) != nums[3] {
		return token{}, false
	}
	return t, true
}

// parseUint reads a decimal number of 1 to 19 digits from the front of b.
func parseUint(b []byte) (uint64, []byte, bool) {
	var n uint64
	i := 0
	for i < len(b) && i < 20 && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + uint64(b[i]-'0')
		i++
	}
	if i == 0 || i > 19 {
		return 0, b, false
	}
	return n, b[i:], true
}

// allX reports whether b is padding: only 'x' bytes. (bytes.Count of one
// byte is vectorised; W2-1k checks 400 MB of padding a second.)
func allX(b []byte) bool {
	return bytes.Count(b, []byte{'x'}) == len(b)
}
