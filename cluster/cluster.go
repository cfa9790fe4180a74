package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hubcat/hubcat/hub"
)

// Errors of the cluster bridge.
var (
	// ErrUnavailable reports that NATS or its JetStream cannot be reached
	// now: the event was not ordered, the name not claimed. Try again.
	ErrUnavailable = errors.New("cluster: NATS is unreachable")
	// ErrClosed is returned after Close.
	ErrClosed = errors.New("cluster: closed")
)

// Config says how to reach NATS and how to lay the hub's data out in it.
// Only one of URLs and Embedded is needed; the other fields' zero values
// work.
type Config struct {
	// URLs are NATS servers ("nats://host:4222"); the client fails over
	// between them and the servers they advertise.
	URLs []string
	// Embedded, if set, is an in-process NATS server to connect to
	// without a socket (see StartNode).
	Embedded *Node
	// Creds is a NATS credentials file (JWT and seed).
	Creds string
	// TLSCA is a PEM file of CAs to verify the servers with; TLSCert and
	// TLSKey are a client certificate for servers that ask for one.
	TLSCA, TLSCert, TLSKey string

	// Prefix starts every subject, stream and bucket name; "" means
	// "hubcat". Hubs sharing a prefix share rooms.
	Prefix string
	// Replicas is the stream's and bucket's replication factor (1, 3 or
	// 5); zero means 1.
	Replicas int
	// MaxAge drops events older than this from the stream; zero keeps
	// them until MaxBytes.
	MaxAge time.Duration
	// MaxBytes caps the stream, dropping the oldest events; zero means
	// no cap.
	MaxBytes int64

	// HubID names this hub in event origins, consumer names and name
	// claims; "" means random.
	HubID string
	// ClaimTTL is how long a name stays claimed after its hub stops
	// refreshing it (the hub died or lost NATS); zero means 30s.
	ClaimTTL time.Duration
	// Timeout bounds each request to NATS (history, claims, acks); zero
	// means 5s.
	Timeout time.Duration
	// Fold maps a room name to its case-insensitive key, so that "Dev"
	// and "dev" share one subject; nil means strings.ToLower.
	Fold func(string) string
	// OnStatus, if set, is called (on its own goroutine, in order) when
	// the connection to NATS is lost (false) and when it is back (true).
	OnStatus func(up bool)
	// Logger receives connection changes and failures; nil means
	// slog.Default().
	Logger *slog.Logger
}

// Applier is the hub side of delivery: *hub.Hub implements it.
type Applier interface {
	// Apply takes committed events of one room, in stream order.
	Apply(events []hub.Event)
}

// Cluster connects one hub to the others through NATS JetStream. It is
// the hub's Sequencer, Log (read side) and NameClaims; Start begins
// delivering every hub's events to the local hub.
type Cluster struct {
	cfg    Config
	log    *slog.Logger
	nc     *nats.Conn
	js     jetstream.JetStream
	stream jetstream.Stream
	kv     jetstream.KeyValue
	names  string // stream name
	closed atomic.Bool

	seq      sequencer
	claims   claims
	presence presence
	feed     *feed

	statusMu sync.Mutex // serialises OnStatus calls
	wg       sync.WaitGroup
	quit     chan struct{}
}

// Dial connects to NATS and creates the stream and the name bucket if
// they do not exist, waiting (until ctx ends) for JetStream to be ready
// — a cluster that is still electing its leader is not an error.
func Dial(ctx context.Context, cfg Config) (*Cluster, error) {
	cfg.setDefaults()
	c := &Cluster{cfg: cfg, log: cfg.Logger.With("component", "cluster", "hub_id", cfg.HubID), quit: make(chan struct{})}
	c.names = strings.ToUpper(cfg.Prefix)
	nc, err := nats.Connect(strings.Join(cfg.URLs, ","), c.natsOptions()...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect %s: %w", strings.Join(cfg.URLs, ","), err)
	}
	c.nc = nc
	c.js, err = jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096), jetstream.WithPublishAsyncTimeout(cfg.Timeout))
	if err == nil {
		err = c.setup(ctx)
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	c.seq.init(c)
	c.claims.init(c)
	c.presence = presence{c: c, hubs: map[string]map[string]map[string]member{}}
	if err := c.claims.take(ctx, hubKey(cfg.HubID), cfg.HubID); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: hub id %s: %w", cfg.HubID, err)
	}
	c.wg.Go(c.claims.refreshLoop)
	c.wg.Go(c.presence.reapLoop)
	return c, nil
}

// setDefaults fills in the zero fields.
func (cfg *Config) setDefaults() {
	if cfg.Prefix == "" {
		cfg.Prefix = "hubcat"
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.HubID == "" {
		var b [6]byte
		rand.Read(b[:])
		cfg.HubID = hex.EncodeToString(b[:])
	}
	if cfg.ClaimTTL <= 0 {
		cfg.ClaimTTL = 30 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Fold == nil {
		cfg.Fold = strings.ToLower
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
}

// natsOptions are the connection's options: reconnect forever, never
// buffer while disconnected (what cannot be ordered now is refused, not
// queued behind the sender's back), report each change.
func (c *Cluster) natsOptions() []nats.Option {
	opts := []nats.Option{
		nats.Name("hubcat " + c.cfg.HubID),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(-1),
		nats.Timeout(c.cfg.Timeout),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { c.status(false, err) }),
		nats.ReconnectHandler(func(nc *nats.Conn) { c.status(true, nil) }),
	}
	if c.cfg.Embedded != nil {
		opts = append(opts, nats.InProcessServer(c.cfg.Embedded.srv))
	}
	if c.cfg.Creds != "" {
		opts = append(opts, nats.UserCredentials(c.cfg.Creds))
	}
	if c.cfg.TLSCA != "" {
		opts = append(opts, nats.RootCAs(c.cfg.TLSCA))
	}
	if c.cfg.TLSCert != "" {
		opts = append(opts, nats.ClientCert(c.cfg.TLSCert, c.cfg.TLSKey))
	}
	return opts
}

// status logs a lost or regained connection and tells OnStatus.
func (c *Cluster) status(up bool, err error) {
	if c.closed.Load() {
		return
	}
	if up {
		c.log.Info("NATS connection back", "server", c.nc.ConnectedUrlRedacted())
		go c.claims.refresh()
	} else {
		c.log.Warn("NATS connection lost; refusing what cannot be ordered until it is back", "err", err)
	}
	if c.cfg.OnStatus != nil {
		go func() {
			c.statusMu.Lock()
			defer c.statusMu.Unlock()
			c.cfg.OnStatus(up)
		}()
	}
}

// roomSubject is the subject of a room's events.
func (c *Cluster) roomSubject(room string) string {
	return c.cfg.Prefix + ".room." + escapeToken(c.cfg.Fold(room))
}

// privateSubject is the subject of private messages to a member.
func (c *Cluster) privateSubject(to string) string {
	return c.cfg.Prefix + ".private." + escapeToken(c.cfg.Fold(to))
}

// ctx returns a context bounded by the request timeout.
func (c *Cluster) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), c.cfg.Timeout)
}

// HubID is the hub's identity in the cluster.
func (c *Cluster) HubID() string { return c.cfg.HubID }

// Server is the URL of the NATS server the hub is connected to now ("" when
// none), credentials removed.
func (c *Cluster) Server() string { return c.nc.ConnectedUrlRedacted() }

// Up reports whether the connection to NATS is up now.
func (c *Cluster) Up() bool { return c.nc.IsConnected() }

// Start delivers every hub's events, from now on, to h: one ordered
// consumer on the stream, which resumes where it was after an outage.
func (c *Cluster) Start(ctx context.Context, h Applier) error {
	if c.closed.Load() {
		return ErrClosed
	}
	f, err := startFeed(ctx, c, h)
	if err != nil {
		return err
	}
	c.feed = f
	return nil
}

// Close stops delivery, releases this hub's names and closes the
// connection. Events not yet acknowledged fail with ErrClosed.
func (c *Cluster) Close() {
	if c.closed.Swap(true) {
		return
	}
	close(c.quit)
	if c.feed != nil {
		c.feed.stop()
	}
	c.claims.releaseAll()
	c.wg.Wait()
	c.nc.Close()
}
