package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/web"
)

func TestBrowsersAndNcTalk(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	alice := openTab(t, s, "alice")
	bob := openTab(t, s, "bob")
	carol := s.dialTCP("carol")

	alice.say("hello from alice")
	bob.waitMessage("alice", "hello from alice")
	carol.expect("<alice> hello from alice")

	bob.say("hello from bob")
	alice.waitMessage("bob", "hello from bob")
	carol.expect("<bob> hello from bob")

	carol.send("hello from carol")
	alice.waitMessage("carol", "hello from carol")
	bob.waitMessage("carol", "hello from carol")

	// A line starting with / is a command, as for nc users.
	alice.say("/me waves")
	carol.expect("* alice waves")
	bob.waitJS("alice's action", `[...document.querySelectorAll("#log li.action")].some(li => li.textContent.endsWith("* alice waves"))`)

	if n := alice.count("hello from alice"); n != 1 {
		t.Fatalf("alice sees her own message %d times", n)
	}
	if got := metric(t, s, "hubcat_websocket_accepted_total"); got != 2 {
		t.Fatalf("websocket_accepted_total = %v, want 2", got)
	}
	for sample, want := range map[string]float64{
		`hubcat_members{frontend="ws"}`:   2,
		`hubcat_members{frontend="line"}`: 1,
		"hubcat_messages_in_total":        4, // three lines and an action
		"hubcat_rooms":                    1,
	} {
		if got := metric(t, s, sample); got != want {
			t.Errorf("%s = %v, want %v", sample, got, want)
		}
	}
}

func TestMarkupInMessagesIsText(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	alice := openTab(t, s, "alice")
	mallory := s.dialTCP("mallory")
	hostile := []string{
		`<script>window.pwned = "script"</script>`,
		`<img src=x onerror="window.pwned = 'img'">`,
		`<a href="javascript:window.pwned = 'link'">click me</a>`,
		`<b onmouseover="window.pwned = 'hover'">bold?</b>`,
	}
	for _, h := range hostile {
		mallory.send(h)
	}
	for _, h := range hostile {
		alice.waitMessage("mallory", h)
	}
	// Clicking the would-be link must do nothing either.
	alice.do("click the message", chromedp.Click(chromedp.CSS("#log li.msg:last-child .text")))
	if n := evalJS[int](alice, `document.querySelectorAll("#log script, #log img, #log a, #log b, #log [onerror]").length`); n != 0 {
		t.Fatalf("%d elements were made from message text", n)
	}
	if p := evalJS[string](alice, `String(window.pwned)`); p != "undefined" {
		t.Fatalf("hostile markup ran: window.pwned = %s", p)
	}
}

func TestPhoneViewport(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	phone := openTab(t, s, "", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(3), chromedp.EmulateMobile))
	nc := s.dialTCP("ned")
	for i := range 30 {
		nc.send("line " + strconv.Itoa(i) + " of a conversation long enough to scroll on a phone")
	}
	phone.waitMessage("ned", "line 29 of a conversation long enough to scroll on a phone")
	// Nothing is wider than the screen, and the newest message, the
	// composer and the room list are all on screen.
	inView := func(sel string) string {
		return fmt.Sprintf(`(() => { const r = document.querySelector(%s).getBoundingClientRect();
			return r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight; })()`, strconv.Quote(sel))
	}
	if w := evalJS[int](phone, `document.documentElement.scrollWidth`); w > 390 {
		phone.fail("page is %d px wide on a 390 px screen", w)
	}
	for _, sel := range []string{"#say-input", "#say-form button", "#log li.msg:last-child", "#rooms button", "#conn"} {
		if !evalJS[bool](phone, inView(sel)) {
			phone.fail("%s is not on the phone's screen", sel)
		}
	}
	phone.say("typed on a phone")
	nc.expect("<guest-")
}

func TestCrossOriginWebSocketRefusedInBrowser(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "<!doctype html><title>another site</title>")
	}))
	defer other.Close()
	page := openTab(t, s, "")
	try := func() string {
		return evalJS[string](page, fmt.Sprintf(`new Promise(done => {
			const ws = new WebSocket(%s);
			ws.onopen = () => { ws.close(); done("open"); };
			ws.onerror = () => done("refused");
		})`, strconv.Quote(s.wsURL())))
	}
	if got := try(); got != "open" {
		t.Fatalf("WebSocket from the hub's own page: %s", got)
	}
	page.do("visit another site", chromedp.Navigate(other.URL))
	if got := try(); got != "refused" {
		t.Fatalf("WebSocket from another site's page: %s", got)
	}
	if got := metric(t, s, "hubcat_websocket_refused_total"); got != 1 {
		t.Fatalf("refused_total = %v, want 1", got)
	}
}
