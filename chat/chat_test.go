package chat_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubcat/hubcat/chat"
	"github.com/hubcat/hubcat/hub"
)

func TestBroadcastReachesOthersNotSender(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	alice.sawJoin("bob")
	carol := join(t, dialTCP(t, ln), "carol")
	alice.sawJoin("carol")
	bob.sawJoin("carol")

	alice.send("hello everyone")
	bob.expect("<alice> hello everyone")
	carol.expect("<alice> hello everyone")
	alice.expectNothingBefore("marker-1") // not echoed to the sender
}

func TestGreetingNamesWhoIsThere(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	join(t, dialTCP(t, ln), "alice")
	join(t, dialTCP(t, ln), "bob")
	join(t, dialTCP(t, ln), "")
	d := newClient(t, dialTCP(t, ln))
	d.expect("*** welcome to hubcat, 127.0.0.1:")
	d.expect("*** type /help")
	got := d.expect("*** you joined lobby; here: ")
	for _, name := range []string{"alice", "bob", "guest-"} {
		if !strings.Contains(got, name) {
			t.Errorf("greeting %q does not name %s", got, name)
		}
	}
}

// Members are in several rooms at once: /join adds a room and makes it
// the one they talk in; lines of their other rooms arrive prefixed.
func TestManyRoomsAndFocus(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	carol := join(t, dialTCP(t, ln), "carol")
	alice.send("/join #go")
	alice.expectSkipping("*** you joined go; nobody else is here", 10)
	bob.send("/join go")
	bob.expectSkipping("*** you joined go; here: alice", 10)
	alice.expect("*** bob joined go")

	alice.send("only for go")
	bob.expect("<alice> only for go")
	carol.expectNothingBefore("marker") // carol in lobby heard nothing from go

	carol.send("lobby talk")
	alice.expect("[lobby] <carol> lobby talk") // alice talks in go, hears lobby
	bob.expect("[lobby] <carol> lobby talk")
	bob.send("/rooms")
	bob.expect("*** rooms: >go (2), *lobby (3)")

	bob.send("/part")
	bob.expect("*** you left go; you now talk in lobby")
	alice.expect("*** bob left go")
	bob.send("back in lobby")
	alice.expect("[lobby] <bob> back in lobby")
	carol.expect("<bob> back in lobby")
	bob.send("/part lobby")
	bob.expect("*** you left lobby; /join a room to talk")
	bob.send("anyone?")
	bob.expect("*** you are not in a room") // once: a command alone says nothing more
	bob.send("/rooms")
	bob.expect("*** rooms: ")
}

func TestNickRules(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	bob.send("/nick ALICE")
	bob.expect(`*** cannot take name "ALICE": that name is taken`)
	bob.send("/nick 9lives")
	bob.expect(`*** cannot take name "9lives": names are`)
	bob.send("/nick bad name!")
	bob.expect(`*** cannot take name "bad name!"`)
	bob.send("/nick")
	bob.expect("*** you are bob")
	alice.sawJoin("bob")
	bob.send("/nick Robert")
	bob.expect("*** you are now known as Robert")
	alice.expectSkipping("*** bob is now known as Robert", 3)
	// The old name is free again, case-insensitively.
	alice.send("/nick BOB")
	alice.expect("*** you are now known as BOB")
}

func TestCommands(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	alice.sawJoin("bob")

	bob.send("/who")
	bob.expect("*** in lobby (2): alice, bob")
	bob.send("/join dev", "/rooms")
	bob.expectSkipping("*** rooms: >dev (1), *lobby (2)", 3)
	bob.send("/msg alice psst")
	alice.expectSkipping("*bob* psst", 2)
	bob.send("/msg nobody hi")
	bob.expect("*** no such user")
	bob.send("/msg alice")
	bob.expect("*** usage: /msg NAME TEXT")
	alice.send("/me waves", "//slash is not a command", "/who")
	alice.expect("*** in lobby (2): alice, bob")
	bob.expect("[lobby] * alice waves")
	bob.expect("[lobby] <alice> /slash is not a command")
	bob.send("/join lobby")
	bob.expect("*** you now talk in lobby")
	bob.send("/history 3")
	bob.expect("*** last 3 events in lobby:")
	bob.expect("*** guest-2 is now known as bob")
	bob.expect("* alice waves")
	bob.expect("<alice> /slash is not a command")
	bob.expect("*** end of history")
	bob.send("/help")
	bob.expect("*** commands:")
	bob.expectSkipping("*** start a line with //", 20)
	bob.send("/frobnicate")
	bob.expect("*** unknown command /frobnicate; try /help")
	bob.send("/quit")
	bob.expect("*** bye")
	bob.expectClosed()
	alice.expectSkipping("*** bob left lobby (quit)", 5)
}

func TestFramingIgnoresSegmentation(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	alice.sawJoin("bob")

	for _, part := range []string{"one line split ", "over three ", "writes\r\nand two\nlines in one write\n"} {
		bob.conn.Write([]byte(part))
		time.Sleep(20 * time.Millisecond) // let each part go out as its own segment
	}
	alice.expect("<bob> one line split over three writes")
	alice.expect("<bob> and two")
	alice.expect("<bob> lines in one write")
}

func TestBadInputIsRefusedOrRepaired(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{MaxLine: 64}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	alice.sawJoin("bob")

	bob.send(strings.Repeat("x", 100))
	bob.expect("*** line too long (100 bytes, limit 64); not sent")
	bob.send("bad \xc3\x28 utf8")
	bob.expect("*** your line had invalid UTF-8")
	alice.expect("<bob> bad \uFFFD( utf8")
	bob.send("\xff\xfb\x01\xff\xfd\x03tel\xff\xf1net")
	alice.expect("<bob> telnet")
	bob.send("evil \x1b[2J\x1b]0;pwned\x07 escape")
	alice.expect("<bob> evil [2J]0;pwned escape")
	bob.send("still connected")
	alice.expect("<bob> still connected")
}

func TestFloodControlDelaysButLosesNothing(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{FloodRate: 50, FloodBurst: 3}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	alice.sawJoin("bob")
	var lines []string
	for i := range 20 {
		lines = append(lines, fmt.Sprintf("flood %d", i))
	}
	bob.send(lines...)
	bob.expect("*** flood control: you are sending too fast")
	for i := range 20 {
		alice.expect(fmt.Sprintf("<bob> flood %d", i))
	}
}

// A member that never reads is cut off as a slow consumer while 50 others
// keep receiving every message, in order.
func TestSlowConsumerNeverStallsTheRoom(t *testing.T) {
	// Small kernel send buffers, so the stuck member's bytes pile up in its
	// outbox after kilobytes, not after the megabytes Linux would buffer.
	ln := smallSendBuffers{listenTCP(t)}
	// Honest readers may be starved of CPU for a while under -race; only the
	// outbox limit, not the write deadline, should cut anyone here.
	startHub(t, chat.Config{WriteTimeout: 30 * time.Second}, hub.Config{OutboxBytes: 256 << 10}, ln)
	sender := join(t, dialTCP(t, ln), "sender")
	stuck := dialTCP(t, ln) // takes a name, then never reads
	stuck.(*net.TCPConn).SetReadBuffer(4096)
	t.Cleanup(func() { stuck.Close() }) // also keeps it from being collected
	stuck.Write([]byte("/nick stuck\n"))
	sender.expectSkipping("is now known as stuck", 2)
	var readers []*client
	for i := range 50 {
		readers = append(readers, join(t, dialTCP(t, ln), fmt.Sprintf("r%d", i)))
	}
	for i, r := range readers { // skip the later readers' join and rename
		for range 2 * (len(readers) - 1 - i) {
			r.readLine()
		}
	}
	for range 2 * len(readers) {
		sender.readLine()
	}

	payload := strings.Repeat("p", 1000)
	const rounds, perRound = 80, 50 // 4 MB to each member, in paced rounds
	var wg sync.WaitGroup
	for round := range rounds {
		for _, r := range readers {
			wg.Go(func() {
				for i := round * perRound; i < (round+1)*perRound; i++ {
					got := r.readLine()
					if strings.HasPrefix(got, "*** stuck left") {
						got = r.readLine()
					}
					if want := fmt.Sprintf("<sender> %d %s", i, payload); got != want {
						t.Errorf("%s: message %d: got %.40q", r.name, i, got)
						return
					}
				}
			})
		}
		for i := round * perRound; i < (round+1)*perRound; i++ {
			sender.send(fmt.Sprintf("%d %s", i, payload))
		}
		wg.Wait()
		if t.Failed() {
			return
		}
	}
	sender.expect("*** stuck left lobby (slow consumer)")
}

func TestAbruptDisconnectIsAnnounced(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	rst := join(t, dialTCP(t, ln), "rst")
	alice.sawJoin("rst")
	rst.conn.(*net.TCPConn).SetLinger(0) // close sends RST
	rst.conn.Close()
	alice.expect("*** rst left lobby (connection lost)")

	eof := join(t, dialTCP(t, ln), "eof")
	alice.sawJoin("eof")
	eof.conn.(*net.TCPConn).CloseWrite()
	alice.expect("*** eof left lobby (connection closed)")
}

func TestIdleTimeout(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{IdleTimeout: 200 * time.Millisecond}, hub.Config{}, ln)
	silent := join(t, dialTCP(t, ln), "")
	silent.expect("*** disconnected after 200ms without input")
	silent.expectClosed()
}

func TestShutdownTellsEveryClient(t *testing.T) {
	ln := listenTCP(t)
	h := startHub(t, chat.Config{}, hub.Config{}, ln)
	var clients []*client
	for i := range 5 {
		clients = append(clients, join(t, dialTCP(t, ln), fmt.Sprintf("c%d", i)))
	}
	h.hub.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.srv.Shutdown(ctx) }()
	for _, c := range clients {
		if rest := c.expectClosed(); !strings.HasSuffix(rest, "*** server shutting down\n") {
			t.Errorf("%s got %q before close, want the shutdown notice last", c.name, rest)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestTLSUnixAndIPv6Listeners(t *testing.T) {
	srvTLS, cliTLS := tlsPair(t)
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn := tls.NewListener(tcp, srvTLS)
	unixLn, err := net.Listen("unix", filepath.Join(t.TempDir(), "hub.sock"))
	if err != nil {
		t.Fatal(err)
	}
	lns := []net.Listener{tlsLn, unixLn}
	v6, err := net.Listen("tcp", "[::1]:0")
	if err == nil {
		lns = append(lns, v6)
	} else {
		t.Logf("no IPv6 loopback here (%v); testing TLS and Unix only", err)
	}
	startHub(t, chat.Config{}, hub.Config{}, lns...)

	tc, err := tls.Dial("tcp", tcp.Addr().String(), cliTLS)
	if err != nil {
		t.Fatal(err)
	}
	overTLS := join(t, tc, "tls")
	overUnix := join(t, dialTCP(t, unixLn), "unix")
	overTLS.sawJoin("unix")
	members := []*client{overTLS, overUnix}
	if v6 != nil {
		members = append(members, join(t, dialTCP(t, v6), "six"))
		overTLS.sawJoin("six")
		overUnix.sawJoin("six")
	}
	overUnix.send("from unix")
	overTLS.expect("<unix> from unix")
	if v6 != nil {
		members[2].expect("<unix> from unix")
		members[2].send("from v6")
		overTLS.expect("<six> from v6")
		overUnix.expect("<six> from v6")
	}
}

func TestJSONEventsOnRequest(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	alice.sawJoin("bob")
	alice.send("/format json")
	got := alice.readLine()
	var hello struct {
		Type, Name string
		Version    int
	}
	if err := json.Unmarshal([]byte(got), &hello); err != nil || hello.Type != "hello" || hello.Version != 1 || hello.Name != "alice" {
		t.Fatalf("hello %q: %v", got, err)
	}
	bob.send("hello \"json\" <world>")
	var ev struct {
		Type, Room, From, Text string
		Seq                    uint64
		Time                   time.Time
	}
	got = alice.readLine()
	if err := json.Unmarshal([]byte(got), &ev); err != nil {
		t.Fatalf("event %q: %v", got, err)
	}
	if ev.Type != "message" || ev.Room != "lobby" || ev.From != "bob" || ev.Text != `hello "json" <world>` || ev.Seq == 0 || ev.Time.IsZero() {
		t.Fatalf("event %+v from %q", ev, got)
	}
	alice.send("/format text")
	alice.expect("*** format is now text") // confirmed in the new format, as above
	bob.send("plain again")
	alice.expect("<bob> plain again")
}

// smallSendBuffers gives every accepted TCP connection a 16 KiB send buffer.
type smallSendBuffers struct{ net.Listener }

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(16 << 10)
	}
	return c, err
}

// A member who once fell behind (so its output went through the writer
// goroutine, under the write deadline), caught up, and then stayed quiet
// for longer than the write timeout is still a healthy member: the next
// message reaches it. Regression: the expired deadline of the last blocking
// write used to fail the next inline write, cutting it off as a slow
// consumer.
func TestCaughtUpMemberSurvivesAQuietSpell(t *testing.T) {
	ln := smallSendBuffers{listenTCP(t)}
	const writeTimeout = 2 * time.Second
	startHub(t, chat.Config{WriteTimeout: writeTimeout}, hub.Config{}, ln)
	alice := join(t, dialTCP(t, ln), "alice")
	bob := join(t, dialTCP(t, ln), "bob")
	alice.sawJoin("bob")

	// 600 KB while bob does not read: more than the kernel buffers hold
	// (the hub's 16 KiB send buffer, bob's receive buffer, which does not
	// grow while he is not reading), so the hub's writer goroutine writes
	// under the deadline. A tiny receive buffer would be quicker to fill
	// but lets TCP's zero-window probing stall an honest reader.
	payload := strings.Repeat("b", 1000)
	const burst = 600
	for i := range burst {
		alice.send(fmt.Sprintf("%d %s", i, payload))
	}
	for i := range burst {
		if got, want := bob.readLine(), fmt.Sprintf("<alice> %d %s", i, payload); got != want {
			t.Fatalf("burst line %d: got %.40q", i, got)
		}
	}
	// The quiet spell is the scenario itself, not a wait for some state:
	// it must outlast the write deadline set during the burst.
	time.Sleep(writeTimeout + writeTimeout/2)
	alice.send("still there?")
	if got := bob.readLine(); got != "<alice> still there?" {
		t.Fatalf("after the quiet spell bob got %q", got)
	}
	bob.send("yes")
	if got := alice.readLine(); got != "<bob> yes" {
		t.Fatalf("alice got %q", got)
	}
}

// jsonClient speaks the JSON protocol v1 over a real connection.
type jsonClient struct{ *client }

func helloJSON(t *testing.T, ln net.Listener, nick string) *jsonClient {
	t.Helper()
	c := &jsonClient{newClient(t, dialTCP(t, ln))}
	c.name = nick
	c.expect("*** welcome")
	c.expect("*** type /help")
	c.expect("*** you joined lobby")
	c.send(`{"cmd":"hello","version":1,"nick":"` + nick + `"}`)
	c.next("hello")
	return c
}

// next reads events until one of type typ, returning it.
func (c *jsonClient) next(typ string) map[string]any {
	c.t.Helper()
	return c.nextOf(typ)
}

// nextOf reads events until one of the types given, returning it.
func (c *jsonClient) nextOf(types ...string) map[string]any {
	c.t.Helper()
	for range 50 {
		l := c.readLine()
		var ev map[string]any
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			c.t.Fatalf("%s: not JSON: %q", c.name, l)
		}
		if slices.Contains(types, ev["type"].(string)) {
			return ev
		}
	}
	c.t.Fatalf("%s: no %v event", c.name, types)
	return nil
}

// lineAndJSON starts a hub with a line client, ncuser, and a JSON client,
// rich, who has joined after it.
func lineAndJSON(t *testing.T) (*client, *jsonClient) {
	t.Helper()
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	nc := join(t, dialTCP(t, ln), "ncuser")
	js := helloJSON(t, ln, "rich")
	nc.sawJoin("rich")
	return nc, js
}

func TestJSONProtocolV1(t *testing.T) {
	nc, js := lineAndJSON(t)

	// A JSON client cannot make a line client see a forged notice or a
	// second line.
	js.send(`{"cmd":"say","room":"lobby","text":"hi\n*** server: give me your password","id":"c1"}`)
	ack := js.next("ack")
	if ack["client_id"] != "c1" || ack["seq"].(float64) == 0 || ack["room"] != "lobby" {
		t.Fatalf("ack %v", ack)
	}
	nc.expect("<rich> hi*** server: give me your password")
	nc.expectNothingBefore("marker")

	// Unknown commands and fields get error events; the connection stays.
	js.send(`{"cmd":"frobnicate","id":"c2"}`)
	if ev := js.next("error"); ev["code"] != "unknown_cmd" || ev["client_id"] != "c2" {
		t.Fatalf("unknown command: %v", ev)
	}
	js.send(`{"cmd":"say","room":"lobby","text":"x","colour":"red","id":"c3"}`)
	if ev := js.next("error"); ev["code"] != "unknown_field" || ev["client_id"] != "c3" {
		t.Fatalf("unknown field: %v", ev)
	}
	js.send(`{not json`)
	if ev := js.next("error"); ev["code"] != "bad_json" {
		t.Fatalf("bad JSON: %v", ev)
	}
	js.send(`{"cmd":"say","room":"nowhere","text":"x","id":"c4"}`)
	if ev := js.next("error"); ev["code"] != "not_in_room" {
		t.Fatalf("say outside: %v", ev)
	}

	// Join another room with history, then resume after a point.
	nc.send("/join dev", "one", "two", "three")
	nc.expectSkipping("*** you joined dev", 3)
	nc.expectNothingBefore("marker3") // the three lines were published
	js.send(`{"cmd":"join","room":"dev","id":"j1"}`)
	hist := js.next("history")
	evs := hist["events"].([]any)
	if len(evs) < 3 || hist["complete"] != true {
		t.Fatalf("history on join: %v", hist)
	}
	second := evs[len(evs)-2].(map[string]any)
	if m := js.next("members"); m["room"] != "dev" || m["total"].(float64) != 2 {
		t.Fatalf("members: %v", m)
	}
	js.send(fmt.Sprintf(`{"cmd":"join","room":"dev","after":%d}`, uint64(second["seq"].(float64))))
	resumed := js.next("history")["events"].([]any)
	if len(resumed) != 2 || resumed[0].(map[string]any)["text"] != "three" {
		t.Fatalf("resume after %v: %v", second["seq"], resumed)
	}
	js.send(`{"cmd":"ping","id":"p"}`)
	if ev := js.next("pong"); ev["client_id"] != "p" {
		t.Fatalf("pong: %v", ev)
	}
}

// JSON commands read together are said as one burst, yet each is answered
// on its own, in order: an ack with its id, or its own error.
func TestJSONSaysReadTogetherAreAnsweredOneByOne(t *testing.T) {
	nc, js := lineAndJSON(t)
	js.send( // one write
		`{"cmd":"say","room":"lobby","text":"one","id":"a1"}`,
		`{"cmd":"say","room":"lobby","text":"\u0007","id":"a2"}`,
		`{"cmd":"act","room":"lobby","text":"waves","id":"a3"}`,
		`{"cmd":"say","room":"nowhere","text":"lost","id":"a4"}`,
		`{"cmd":"say","room":"lobby","text":"two","id":"a5"}`,
	)
	want := []struct{ typ, id, code string }{
		{"ack", "a1", ""}, {"error", "a2", "empty"}, {"ack", "a3", ""}, {"error", "a4", "not_in_room"}, {"ack", "a5", ""},
	}
	var lastSeq float64
	for _, w := range want {
		ev := js.nextOf("ack", "error")
		if ev["type"] != w.typ || ev["client_id"] != w.id || (w.code != "" && ev["code"] != w.code) {
			t.Fatalf("want %s for %s (%s), got %v", w.typ, w.id, w.code, ev)
		}
		if w.typ == "ack" {
			if seq := ev["seq"].(float64); seq <= lastSeq {
				t.Fatalf("ack %s: seq %v after %v", w.id, seq, lastSeq)
			} else {
				lastSeq = seq
			}
		}
	}
	nc.expect("<rich> one")
	nc.expect("* rich waves")
	nc.expect("<rich> two")
}

// A WebSocket-style connection is JSON from its first byte.
func TestJSONOnlyConnections(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{JSONOnly: true}, hub.Config{}, ln)
	c := &jsonClient{newClient(t, dialTCP(t, ln))}
	c.name = "ws"
	if ev := c.next("hello"); ev["version"].(float64) != 1 {
		t.Fatalf("hello: %v", ev)
	}
	if ev := c.next("history"); ev["room"] != "lobby" {
		t.Fatalf("first history: %v", ev)
	}
	if ev := c.next("join"); ev["room"] != "lobby" {
		t.Fatalf("own join: %v", ev)
	}
}

// A member cut off as a slow consumer is closed abortively: its socket is
// reset, so the kernel does not keep its unsent data in an orphaned
// socket for minutes, outside every limit of the hub.
func TestCutOffMemberIsReset(t *testing.T) {
	ln := smallSendBuffers{listenTCP(t)}
	startHub(t, chat.Config{}, hub.Config{OutboxBytes: 64 << 10}, ln)
	sender := join(t, dialTCP(t, ln), "sender")
	stuck := dialTCP(t, ln)
	stuck.(*net.TCPConn).SetReadBuffer(4096)
	t.Cleanup(func() { stuck.Close() })
	stuck.Write([]byte("/nick stuck\n"))
	sender.expectSkipping("is now known as stuck", 2)
	payload := strings.Repeat("r", 1000)
	cut := false
	for round := 0; !cut; round++ {
		if round == 40 {
			t.Fatal("stuck was never cut off")
		}
		for i := range 50 {
			sender.send(fmt.Sprintf("%d %s", i, payload))
		}
		sender.send("/who")
		for l := sender.readLine(); !strings.HasPrefix(l, "*** in lobby"); l = sender.readLine() {
			cut = cut || l == "*** stuck left lobby (slow consumer)"
		}
	}
	stuck.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, err := io.Copy(io.Discard, stuck)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the cut-off member's connection ended with %v, want a reset", err)
	}
}

// Room moderation for line users: the first member of a room is its
// operator; topic, modes, voice, kick, ban and invite; refusals are clear.
func TestModeration(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	op := join(t, dialTCP(t, ln), "op")
	bob := join(t, dialTCP(t, ln), "bob")
	op.send("/join ops")
	op.expectSkipping("*** you joined ops; nobody else is here", 5)
	bob.send("/join ops")
	bob.expectSkipping("*** you joined ops; here: op", 5)
	op.expectSkipping("*** bob joined ops", 5)

	bob.send("/kick op")
	bob.expect("*** you are not an operator of that room")
	op.send("/topic release on friday", "/mode +t")
	bob.expect("*** op set the topic of ops: release on friday")
	bob.expect("*** op sets mode +t on ops")
	bob.send("/topic mine now")
	bob.expect("*** you are not an operator of that room")
	bob.send("/topic")
	bob.expect("*** topic of ops: release on friday (set by op,")

	op.send("/mode +m")
	bob.expect("*** op sets mode +m on ops")
	bob.send("can I talk?")
	bob.expect("*** that room is moderated")
	op.send("/mode +v bob")
	bob.expect("*** op sets mode +v bob on ops")
	bob.send("now I can")
	op.expectSkipping("<bob> now I can", 5)

	op.send("/mode +x")
	op.expect("*** unknown room mode")
	op.send("/mode +l")
	op.expect("*** mode l needs an argument")
	op.send("/ban bob!*@*", "/kick bob off you go")
	bob.expect("*** op sets mode +b bob!*@* on ops")
	bob.expect("*** bob was kicked from ops by op (off you go)")
	op.expectSkipping("*** bob was kicked from ops by op (off you go)", 5)
	bob.send("/join ops")
	bob.expect("*** cannot join \"ops\": you are banned from that room")
	op.send("/invite bob")
	op.expect("*** invited bob to ops")
	bob.expect("*** op invites you to ops; /join ops")
	bob.send("/join ops")
	bob.expectSkipping("*** you joined ops; here: op", 3)

	op.send("/mode +k sesame", "/mode")
	op.expectSkipping("*** modes of ops: +mtk sesame; bans: bob!*@*", 5)
	carol := join(t, dialTCP(t, ln), "carol")
	carol.send("/join ops", "/join ops sesame")
	carol.expect("*** cannot join \"ops\": that room needs the right key")
	carol.expectSkipping("*** you joined ops", 3)
}

// Expensive commands have a budget: a client asking for history over and
// over is refused after a burst, and an innocent client is still served.
func TestExpensiveCommandsHaveABudget(t *testing.T) {
	ln := listenTCP(t)
	startHub(t, chat.Config{}, hub.Config{}, ln)
	greedy := join(t, dialTCP(t, ln), "greedy")
	other := join(t, dialTCP(t, ln), "other")
	var burst []string
	for range 40 {
		burst = append(burst, "/history 1000")
	}
	greedy.send(burst...)
	refused := 0
	for served := 0; served+refused < 40; {
		switch l := greedy.readLine(); {
		case strings.HasPrefix(l, "*** too many history or member-list requests"):
			refused++
		case strings.HasPrefix(l, "*** end of history"):
			served++
		}
	}
	if refused < 40-expensiveBurstForTest-5 {
		t.Fatalf("only %d of 40 history requests refused", refused)
	}
	other.send("/who")
	other.expectSkipping("*** in lobby (2)", 5)
}

// expensiveBurstForTest mirrors the front end's burst of expensive
// commands (10), with room for the budget refilling during the test.
const expensiveBurstForTest = 10
