package web

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/hubcat/hubcat/hub"
)

// metrics builds the private registry behind /metrics: the hub's counters,
// read at scrape time, the WebSocket handshakes, and the Go runtime.
func (wh *Handler) metrics(h *hub.Hub) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	wh.accepted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hubcat_websocket_accepted_total", Help: "WebSocket connections accepted.",
	})
	wh.refused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "hubcat_websocket_refused_total", Help: "WebSocket handshakes refused (another origin, or not a WebSocket request).",
	})
	reg.MustRegister(wh.accepted, wh.refused, hubCollector{h},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// hubCollector reports hub.Stats each time /metrics is scraped, so that
// the hub itself knows nothing of Prometheus.
type hubCollector struct{ h *hub.Hub }

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("hubcat_"+name, help, labels, nil)
}

var (
	membersDesc     = desc("members", "Members connected, by front end.", "frontend")
	roomsDesc       = desc("rooms", "Rooms in the hub.")
	messagesInDesc  = desc("messages_in_total", "Messages and actions accepted from members.")
	deliveriesDesc  = desc("deliveries_total", "Events queued to members.")
	bytesOutDesc    = desc("bytes_queued_total", "Bytes queued to members.")
	slowCutsDesc    = desc("slow_consumer_cuts_total", "Members cut off because they did not read.")
	logPendingDesc  = desc("log_pending", "Events handed to the log and not yet durable.")
	logFailuresDesc = desc("log_failures_total", "Batches of events the log refused.")
	refusedDesc     = desc("inputs_refused_total", "Client inputs refused with an error, by reason (the error code).", "reason")
)

// Describe implements prometheus.Collector.
func (c hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{membersDesc, roomsDesc, messagesInDesc, deliveriesDesc,
		bytesOutDesc, slowCutsDesc, logPendingDesc, logFailuresDesc, refusedDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c hubCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.h.Stats()
	for fe, n := range s.Members {
		ch <- prometheus.MustNewConstMetric(membersDesc, prometheus.GaugeValue, float64(n), fe)
	}
	gauge := func(d *prometheus.Desc, v float64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v)
	}
	counter := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge(roomsDesc, float64(s.Rooms))
	gauge(logPendingDesc, float64(s.LogPending))
	counter(messagesInDesc, s.MessagesIn)
	counter(deliveriesDesc, s.Deliveries)
	counter(bytesOutDesc, s.BytesQueued)
	counter(slowCutsDesc, s.SlowConsumerCuts)
	counter(logFailuresDesc, s.LogFailures)
	for reason, n := range s.Refused {
		ch <- prometheus.MustNewConstMetric(refusedDesc, prometheus.CounterValue, float64(n), reason)
	}
}
