package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is a hubcat process started by a test, with its output captured.
type proc struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	out    syncBuffer
	errMu  sync.Mutex
	errBuf bytes.Buffer
	lines  chan string // stderr lines as they arrive
	done   chan struct{}
	err    error
}

// syncBuffer is a bytes.Buffer safe to read while a process writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hubcatCmd is the hubcat binary (the test binary, via testscript.Main).
// Under the race detector it would linger a second at exit; GORACE turns
// that off, and a race still fails its exit status.
func hubcatCmd(args ...string) *exec.Cmd {
	cmd := exec.Command("hubcat", args...)
	cmd.Env = append(os.Environ(), "GORACE=atexit_sleep_ms=0")
	return cmd
}

// start runs "hubcat args..." with stdin from in (nil: a pipe the test
// writes to through p.stdin). in must not block forever: os/exec waits for
// its copy even after the process exits. The process is killed when the
// test ends.
func start(t *testing.T, in io.Reader, args ...string) *proc {
	t.Helper()
	return startCmd(t, in, hubcatCmd(args...))
}

// startCmd is start for any command, such as a shell script that runs
// hubcat inside a namespace.
func startCmd(t *testing.T, in io.Reader, cmd *exec.Cmd) *proc {
	t.Helper()
	p := &proc{t: t, lines: make(chan string, 1024), done: make(chan struct{}), cmd: cmd}
	p.cmd.Stdout = &p.out
	p.cmd.WaitDelay = 2 * time.Second
	if in != nil {
		p.cmd.Stdin = in
	} else {
		w, err := p.cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		p.stdin = w
	}
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.errMu.Lock()
			p.errBuf.WriteString(sc.Text() + "\n")
			p.errMu.Unlock()
			select {
			case p.lines <- sc.Text():
			default:
			}
		}
		close(p.lines)
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

// waitLine waits for a stderr line matching re and returns its submatches.
func (p *proc) waitLine(re string) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("hubcat %s ended before logging %q; stderr:\n%s", strings.Join(p.cmd.Args[1:], " "), re, p.stderr())
			}
			if m := rx.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-timeout:
			p.t.Fatalf("no stderr line matching %q; stderr:\n%s", re, p.stderr())
		}
	}
}

// listening waits for the "listening on ADDR" line and returns ADDR.
func (p *proc) listening() string {
	p.t.Helper()
	return p.waitLine(`(?:listening|echoing) on (\S+)`)[1]
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait() int {
	p.t.Helper()
	return p.waitWithin(20 * time.Second)
}

// waitWithin is wait with a budget of its own, for commands whose work
// (megabytes through race-instrumented binaries on a busy machine) can
// legitimately take longer than the default.
func (p *proc) waitWithin(budget time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(budget):
		p.cmd.Process.Signal(syscall.SIGQUIT) // a goroutine dump on stderr
		select {
		case <-p.done:
		case <-time.After(2 * time.Second):
		}
		p.t.Fatalf("hubcat %s did not exit; stderr:\n%s", strings.Join(p.cmd.Args[1:], " "), p.stderr())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		p.t.Fatal(p.err)
	}
	return 0
}

// interrupt sends SIGINT, as Ctrl-C would.
func (p *proc) interrupt() { p.cmd.Process.Signal(syscall.SIGINT) }

func (p *proc) stderr() string {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.errBuf.String()
}

// run runs hubcat to completion and returns stdout, stderr and exit code.
func runHubcat(t *testing.T, in io.Reader, args ...string) (string, string, int) {
	t.Helper()
	p := start(t, orEmpty(in), args...)
	code := p.wait()
	return p.out.String(), p.stderr(), code
}

func orEmpty(in io.Reader) io.Reader {
	if in == nil {
		return strings.NewReader("")
	}
	return in
}

// testCtx is a context ending with the test's deadline budget.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}
