// Command chatplot turns the JSON summaries of bench/chat.sh into a
// markdown table with ratios against hubcat and one latency chart per
// workload, every system in the same chart.
//
// Each summary is a file WORKLOAD_SYSTEM.json written by
// "hubcat bench chat --json"; a failed run is {"error": "..."}.
//
//	go run ./bench/chatplot -dir /tmp/chat -charts bench
package main

import (
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/hubcat/hubcat/loadgen"
)

// result is one system's summary for one workload.
type result struct {
	loadgen.Report
	Error    string `json:"error,omitempty"`
	workload string
	system   string
}

func main() {
	dir := flag.String("dir", ".", "directory of WORKLOAD_SYSTEM.json summaries")
	charts := flag.String("charts", "", "write chat-<workload>.png latency charts here (none when empty)")
	systems := flag.String("systems", "hubcat,ncat,nats,seed", "systems in table order; the first is the baseline for ratios")
	workloads := flag.String("workloads", "", "workloads in table order (default: by name)")
	flag.Parse()
	if err := run(os.Stdout, *dir, *charts, strings.Split(*systems, ","), strings.Fields(strings.ReplaceAll(*workloads, ",", " "))); err != nil {
		fmt.Fprintf(os.Stderr, "chatplot: %s\n", err)
		os.Exit(1)
	}
}

func run(w io.Writer, dir, charts string, systems, wlOrder []string) error {
	results, err := load(dir)
	if err != nil {
		return err
	}
	workloads := map[string][]*result{}
	var order []string
	for _, r := range results {
		if _, ok := workloads[r.workload]; !ok {
			order = append(order, r.workload)
		}
		workloads[r.workload] = append(workloads[r.workload], r)
	}
	slices.SortFunc(order, func(a, b string) int {
		if d := rank(wlOrder, a) - rank(wlOrder, b); d != 0 {
			return d
		}
		return strings.Compare(a, b)
	})
	for _, rs := range workloads {
		slices.SortFunc(rs, func(a, b *result) int { return rank(systems, a.system) - rank(systems, b.system) })
	}
	traffic, idle := split(order, workloads)
	if len(traffic) > 0 {
		trafficTable(w, traffic, workloads, systems[0])
	}
	if len(idle) > 0 {
		idleTable(w, idle, workloads, systems[0])
	}
	if charts == "" {
		return nil
	}
	for _, wl := range traffic {
		file := filepath.Join(charts, "chat-"+strings.ToLower(wl)+".png")
		if err := latencyChart(file, wl, workloads[wl]); err != nil {
			return fmt.Errorf("chart %s: %w", file, err)
		}
	}
	return nil
}

// load reads every summary in dir. A summary named WORKLOAD_SYSTEM.N.json
// is repetition N; of several, the median one stands for the system.
func load(dir string) ([]*result, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*_*.json"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("no WORKLOAD_SYSTEM.json files in %s", dir)
	}
	runs := map[string][]*result{}
	var keys []string
	for _, f := range files {
		r, err := loadOne(f)
		if err != nil {
			return nil, err
		}
		key := r.workload + "_" + r.system
		if runs[key] == nil {
			keys = append(keys, key)
		}
		runs[key] = append(runs[key], r)
	}
	out := make([]*result, 0, len(keys))
	for _, k := range keys {
		out = append(out, median(runs[k]))
	}
	return out, nil
}

// loadOne reads one summary and names it after its file.
func loadOne(file string) (*result, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	r := &result{}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var rest string
	r.workload, rest, _ = strings.Cut(strings.TrimSuffix(filepath.Base(file), ".json"), "_")
	r.system, _, _ = strings.Cut(rest, ".")
	if r.Error == "" && r.Joined == 0 {
		r.Error = fmt.Sprintf("%d of %d connected, none in the room", r.Connected, r.Clients)
		if r.FirstConnectError != "" {
			r.Error += "; " + r.FirstConnectError
		}
	}
	return r, nil
}

// median picks the middle run by p99 latency (idle runs: by connect
// time); failed runs count as the slowest.
func median(rs []*result) *result {
	key := func(r *result) float64 {
		switch {
		case r.Error != "":
			return math.Inf(1)
		case r.Senders == 0:
			return r.ConnectSeconds
		}
		return r.Latency.P99
	}
	slices.SortStableFunc(rs, func(a, b *result) int { return cmp.Compare(key(a), key(b)) })
	return rs[(len(rs)-1)/2]
}

func rank(systems []string, s string) int {
	if i := slices.Index(systems, s); i >= 0 {
		return i
	}
	return len(systems)
}

// split separates workloads with senders from idle ones (every
// successful run without senders).
func split(order []string, workloads map[string][]*result) (traffic, idle []string) {
	for _, wl := range order {
		ok, senders := 0, 0
		for _, r := range workloads[wl] {
			if r.Error == "" {
				ok++
				senders += r.Senders
			}
		}
		if ok > 0 && senders == 0 {
			idle = append(idle, wl)
		} else {
			traffic = append(traffic, wl)
		}
	}
	return traffic, idle
}

// baseline finds the baseline system's successful result.
func baseline(rs []*result, system string) *result {
	for _, r := range rs {
		if r.system == system && r.Error == "" {
			return r
		}
	}
	return nil
}

// ratio formats a/b as "1.23×", or "–" when either is missing.
func ratio(a, b float64) string {
	if a <= 0 || b <= 0 || math.IsNaN(a/b) {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func trafficTable(w io.Writer, order []string, workloads map[string][]*result, base string) {
	fmt.Fprintf(w, "| workload | system | joined | deliveries/s | ÷ %s | lost | dups | garbled | dropped | p50 ms | p99 ms | ÷ %s | max ms | hub CPU s | deliveries per CPU-s | ÷ %s | loadgen CPU s |\n", base, base, base)
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, wl := range order {
		b := baseline(workloads[wl], base)
		for _, r := range workloads[wl] {
			if r.Error != "" {
				fmt.Fprintf(w, "| %s | %s | failed: %s ||||||||||||||\n", wl, r.system, r.Error)
				continue
			}
			var bd, bp, bc float64
			if b != nil {
				bd, bp, bc = b.DeliveriesPerSec, b.Latency.P99, cpuRate(b)
			}
			fmt.Fprintf(w, "| %s | %s | %d/%d | %.0f | %s | %d | %d | %d | %s | %.2f | %.2f | %s | %.1f | %.2f | %.0f | %s | %.2f |\n",
				wl, r.system, r.Joined, r.Clients, r.DeliveriesPerSec, ratio(r.DeliveriesPerSec, bd),
				r.Lost, r.Duplicates, r.Garbled, dropped(r), r.Latency.P50, r.Latency.P99, ratio(r.Latency.P99, bp),
				r.Latency.Max, cpu(r), cpuRate(r), ratio(cpuRate(r), bc), r.LoadgenCPUSeconds)
		}
	}
	fmt.Fprintln(w)
}

func idleTable(w io.Writer, order []string, workloads map[string][]*result, base string) {
	fmt.Fprintf(w, "| workload | system | joined | connect s | ÷ %s | hub RSS MiB | KiB per client | ÷ %s | dropped | RSS at 100k clients GiB | at 1M GiB |\n", base, base)
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, wl := range order {
		b := baseline(workloads[wl], base)
		for _, r := range workloads[wl] {
			if r.Error != "" {
				fmt.Fprintf(w, "| %s | %s | failed: %s |||||||||\n", wl, r.system, r.Error)
				continue
			}
			var bc, bk float64
			if b != nil {
				bc, bk = b.ConnectSeconds, perClientKiB(b)
			}
			rss := 0.0
			if r.Hub != nil {
				rss = float64(r.Hub.RSSBytes) / (1 << 20)
			}
			fmt.Fprintf(w, "| %s | %s | %d/%d | %.2f | %s | %.1f | %.1f | %s | %d | %.1f | %.0f |\n",
				wl, r.system, r.Joined, r.Clients, r.ConnectSeconds, ratio(r.ConnectSeconds, bc),
				rss, perClientKiB(r), ratio(perClientKiB(r), bk), r.Disconnected, projectGiB(r, 1e5), projectGiB(r, 1e6))
		}
	}
	fmt.Fprintln(w)
}

// projectGiB extrapolates the hub's RSS to n idle clients from its
// baseline and per-client figures.
func projectGiB(r *result, n float64) float64 {
	if r.Hub == nil {
		return 0
	}
	return (float64(r.Hub.RSSBeforeBytes) + n*r.Hub.RSSPerClientBytes) / (1 << 30)
}

// dropped says how many receiving clients the server disconnected and,
// in a stall workload, how many of the stalled clients it cut off.
func dropped(r *result) string {
	if r.Stalled == 0 {
		return fmt.Sprint(r.Disconnected)
	}
	return fmt.Sprintf("%d (stalled: %d of %d cut off)", r.Disconnected, r.StalledDropped, r.Stalled)
}

func cpu(r *result) float64 {
	if r.Hub == nil {
		return 0
	}
	return r.Hub.CPUSeconds
}

func cpuRate(r *result) float64 {
	if r.Hub == nil {
		return 0
	}
	return r.Hub.DeliveriesPerCPUSecond
}

func perClientKiB(r *result) float64 {
	if r.Hub == nil {
		return 0
	}
	return r.Hub.RSSPerClientBytes / 1024
}

// latencyChart draws every system's latency percentiles for one workload:
// x is the percentile on a 1/(1-p) log scale, y the latency on a log scale.
func latencyChart(file, workload string, rs []*result) error {
	p := plot.New()
	p.Title.Text = "chat " + workload + ": delivery latency by percentile"
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency (ms)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = percentileTicks{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Legend.Top, p.Legend.Left = false, false // curves rise to the top left
	p.Add(plotter.NewGrid())
	drawn := 0
	for i, r := range rs {
		pts := chartPoints(r)
		if len(pts) < 2 {
			continue
		}
		line, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		line.Color = plotutil.Color(i)
		line.Width = vg.Points(2)
		line.Dashes = plotutil.Dashes(i)
		p.Add(line)
		p.Legend.Add(fmt.Sprintf("%s (p99 %.3g ms)", r.system, r.Latency.P99), line)
		drawn++
	}
	if drawn == 0 {
		return nil
	}
	return p.Save(8*vg.Inch, 5*vg.Inch, file)
}

// chartPoints maps (percentile, ms) to (1/(1-p), ms), leaving out the
// maximum (p = 100) and non-positive latencies a log scale can't show.
func chartPoints(r *result) plotter.XYs {
	if r.Error != "" {
		return nil
	}
	var pts plotter.XYs
	for _, pt := range r.Latency.Percentiles {
		if pt[0] >= 100 || pt[1] <= 0 {
			continue
		}
		pts = append(pts, plotter.XY{X: 1 / (1 - pt[0]/100), Y: pt[1]})
	}
	return pts
}

// percentileTicks labels the 1/(1-p) axis in percentiles.
type percentileTicks struct{}

// Ticks implements plot.Ticker.
func (percentileTicks) Ticks(lo, hi float64) []plot.Tick {
	labels := []struct {
		x float64
		s string
	}{{1, "0"}, {2, "50"}, {10, "90"}, {100, "99"}, {1e3, "99.9"}, {1e4, "99.99"}, {1e5, "99.999"}}
	var out []plot.Tick
	for _, l := range labels {
		if l.x >= lo && l.x <= hi {
			out = append(out, plot.Tick{Value: l.x, Label: l.s})
		}
	}
	return out
}
