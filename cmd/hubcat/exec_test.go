package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/hubcat/hubcat/internal/yes"
)

// execToken is long enough not to draw the weak-token warning.
const execToken = "correct-horse-battery"

// execServer starts "hubcat exec serve" with a token and returns its address.
func execServer(t *testing.T) (*proc, string) {
	t.Helper()
	p := start(t, orEmpty(nil), "exec", "serve", "--token", execToken, "127.0.0.1:0")
	m := p.waitLine(`^hubcat: exec serving on tcp://(\S+)$`)
	return p, m[1]
}

// execRun runs a client to completion and returns stdout, stderr and the
// exit code.
func execRun(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := hubcatCmd(args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return out.String(), errb.String(), cmd.ProcessState.ExitCode()
}

func TestExecExitCodeAndSeparateStderr(t *testing.T) {
	_, addr := execServer(t)
	out, errs, code := execRun(t, "", "exec", "--token", execToken, addr, "--", "sh", "-c", "echo out; echo err >&2; exit 3")
	if out != "out\n" || errs != "err\n" || code != 3 {
		t.Fatalf("stdout %q, stderr %q, code %d; want out, err, 3", out, errs, code)
	}
	// Without a shell, arguments arrive as given: no globbing, no splitting.
	out, _, code = execRun(t, "", "exec", "--token", execToken, addr, "printf", "%s|", "a b", "*")
	if out != "a b|*|" || code != 0 {
		t.Fatalf("got %q (code %d)", out, code)
	}
	_, errs, code = execRun(t, "", "exec", "--token", execToken, addr, "no-such-program")
	if code != 127 || !strings.Contains(errs, "cannot run no-such-program") {
		t.Fatalf("missing program: code %d, stderr %q", code, errs)
	}
}

func TestExecForwardsStdinAndEOF(t *testing.T) {
	_, addr := execServer(t)
	out, _, code := execRun(t, "hello\nworld\n", "exec", "--token", execToken, addr, "--", "tr", "a-z", "A-Z")
	if out != "HELLO\nWORLD\n" || code != 0 {
		t.Fatalf("got %q (code %d)", out, code)
	}
}

func TestExecWrongTokenRefusedAndLogged(t *testing.T) {
	srv, addr := execServer(t)
	out, errs, code := execRun(t, "", "exec", "--token", "wrong", addr, "--", "echo", "ran")
	if code != exitDenied || out != "" || !strings.Contains(errs, "authentication failed") {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	srv.waitLine(`exec authentication failed.*remote=127\.0\.0\.1`)
}

func TestExecPTY(t *testing.T) {
	_, addr := execServer(t)
	out, _, code := execRun(t, "", "exec", "--token", execToken, "--pty", addr, "tty")
	if code != 0 || !strings.HasPrefix(out, "/dev/pts/") {
		t.Fatalf("got %q (code %d)", out, code)
	}
}

// startClient starts an exec client whose stdout the test reads by line.
func startClient(t *testing.T, args ...string) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	cmd := hubcatCmd(args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return cmd, bufio.NewReader(out)
}

// readLineWithin reads one trimmed line from a process's output, failing after 20s.
func readLineWithin(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line := make(chan string, 1)
	go func() {
		s, _ := r.ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		return s
	case <-time.After(20 * time.Second):
		t.Fatal("timed out reading the client's output")
		return ""
	}
}

func TestExecForwardsCtrlC(t *testing.T) {
	_, addr := execServer(t)
	script := `trap 'echo interrupted; exit 7' INT; echo ready; while :; do sleep 0.05; done`
	cmd, out := startClient(t, "exec", "--token", execToken, addr, "--", "sh", "-c", script)
	if l := readLineWithin(t, out); l != "ready" {
		t.Fatalf("got %q", l)
	}
	cmd.Process.Signal(os.Interrupt)
	if l := readLineWithin(t, out); l != "interrupted" {
		t.Fatalf("got %q, want the remote trap's output", l)
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 7 {
		t.Fatalf("exit code %d, want 7", code)
	}
}

// gone reports whether pid has exited (missing or a zombie).
func gone(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

func TestExecTimeoutKillsProcessGroup(t *testing.T) {
	_, addr := execServer(t)
	cmd, out := startClient(t, "exec", "--token", execToken, "--timeout", "500ms", addr, "--", "sh", "-c", "sleep 60 & echo $!; wait")
	grandchild := readLineWithin(t, out)
	if gone(grandchild) {
		t.Fatalf("grandchild %s not running before the timeout", grandchild)
	}
	cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != exitTimedOut {
		t.Fatalf("exit code %d, want %d", code, exitTimedOut)
	}
	deadline := time.Now().Add(5 * time.Second)
	for !gone(grandchild) {
		if time.Now().After(deadline) {
			syscall.Kill(atoi(grandchild), syscall.SIGKILL)
			t.Fatalf("grandchild %s survived the timeout", grandchild)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// TestExecPTYFollowsResize runs the client on a real terminal, resizes
// that terminal, and expects the remote program's terminal to follow.
func TestExecPTYFollowsResize(t *testing.T) {
	_, addr := execServer(t)
	cmd := hubcatCmd("exec", "--token", execToken, "--pty", addr, "--",
		"sh", "-c", `while :; do echo "size $(stty size)"; read x || exit; done`)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 30, Cols: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); tty.Close() })
	seen := make(chan string, 64)
	go func() {
		sc := bufio.NewScanner(tty)
		for sc.Scan() {
			seen <- strings.TrimSpace(sc.Text())
		}
		close(seen)
	}()
	waitFor := func(want string, poke bool) {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			if poke {
				tty.WriteString("\r") // one more round of the remote loop
			}
			select {
			case l, ok := <-seen:
				if !ok {
					t.Fatalf("client ended before printing %q", want)
				}
				if l == want {
					return
				}
			case <-time.After(100 * time.Millisecond):
			case <-deadline:
				t.Fatalf("remote terminal never reported %q", want)
			}
		}
	}
	waitFor("size 30 100", false)
	if err := pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	waitFor("size 40 120", true)
}

// waitGone waits until pid has exited, failing after d.
func waitGone(t *testing.T, pid string, d time.Duration, what string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !gone(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(atoi(pid), syscall.SIGKILL)
			t.Fatalf("process %s still running %s after %s", pid, what, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// yes | hubcat exec ... -- sleep: the remote program never reads its
// input, the client is killed with SIGKILL, and the server notices the
// dead connection at once and kills the process group.
func TestExecDeadClientKillsGroupWhileStdinBacksUp(t *testing.T) {
	_, addr := execServer(t)
	cmd := hubcatCmd("exec", "--token", execToken, addr, "--", "sh", "-c", "echo $$; exec sleep 60")
	in := new(yes.Reader)
	cmd.Stdin = in
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	pid := readLineWithin(t, bufio.NewReader(stdout))
	if gone(pid) {
		t.Fatalf("remote program %s not running", pid)
	}
	in.BackedUp(t)
	cmd.Process.Kill()
	cmd.Wait()
	// The server learns of the death from the socket's end; allow for a
	// busy machine, the kill itself takes milliseconds.
	waitGone(t, pid, 3*time.Second, "after its client was killed")
}

// SIGTERM to exec serve with commands running: it exits only after it
// killed their process groups, grandchildren included.
func TestExecServeSIGTERMKillsGroups(t *testing.T) {
	srv, addr := execServer(t)
	var pids []string
	for range 2 {
		_, out := startClient(t, "exec", "--token", execToken, addr, "--", "sh", "-c", "sleep 60 & echo $!; wait")
		pids = append(pids, readLineWithin(t, out))
	}
	srv.cmd.Process.Signal(syscall.SIGTERM)
	if code := srv.wait(); code != 0 {
		t.Fatalf("exec serve exit %d\n%s", code, srv.stderr())
	}
	// SIGKILL was sent before the server exited; what remains is the
	// kernel finishing the kill.
	for _, pid := range pids {
		waitGone(t, pid, time.Second, "after exec serve exited")
	}
}
