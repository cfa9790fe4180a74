package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hubcat/hubcat/loadgen"
)

func benchCmd(std stdio) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "load generators",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(benchChatCmd(std))
	return cmd
}

func benchChatCmd(std stdio) *cobra.Command {
	var (
		cfg      loadgen.Config
		addr     string
		proto    string
		jsonFile string
		label    string
	)
	cmd := &cobra.Command{
		Use:   "chat --addr ADDR [flags]",
		Short: "load a chat server: many clients, some sending, latency and loss measured",
		Long: `Opens --clients connections to a chat server, waits until the server
broadcasts to all of them, then has --senders of them send --rate numbered,
timestamped lines per second each for --duration (rate 0: as fast as each
sender's window of unacknowledged messages allows). Reports deliveries per
second, loss, duplicates, garbled lines, latency percentiles and, with --pid,
the server's CPU time and memory. --senders 0 holds idle connections and
reports the server's memory per connection.

Protocols: lines (hubcat serve, ncat --chat, any line chat; a "<name> "
prefix is accepted), nats (all clients subscribe to one subject), irc
(all clients join one channel: hubcat serve --irc, ngircd, inspircd) and ws
(WebSocket at /ws with JSON messages: hubcat serve's web listener, or a
server relaying each message to the others).`,
		Example: `  hubcat bench chat --addr 127.0.0.1:7000 --clients 1000 --senders 20 --rate 20 --duration 10s
  hubcat bench chat --addr 127.0.0.1:4222 --proto nats --clients 200 --senders 200 --rate 0
  hubcat bench chat --addr 127.0.0.1:8080 --proto ws --clients 1000 --senders 20 --rate 20
  hubcat bench chat --addr 127.0.0.1:7000 --clients 10000 --senders 0 --pid 1234`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if addr == "" {
				return &usageError{msg: "--addr is required", hint: "as in: hubcat bench chat --addr 127.0.0.1:7000"}
			}
			e, err := parseEndpoint(addr)
			if err != nil {
				return err
			}
			cfg.Addr, cfg.Proto = e, loadgen.Proto(proto)
			if !cmd.Flags().Changed("senders") {
				cfg.Senders = min(cfg.Senders, cfg.Clients)
			}
			if err := cfg.Validate(); err != nil {
				return &usageError{msg: err.Error(), hint: "see 'hubcat bench chat --help'"}
			}
			cfg.Progress = progressPrinter(std.err)
			rep, err := loadgen.Run(cmd.Context(), cfg)
			if isTerminal(std.err) {
				fmt.Fprint(std.err, "\r\033[K") // clear the live line
			}
			if err != nil {
				return err
			}
			rep.Label = label
			printReport(std.out, rep)
			if jsonFile != "" {
				return writeJSON(jsonFile, rep)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&addr, "addr", "", "chat server address (host:port, tcp://, tls://, unix://)")
	f.StringVar(&proto, "proto", "lines", "protocol: lines, nats, irc or ws")
	f.IntVar(&cfg.Clients, "clients", 100, "connections to open")
	f.BoolVar(&cfg.Greeting, "greeting", false, "lines: the server greets each client; wait for that line before counting it connected")
	f.IntVar(&cfg.Senders, "senders", 10, "clients that send (default: up to 10); 0 holds idle connections")
	f.IntVar(&cfg.Stalled, "stalled", 0, "clients that stop reading when sending begins (slow-consumer test)")
	f.Float64Var(&cfg.Rate, "rate", 50, "lines per second per sender; 0 = as fast as the window allows")
	f.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send (or hold idle connections)")
	f.IntVar(&cfg.Window, "window", 64, "a sender's messages in flight before it waits for them to arrive")
	f.IntVar(&cfg.Size, "size", 0, "pad each line to at least this many bytes")
	f.IntVar(&cfg.DialConcurrency, "dial-concurrency", 64, "connections being opened at once")
	f.Float64Var(&cfg.ConnectRate, "connect-rate", 0, "connections per second while ramping up; 0 = unlimited")
	f.DurationVar(&cfg.JoinTimeout, "join-timeout", 60*time.Second, "how long to wait for all clients to be in the room")
	f.DurationVar(&cfg.Drain, "drain", 2*time.Second, "after sending, how long deliveries may stall before the rest count as lost")
	f.IntVar(&cfg.PID, "pid", 0, "the server's process ID, for its CPU time and memory")
	f.StringVar(&jsonFile, "json", "", "write the summary as JSON to this file")
	f.StringVar(&label, "label", "", "name of the system under test, for the JSON summary")
	return cmd
}

// progressPrinter returns a live status line: rewritten in place once a
// second on a terminal, otherwise one line every five seconds.
func progressPrinter(w io.Writer) func(loadgen.Progress) {
	if isTerminal(w) {
		return func(p loadgen.Progress) { fmt.Fprintf(w, "\r\033[K%s", p) }
	}
	n := 0
	return func(p loadgen.Progress) {
		if n++; n%5 == 0 {
			fmt.Fprintln(w, p)
		}
	}
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// printReport writes the human-readable summary.
func printReport(w io.Writer, r *loadgen.Report) {
	fmt.Fprintf(w, "%s %s\n", r.Proto, r.Addr)
	fmt.Fprintf(w, "clients    %d asked, %d connected, %d joined in %.2fs", r.Clients, r.Connected, r.Joined, r.ConnectSeconds)
	if r.ConnectErrors > 0 {
		fmt.Fprintf(w, "; %d failed (%s)", r.ConnectErrors, r.FirstConnectError)
	}
	fmt.Fprintln(w)
	if r.Senders > 0 {
		rate := "flat out"
		if r.Rate > 0 {
			rate = fmt.Sprintf("%g/s each", r.Rate)
		}
		fmt.Fprintf(w, "sent       %d by %d senders (%s) over %.1fs\n", r.Sent, r.Senders, rate, r.DurationSeconds)
		fmt.Fprintf(w, "delivered  %d of %d (%.0f/s); lost %d, duplicates %d, garbled %d\n",
			r.Delivered, r.Expected, r.DeliveriesPerSec, r.Lost, r.Duplicates, r.Garbled)
		l := r.Latency
		fmt.Fprintf(w, "latency    p50 %.3gms  p90 %.3gms  p99 %.3gms  p99.9 %.3gms  max %.3gms\n", l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	if r.Stalled > 0 {
		fmt.Fprintf(w, "stalled    %d clients stopped reading; the server cut off %d of them\n", r.Stalled, r.StalledDropped)
	}
	if r.Disconnected > 0 {
		fmt.Fprintf(w, "dropped    %d clients were disconnected by the server (%s)\n", r.Disconnected, r.FirstDisconnectError)
	}
	if h := r.Hub; h != nil {
		var b strings.Builder
		fmt.Fprintf(&b, "hub        cpu %.2fs", h.CPUSeconds)
		if h.DeliveriesPerCPUSecond > 0 {
			fmt.Fprintf(&b, " (%.0f deliveries per cpu-second)", h.DeliveriesPerCPUSecond)
		}
		fmt.Fprintf(&b, ", rss %.1f MiB (%+.1f KiB per client), peak %.1f MiB",
			mib(h.RSSBytes), h.RSSPerClientBytes/1024, mib(h.PeakRSSBytes))
		fmt.Fprintln(w, b.String())
	}
	fmt.Fprintf(w, "loadgen    cpu %.2fs\n", r.LoadgenCPUSeconds)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// writeJSON saves the report as indented JSON.
func writeJSON(path string, r *loadgen.Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
