package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/hubcat/hubcat/cluster"
	"github.com/hubcat/hubcat/hub"
)

// clusterOptions are the cluster flags of hubcat serve.
type clusterOptions struct {
	urls                     []string // --cluster
	creds                    string
	tlsCA, tlsCert, tlsKey   string
	replicas                 int
	id                       string
	maxAge                   time.Duration
	embedded                 bool
	peers                    []string
	route, natsListen, store string
}

func (o *clusterOptions) register(f *pflag.FlagSet) {
	f.StringSliceVar(&o.urls, "cluster", nil, "join a cluster of hubs through these NATS servers (nats://host:4222,…)")
	f.StringVar(&o.creds, "cluster-creds", "", "NATS credentials file for --cluster")
	f.StringVar(&o.tlsCA, "cluster-tls-ca", "", "CA certificates (PEM) to verify the NATS servers with")
	f.StringVar(&o.tlsCert, "cluster-tls-cert", "", "client certificate (PEM) for NATS servers that ask for one")
	f.StringVar(&o.tlsKey, "cluster-tls-key", "", "private key (PEM) for --cluster-tls-cert")
	f.IntVar(&o.replicas, "cluster-replicas", 0, "JetStream replicas of the rooms' log (0 = 3 with three or more NATS servers, else 1)")
	f.StringVar(&o.id, "cluster-id", "", "this hub's name in the cluster (default: random)")
	f.DurationVar(&o.maxAge, "cluster-max-age", 0, "forget room events older than this (0 = keep)")
	f.BoolVar(&o.embedded, "cluster-embedded", false, "run a NATS server with JetStream inside this hub (no NATS to install)")
	f.StringSliceVar(&o.peers, "cluster-peers", nil, "with --cluster-embedded: the route addresses host:port of every hub's NATS server")
	f.StringVar(&o.route, "cluster-route", ":6222", "with --cluster-peers: where this hub's NATS server takes routes")
	f.StringVar(&o.natsListen, "cluster-nats-listen", "", "with --cluster-embedded: also take NATS clients here (host:port)")
	f.StringVar(&o.store, "cluster-store", "", "with --cluster-embedded: JetStream's directory (default: nats in the --data directory)")
}

// enabled reports whether the hub joins a cluster.
func (o *clusterOptions) enabled() bool { return len(o.urls) > 0 || o.embedded }

// check refuses flags that do not fit together.
func (o *clusterOptions) check() error {
	switch {
	case len(o.urls) > 0 && o.embedded:
		return &usageError{msg: "--cluster and --cluster-embedded exclude each other", hint: "--cluster joins NATS servers that run elsewhere; --cluster-embedded runs one in this hub"}
	case !o.embedded && len(o.peers) > 0:
		return &usageError{msg: "--cluster-peers needs --cluster-embedded"}
	case o.embedded && len(o.peers) == 1:
		return &usageError{msg: "--cluster-peers lists every hub's route address, this one's included", hint: "a NATS cluster needs three hubs to keep working when one is down"}
	}
	return nil
}

// joined is a hub's place in its cluster: the connection and, when
// embedded, the NATS server.
type joined struct {
	c    *cluster.Cluster
	node *cluster.Node
	log  *slog.Logger
}

// join starts the embedded NATS server if asked, then connects and
// prepares the stream, waiting while the cluster elects its leader.
func (o *clusterOptions) join(ctx context.Context, data string, names hub.NamePolicy, log *slog.Logger) (*joined, error) {
	if names == nil {
		names = hub.DefaultNames
	}
	cfg := cluster.Config{
		URLs: o.urls, Creds: o.creds, TLSCA: o.tlsCA, TLSCert: o.tlsCert, TLSKey: o.tlsKey,
		Replicas: o.replicas, HubID: o.id, MaxAge: o.maxAge, Fold: names.Fold, Logger: log,
		OnStatus: func(up bool) {
			if !up {
				log.Warn("cluster unavailable: serving local members; messages are refused until NATS is back")
			}
		},
	}
	servers := max(len(o.urls), len(o.peers), 1)
	if cfg.Replicas == 0 && servers >= 3 {
		cfg.Replicas = 3
	}
	j := &joined{log: log}
	if o.embedded {
		store, err := o.storeDir(data)
		if err != nil {
			return nil, err
		}
		log.Info("nats store", "dir", store)
		nd, err := cluster.StartNode(cluster.NodeConfig{
			Listen: o.natsListen, ClusterListen: o.routeListen(), Routes: o.peers, StoreDir: store, Logger: log,
		})
		if err != nil {
			return nil, err
		}
		j.node, cfg.Embedded = nd, nd
		if u := nd.ClientURL(); u != "" {
			log.Info("nats listening", "addr", u)
		}
	}
	log.Info("joining cluster", "nats", strings.Join(o.urls, ","), "embedded", o.embedded, "replicas", max(cfg.Replicas, 1))
	c, err := cluster.Dial(ctx, cfg)
	if err != nil {
		j.close()
		return nil, err
	}
	j.c = c
	return j, nil
}

// storeDir is the embedded server's JetStream directory: --cluster-store,
// else nats in the --data directory.
func (o *clusterOptions) storeDir(data string) (string, error) {
	if o.store != "" {
		return o.store, nil
	}
	dir, err := dataDir(data)
	if err == nil && dir == dataNone {
		err = &usageError{msg: "--cluster-embedded keeps the rooms' log on disk; --data none has no directory for it", hint: "give --cluster-store DIR"}
	}
	return filepath.Join(dir, "nats"), err
}

// routeListen is the embedded server's route address: none when alone.
func (o *clusterOptions) routeListen() string {
	if len(o.peers) == 0 {
		return ""
	}
	return o.route
}

// configure makes j the hub's sequencer, log and name registry.
func (j *joined) configure(cfg *hub.Config) {
	if j == nil {
		return
	}
	cfg.ID, cfg.Sequencer, cfg.Log, cfg.Claims = j.c.HubID(), j.c, j.c, j.c
}

// start delivers the cluster's events to h.
func (j *joined) start(ctx context.Context, h *hub.Hub) error {
	if j == nil {
		return nil
	}
	if err := j.c.Start(ctx, h); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	j.log.Info("joined cluster", "hub_id", j.c.HubID())
	return nil
}

// close leaves the cluster (releasing names) and stops the NATS server.
func (j *joined) close() {
	if j == nil {
		return
	}
	if j.c != nil {
		j.c.Close()
	}
	if j.node != nil {
		j.node.Shutdown()
	}
}
