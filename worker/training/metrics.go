package training

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the training loop's Prometheus metrics.
type Metrics struct {
	TasksJoined         prometheus.Counter
	UpdatesTrained      prometheus.Counter
	UpdatesCommitted    prometheus.Counter
	UpdatesRevealed     prometheus.Counter
	AggregatesSubmitted prometheus.Counter
	// BlobFetches counts blobs fetched, by source (cache, http, file) or
	// "error".
	BlobFetches *prometheus.CounterVec
	// Duration times local updates and aggregations (kind update, aggregate).
	Duration *prometheus.HistogramVec
}

// NewMetrics makes the metrics and registers them with reg (when not nil),
// reusing those already registered there.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	const ns, sub = "meshd_worker", "training"
	counter := func(name, help string) prometheus.Counter {
		return register(reg, prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: name, Help: help}))
	}
	return &Metrics{
		TasksJoined:    counter("tasks_joined_total", "x/training tasks the worker joined (seen on chain)."),
		UpdatesTrained: counter("updates_trained_total", "Local updates computed."),
		UpdatesCommitted: counter("updates_committed_total",
			"Update commitments seen on chain."),
		UpdatesRevealed: counter("updates_revealed_total", "Update reveals seen on chain."),
		AggregatesSubmitted: counter("aggregates_submitted_total",
			"Aggregated checkpoints whose submission was seen on chain."),
		BlobFetches: register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub,
			Name: "blob_fetches_total", Help: "Blobs fetched, by source (cache, http, file) or error."}, []string{"source"})),
		Duration: register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub,
			Name: "duration_seconds", Help: "Time of a local update or an aggregation (with evaluation).",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10)}, []string{"kind"})),
	}
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if reg == nil {
		return c
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}
