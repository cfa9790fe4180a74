package relay

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"syscall"
)

// Exec is a server.Handler that wires each connection to a new process:
// the peer's bytes are the process's standard input and its standard
// output goes back to the peer. Standard error goes to Stderr. No shell is
// involved unless Argv asks for one. The process finds the peer's address
// in $HUBCAT_REMOTE_ADDR and its own in $HUBCAT_LOCAL_ADDR.
type Exec struct {
	// Argv is the program and its arguments.
	Argv []string
	// Stderr receives the processes' standard error; nil discards it.
	Stderr io.Writer
	// Logger records each process's start and end; nil means slog.Default().
	Logger *slog.Logger
}

// ServeConn runs one process for c and returns when it has exited and its
// output has been sent. The process is killed if ctx is cancelled.
func (e *Exec) ServeConn(ctx context.Context, c net.Conn) {
	log := e.Logger
	if log == nil {
		log = slog.Default()
	}
	if err := serverHandshake(ctx, c); err != nil {
		log.Info("tls handshake failed", "remote", c.RemoteAddr().String(), "err", err)
		return
	}
	cmd := exec.CommandContext(ctx, e.Argv[0], e.Argv[1:]...)
	cmd.Stderr = e.Stderr
	cmd.Env = append(os.Environ(), "HUBCAT_REMOTE_ADDR="+c.RemoteAddr().String(), "HUBCAT_LOCAL_ADDR="+c.LocalAddr().String())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var err error
	if f, ok := socketFile(c); ok {
		err = runOnSocket(cmd, f)
	} else {
		err = runOnPipes(cmd, c)
	}
	var exitErr *exec.ExitError
	switch {
	case errors.As(err, &exitErr):
		log.Info("exec ended", "remote", c.RemoteAddr().String(), "cmd", e.Argv[0], "status", exitErr.ProcessState.String())
	case err != nil:
		log.Warn("exec failed", "remote", c.RemoteAddr().String(), "cmd", e.Argv[0], "err", err)
	default:
		log.Info("exec ended", "remote", c.RemoteAddr().String(), "cmd", e.Argv[0], "status", "exit status 0")
	}
}

// socketFile duplicates the descriptor of a plain TCP or Unix connection so
// the process can use the socket itself, with no copying in between.
func socketFile(c net.Conn) (*os.File, bool) {
	fc, ok := c.(interface{ File() (*os.File, error) })
	if !ok {
		return nil, false
	}
	f, err := fc.File()
	return f, err == nil
}

// runOnSocket gives the process the socket as standard input and output.
func runOnSocket(cmd *exec.Cmd, f *os.File) error {
	defer f.Close()
	cmd.Stdin, cmd.Stdout = f, f
	if err := cmd.Start(); err != nil {
		return err
	}
	return cmd.Wait()
}

// runOnPipes copies between c and the process through pipes, for
// transports such as TLS that have no socket to hand over.
func runOnPipes(cmd *exec.Cmd, c net.Conn) error {
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	go func() {
		io.Copy(stdin, c)
		stdin.Close()
	}()
	io.Copy(c, stdout)
	closeWrite(c)
	return cmd.Wait()
}
