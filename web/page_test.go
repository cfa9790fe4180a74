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

	// A private message opens its own conversation, counted as unread.
	alice.say("/msg bob psst, bob")
	bob.waitJS("conversation with alice", `document.querySelector('#convs button[data-name="alice"] .badge')?.textContent === "1"`)
	bob.do("open the conversation", chromedp.Click(chromedp.CSS(`#convs button[data-name="alice"]`)))
	bob.waitMessage("alice", "psst, bob")
	bob.say("hi alice, privately")
	alice.waitMessage("bob", "hi alice, privately")
	if n := alice.count("psst, bob"); n != 1 {
		alice.fail("alice sees her private message %d times", n)
	}
	carol.send("/msg alice from nc")
	alice.waitJS("conversation with carol", `document.querySelector('#convs button[data-name="carol"] .badge')?.textContent === "1"`)
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

func TestReconnectResumesEveryRoomWithoutGapOrDuplicate(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	alice := openTab(t, s, "alice")
	carol := s.dialTCP("carol")
	dave := s.dialTCP("dave")
	dave.send("/join dev")
	dave.expect("*** you joined dev")

	alice.do("join dev", chromedp.SendKeys(chromedp.ID("join-input"), "dev\r"))
	dave.expect("*** alice joined dev")
	alice.do("back to lobby", chromedp.Click(chromedp.CSS(`#rooms button[data-name="lobby"]`)))
	say := func(n int, prefix string) {
		for i := range n {
			carol.send(prefix + " lobby " + strconv.Itoa(i))
			dave.send(prefix + " dev " + strconv.Itoa(i))
		}
	}
	say(3, "before")
	alice.waitMessage("carol", "before lobby 2")

	// The hub side drops the tab's connection and keeps it out a while.
	s.web.cut(true)
	alice.waitJS("offline", `document.getElementById("conn").dataset.state === "offline"`)
	say(5, "meanwhile")
	carol.send("/who") // every line is stored once the hub answers
	carol.expect("*** ")
	dave.send("/who")
	dave.expect("*** ")
	s.web.up()
	alice.waitJS("reconnected", `document.getElementById("conn").textContent === "connected as alice"`)
	say(2, "after")

	alice.waitMessage("carol", "after lobby 1")
	lobby := [][2]string{}
	for _, p := range []string{"before", "meanwhile", "after"} {
		for i := range map[string]int{"before": 3, "meanwhile": 5, "after": 2}[p] {
			lobby = append(lobby, [2]string{"lobby", p + " lobby " + strconv.Itoa(i)})
		}
	}
	for _, m := range lobby {
		if n := alice.count(m[1]); n != 1 {
			alice.fail("%q shown %d times in lobby", m[1], n)
		}
	}
	// dev, not on screen, counts its unread messages and holds them all.
	alice.waitJS("dev unread badge", `document.querySelector('#rooms button[data-name="dev"] .badge')?.textContent === "10"`)
	alice.do("open dev", chromedp.Click(chromedp.CSS(`#rooms button[data-name="dev"]`)))
	alice.waitMessage("dave", "after dev 1")
	got := evalJS[[]string](alice, `[...document.querySelectorAll("#log li.msg .text")].map(e => e.textContent)`)
	var want []string
	for _, p := range []string{"before", "meanwhile", "after"} {
		for i := range map[string]int{"before": 3, "meanwhile": 5, "after": 2}[p] {
			want = append(want, p+" dev "+strconv.Itoa(i))
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		alice.fail("dev shows %q\nwant %q", got, want)
	}
}

func TestLoadOlderHistory(t *testing.T) {
	s := startSite(t, web.Config{}, hub.Config{})
	carol := s.dialTCP("carol")
	for i := range 80 {
		carol.send("old " + strconv.Itoa(i))
	}
	carol.send("/who") // the hub has stored every line once it answers
	carol.expect("*** ")
	page := openTab(t, s, "")
	page.waitMessage("carol", "old 79")
	if page.count("old 0") != 0 {
		t.Fatal("the whole history came at once; nothing left to load")
	}
	page.do("load older", chromedp.Click(chromedp.ID("older")))
	page.waitMessage("carol", "old 0")
	got := evalJS[[]string](page, `[...document.querySelectorAll("#log li.msg .text")].map(e => e.textContent)`)
	for i, text := range got {
		if want := "old " + strconv.Itoa(i); text != want {
			page.fail("message %d is %q, want %q (order or duplicates wrong)", i, text, want)
		}
	}
}
