package loadgen

import (
	"math"
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// latencyShards spreads histogram locking over several histograms.
const latencyShards = 16

// maxLatency is the largest latency the histograms hold; longer ones are
// clamped to it.
const maxLatency = int64(10 * 60 * 1e9)

// latencies collects delivery latencies (nanoseconds) from all clients.
type latencies struct {
	shards [latencyShards]struct {
		mu sync.Mutex
		h  *hdrhistogram.Histogram
	}
}

func newLatencies() *latencies {
	l := &latencies{}
	for i := range l.shards {
		l.shards[i].h = hdrhistogram.New(1, maxLatency, 3)
	}
	return l
}

// record adds a batch of latencies from client id.
func (l *latencies) record(id int, ns []int64) {
	s := &l.shards[id%latencyShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range ns {
		s.h.RecordValue(min(max(v, 1), maxLatency))
	}
}

// merged returns one histogram of everything recorded.
func (l *latencies) merged() *hdrhistogram.Histogram {
	all := hdrhistogram.New(1, maxLatency, 3)
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		all.Merge(s.h)
		s.mu.Unlock()
	}
	return all
}

// Latency summarises a latency distribution in milliseconds.
type Latency struct {
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	P999 float64 `json:"p999_ms"`
	Max  float64 `json:"max_ms"`
	Mean float64 `json:"mean_ms"`
	// Percentiles lists (percentile, milliseconds) points from 0 to 100,
	// spaced for a log-scaled percentile chart.
	Percentiles [][2]float64 `json:"percentiles"`
}

// summarize turns a histogram into a Latency.
func summarize(h *hdrhistogram.Histogram) Latency {
	if h.TotalCount() == 0 {
		return Latency{}
	}
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	out := Latency{
		P50:  ms(h.ValueAtQuantile(50)),
		P90:  ms(h.ValueAtQuantile(90)),
		P99:  ms(h.ValueAtQuantile(99)),
		P999: ms(h.ValueAtQuantile(99.9)),
		Max:  ms(h.Max()),
		Mean: h.Mean() / 1e6,
	}
	for _, p := range chartPercentiles() {
		out.Percentiles = append(out.Percentiles, [2]float64{p, ms(h.ValueAtQuantile(p))})
	}
	out.Percentiles = append(out.Percentiles, [2]float64{100, out.Max})
	return out
}

// chartPercentiles are 0, then four points per decade of 1/(1-p) up to
// 99.999: 0, 43.8, 68.4, 82.2, 90, 94.4, ... 99.999.
func chartPercentiles() []float64 {
	ps := []float64{0}
	for k := 1; k <= 20; k++ {
		ps = append(ps, 100*(1-math.Pow(10, -float64(k)/4)))
	}
	return ps
}
