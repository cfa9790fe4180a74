package irc

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc/ircmsg"
)

// client is one IRC connection. Its fields belong to the reader goroutine
// unless marked otherwise: the hub renders events for the client (see
// format) on other goroutines.
type client struct {
	srv  *Server
	conn net.Conn
	m    *hub.Member
	fmt  *format
	rb   response

	user, real string // from USER
	capHold    bool   // CAP LS or REQ seen before registration: wait for CAP END
	umodes     string // user modes set, such as "iw"
	quitting   bool
	echoSeq    uint64 // numbers echo-message requests
	burst      burst  // messages read but not yet posted

	registered atomic.Bool
	joins      chan joinSeen // our JOINs that were rendered (see awaitJoin)

	mu     sync.Mutex
	nick   string          // accepted nick; "" before the first good NICK; guarded by mu
	caps   capSet          // guarded by mu
	away   string          // guarded by mu
	echoes map[string]echo // messages awaiting their ack to be echoed; guarded by mu
}

// echo is a message sent with echo-message on, waiting for its ack.
type echo struct {
	cmd, target, text string
}

func newClient(s *Server, c net.Conn) *client {
	cl := &client{srv: s, conn: c, joins: make(chan joinSeen, 16), echoes: map[string]echo{}}
	cl.fmt = &format{cl: cl}
	cl.rb.server = s.cfg.Name
	cl.rb.nick = "*"
	return cl
}

// nickNow is the client's nick, for other goroutines.
func (cl *client) nickNow() string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.nick
}

// capsNow is the client's capabilities, for other goroutines.
func (cl *client) capsNow() capSet {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.caps
}

// awayText is the client's away message, "" when present.
func (cl *client) awayText() string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.away
}

// readLoop reads and runs commands until the client goes, returning why.
// A silent client is pinged after PingInterval and dropped if it stays
// silent for PingTimeout more.
func (cl *client) readLoop(ctx context.Context) hub.CloseReason {
	cfg := &cl.srv.cfg
	lr := newLineReader(cl.conn)
	pinged := false
	lr.beforeRead = func() error {
		cl.sendBurst() // no more input at hand: send what was collected
		wait := cfg.PingInterval
		if pinged {
			wait = cfg.PingTimeout
		}
		cl.conn.SetReadDeadline(time.Now().Add(wait))
		return ctx.Err() // checked after the deadline is set: shutdown's own must win
	}
	var flood *floodGate
	if cfg.FloodRate > 0 {
		flood = &floodGate{lim: rate.NewLimiter(rate.Limit(cfg.FloodRate), cfg.FloodBurst)}
	}
	defer cl.sendBurst()
	for !cl.quitting {
		l, err := lr.readLine()
		switch {
		case err == errLineTooLong:
			cl.rb.numeric(errInputTooLong, "Input line too long")
			cl.flush()
			continue
		case err != nil && isTimeout(err) && ctx.Err() == nil:
			if !cl.registered.Load() {
				cl.queue(cl.rb.errorLine("Registration timed out"))
				return hub.IdleTimeout
			}
			if pinged {
				cl.queue(cl.rb.errorLine("Ping timeout: " + cfg.PingTimeout.String()))
				return hub.IdleTimeout
			}
			pinged = true
			cl.queue(cl.rb.line("PING", cfg.Name))
			continue
		case err != nil:
			return cl.readFailure(ctx, err)
		}
		pinged = false
		cl.handleLine(string(l))
		if flood != nil && !flood.wait(ctx, cl) {
			return hub.ServerShutdown
		}
	}
	return hub.ClientQuit
}

// floodGate delays a client that sends faster than the flood rate and
// tells it so, once per episode: an episode ends when the client has been
// quiet long enough to have its whole burst back.
type floodGate struct {
	lim    *rate.Limiter
	warned bool
}

// wait blocks until the client may send another command; false if ctx
// ended. What the client already sent goes out before it waits.
func (g *floodGate) wait(ctx context.Context, cl *client) bool {
	if g.lim.Allow() {
		if g.lim.Tokens() >= float64(g.lim.Burst()-1) {
			g.warned = false
		}
		return true
	}
	cl.sendBurst()
	if !g.warned {
		g.warned = true
		cl.rb.notice("flood control: you are sending too fast; your commands are being delayed")
		cl.flush()
	}
	return g.lim.Wait(ctx) == nil
}

// handleLine parses and runs one line, then queues the replies.
func (cl *client) handleLine(l string) {
	msg, err := ircmsg.Parse(l)
	switch err {
	case nil:
		if !cl.addToBurst(&msg) {
			cl.sendBurst()
			cl.run(&msg)
		}
	case ircmsg.ErrBodyTooLong:
		cl.rb.numeric(errInputTooLong, "Input line too long")
	case ircmsg.ErrEmpty:
	case ircmsg.ErrTagsTooLong:
		cl.rb.numeric(errInputTooLong, "Input line too long")
	default:
		cl.rb.notice("could not parse your line: " + err.Error())
	}
	cl.flush()
}

// flush queues the response buffer to the member's outbox.
func (cl *client) flush() {
	if len(cl.rb.buf) > 0 {
		cl.queue(cl.rb.buf)
		cl.rb.buf = cl.rb.buf[:0]
	}
}
