package irc_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubcat/hubcat/irc"
)

// weechat is a real IRC client, weechat-headless, driven through its FIFO
// and observed through its log files.
type weechat struct {
	t    *testing.T
	dir  string
	fifo string
	done chan error
}

// startWeechat runs weechat-headless connected to addr as nick.
func startWeechat(t *testing.T, addr, nick string) *weechat {
	t.Helper()
	bin, err := exec.LookPath("weechat-headless")
	if err != nil {
		t.Fatalf("weechat-headless is needed (./scripts/test installs it): %v", err)
	}
	w := &weechat{t: t, dir: t.TempDir(), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--dir", w.dir, "--run-command",
		"/set logger.file.flush_delay 0;/set irc.look.temporary_servers on;"+
			"/server add hub "+strings.Replace(addr, ":", "/", 1)+" -notls -nicks="+nick+" -username="+nick+" -realname=Wee;/connect hub")
	cmd.Env = append(os.Environ(), "HOME="+w.dir, "TERM=dumb")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { w.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cancel()
		<-w.done
		if t.Failed() {
			w.dumpLogs()
		}
	})
	w.waitFor("weechat_fifo_", func() bool {
		m, _ := filepath.Glob(filepath.Join(w.dir, "weechat_fifo_*"))
		if len(m) == 1 {
			w.fifo = m[0]
		}
		return w.fifo != ""
	})
	w.waitLog("irc.server.hub", "Welcome to the")
	return w
}

// dumpLogs shows what weechat logged, to explain a failure.
func (w *weechat) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(w.dir, "logs", "*.weechatlog"))
	for _, l := range logs {
		b, _ := os.ReadFile(l)
		w.t.Logf("== %s\n%s", filepath.Base(l), b)
	}
}

// do runs a weechat command in a buffer ("irc.server.hub", "irc.hub.#a").
func (w *weechat) do(buffer, command string) {
	w.t.Helper()
	f, err := os.OpenFile(w.fifo, os.O_WRONLY, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(buffer + " *" + command + "\n"); err != nil {
		w.t.Fatal(err)
	}
}

// waitLog waits until the log of a buffer holds text.
func (w *weechat) waitLog(buffer, text string) {
	w.t.Helper()
	path := filepath.Join(w.dir, "logs", buffer+".weechatlog")
	w.waitFor(text+" in "+buffer, func() bool {
		b, _ := os.ReadFile(path)
		return strings.Contains(string(b), text)
	})
}

// waitFor polls cond until it holds, failing after 20s.
func (w *weechat) waitFor(what string, cond func() bool) {
	w.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			w.t.Fatalf("weechat: no %s within 20s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling a file: there is nothing to wait on
	}
}

// A real client joins two channels, talks with an nc user and an IRC
// user, changes nick and quits.
func TestWeechat(t *testing.T) {
	tn := start(t, irc.Config{})
	nc := tn.dialNC()
	nc.send("/nick carol", "/join a")
	nc.skipUntil("you joined a")
	obs := tn.register("obs")
	obs.joinChan("#b")

	w := startWeechat(t, tn.ircAddr, "wee")
	w.do("irc.server.hub", "/join #a,#b")
	nc.skipUntil("wee joined a")
	obs.skipUntil("JOIN")
	w.waitLog("irc.hub.#a", "Channel #a: 2 nicks") // weechat has its buffers
	w.waitLog("irc.hub.#b", "Channel #b: 2 nicks")

	w.do("irc.hub.#a", "/msg #a hello nc")
	nc.skipUntil("<wee> hello nc")
	nc.send("hello wee")
	w.waitLog("irc.hub.#a", "carol\thello wee")

	w.do("irc.hub.#b", "/me waves")
	obs.expect("PRIVMSG", "#b", "\x01ACTION waves\x01")
	obs.send("PRIVMSG #b :hi there")
	w.waitLog("irc.hub.#b", "obs\thi there")

	nc.send("/msg wee psst")
	w.waitLog("irc.hub.carol", "psst")

	w.do("irc.server.hub", "/nick weewee")
	obs.expect("NICK", "weewee")
	nc.skipUntil("wee is now known as weewee")

	w.do("irc.server.hub", "/quit see you")
	if m := obs.skipUntil("QUIT"); !strings.HasPrefix(m.Source, "weewee!") {
		t.Fatalf("quit from %q", m.Source)
	}
	nc.skipUntil("weewee left")
	select {
	case err := <-w.done:
		if err != nil {
			t.Fatalf("weechat exited: %v", err)
		}
		w.done <- nil
	case <-time.After(20 * time.Second):
		t.Fatal("weechat did not exit after /quit")
	}
}
