package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// proc is a hubcat subprocess whose stderr the test reads line by line.
type proc struct {
	cmd    *exec.Cmd
	lines  chan string
	stdout strings.Builder
	done   chan error
}

// hubcatCmd is the hubcat binary (the test binary, via testscript.Main).
// Under the race detector it would linger a second at exit; GORACE
// turns that off, and a race still fails its exit status.
func hubcatCmd(args ...string) *exec.Cmd {
	cmd := exec.Command("hubcat", args...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	return cmd
}

// startHubcat runs the hubcat binary (the test binary, via testscript.Main).
func startHubcat(t *testing.T, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: hubcatCmd(args...), lines: make(chan string, 100), done: make(chan error, 1)}
	p.cmd.Stdout = &p.stdout
	errPipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
		p.done <- p.cmd.Wait()
	}()
	t.Cleanup(func() { p.cmd.Process.Kill() })
	return p
}

// expect reads stderr lines until one matches re and returns its submatches.
func (p *proc) expect(t *testing.T, re string) []string {
	t.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				t.Fatalf("hubcat exited before printing %q", re)
			}
			if m := rx.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %q", re)
		}
	}
}

// wait waits for exit and returns the error and the rest of stderr.
func (p *proc) wait(t *testing.T) (error, string) {
	t.Helper()
	var rest []string
	for l := range p.lines {
		rest = append(rest, l)
	}
	select {
	case err := <-p.done:
		return err, strings.Join(rest, "\n")
	case <-time.After(30 * time.Second):
		t.Fatal("hubcat did not exit")
		return nil, ""
	}
}

// listening starts a listening hubcat and returns it with its address.
func listening(t *testing.T, args ...string) (*proc, string) {
	p := startHubcat(t, args...)
	m := p.expect(t, `^hubcat: listening on tcp://(\S+)$`)
	return p, m[1]
}

// pausingProxy forwards one connection to target and, once limit bytes
// went from client to target, stops forwarding and reports on paused.
// Closing the returned function drops both sides.
func pausingProxy(t *testing.T, target string, limit int64) (addr string, paused <-chan struct{}, drop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := make(chan struct{})
	var mu sync.Mutex
	var conns []net.Conn
	drop = func() {
		mu.Lock()
		defer mu.Unlock()
		ln.Close()
		for _, c := range conns {
			c.Close()
		}
	}
	t.Cleanup(drop)
	go func() {
		in, err := ln.Accept()
		if err != nil {
			return
		}
		out, err := net.Dial("tcp", target)
		if err != nil {
			in.Close()
			return
		}
		mu.Lock()
		conns = append(conns, in, out)
		mu.Unlock()
		go io.Copy(in, out)
		io.CopyN(out, in, limit)
		close(p)
	}()
	return ln.Addr().String(), p, drop
}

func sparseFile(t *testing.T, name string, size int64) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("start"), 0)
	f.WriteAt([]byte("end"), size-3)
	f.Close()
}

func sum(t *testing.T, name string) [32]byte {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	io.Copy(h, f)
	return [32]byte(h.Sum(nil))
}

// partialSize is how many bytes the receiver holds in its partial directory.
func partialSize(dir string) int64 {
	var n int64
	ents, _ := os.ReadDir(filepath.Join(dir, ".hubcat-partial"))
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && !strings.HasSuffix(e.Name(), ".meta") {
			n += fi.Size()
		}
	}
	return n
}

const resumeFileSize = 64 << 20

// resumeRun completes the transfer without interference and checks that
// it resumed rather than started over.
func resumeRun(t *testing.T, src, dst string) {
	t.Helper()
	recv, addr := listening(t, "recv", "--listen", "127.0.0.1:0", "--token", "tok", dst)
	send := startHubcat(t, "send", "--token", "tok", src, addr)
	if err, rest := send.wait(t); err != nil {
		t.Fatalf("send: %v\n%s", err, rest)
	}
	if err, rest := recv.wait(t); err != nil {
		t.Fatalf("recv: %v\n%s", err, rest)
	}
	m := regexp.MustCompile(`resumed_bytes=(\d+)`).FindStringSubmatch(send.stdout.String())
	if m == nil || m[1] == "0" {
		t.Fatalf("second run did not resume: %q", send.stdout.String())
	}
	if sum(t, src) != sum(t, filepath.Join(dst, "big")) {
		t.Fatal("resumed file differs from the source")
	}
}

func TestResumeAfterSenderKilled(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "big"), filepath.Join(dir, "in")
	sparseFile(t, src, resumeFileSize)
	recv, addr := listening(t, "recv", "--listen", "127.0.0.1:0", "--token", "tok", dst)
	proxy, paused, drop := pausingProxy(t, addr, 8<<20)
	send := startHubcat(t, "send", "--token", "tok", src, proxy)
	<-paused
	send.cmd.Process.Kill()
	send.wait(t)
	drop()
	err, rest := recv.wait(t)
	if err == nil || !strings.Contains(rest, "rerun to resume") {
		t.Fatalf("receiver: %v\n%s", err, rest)
	}
	if partialSize(dst) == 0 {
		t.Fatal("no partial data kept")
	}
	resumeRun(t, src, dst)
}

func TestResumeAfterReceiverKilled(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "big"), filepath.Join(dir, "in")
	sparseFile(t, src, resumeFileSize)
	recv, addr := listening(t, "recv", "--listen", "127.0.0.1:0", "--token", "tok", dst)
	proxy, paused, drop := pausingProxy(t, addr, 8<<20)
	send := startHubcat(t, "send", "--token", "tok", src, proxy)
	<-paused
	// The receiver writes what it has read in 256 KiB chunks; wait until
	// some of it is on disk, then kill it mid-file.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for partialSize(dst) < 1<<20 {
		select {
		case <-ctx.Done():
			t.Fatal("receiver wrote nothing")
		case <-time.After(5 * time.Millisecond):
		}
	}
	recv.cmd.Process.Kill()
	recv.wait(t)
	drop()
	if err, _ := send.wait(t); err == nil {
		t.Fatal("sender succeeded although the receiver was killed")
	}
	resumeRun(t, src, dst)
}

func TestSendListensWithGeneratedToken(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "hello.txt")
	if err := os.WriteFile(src, []byte("hello over a reversed connection\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	send, addr := listening(t, "send", "--listen", "127.0.0.1:0", src)
	token := send.expect(t, `^hubcat: token ([0-9a-f]{32})$`)[1]
	send.expect(t, `^hubcat: hint: on the other side run: hubcat recv --token `+token+` tcp://`)

	// A wrong token is refused before any file byte, and the listener
	// keeps waiting for the right peer.
	bad := startHubcat(t, "recv", "--token", "not-"+token, addr, filepath.Join(dir, "bad"))
	err, rest := bad.wait(t)
	if bad.cmd.ProcessState.ExitCode() != exitDenied || !strings.Contains(rest, "authentication failed") {
		t.Fatalf("wrong token: %v\n%s", err, rest)
	}
	send.expect(t, `^hubcat: authentication failed from 127\.0\.0\.1`)
	if _, err := os.Stat(filepath.Join(dir, "bad", "hello.txt")); err == nil {
		t.Fatal("file written despite a wrong token")
	}

	recv := startHubcat(t, "recv", "--token", token, addr, filepath.Join(dir, "in"))
	if err, rest := recv.wait(t); err != nil {
		t.Fatalf("recv: %v\n%s", err, rest)
	}
	if err, rest := send.wait(t); err != nil {
		t.Fatalf("send: %v\n%s", err, rest)
	}
	if !regexp.MustCompile(`^recv ok files=1 dirs=0 bytes=33 `).MatchString(recv.stdout.String()) {
		t.Fatalf("summary %q", recv.stdout.String())
	}
	if sum(t, src) != sum(t, filepath.Join(dir, "in", "hello.txt")) {
		t.Fatal("received file differs")
	}
}
