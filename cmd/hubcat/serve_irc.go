package main

import (
	"log/slog"
	"net"
	"strings"

	"github.com/spf13/pflag"

	"github.com/hubcat/hubcat/hub"
	"github.com/hubcat/hubcat/irc"
	"github.com/hubcat/hubcat/server"
)

// ircOptions are the IRC front end's flags of hubcat serve.
type ircOptions struct {
	listen []string // --irc: any stream address
	tls    []string // --irc-tls: host:port served over TLS
	name   string
}

func (o *ircOptions) register(f *pflag.FlagSet) {
	f.StringArrayVar(&o.listen, "irc", nil, "also serve IRC clients on this address (repeatable), e.g. :6667")
	f.StringArrayVar(&o.tls, "irc-tls", nil, "also serve IRC clients over TLS on this host:port (repeatable), e.g. :6697")
	f.StringVar(&o.name, "irc-name", "hubcat", "the IRC server name clients see")
}

// names is the hub's name policy: IRC's when IRC clients are served, so
// that every front end shares IRC's casemapping; nil (the default) else.
func (o *ircOptions) names() hub.NamePolicy {
	if len(o.listen)+len(o.tls) == 0 {
		return nil
	}
	return irc.Names
}

// ircListenOptions returns o with the IRC addresses as its listen list,
// so they open like the hub's own (TLS included).
func ircListenOptions(o serveOptions) serveOptions {
	o.listen = append([]string(nil), o.irc.listen...)
	for _, a := range o.irc.tls {
		o.listen = append(o.listen, "tls://"+strings.TrimPrefix(a, "tls://"))
	}
	return o
}

// newIRCServer serves the IRC front end of h with the hub's limits.
func newIRCServer(h *hub.Hub, o serveOptions, log *slog.Logger) *server.Server {
	cfg := irc.Config{
		Name:         o.irc.name,
		FloodRate:    o.chat.FloodRate,
		FloodBurst:   o.chat.FloodBurst,
		WriteTimeout: o.chat.WriteTimeout,
		Logger:       log,
	}
	return server.New(irc.NewServer(h, cfg), server.Config{
		MaxConns: o.maxClients,
		MaxPerIP: o.maxPerIP,
		Logger:   log,
		Reject: func(c net.Conn, why error) {
			c.Write([]byte(":" + o.irc.name + " ERROR :" + strings.TrimPrefix(why.Error(), "server: ") + "; try again later\r\n"))
		},
	})
}
