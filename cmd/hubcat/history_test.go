package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hubcat/hubcat/store/sqlitelog"
)

// wireEvent is the part of a JSON protocol event these tests read.
type wireEvent struct {
	Type     string      `json:"type"`
	Room     string      `json:"room"`
	Seq      uint64      `json:"seq"`
	ID       string      `json:"id"`
	From     string      `json:"from"`
	Text     string      `json:"text"`
	ClientID string      `json:"client_id"`
	Code     string      `json:"code"`
	Events   []wireEvent `json:"events"`
	Complete bool        `json:"complete"`
	More     bool        `json:"more"`
}

// jsonClient is a JSON protocol connection to a hub.
type jsonClient struct {
	c   net.Conn
	r   *bufio.Reader
	enc *json.Encoder
	mu  sync.Mutex // serializes sends
}

// dialJSON connects to addr, says hello as nick and waits for the hello.
func dialJSON(t *testing.T, addr, nick string) *jsonClient {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	jc := &jsonClient{c: c, r: bufio.NewReader(c), enc: json.NewEncoder(c)}
	jc.send(t, map[string]any{"cmd": "hello", "version": 1, "nick": nick})
	jc.until(t, func(ev wireEvent) bool { return ev.Type == "hello" })
	return jc
}

func (jc *jsonClient) send(t *testing.T, cmd map[string]any) {
	jc.mu.Lock()
	defer jc.mu.Unlock()
	if err := jc.enc.Encode(cmd); err != nil {
		t.Errorf("send %v: %v", cmd, err)
	}
}

// next reads one event, skipping the text greeting that precedes the
// JSON hello; ok is false when the connection ended.
func (jc *jsonClient) next(t *testing.T) (wireEvent, bool) {
	jc.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	line, err := jc.r.ReadBytes('\n')
	for err == nil && line[0] != '{' {
		line, err = jc.r.ReadBytes('\n')
	}
	if err != nil {
		return wireEvent{}, false
	}
	var ev wireEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		t.Errorf("bad event %q: %v", line, err)
	}
	return ev, true
}

// until reads events until ok accepts one, and returns it.
func (jc *jsonClient) until(t *testing.T, ok func(wireEvent) bool) wireEvent {
	t.Helper()
	for {
		ev, alive := jc.next(t)
		if !alive {
			t.Fatal("connection ended while waiting for an event")
		}
		if ev.Type == "error" {
			t.Fatalf("hub error: %+v", ev)
		}
		if ok(ev) {
			return ev
		}
	}
}

// resume joins room with after and returns the history batch it gets.
func (jc *jsonClient) resume(t *testing.T, room string, after uint64) wireEvent {
	t.Helper()
	jc.send(t, map[string]any{"cmd": "join", "room": room, "after": after})
	return jc.until(t, func(ev wireEvent) bool { return ev.Type == "history" && ev.Room == room })
}

// startDataHub runs hubcat serve --data dir and returns it and its address.
func startDataHub(t *testing.T, dir string) (*proc, string) {
	t.Helper()
	p := start(t, nil, "serve", "--listen", "tcp://127.0.0.1:0", "--web", "off", "--data", dir, "--flood-rate", "0")
	p.waitLine(`msg=history db=` + filepath.Join(dir, sqlitelog.DBFile))
	addr := p.waitLine(`msg=listening addr=tcp://(\S+)`)[1]
	return p, addr
}

// messages keeps the message events of a history, checking that seqs
// increase strictly.
func messages(t *testing.T, evs []wireEvent, after uint64) []wireEvent {
	t.Helper()
	var msgs []wireEvent
	for _, ev := range evs {
		if ev.Seq <= after {
			t.Fatalf("history after %d holds seq %d", after, ev.Seq)
		}
		after = ev.Seq
		if ev.Type == "message" {
			msgs = append(msgs, ev)
		}
	}
	return msgs
}

// TestHistorySurvivesSIGKILL kills the hub with SIGKILL while many JSON
// clients stream messages with ids, restarts it on the same directory and
// checks that every acknowledged message is in the history once, in the
// order its sender sent it, with the seq its ack gave.
func TestHistorySurvivesSIGKILL(t *testing.T) {
	dir := t.TempDir()
	hub, addr := startDataHub(t, dir)
	const senders, window, killAfter = 8, 16, 1500

	var mu sync.Mutex
	acked := map[string]uint64{} // client id (= text) → seq in its ack
	total := 0
	enough := make(chan struct{})
	var wg sync.WaitGroup
	for s := range senders {
		jc := dialJSON(t, addr, fmt.Sprintf("sender%d", s))
		jc.resume(t, "durable", 0)
		wg.Go(func() { // send until the connection dies, at most window unacknowledged
			credit := make(chan struct{}, window)
			for range window {
				credit <- struct{}{}
			}
			go func() {
				for n := 0; ; n++ {
					<-credit
					id := fmt.Sprintf("s%d-%d", s, n)
					jc.mu.Lock()
					err := jc.enc.Encode(map[string]any{"cmd": "say", "room": "durable", "text": id, "id": id})
					jc.mu.Unlock()
					if err != nil {
						return
					}
				}
			}()
			for {
				ev, alive := jc.next(t)
				if !alive {
					return
				}
				switch ev.Type {
				case "ack":
					mu.Lock()
					acked[ev.ClientID] = ev.Seq
					total++
					if total == killAfter {
						close(enough)
					}
					mu.Unlock()
					credit <- struct{}{}
				case "error":
					t.Errorf("sender %d: %+v", s, ev)
				}
			}
		})
	}
	select {
	case <-enough:
	case <-time.After(60 * time.Second):
		t.Fatalf("only %d acks in 60s", total)
	}
	hub.cmd.Process.Signal(syscall.SIGKILL)
	wg.Wait() // every connection saw the kill; acks read before it count
	<-hub.done

	_, addr = startDataHub(t, dir)
	reader := dialJSON(t, addr, "reader")
	h := reader.resume(t, "durable", 0)
	if !h.Complete {
		t.Fatal("history after restart is not complete")
	}
	msgs := messages(t, h.Events, 0)
	seen := map[string]uint64{}
	lastOf := map[string]int{} // sender → last n seen
	for _, m := range msgs {
		if _, dup := seen[m.Text]; dup {
			t.Fatalf("%s stored twice", m.Text)
		}
		seen[m.Text] = m.Seq
		var s, n int
		fmt.Sscanf(m.Text, "s%d-%d", &s, &n)
		if prev, ok := lastOf[m.From]; ok && n != prev+1 {
			t.Fatalf("%s: message %d follows %d", m.From, n, prev)
		}
		lastOf[m.From] = n
	}
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d acknowledged before the kill, %d stored", len(acked), len(msgs))
	for id, seq := range acked {
		got, ok := seen[id]
		if !ok {
			t.Fatalf("acknowledged message %s (seq %d) lost", id, seq)
		}
		if got != seq {
			t.Fatalf("%s: stored with seq %d, acknowledged with %d", id, got, seq)
		}
	}
}

// TestResumeAfterReconnectAndRestart checks that a client rejoining with
// the last seq it saw gets exactly the events it missed, then live ones:
// after a reconnect, and after the hub restarted on the same directory.
func TestResumeAfterReconnectAndRestart(t *testing.T) {
	dir := t.TempDir()
	hub, addr := startDataHub(t, dir)
	say := func(jc *jsonClient, texts ...string) {
		for _, text := range texts {
			jc.send(t, map[string]any{"cmd": "say", "room": "talk", "text": text, "id": text})
			jc.until(t, func(ev wireEvent) bool { return ev.Type == "ack" && ev.ClientID == text })
		}
	}
	talker := dialJSON(t, addr, "talker")
	talker.resume(t, "talk", 0)
	listener := dialJSON(t, addr, "listener")
	listener.resume(t, "talk", 0)
	say(talker, "a1", "a2")
	last := listener.until(t, func(ev wireEvent) bool { return ev.Type == "message" && ev.Text == "a2" }).Seq
	listener.c.Close()

	say(talker, "b1", "b2", "b3")
	listener = dialJSON(t, addr, "listener")
	h := listener.resume(t, "talk", last)
	wantTexts(t, messages(t, h.Events, last), "b1", "b2", "b3")
	last = h.Events[len(h.Events)-1].Seq
	listener.c.Close()

	say(talker, "c1", "c2")
	hub.interrupt()
	if code := hub.wait(); code != 0 {
		t.Fatalf("hub exited %d", code)
	}
	_, addr = startDataHub(t, dir)
	listener = dialJSON(t, addr, "listener")
	h = listener.resume(t, "talk", last)
	if !h.Complete {
		t.Fatal("resume after restart is not complete")
	}
	wantTexts(t, messages(t, h.Events, last), "c1", "c2")
	last = h.Events[len(h.Events)-1].Seq

	talker = dialJSON(t, addr, "talker")
	talker.resume(t, "talk", 0)
	say(talker, "d1", "d2")
	var live []wireEvent
	for len(live) == 0 || live[len(live)-1].Text != "d2" {
		ev := listener.until(t, func(ev wireEvent) bool { return ev.Room == "talk" && ev.Seq > 0 })
		live = append(live, ev)
	}
	wantTexts(t, messages(t, live, last), "d1", "d2")
}

func wantTexts(t *testing.T, msgs []wireEvent, want ...string) {
	t.Helper()
	var got []string
	for _, m := range msgs {
		got = append(got, m.Text)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("resumed messages %q, want %q", got, want)
	}
}

// TestServeDataErrors: a second hub on a directory in use, and a history
// file that is not a database, stop hubcat serve with a clear error.
func TestServeDataErrors(t *testing.T) {
	dir := t.TempDir()
	startDataHub(t, dir)
	var errOut bytes.Buffer
	code := run(t.Context(), []string{"serve", "--web", "off", "--data", dir, "--listen", "tcp://127.0.0.1:0"}, strings.NewReader(""), io.Discard, &errOut)
	if code == exitOK || !strings.Contains(errOut.String(), "in use by another hub") || !strings.Contains(errOut.String(), dir) {
		t.Fatalf("second hub: exit %d, stderr %q", code, errOut.String())
	}

	bad := t.TempDir()
	path := filepath.Join(bad, sqlitelog.DBFile)
	if err := os.WriteFile(path, bytes.Repeat([]byte("not sqlite\n"), 500), 0o600); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	code = run(t.Context(), []string{"serve", "--web", "off", "--data", bad, "--listen", "tcp://127.0.0.1:0"}, strings.NewReader(""), io.Discard, &errOut)
	if code == exitOK || !strings.Contains(errOut.String(), path+" is not a usable hubcat history database") {
		t.Fatalf("corrupt history: exit %d, stderr %q", code, errOut.String())
	}
}

// TestResumeBeforeRetentionIsIncomplete checks that a resume point older
// than what retention kept yields the events kept, marked incomplete, and
// that a resume from what was kept is complete: after a restart, when the
// history comes from the database.
func TestResumeBeforeRetentionIsIncomplete(t *testing.T) {
	dir := t.TempDir()
	hub, addr := startDataHub(t, dir)
	talker := dialJSON(t, addr, "talker")
	talker.resume(t, "trim", 0)
	var acked []uint64
	for i := range 6 {
		id := fmt.Sprintf("m%d", i)
		talker.send(t, map[string]any{"cmd": "say", "room": "trim", "text": id, "id": id})
		acked = append(acked, talker.until(t, func(ev wireEvent) bool { return ev.Type == "ack" && ev.ClientID == id }).Seq)
	}
	hub.interrupt()
	if code := hub.wait(); code != 0 {
		t.Fatalf("hub exited %d", code)
	}

	// Keep 3 events per room: m3..m5 stay.
	p := start(t, nil, "serve", "--listen", "tcp://127.0.0.1:0", "--web", "off", "--data", dir,
		"--history-keep", "3", "--flood-rate", "0")
	addr = p.waitLine(`msg=listening addr=tcp://(\S+)`)[1]
	p.waitLine(`msg="history retention" .*removed=4`) // the join and m0..m2
	for _, c := range []struct {
		after    uint64
		complete bool
	}{
		{0, false},
		{acked[1], false}, // m2 was removed
		{acked[2], true},  // removed too, but this resumer saw it
		{acked[3], true},
	} {
		reader := dialJSON(t, addr, fmt.Sprintf("reader%d", c.after))
		h := reader.resume(t, "trim", c.after)
		var want []string
		for i := max(3, slices.Index(acked, c.after)+1); i < 6; i++ {
			want = append(want, fmt.Sprintf("m%d", i))
		}
		wantTexts(t, messages(t, h.Events, c.after), want...)
		if h.Complete != c.complete {
			t.Errorf("resume after %d: complete=%v, want %v", c.after, h.Complete, c.complete)
		}
		if c.after == 0 {
			reader.c.Close()
			continue // a history request without after asks for the latest events
		}
		// A history request from the same point, once in the room.
		reader.send(t, map[string]any{"cmd": "history", "room": "trim", "after": c.after, "limit": 10})
		h = reader.until(t, func(ev wireEvent) bool { return ev.Type == "history" && ev.Room == "trim" })
		wantTexts(t, messages(t, h.Events, c.after), want...)
		if h.Complete != c.complete {
			t.Errorf("history after %d: complete=%v, want %v", c.after, h.Complete, c.complete)
		}
		reader.c.Close()
	}
}
