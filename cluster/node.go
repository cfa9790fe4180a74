package cluster

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NodeConfig describes a NATS server run inside the hub's process.
type NodeConfig struct {
	// Name is the server's name, unique in its cluster; "" means one
	// derived from its route address (or a random one).
	Name string
	// Listen is the client address ("host:port"; port -1 picks one);
	// "" means none when the node is alone (only the hub connects,
	// in-process) and a random loopback port when it is clustered
	// (nats-server starts its routes only once it listens for clients).
	Listen string
	// ClusterListen is the route address ("host:port") other nodes
	// connect to; "" means a single node, not clustered.
	ClusterListen string
	// ClusterName names the NATS cluster; "" means "hubcat".
	ClusterName string
	// Routes are the other nodes' route addresses ("host:port"). A
	// clustered node needs at least one; listing every peer, itself
	// included, is the simplest.
	Routes []string
	// StoreDir holds JetStream's files; it must outlive restarts.
	StoreDir string
	// Logger receives the server's warnings and errors; nil means none.
	Logger *slog.Logger
}

// Node is a NATS server with JetStream running in this process.
type Node struct {
	srv *server.Server
}

// StartNode starts a NATS server with JetStream and waits until it takes
// connections (not until its JetStream cluster has a leader: Dial
// waits for that).
func StartNode(cfg NodeConfig) (*Node, error) {
	opts, err := cfg.options()
	if err != nil {
		return nil, err
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: nats server: %w", err)
	}
	if cfg.Logger != nil {
		s.SetLoggerV2(natsLogger{cfg.Logger.With("component", "nats-server")}, false, false, false)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		s.Shutdown()
		return nil, fmt.Errorf("cluster: nats server %s did not start", opts.ServerName)
	}
	return &Node{srv: s}, nil
}

// options translates cfg into nats-server options.
func (cfg NodeConfig) options() (*server.Options, error) {
	opts := &server.Options{
		ServerName: cfg.Name,
		JetStream:  true,
		StoreDir:   cfg.StoreDir,
		NoLog:      cfg.Logger == nil,
		NoSigs:     true,
		DontListen: cfg.Listen == "" && cfg.ClusterListen == "",
	}
	if cfg.Listen == "" && cfg.ClusterListen != "" {
		cfg.Listen = "127.0.0.1:-1"
	}
	if cfg.Listen != "" {
		host, port, err := splitHostPort(cfg.Listen)
		if err != nil {
			return nil, err
		}
		opts.Host, opts.Port = host, port
	}
	if cfg.ClusterListen == "" {
		return opts, nil
	}
	host, port, err := splitHostPort(cfg.ClusterListen)
	if err != nil {
		return nil, err
	}
	opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: host, Port: port}
	if opts.Cluster.Name == "" {
		opts.Cluster.Name = "hubcat"
	}
	if opts.ServerName == "" {
		opts.ServerName = "hubcat-" + net.JoinHostPort(host, strconv.Itoa(port))
	}
	for _, r := range cfg.Routes {
		u := server.RoutesFromStr("nats-route://" + r)
		if len(u) != 1 {
			return nil, fmt.Errorf("cluster: bad route %q", r)
		}
		opts.Routes = append(opts.Routes, u[0])
	}
	return opts, nil
}

// splitHostPort parses "host:port" with a numeric port.
func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("cluster: address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("cluster: address %q: bad port", addr)
	}
	return host, port, nil
}

// ClientURL is the node's client address (nats://…), for other hubs and
// tools; "" when it has no client port.
func (n *Node) ClientURL() string {
	if n.srv.Addr() == nil {
		return ""
	}
	return n.srv.ClientURL()
}

// JetStreamLeader reports whether this node leads its JetStream cluster
// (always true for a single node with JetStream running).
func (n *Node) JetStreamLeader() bool {
	return n.srv.JetStreamIsLeader() || (!n.srv.JetStreamIsClustered() && n.srv.JetStreamEnabled())
}

// Shutdown stops the node and waits until it has.
func (n *Node) Shutdown() {
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
}

// natsLogger passes nats-server's warnings and errors to slog; its
// notices go at debug level.
type natsLogger struct{ l *slog.Logger }

func (n natsLogger) Noticef(f string, a ...any) { n.l.Debug(fmt.Sprintf(f, a...)) }
func (n natsLogger) Warnf(f string, a ...any)   { n.l.Warn(fmt.Sprintf(f, a...)) }
func (n natsLogger) Fatalf(f string, a ...any)  { n.l.Error(fmt.Sprintf(f, a...)) }
func (n natsLogger) Errorf(f string, a ...any)  { n.l.Error(fmt.Sprintf(f, a...)) }
func (n natsLogger) Debugf(f string, a ...any)  {}
func (n natsLogger) Tracef(f string, a ...any)  {}

// JetStreamPeers is how many JetStream servers this node knows in its
// cluster, itself included (1 when not clustered).
func (n *Node) JetStreamPeers() int {
	if !n.srv.JetStreamIsClustered() {
		return 1
	}
	return len(n.srv.JetStreamClusterPeers())
}
