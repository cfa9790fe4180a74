package chat

import (
	"bytes"
	"testing"
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
