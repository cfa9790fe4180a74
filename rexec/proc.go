package rexec

import (
	"context"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
)

// process is a started command with its own process group.
type process struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser // the pipe, or the pty master
	tty   *os.File       // the pty master, when there is one
	out   chan struct{}  // closed when pty output is drained (nil without pty)
}

// command builds the exec.Cmd for req, tied to ctx: when ctx ends the whole
// process group is killed.
func command(ctx context.Context, req Request) *exec.Cmd {
	var cmd *exec.Cmd
	if req.Shell {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", strings.Join(req.Argv, " "))
	} else {
		cmd = exec.CommandContext(ctx, req.Argv[0], req.Argv[1:]...)
	}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	cmd.WaitDelay = time.Second
	return cmd
}

// start runs cmd with stdout and stderr going to the given writers; with a
// pty both go to stdout.
func start(cmd *exec.Cmd, req Request, stdout, stderr io.Writer) (*process, error) {
	p := &process{cmd: cmd}
	if !req.PTY {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Stdout, cmd.Stderr = stdout, stderr
		in, err := cmd.StdinPipe()
		if err != nil {
			return nil, err
		}
		p.stdin = in
		return p, cmd.Start()
	}
	size := &pty.Winsize{Rows: req.Rows, Cols: req.Cols}
	if size.Rows == 0 || size.Cols == 0 {
		size = &pty.Winsize{Rows: 24, Cols: 80}
	}
	tty, err := pty.StartWithSize(cmd, size) // new session: the process leads its group
	if err != nil {
		return nil, err
	}
	p.tty, p.stdin, p.out = tty, tty, make(chan struct{})
	go func() {
		defer close(p.out)
		io.Copy(stdout, tty) // ends with EIO once every holder of the tty is gone
	}()
	return p, nil
}

// closeStdin signals end of input: closes the pipe, or types the EOF
// character on a terminal.
func (p *process) closeStdin() {
	if p.tty != nil {
		p.tty.Write([]byte{4})
		return
	}
	p.stdin.Close()
}

// interrupt sends SIGINT to the process group.
func (p *process) interrupt() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT)
}

// resize changes the terminal size, when there is a terminal.
func (p *process) resize(w winsize) {
	if p.tty != nil {
		pty.Setsize(p.tty, &pty.Winsize{Rows: w.Rows, Cols: w.Cols})
	}
}

// wait waits for the process and, with a pty, for its output to drain.
func (p *process) wait() error {
	err := p.cmd.Wait()
	if p.tty != nil {
		select {
		case <-p.out:
		case <-time.After(time.Second):
		}
		p.tty.Close()
	}
	return err
}

// exitOf describes how the process ended.
func exitOf(ps *os.ProcessState) Exit {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return Exit{Code: 128 + int(ws.Signal()), Signal: ws.Signal().String()}
	}
	return Exit{Code: ps.ExitCode()}
}
