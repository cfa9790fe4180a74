// Package loadgen is a load generator for chat servers. It opens many
// connections to one server, has some of them send numbered, timestamped
// messages and the rest count what arrives: deliveries per second, loss,
// duplicates, garbled lines and delivery latency, plus the server's CPU time
// and memory when its process ID is known.
//
// It speaks a plain line chat (hubcat serve, ncat --chat, the seed 001
// server) and the NATS text protocol, so the same workload runs against all
// of them.
package loadgen

import (
	"cmp"
	"crypto/tls"
	"errors"
	"fmt"
	"time"

	"github.com/hubcat/hubcat/endpoint"
)

// Config describes one load run. The zero value of each optional field
// picks the default documented on it.
type Config struct {
	// Addr is the server to load; tcp, tls and unix endpoints work. For an
	// IPv4 loopback address the clients' source addresses are spread over
	// 127.0.0.1–127.0.0.254 so that many connections don't run out of
	// ephemeral ports.
	Addr endpoint.Endpoint
	// TLS configures tls:// endpoints; nil verifies against system roots.
	TLS *tls.Config
	// Proto is the wire protocol; zero means Lines.
	Proto Proto
	// Clients is how many connections to open (at least 1).
	Clients int
	// Senders is how many of the clients send; 0 holds the connections
	// idle for Duration and reports the server's memory per connection.
	Senders int
	// Greeting says the line server greets a new client (hubcat and ncat
	// do, the seed server doesn't): a connection counts as open only once
	// its first line arrived.
	Greeting bool
	// Stalled is how many joined clients (neither senders nor observers)
	// stop reading when sending begins, as hung clients would; the others'
	// latency shows whether the server lets them hold the room up.
	Stalled int
	// Rate is messages per second per sender; 0 sends as fast as the
	// window allows.
	Rate float64
	// Duration is how long the senders send (or idle clients are held).
	Duration time.Duration
	// Window bounds each sender's messages not yet seen by their observers
	// (the other members in turn, see sender); zero means 64.
	Window int
	// Size pads each message to at least this many bytes; zero means no
	// padding (about 40 bytes).
	Size int
	// DialConcurrency bounds connections being opened at once; zero means 64.
	DialConcurrency int
	// ConnectRate ramps connections up at this many per second; zero means
	// as fast as DialConcurrency allows.
	ConnectRate float64
	// DialTimeout bounds each connection attempt; zero means 10s.
	DialTimeout time.Duration
	// JoinTimeout bounds the wait for every client to be in the room;
	// zero means 60s. Clients not in by then are left out of the run.
	JoinTimeout time.Duration
	// Drain is how long to wait, after sending stops, for deliveries that
	// make no progress before counting the rest as lost; zero means 2s.
	Drain time.Duration
	// PID is the server's process ID, for its CPU time and memory; zero
	// means unknown.
	PID int
	// Progress, when set, is called about once a second from another
	// goroutine.
	Progress func(Progress)
}

// Validate reports the first invalid field, in words for a user.
func (c Config) Validate() error {
	switch {
	case c.Clients < 1:
		return errors.New("need at least 1 client")
	case c.Senders < 0 || c.Senders > c.Clients:
		return fmt.Errorf("senders must be between 0 and the number of clients (%d)", c.Clients)
	case c.Stalled < 0 || c.Stalled > 0 && c.Senders+c.Stalled >= c.Clients:
		return fmt.Errorf("stalled clients must leave room for the %d senders and a receiver among %d clients", c.Senders, c.Clients)
	case c.Rate < 0:
		return errors.New("rate must not be negative")
	case c.Duration <= 0:
		return errors.New("duration must be positive")
	case c.Window < 0 || c.Size < 0 || c.DialConcurrency < 0 || c.ConnectRate < 0:
		return errors.New("window, size, dial concurrency and connect rate must not be negative")
	case c.Proto != "" && c.Proto != Lines && c.Proto != NATS && c.Proto != IRC && c.Proto != WS:
		return fmt.Errorf("unknown protocol %q (want lines, nats, irc or ws)", c.Proto)
	}
	return nil
}

// withDefaults checks c and fills in zero fields.
func (c Config) withDefaults() (Config, error) {
	if err := c.Validate(); err != nil {
		return c, err
	}
	if c.Proto == "" {
		c.Proto = Lines
	}
	c.Window = cmp.Or(c.Window, 64)
	c.DialConcurrency = cmp.Or(c.DialConcurrency, 64)
	c.DialTimeout = cmp.Or(c.DialTimeout, 10*time.Second)
	c.JoinTimeout = cmp.Or(c.JoinTimeout, 60*time.Second)
	c.Drain = cmp.Or(c.Drain, 2*time.Second)
	return c, nil
}

// Progress is a snapshot of a run for a live status line.
type Progress struct {
	Phase     string // connecting, joining, settling, sending, draining or holding
	Elapsed   time.Duration
	Connected int
	Joined    int
	Sent      int64
	Delivered int64
	Garbled   int64
}

// String formats the snapshot as one status line.
func (p Progress) String() string {
	return fmt.Sprintf("%-10s %6.1fs  connected %d  joined %d  sent %d  delivered %d  garbled %d",
		p.Phase, p.Elapsed.Seconds(), p.Connected, p.Joined, p.Sent, p.Delivered, p.Garbled)
}

// Report is the outcome of a run; it marshals to the JSON summary.
type Report struct {
	Label string `json:"label,omitempty"`
	Addr  string `json:"addr"`
	Proto Proto  `json:"proto"`

	Clients           int     `json:"clients"`   // asked for
	Connected         int     `json:"connected"` // connected and past the handshake
	Joined            int     `json:"joined"`    // seen in the room before sending began
	ConnectErrors     int     `json:"connect_errors"`
	FirstConnectError string  `json:"first_connect_error,omitempty"`
	ConnectSeconds    float64 `json:"connect_seconds"` // first dial until all joined

	Senders         int     `json:"senders"`
	Rate            float64 `json:"rate"`
	Window          int     `json:"window"`
	DurationSeconds float64 `json:"duration_seconds"` // first send until the last delivery

	Sent             int64   `json:"sent"`
	Expected         int64   `json:"expected"` // sent × receivers that should see each message
	Delivered        int64   `json:"delivered"`
	Lost             int64   `json:"lost"`
	Duplicates       int64   `json:"duplicates"`
	Garbled          int64   `json:"garbled"` // unparseable, split or merged lines
	DeliveriesPerSec float64 `json:"deliveries_per_sec"`
	Disconnected     int     `json:"disconnected"`    // receiving clients the server dropped
	Stalled          int     `json:"stalled"`         // clients that stopped reading
	StalledDropped   int     `json:"stalled_dropped"` // stalled clients the server cut off
	// FirstDisconnectError says why the first dropped client's connection
	// ended ("EOF" when the server closed it).
	FirstDisconnectError string  `json:"first_disconnect_error,omitempty"`
	WindowStalls         int64   `json:"window_stalls"`
	Latency              Latency `json:"latency"`

	// LoadgenCPUSeconds is the load generator's own CPU time while
	// sending (or holding): on a small machine it competes with the hub.
	LoadgenCPUSeconds float64 `json:"loadgen_cpu_seconds"`

	Hub *HubUsage `json:"hub,omitempty"`
}

// HubUsage is the server process's cost during the run.
type HubUsage struct {
	PID               int     `json:"pid"`
	CPUSeconds        float64 `json:"cpu_seconds"`         // while sending (or holding)
	ConnectCPUSeconds float64 `json:"connect_cpu_seconds"` // while clients connected and joined
	RSSBeforeBytes    int64   `json:"rss_before_bytes"`    // before the first connection
	RSSBytes          int64   `json:"rss_bytes"`           // with every client joined
	PeakRSSBytes      int64   `json:"peak_rss_bytes"`
	RSSPerClientBytes float64 `json:"rss_per_client_bytes"` // (RSS - RSS before) / open connections
	// DeliveriesPerCPUSecond is deliveries per second of hub CPU time.
	DeliveriesPerCPUSecond float64 `json:"deliveries_per_cpu_second,omitempty"`
}
