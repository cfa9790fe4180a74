package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// listening starts a listening hubcat and returns it with its address.
func listening(t *testing.T, args ...string) (*proc, string) {
	p := start(t, orEmpty(nil), args...)
	m := p.waitLine(`^hubcat: listening on tcp://(\S+)$`)
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
	send := start(t, orEmpty(nil), "send", "--token", "tok", src, addr)
	if code := send.wait(); code != 0 {
		t.Fatalf("send: exit %d\n%s", code, send.stderr())
	}
	if code := recv.wait(); code != 0 {
		t.Fatalf("recv: exit %d\n%s", code, recv.stderr())
	}
	m := regexp.MustCompile(`resumed_bytes=(\d+)`).FindStringSubmatch(send.out.String())
	if m == nil || m[1] == "0" {
		t.Fatalf("second run did not resume: %q", send.out.String())
	}
	if sum(t, src) != sum(t, filepath.Join(dst, "big")) {
		t.Fatal("resumed file differs from the source")
	}
}

// pausedTransfer starts a receiver and a sender of a sparse file through
// a proxy that stops forwarding after 8 MiB, and returns once it has.
func pausedTransfer(t *testing.T) (src, dst string, recv, send *proc, drop func()) {
	t.Helper()
	dir := t.TempDir()
	src, dst = filepath.Join(dir, "big"), filepath.Join(dir, "in")
	sparseFile(t, src, resumeFileSize)
	recv, addr := listening(t, "recv", "--listen", "127.0.0.1:0", "--token", "tok", dst)
	proxy, paused, drop := pausingProxy(t, addr, 8<<20)
	send = start(t, orEmpty(nil), "send", "--token", "tok", src, proxy)
	<-paused
	return src, dst, recv, send, drop
}

func TestResumeAfterSenderKilled(t *testing.T) {
	src, dst, recv, send, drop := pausedTransfer(t)
	send.cmd.Process.Kill()
	send.wait()
	drop()
	code, rest := recv.wait(), recv.stderr()
	if code == 0 || !strings.Contains(rest, "rerun to resume") {
		t.Fatalf("receiver: exit %d\n%s", code, rest)
	}
	if partialSize(dst) == 0 {
		t.Fatal("no partial data kept")
	}
	resumeRun(t, src, dst)
}

func TestResumeAfterReceiverKilled(t *testing.T) {
	src, dst, recv, send, drop := pausedTransfer(t)
	// The receiver writes what it has read in 1 MiB chunks; wait until
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
	recv.wait()
	drop()
	if send.wait() == 0 {
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
	token := send.waitLine(`^hubcat: token ([0-9a-f]{32})$`)[1]
	send.waitLine(`^hubcat: hint: on the other side run: hubcat recv --token ` + token + ` tcp://`)

	// A wrong token is refused before any file byte, and the listener
	// keeps waiting for the right peer.
	bad := start(t, orEmpty(nil), "recv", "--token", "not-"+token, addr, filepath.Join(dir, "bad"))
	code, rest := bad.wait(), bad.stderr()
	if code != exitDenied || !strings.Contains(rest, "authentication failed") {
		t.Fatalf("wrong token: exit %d\n%s", code, rest)
	}
	send.waitLine(`^hubcat: authentication failed from 127\.0\.0\.1`)
	if _, err := os.Stat(filepath.Join(dir, "bad", "hello.txt")); err == nil {
		t.Fatal("file written despite a wrong token")
	}

	recv := start(t, orEmpty(nil), "recv", "--token", token, addr, filepath.Join(dir, "in"))
	if code := recv.wait(); code != 0 {
		t.Fatalf("recv: exit %d\n%s", code, recv.stderr())
	}
	if code := send.wait(); code != 0 {
		t.Fatalf("send: exit %d\n%s", code, send.stderr())
	}
	if !regexp.MustCompile(`^recv ok files=1 dirs=0 bytes=33 `).MatchString(recv.out.String()) {
		t.Fatalf("summary %q", recv.out.String())
	}
	if sum(t, src) != sum(t, filepath.Join(dir, "in", "hello.txt")) {
		t.Fatal("received file differs")
	}
}

// fullDiskScript runs in its own mount namespace: it mounts an 8 MiB tmpfs
// on $1, receives once into it (the disk fills), waits for a line on
// stdin, grows the file system and receives again, then prints the
// received file's SHA-256 on stdout.
const fullDiskScript = `set -e
mount -t tmpfs -o size=8m hubcat-full "$1"
hubcat recv --listen 127.0.0.1:0 --token tok "$1" || echo "first recv exit $?" >&2
read go_on
mount -o remount,size=64m "$1"
hubcat recv --listen 127.0.0.1:0 --token tok "$1"
sha256sum "$1/big"
`

func TestFullDiskKeepsPartialResumable(t *testing.T) {
	dir := t.TempDir()
	src, dst := filepath.Join(dir, "big"), filepath.Join(dir, "mnt")
	data := make([]byte, 16<<20+123)
	rand.Read(data)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("unshare", "--user", "--map-root-user", "--mount", "sh", "-c", fullDiskScript, "sh", dst)
	cmd.Env = hubcatCmd().Env
	recv := startCmd(t, nil, cmd)

	addr := recv.waitLine(`listening on tcp://(\S+)$`)[1]
	_, stderr, code := runHubcat(t, nil, "send", "--token", "tok", src, addr)
	if code == 0 || !strings.Contains(stderr, "disk full") {
		t.Fatalf("send into a full disk: exit %d\n%s", code, stderr)
	}
	m := recv.waitLine(`disk full after (\d+) of \d+ bytes of big: the partial file is kept`)
	if held, _ := strconv.Atoi(m[1]); held < 1<<20 {
		t.Errorf("only %s bytes were kept before the disk filled", m[1])
	}
	recv.waitLine(`^first recv exit [1-9]`)

	io.WriteString(recv.stdin, "go on\n")
	addr = recv.waitLine(`listening on tcp://(\S+)$`)[1]
	out, stderr, code := runHubcat(t, nil, "send", "--token", "tok", src, addr)
	if code != 0 {
		t.Fatalf("send after space was freed: exit %d\n%s", code, stderr)
	}
	if !regexp.MustCompile(`resumed_bytes=[1-9]`).MatchString(out) {
		t.Errorf("the second send did not resume: %q", out)
	}
	if code := recv.wait(); code != 0 {
		t.Fatalf("receiver: exit %d\n%s", code, recv.stderr())
	}
	want := sha256.Sum256(data)
	if got := recv.out.String(); !strings.Contains(got, hex.EncodeToString(want[:])+"  ") {
		t.Fatalf("received file's sha256 is %q, want %x", got, want)
	}
}
