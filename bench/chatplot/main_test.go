package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubcat/hubcat/loadgen"
)

func writeSummary(t *testing.T, dir, name string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTableAndChart(t *testing.T) {
	dir := t.TempDir()
	lat := func(scale float64) loadgen.Latency {
		return loadgen.Latency{P50: scale, P99: 4 * scale, Max: 8 * scale, Percentiles: [][2]float64{{0, scale / 2}, {50, scale}, {99, 4 * scale}, {100, 8 * scale}}}
	}
	writeSummary(t, dir, "W1_hubcat.json", loadgen.Report{Clients: 10, Joined: 10, Senders: 2, DeliveriesPerSec: 1000, Latency: lat(1),
		Hub: &loadgen.HubUsage{CPUSeconds: 0.5, DeliveriesPerCPUSecond: 2000}})
	writeSummary(t, dir, "W1_nats.json", loadgen.Report{Clients: 10, Joined: 10, Senders: 2, DeliveriesPerSec: 500, Latency: lat(3),
		Hub: &loadgen.HubUsage{CPUSeconds: 1, DeliveriesPerCPUSecond: 500}})
	writeSummary(t, dir, "W1_ncat.json", map[string]string{"error": "exit 1: server exited"})
	writeSummary(t, dir, "W1_seed.json", loadgen.Report{Clients: 10, Connected: 4, FirstConnectError: "connection refused"})
	writeSummary(t, dir, "W5-1k_hubcat.json", loadgen.Report{Clients: 1000, Joined: 1000, ConnectSeconds: 2, Hub: &loadgen.HubUsage{RSSBytes: 10 << 20, RSSPerClientBytes: 8192}})
	writeSummary(t, dir, "W5-1k_nats.json", loadgen.Report{Clients: 1000, Joined: 1000, ConnectSeconds: 1, Hub: &loadgen.HubUsage{RSSBytes: 20 << 20, RSSPerClientBytes: 20480}})

	var out bytes.Buffer
	if err := run(&out, dir, dir, []string{"hubcat", "ncat", "nats", "seed"}, nil); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, want := range []string{
		"| W1 | hubcat | 10/10 | 1000 | 1.00× |",
		"| W1 | ncat | failed: exit 1: server exited |",
		"| W1 | nats | 10/10 | 500 | 0.50× |",
		"| W1 | seed | failed: 4 of 10 connected, none in the room; connection refused |",
		"| 12.00 | 3.00× |", // nats p99 against hubcat's 4 ms
		"| 500 | 0.25× |",   // deliveries per CPU-second
		"| W5-1k | nats | 1000/1000 | 1.00 | 0.50× | 20.0 | 20.0 | 2.50× | 0 | 1.9 | 19 |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if strings.Index(table, "| W1 | ncat") > strings.Index(table, "| W1 | nats") {
		t.Errorf("systems not in the given order:\n%s", table)
	}
	png, err := os.ReadFile(filepath.Join(dir, "chat-w1.png"))
	if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("chart: %v, %d bytes", err, len(png))
	}
	if _, err := os.Stat(filepath.Join(dir, "chat-w5-1k.png")); !os.IsNotExist(err) {
		t.Errorf("idle workload got a latency chart: %v", err)
	}
}

func TestMedianOfRepeatedRuns(t *testing.T) {
	dir := t.TempDir()
	for i, p99 := range []float64{9, 1, 5} {
		writeSummary(t, dir, fmt.Sprintf("W2_hubcat.%d.json", i+1), loadgen.Report{Clients: 3, Joined: 3, Senders: 1, DeliveriesPerSec: 100 * p99, Latency: loadgen.Latency{P99: p99}})
	}
	writeSummary(t, dir, "W2_nats.1.json", map[string]string{"error": "exit 1: boom"})
	writeSummary(t, dir, "W2_nats.2.json", loadgen.Report{Clients: 3, Joined: 3, Senders: 1, DeliveriesPerSec: 50, Latency: loadgen.Latency{P99: 2}})
	var out bytes.Buffer
	if err := run(&out, dir, "", []string{"hubcat", "nats"}, nil); err != nil {
		t.Fatal(err)
	}
	table := out.String()
	for _, want := range []string{"| W2 | hubcat | 3/3 | 500 | 1.00× |", "| W2 | nats | 3/3 | 50 | 0.10× |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}
