package chat

import (
	"bytes"
	"testing"
	"time"
	"unicode/utf8"
)

// Strings that exercise every escape encoding/json makes.
var jsonStringCases = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>",
	"tab\tnew\nline\rcr\bbs\fff\x00nul\x1fus\x7fdel", "é ü 日本 🙂",
	"\u2028 and \u2029", "bad \xff utf-8 \xc3", "\xed\xa0\x80 surrogate",
}

// An event encoded field by field is byte for byte what encoding/json
// makes of it.
func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	for _, s := range jsonStringCases {
		checkEvent(t, jsonEvent{Type: "message", Room: s, Seq: 1795915619983098, ID: "h-1", Time: "2026-11-29T01:26:59.984Z", From: s, Text: s})
		checkEvent(t, jsonEvent{Type: "error", Time: "t", Code: "bad_json", Text: s, ClientID: s})
		checkEvent(t, jsonEvent{Type: "leave", Room: "r", Seq: 9, ID: "i", Time: "t", From: "f", To: s, Name: s, Reason: s})
	}
	complete := true
	checkEvent(t, jsonEvent{Type: "history", Room: "r", Time: "t", Events: []jsonEvent{{Type: "message", Time: "t", Text: "<b>"}}, Complete: &complete, More: &complete})
}

func FuzzAppendEvent(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s, s, uint64(7))
	}
	f.Fuzz(func(t *testing.T, from, text string, seq uint64) {
		checkEvent(t, jsonEvent{Type: "message", Room: "lobby", Seq: seq, ID: "x-1", Time: "t", From: from, Text: text})
	})
}

func checkEvent(t *testing.T, je jsonEvent) {
	t.Helper()
	want := appendJSON(nil, je)
	if got := appendEvent(nil, &je); !bytes.Equal(got, want) {
		t.Fatalf("event encoded as\n%s\nwant\n%s", got, want)
	}
	if !utf8.Valid(want) {
		t.Fatalf("encoding/json made invalid UTF-8 of %q", je.Text)
	}
}

// Times are RFC 3339 in UTC to the millisecond, whatever the zone, and
// the cache of the last one never answers for another millisecond.
func TestJSONTimeOf(t *testing.T) {
	zone := time.FixedZone("x", 5*3600)
	base := time.Date(2026, 11, 29, 1, 2, 3, 456_789_000, zone)
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{base, "2026-11-28T20:02:03.456Z"},
		{base.Add(100 * time.Microsecond), "2026-11-28T20:02:03.456Z"},
		{base.Add(time.Millisecond), "2026-11-28T20:02:03.457Z"},
		{base, "2026-11-28T20:02:03.456Z"},
		{time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "2026-01-02T03:04:05.000Z"},
	} {
		if got := jsonTimeOf(c.t); got != c.want {
			t.Errorf("jsonTimeOf(%v) = %s, want %s", c.t, got, c.want)
		}
	}
}
