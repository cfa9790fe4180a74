package loadgen

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/endpoint"
	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/web"
)

// wsServer serves hubcat's web front end on a random loopback port.
func wsServer(t *testing.T) endpoint.Endpoint {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	wh := web.New(hub.New(hub.Config{Logger: log}), web.Config{Logger: log, Chat: chat.Config{FloodRate: 0}})
	hs := httptest.NewServer(wh)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		wh.Shutdown(ctx)
		hs.Close()
	})
	return endpoint.MustParse(strings.TrimPrefix(hs.URL, "http://"))
}

func TestWebSocketRoomReachesEveryMember(t *testing.T) {
	addr := wsServer(t)
	rep := runLoad(t, addr, Config{Proto: WS, Clients: 12, Senders: 3, Rate: 200, Duration: 300 * time.Millisecond})
	checkExact(t, rep, 11) // hubcat does not echo to the sender
}

func TestWebSocketFlatOut(t *testing.T) {
	addr := wsServer(t)
	rep := runLoad(t, addr, Config{Proto: WS, Clients: 6, Senders: 6, Rate: 0, Window: 32, Duration: 200 * time.Millisecond, Size: 300})
	checkExact(t, rep, 5)
}

// The text of a chat message is found whether it ends the message (hubcat's
// events, relayed commands) or another field follows it, and a message
// without one is refused.
func TestWebSocketMessageText(t *testing.T) {
	for _, tc := range []struct{ m, text string }{
		{`{"type":"message","room":"lobby","seq":7,"id":"a-7","time":"t","from":"bob","text":"#m 1 2 3 4"}`, "#m 1 2 3 4"},
		{`{"cmd":"say","room":"lobby","text":"#m 1 2 3 4 xx"}`, "#m 1 2 3 4 xx"},
		{`{"type":"message","text":"#m 1 2","from":"bob"}`, "#m 1 2"},
		{`{"type":"message","from":"say \"text\":\"hi\"}`, "!"},
		{`{"type":"message","text":""}`, ""},
		{`{"type":"message","from":"bob"}`, "!"},
		{`{"type":"message","text":"unterminated`, "!"},
	} {
		got, ok := wsMessageText([]byte(tc.m))
		if !ok {
			got = []byte("!")
		}
		if string(got) != tc.text {
			t.Errorf("text of %s = %q, want %q", tc.m, got, tc.text)
		}
	}
}
