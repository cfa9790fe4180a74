package rexec

import (
	"errors"
)

// Version is the protocol version this package speaks.
const Version = 2

const proto = "hubcat-exec"

// Frame types; see the package documentation.
const (
	typeRequest   = 'Q'
	typeStarted   = 'A'
	typeStdin     = '0'
	typeStdinEOF  = 'C'
	typeCredit    = 'c'
	typeInterrupt = 'I'
	typeResize    = 'W'
	typeStdout    = '1'
	typeStderr    = '2'
	typeExit      = 'X'
)

// maxFrame bounds every frame either side accepts.
const maxFrame = 1 << 20

// chunk is the largest stdin/stdout payload sent in one frame.
const chunk = 32 << 10

// stdinWindow is how many stdin bytes the client may send ahead of what
// the program has consumed; the server returns credit ('c') as the
// program reads. The server therefore never stops reading the connection
// for a program that ignores its input.
const stdinWindow = 256 << 10

var (
	// ErrEmptyCommand is returned for a request without a program.
	ErrEmptyCommand = errors.New("rexec: empty command")
)

// Request asks the server to run a command.
type Request struct {
	Argv      []string `json:"argv"`
	Shell     bool     `json:"shell,omitempty"`
	PTY       bool     `json:"pty,omitempty"`
	Rows      uint16   `json:"rows,omitempty"`
	Cols      uint16   `json:"cols,omitempty"`
	TimeoutMS int64    `json:"timeout_ms,omitempty"`
}

// Exit is how the remote process ended.
type Exit struct {
	Code     int    `json:"code"`             // exit status; 128+n when killed by signal n
	Signal   string `json:"signal,omitempty"` // the signal that killed it, if any
	TimedOut bool   `json:"timed_out,omitempty"`
	Message  string `json:"message,omitempty"` // why it could not run, when Code is 127
}

type winsize struct {
	Rows uint16 `json:"rows"`
	Cols uint16 `json:"cols"`
}
