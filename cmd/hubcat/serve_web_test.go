package main

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

var webURLRE = regexp.MustCompile(`msg="web client" url=(\S+)`)

// webURL reads the hub's log until it names the web client's URL, noting
// the web certificate's fingerprint on the way.
func (h *runningHub) webURL(t *testing.T) string {
	t.Helper()
	for {
		select {
		case l, ok := <-h.logs:
			if !ok {
				t.Fatal("hubcat serve exited before starting its web listener")
			}
			if m := sha256RE.FindStringSubmatch(l); m != nil {
				h.fingerprint = m[1]
			}
			if m := webURLRE.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-time.After(10 * time.Second):
			t.Fatal("hubcat serve did not log the web client's URL")
		}
	}
}

func TestServeWebListener(t *testing.T) {
	h := startServe(t, "--listen", "127.0.0.1:0", "--web", "127.0.0.1:0")
	url := h.webURL(t)
	res, err := http.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", res.StatusCode, body)
	}
	// The same hub: an nc user sees the browser's WebSocket join lobby.
	_, r := joinLobby(t, h.addrs[0])
	ws, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(url, "http://"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	io.WriteString(ws, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
	readUntil(t, r, "*** guest-2 joined lobby")
}

func TestServeWebHTTPS(t *testing.T) {
	h := startServe(t, "--listen", "127.0.0.1:0", "--web", "https://127.0.0.1:0")
	url := h.webURL(t)
	if !strings.HasPrefix(url, "https://") || h.fingerprint == "" {
		t.Fatalf("url %q, fingerprint %q: want https with a logged self-signed fingerprint", url, h.fingerprint)
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	res, err := c.Get(url + "healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("healthz over https: %d", res.StatusCode)
	}

	// Chat over wss, which has no descriptor to write to inline: the
	// browser's line reaches an nc user, and the nc user's reaches it.
	tcp, r := joinLobby(t, h.addrs[0])
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, strings.Replace(url, "https://", "wss://", 1)+"ws", &websocket.DialOptions{HTTPClient: c})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(ctx, websocket.MessageText, []byte(`{"cmd":"say","room":"lobby","text":"over wss"}`)); err != nil {
		t.Fatal(err)
	}
	readUntil(t, r, "<guest-2> over wss")
	io.WriteString(tcp, "back over tls\n")
	for {
		_, msg, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("wss read: %v", err)
		}
		if strings.Contains(string(msg), `"text":"back over tls"`) {
			return
		}
	}
}
