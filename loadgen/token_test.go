package loadgen

import (
	"bytes"
	"testing"
)

func TestTokenRoundTrip(t *testing.T) {
	for _, size := range []int{0, 10, 64, 200} {
		want := token{sender: 17, seq: 123456, sentNs: 987654321012}
		b := appendToken(nil, want, size)
		if len(b) < size {
			t.Errorf("size %d: token %q is shorter", size, b)
		}
		for _, prefix := range []string{"", "<guest12> ", "<user4> "} {
			kind, got := classify(append([]byte(prefix), b...))
			if kind != lineToken || got != want {
				t.Errorf("classify(%q) = %v, %+v; want a token %+v", prefix+string(b), kind, got, want)
			}
		}
	}
}

func TestClassify(t *testing.T) {
	good := string(appendToken(nil, token{sender: 1, seq: 2, sentNs: 3456}, 0))
	other := string(appendToken(nil, token{sender: 4, seq: 5, sentNs: 6789}, 0))
	tests := []struct {
		line string
		want lineKind
	}{
		{"*** welcome to lobby, you are guest3", lineNotice},
		{"<announce> 127.0.0.1 is connected as <user4>.", lineNotice},
		{"", lineNotice},
		{"<guest1> #s 12", lineSync},
		{"#s 0", lineSync},
		{good, lineToken},
		{good + other, lineGarbled},                    // two messages run together
		{good[:len(good)-3], lineGarbled},              // cut short: check fails
		{good[:len(good)/2], lineGarbled},              // first half of a split line
		{"<user5> " + good[len(good)/2:], lineGarbled}, // second half, prefixed
		{good + " xxxxy", lineGarbled},                 // bad padding
		{"<guest1 " + good, lineGarbled},               // prefix never closed
		{"hello there", lineGarbled},
		{"#m 1 2 3 99999999999999999999", lineGarbled}, // number too long
	}
	for _, tt := range tests {
		if got, _ := classify([]byte(tt.line)); got != tt.want {
			t.Errorf("classify(%q) = %v, want %v", tt.line, got, tt.want)
		}
	}
}

// A line glued from the head of one message and the tail of another must
// not pass as a message: the check value catches it.
func TestGluedHalvesAreGarbled(t *testing.T) {
	for seq := range 2000 {
		a := appendToken(nil, token{sender: 1, seq: seq, sentNs: int64(1_000_000 + seq*7919)}, 0)
		b := appendToken(nil, token{sender: 2, seq: seq, sentNs: int64(2_000_000 + seq*104729)}, 0)
		cut := bytes.LastIndexByte(a, ' ') - 2
		glued := append(append([]byte{}, a[:cut]...), b[cut:]...)
		if bytes.Equal(glued, a) || bytes.Equal(glued, b) {
			continue
		}
		if kind, tok := classify(glued); kind == lineToken {
			t.Fatalf("%q (from %q and %q) parsed as %+v", glued, a, b, tok)
		}
	}
}

func TestReceivePathDoesNotAllocate(t *testing.T) {
	line := append([]byte("<guest7> "), appendToken(nil, token{sender: 3, seq: 99, sentNs: 123456789}, 80)...)
	if n := testing.AllocsPerRun(1000, func() { classify(line) }); n != 0 {
		t.Errorf("classify allocates %v times per line", n)
	}
	var buf, payload []byte
	n := testing.AllocsPerRun(1000, func() {
		payload = appendToken(payload[:0], token{sender: 3, seq: 99, sentNs: 123456789}, 80)
		buf = natsWire{}.appendPublish(buf[:0], payload)
	})
	if n != 0 {
		t.Errorf("framing a message allocates %v times", n)
	}
}

func TestIsDuplicate(t *testing.T) {
	var c client
	steps := []struct {
		sender, seq int
		dup         bool
	}{
		{0, 0, false}, {0, 1, false}, {0, 1, true}, {0, 0, true}, // in order, then repeats
		{1, 0, false}, {0, 3, false}, {0, 3, true}, // seq 3 overtakes 2
		{0, 2, false}, {0, 2, true}, {0, 3, true}, {0, 4, false}, // 2 fills the gap
		{0, 200, false}, {0, 70, false}, {0, 200, true}, {0, 70, true}, {0, 69, false}, // far apart
		{1, 3, false}, {1, 0, true}, {1, 2, false}, {1, 2, true}, // the switch keeps what came before
	}
	for i, s := range steps {
		if got := c.isDuplicate(token{sender: s.sender, seq: s.seq}, 2); got != s.dup {
			t.Fatalf("step %d (sender %d seq %d): duplicate %v, want %v", i, s.sender, s.seq, got, s.dup)
		}
	}
	if c.seen[1] == nil || c.seen[0] == nil {
		t.Error("a sender whose messages came out of order still has no bitmap")
	}
}
