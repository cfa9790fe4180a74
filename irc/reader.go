package irc

import (
	"bytes"
	"errors"
	"io"

	"github.com/hubcat/hubcat/irc/ircmsg"
)

// errLineTooLong is returned by readLine for a line over ircmsg.MaxLine;
// the line is skipped and reading can go on.
var errLineTooLong = errors.New("irc: input line too long")

// lineReader splits a client's input into lines ending in LF (a CR before
// it is the caller's to strip). Unlike bufio.Reader it keeps a partial
// line across a read error, so a read deadline used for idle pings never
// loses input.
type lineReader struct {
	r        io.Reader
	buf      []byte
	start    int  // first unconsumed byte
	end      int  // end of the data read
	skipping bool // discarding the rest of an over-long line
	// beforeRead, if set, runs before each read from r (which may block);
	// an error from it is returned by readLine instead of reading.
	beforeRead func() error
}

func newLineReader(r io.Reader) *lineReader {
	return &lineReader{r: r, buf: make([]byte, 2*ircmsg.MaxLine)}
}

// readLine returns the next line without its LF. The slice is valid until
// the next call.
func (lr *lineReader) readLine() ([]byte, error) {
	for {
		if i := bytes.IndexByte(lr.buf[lr.start:lr.end], '\n'); i >= 0 {
			l := lr.buf[lr.start : lr.start+i]
			lr.start += i + 1
			if lr.skipping {
				lr.skipping = false
				return nil, errLineTooLong
			}
			if len(l) > ircmsg.MaxLine {
				return nil, errLineTooLong
			}
			return l, nil
		}
		if lr.end-lr.start > ircmsg.MaxLine { // no LF within reach: drop what we have
			lr.start, lr.end, lr.skipping = 0, 0, true
		}
		if lr.start > 0 && lr.end == len(lr.buf) || lr.start == lr.end {
			lr.end = copy(lr.buf, lr.buf[lr.start:lr.end])
			lr.start = 0
		}
		if lr.beforeRead != nil {
			if err := lr.beforeRead(); err != nil {
				return nil, err
			}
		}
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if n == 0 && err != nil {
			return nil, err
		}
	}
}
