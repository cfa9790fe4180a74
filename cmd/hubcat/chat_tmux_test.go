package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/hubcat/hubcat/tui"
)

// TestChatTUIUnderTmux runs `hubcat chat` full screen in a tmux pane
// against a real `hubcat serve`, types, reads the screen, switches rooms,
// resizes, has its connection cut and its hub restarted, and checks that
// it resumes with nothing lost and nothing twice.
func TestChatTUIUnderTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatal("tmux is needed (scripts/test installs it)")
	}
	hubAddr, data := freeAddr(t), t.TempDir()
	hub := startHub(t, hubAddr, data)
	px := newCutProxy(t, hubAddr)
	pane := newTmux(t, 100, 30, "chat", "--nick", "alice", "--join", "dev", px.addr())
	pane.waitFor(t, "online at", "3:dev", "] dev")

	pane.keys(t, "-l", "hello from alice")
	pane.keys(t, "Enter")
	pane.waitFor(t, "<alice> hello from alice")
	pane.waitGone(t, "[sending]")
	bob := dialPeer(t, hubAddr, "bob")
	bob.join(t, "dev")
	if !bob.historyHas("alice", "hello from alice") {
		t.Fatal("bob's join history lacks alice's message: it did not reach the hub")
	}

	bob.say(t, "dev", "hi alice from bob")
	pane.waitFor(t, "<bob> hi alice from bob")

	// Switch to the lobby; dev's new message counts as unread.
	pane.keys(t, "M-2")
	pane.waitFor(t, "] lobby")
	bob.say(t, "dev", "while you read the lobby")
	pane.waitFor(t, "3:dev (1)")
	pane.keys(t, "C-n")
	pane.waitFor(t, "] dev", "<bob> while you read the lobby")
	pane.waitGone(t, "(1)")

	// Resize small and back: every row fits, and nothing is lost.
	for _, size := range [][2]int{{60, 15}, {100, 30}} {
		pane.resize(t, size[0], size[1])
		pane.poll(t, fmt.Sprintf("redraw at %dx%d", size[0], size[1]), func(s string) bool {
			rows := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
			if len(rows) != size[1] || !strings.Contains(s, "<bob> while you read the lobby") {
				return false
			}
			status := rows[len(rows)-2]
			return strings.Contains(status, "] dev") && utf8.RuneCountInString(status) <= size[0]
		})
		for _, r := range strings.Split(pane.capture(t), "\n") {
			if utf8.RuneCountInString(r) > size[0] {
				t.Fatalf("at %dx%d a row is %d wide: %q", size[0], size[1], utf8.RuneCountInString(r), r)
			}
		}
	}

	// Cut the connection; bob talks meanwhile and alice types. After the
	// reconnect alice has every line once, in order, and hers went out.
	px.cut()
	pane.waitFor(t, "disconnected")
	for i := 1; i <= 3; i++ {
		bob.say(t, "dev", fmt.Sprintf("gap line %d", i))
	}
	pane.keys(t, "-l", "typed while cut")
	pane.keys(t, "Enter")
	pane.waitFor(t, "typed while cut [queued]")
	px.open()
	pane.waitFor(t, "online at", "gap line 3")
	pane.waitGone(t, "[queued]", "[sending]")
	bob.waitMessage(t, "alice", "typed while cut")
	screen := pane.capture(t)
	last := -1
	for i := 1; i <= 3; i++ {
		l := fmt.Sprintf("<bob> gap line %d", i)
		if n := strings.Count(screen, l); n != 1 {
			t.Fatalf("%q shown %d times:\n%s", l, n, screen)
		}
		if at := strings.Index(screen, l); at < last {
			t.Fatalf("%q out of order:\n%s", l, screen)
		} else {
			last = at
		}
	}
	if n := strings.Count(screen, "<bob> hi alice from bob"); n != 1 {
		t.Fatalf("an old line shown %d times after the resume:\n%s", n, screen)
	}

	// Restart the hub (killed, its history on disk): alice's client comes
	// back by itself, resumes without a gap or a double, and sends what was
	// typed while the hub was down.
	hub.cmd.Process.Kill()
	hub.wait()
	pane.waitFor(t, "disconnected")
	pane.keys(t, "-l", "typed while the hub was down")
	pane.keys(t, "Enter")
	pane.waitFor(t, "typed while the hub was down [queued]")
	startHub(t, hubAddr, data)
	pane.waitFor(t, "online at")
	pane.waitGone(t, "[queued]", "[sending]")
	screen = pane.capture(t)
	if strings.Count(screen, "<bob> gap line 3") != 1 || strings.Contains(screen, "no longer held") {
		t.Fatalf("the resume after the restart lost or doubled lines:\n%s", screen)
	}
	carol := dialPeer(t, hubAddr, "carol")
	carol.join(t, "dev")
	if !carol.historyHas("alice", "typed while the hub was down") {
		pane.waitFor(t, "never") // show the screen
	}
}

// freeAddr finds a free loopback TCP address, so that a hub can be
// restarted on it.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startHub runs `hubcat serve` on addr as a process, keeping its history
// in data.
func startHub(t *testing.T, addr, data string) *proc {
	t.Helper()
	p := start(t, nil, "serve", "--listen", "tcp://"+addr, "--web", "off", "--data", data, "--flood-rate", "0")
	p.waitLine(`msg=listening addr=`)
	return p
}

// tmuxPane is one tmux pane running hubcat, on a private tmux server.
type tmuxPane struct {
	sock string
}

func newTmux(t *testing.T, w, h int, args ...string) *tmuxPane {
	t.Helper()
	bin, err := exec.LookPath("hubcat")
	if err != nil {
		t.Fatal(err)
	}
	p := &tmuxPane{sock: filepath.Join(t.TempDir(), "tmux.sock")}
	shell := "env NO_COLOR=1 GORACE=atexit_sleep_ms=0 " + bin + " " + strings.Join(args, " ") + "; echo hubcat exited $?; sleep 60"
	p.tmux(t, "-f", "/dev/null", "new-session", "-d", "-s", "chat", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h), shell)
	t.Cleanup(func() { exec.Command("tmux", "-S", p.sock, "kill-server").Run() })
	return p
}

func (p *tmuxPane) tmux(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", p.sock}, args...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func (p *tmuxPane) capture(t *testing.T) string {
	return p.tmux(t, "capture-pane", "-p", "-t", "chat")
}

func (p *tmuxPane) keys(t *testing.T, keys ...string) {
	p.tmux(t, append([]string{"send-keys", "-t", "chat"}, keys...)...)
}

func (p *tmuxPane) resize(t *testing.T, w, h int) {
	p.tmux(t, "resize-window", "-t", "chat", "-x", fmt.Sprint(w), "-y", fmt.Sprint(h))
}

// waitFor polls the screen until it shows every one of want.
func (p *tmuxPane) waitFor(t *testing.T, want ...string) {
	t.Helper()
	p.poll(t, "screen showing "+strings.Join(want, ", "), func(s string) bool {
		for _, w := range want {
			if !strings.Contains(s, w) {
				return false
			}
		}
		return true
	})
}

// waitGone polls the screen until it shows none of gone.
func (p *tmuxPane) waitGone(t *testing.T, gone ...string) {
	t.Helper()
	p.poll(t, "screen without "+strings.Join(gone, ", "), func(s string) bool {
		for _, g := range gone {
			if strings.Contains(s, g) {
				return false
			}
		}
		return true
	})
}

func (p *tmuxPane) poll(t *testing.T, what string, ok func(string) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := p.capture(t)
		if ok(s) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for the %s; the screen:\n%s", what, s)
		}
		time.Sleep(20 * time.Millisecond) // polling interval, not synchronisation
	}
}

// cutProxy relays TCP to the hub and can cut every connection, refusing
// new ones until opened again.
type cutProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close(); p.cut() })
	go p.serve()
	return p
}

func (p *cutProxy) addr() string { return p.ln.Addr().String() }

func (p *cutProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		closed := p.closed
		p.mu.Unlock()
		if closed {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go relayClose(c, up)
		go relayClose(up, c)
	}
}

func relayClose(dst, src net.Conn) {
	io.Copy(dst, src)
	dst.Close()
	src.Close()
}

// cut closes every relayed connection, both sides, and refuses new ones.
func (p *cutProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) open() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = false
}

// jsonPeer is another chat member speaking the JSON protocol.
type jsonPeer struct {
	c       net.Conn
	r       *bufio.Reader
	history []tui.Event
}

func dialPeer(t *testing.T, addr, nick string) *jsonPeer {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	p := &jsonPeer{c: c, r: bufio.NewReader(c)}
	p.send(t, tui.Command{Cmd: "hello", Version: 1, Nick: nick})
	p.until(t, func(ev tui.Event) bool { return ev.Type == "hello" })
	return p
}

func (p *jsonPeer) send(t *testing.T, cmd tui.Command) {
	t.Helper()
	b, _ := json.Marshal(cmd)
	if _, err := p.c.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
}

// until reads events until one satisfies ok.
func (p *jsonPeer) until(t *testing.T, ok func(tui.Event) bool) tui.Event {
	t.Helper()
	p.c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		l, err := p.r.ReadBytes('\n')
		if err != nil {
			t.Fatalf("peer read: %v", err)
		}
		var ev tui.Event
		if l[0] != '{' || json.Unmarshal(l, &ev) != nil {
			continue
		}
		if ev.Type == "history" {
			p.history = append(p.history, ev.Events...)
		}
		if ok(ev) {
			return ev
		}
	}
}

func (p *jsonPeer) join(t *testing.T, room string) {
	t.Helper()
	p.send(t, tui.Command{Cmd: "join", Room: room, ID: "j"})
	p.until(t, func(ev tui.Event) bool { return ev.Type == "members" && ev.Room == room })
}

func (p *jsonPeer) say(t *testing.T, room, text string) {
	t.Helper()
	p.send(t, tui.Command{Cmd: "say", Room: room, Text: text, ID: "s"})
	p.until(t, func(ev tui.Event) bool { return ev.Type == "ack" || ev.Type == "error" })
}

func (p *jsonPeer) historyHas(from, text string) bool {
	for _, ev := range p.history {
		if ev.Type == "message" && ev.From == from && ev.Text == text {
			return true
		}
	}
	return false
}

func (p *jsonPeer) waitMessage(t *testing.T, from, text string) {
	t.Helper()
	p.until(t, func(ev tui.Event) bool { return ev.Type == "message" && ev.From == from && ev.Text == text })
}
