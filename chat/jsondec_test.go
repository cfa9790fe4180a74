package chat

import (
	"bytes"
	"encoding/json"
	"testing"
)

// The fast path takes exactly the plain says it is meant for, and decodes
// them as encoding/json does; anything else is left to encoding/json.
func TestDecodeSay(t *testing.T) {
	for _, tc := range []struct {
		line string
		fast bool
	}{
		{`{"cmd":"say","room":"lobby","text":"hello"}`, true},
		{`{"cmd":"act","room":"#ops","text":"waves 🙂","id":"c-12"}`, true},
		{`{"cmd":"say","room":"lobby","text":""}`, true},
		{`{"cmd":"say","room":"lobby","text":"a \"quote\""}`, false},
		{`{"cmd":"say","room":"lobby","text":"tab\there"}`, false},
		{`{"cmd":"say","room":"lobby","text":"bad \xff"}`, false},
		{`{"cmd":"say","room":"lobby","text":"x","extra":1}`, false},
		{`{"cmd":"say","room":"lobby","text":"x"} `, false},
		{`{"cmd":"say", "room":"lobby","text":"x"}`, false},
		{`{"cmd":"say","room":"lobby","text":"x","id":"a","id":"b"}`, false},
		{`{"cmd":"join","room":"lobby"}`, false},
		{`{"cmd":"say","room":"lobby","text":"unterminated}`, false},
	} {
		var fast jsonCommand
		if got := decodeSay([]byte(tc.line), &fast); got != tc.fast {
			t.Errorf("decodeSay(%s) = %v, want %v", tc.line, got, tc.fast)
			continue
		}
		if tc.fast {
			checkSameAsEncodingJSON(t, []byte(tc.line), fast)
		}
	}
}

func FuzzDecodeSay(f *testing.F) {
	f.Add([]byte(`{"cmd":"say","room":"lobby","text":"hello","id":"1"}`))
	f.Add([]byte(`{"cmd":"act","room":"r","text":"é <b>&amp;"}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast jsonCommand
		if decodeSay(line, &fast) {
			checkSameAsEncodingJSON(t, line, fast)
		}
	})
}

func checkSameAsEncodingJSON(t *testing.T, line []byte, fast jsonCommand) {
	t.Helper()
	var slow jsonCommand
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&slow); err != nil {
		t.Fatalf("%s: taken by the fast path, refused by encoding/json: %v", line, err)
	}
	if fast.Cmd != slow.Cmd || fast.Room != slow.Room || fast.Text != slow.Text || fast.ID != slow.ID || slow.After != nil {
		t.Fatalf("%s: fast path %+v, encoding/json %+v", line, fast, slow)
	}
}
