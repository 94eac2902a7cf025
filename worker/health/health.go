// Package health is meshd-worker's window for operators: Prometheus
// metrics, a JSON status and the HTTP server that exposes both.
package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultListen is the default address of the HTTP server.
const DefaultListen = "127.0.0.1:26680"

// StaleAfter is how long without a successful chain poll /healthz waits
// before it answers 503.
const StaleAfter = 2 * time.Minute

// Metrics are the worker's Prometheus metrics, in their own registry.
type Metrics struct {
	Registry        *prometheus.Registry
	EpochsCommitted prometheus.Counter
	EpochsRevealed  prometheus.Counter
	EpochsPassed    prometheus.Counter
	Outcomes        *prometheus.CounterVec
	ProveDuration   prometheus.Histogram
	NodeErrors      prometheus.Counter
	CurrentEpoch    prometheus.Gauge
	Height          prometheus.Gauge
	Unjails         prometheus.Counter
	// PoCOverclaims counts epochs whose challenge was not proven before its
	// commit window closed: the proof was abandoned and nothing committed
	// (the claimed GOPS are above what the machine proves in time).
	PoCOverclaims prometheus.Counter

	// x/inference jobs.
	JobsCommitted     prometheus.Counter
	JobsRevealed      prometheus.Counter
	JobsMissed        prometheus.Counter
	OpenJobs          prometheus.Gauge
	InferenceDuration *prometheus.HistogramVec
	InferenceErrors   *prometheus.CounterVec

	// SidecarRequests counts the Commitments calls of the validator's meshd.
	SidecarRequests prometheus.Counter
}

// NewMetrics registers the metrics (and the Go and process collectors).
func NewMetrics() *Metrics {
	const ns = "meshd_worker"
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		EpochsCommitted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "epochs_committed_total",
			Help: "Epochs whose PoC commitment was seen on chain."}),
		EpochsRevealed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "epochs_revealed_total",
			Help: "Epochs whose PoC reveal was judged on chain."}),
		EpochsPassed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "epochs_passed_total",
			Help: "Epochs whose PoC passed verification."}),
		Outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "epoch_outcomes_total",
			Help: "PoC outcomes seen on chain, by outcome."}, []string{"outcome"}),
		ProveDuration: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "prove_duration_seconds",
			Help: "Time to compute one PoC challenge (GEMM, encoding and Merkle tree).", Buckets: prometheus.ExponentialBuckets(0.01, 2, 16)}),
		NodeErrors: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "node_errors_total",
			Help: "Failed calls to the node: unreachable, or a query answered with an error."}),
		CurrentEpoch: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "current_epoch",
			Help: "The chain's current compute epoch."}),
		Height: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "last_height",
			Help: "The last block height seen."}),
		Unjails: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "unjails_total",
			Help: "MsgUnjailWorker broadcasts the worker made once its jail was over."}),
		PoCOverclaims: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "poc_overclaim_total",
			Help: "Epochs whose PoC challenge was not proven before the commit window closed (abandoned, not committed): the claim is above the machine's capacity."}),
		JobsCommitted: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "jobs_committed_total",
			Help: "Inference jobs whose result commitment was seen on chain."}),
		JobsRevealed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "jobs_revealed_total",
			Help: "Inference jobs whose result reveal was seen on chain."}),
		JobsMissed: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "jobs_missed_total",
			Help: "Inference jobs that ended before the worker's reveal was on chain."}),
		OpenJobs: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "open_jobs",
			Help: "Open inference jobs assigned to the worker."}),
		InferenceDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "inference_duration_seconds",
			Help: "Time to compute one inference output, by backend.", Buckets: prometheus.ExponentialBuckets(0.0005, 2, 18)},
			[]string{"backend"}),
		InferenceErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "inference_errors_total",
			Help: "Failed inferences (backend errors, unusable outputs), by backend."}, []string{"backend"}),
		SidecarRequests: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "sidecar_requests_total",
			Help: "Sidecar Commitments calls answered (the validator's meshd, once per height)."}),
	}
	m.Registry.MustRegister(m.EpochsCommitted, m.EpochsRevealed, m.EpochsPassed, m.Outcomes, m.ProveDuration,
		m.NodeErrors, m.CurrentEpoch, m.Height, m.Unjails, m.PoCOverclaims,
		m.JobsCommitted, m.JobsRevealed, m.JobsMissed, m.OpenJobs, m.InferenceDuration, m.InferenceErrors,
		m.SidecarRequests, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Snapshot is the worker's status as /healthz shows it.
type Snapshot struct {
	Healthy            bool      `json:"healthy"`
	Address            string    `json:"address,omitempty"`
	Backend            string    `json:"backend,omitempty"`
	Phase              string    `json:"phase"`
	LastHeight         int64     `json:"last_height"`
	LastPoll           time.Time `json:"last_poll,omitzero"`
	CurrentEpoch       int64     `json:"current_epoch"`
	LastEpochCommitted int64     `json:"last_epoch_committed"`
	LastEpochRevealed  int64     `json:"last_epoch_revealed"`
	LastOutcome        string    `json:"last_outcome,omitempty"`
	LastError          string    `json:"last_error,omitempty"`
	LastErrorAt        time.Time `json:"last_error_at,omitzero"`

	// Models the worker says it serves (--models).
	Models []string `json:"models,omitempty"`
	// OpenJobs is the number of open inference jobs assigned to the worker;
	// Jobs lists them (at most MaxJobsShown).
	OpenJobs         int           `json:"open_jobs"`
	Jobs             []JobSnapshot `json:"jobs,omitempty"`
	LastJobCommitted uint64        `json:"last_job_committed,omitempty"`
	LastJobRevealed  uint64        `json:"last_job_revealed,omitempty"`
}

// MaxJobsShown bounds Snapshot.Jobs.
const MaxJobsShown = 50

// JobSnapshot is one open inference job as the worker sees it.
type JobSnapshot struct {
	ID    uint64 `json:"id"`
	Model string `json:"model"`
	// Status is the chain's (COMMITTING, REVEALING).
	Status string `json:"status"`
	// Phase is the worker's: computing, committing, committed, revealing,
	// revealed, retrying, skipped or stuck.
	Phase     string `json:"phase"`
	CommitEnd int64  `json:"commit_end"`
	Deadline  int64  `json:"deadline"`
}

// Status is the worker's live status, safe for concurrent use.
type Status struct {
	mu sync.Mutex
	s  Snapshot
}

// NewStatus starts a status.
func NewStatus(address, backend string) *Status {
	return &Status{s: Snapshot{Address: address, Backend: backend, Phase: "starting"}}
}

// Update changes the status under its lock.
func (st *Status) Update(f func(*Snapshot)) {
	st.mu.Lock()
	defer st.mu.Unlock()
	f(&st.s)
}

// SetError records the last error.
func (st *Status) SetError(err error) {
	st.Update(func(s *Snapshot) { s.LastError, s.LastErrorAt = err.Error(), time.Now().UTC() })
}

// Snapshot returns a copy; Healthy is set when the chain answered within StaleAfter.
func (st *Status) Snapshot() Snapshot {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Jobs = append([]JobSnapshot(nil), st.s.Jobs...)
	s.Models = append([]string(nil), st.s.Models...)
	s.Healthy = !s.LastPoll.IsZero() && time.Since(s.LastPoll) < StaleAfter
	return s
}

// Handler serves GET /healthz (200 with the status, 503 while the node has
// not answered for StaleAfter) and GET /metrics; every other path is 404
// (see Router). Callers may add routes (the training blobs).
func Handler(st *Status, m *Metrics) *Router {
	rt := &Router{}
	rt.Handle(http.MethodGet, "/healthz", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		snap := st.Snapshot()
		w.Header().Set("Content-Type", "application/json")
		if !snap.Healthy {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(snap)
	}))
	rt.Handle(http.MethodGet, "/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
	return rt
}

// Router routes exact paths (and path prefixes) and answers 404 Not Found
// to every other path: no redirects and no index. (http.ServeMux redirects
// /blobs to /blobs/, and an unclean path such as //healthz or /./metrics to
// its clean form, and a catch-all "/" route serves the index for anything.)
// A known path asked with another method is 405 with Allow. Not safe for
// Handle calls concurrent with serving.
type Router struct {
	routes []route
}

type route struct {
	method, path string
	h            http.Handler
}

// Handle routes path to h. method "" takes every method (h checks them);
// GET also takes HEAD. A path ending in "/" is a prefix: it takes path
// followed by at least one byte (h sees the whole path), not path itself.
func (rt *Router) Handle(method, path string, h http.Handler) {
	rt.routes = append(rt.routes, route{method: method, path: path, h: h})
}

func (r route) matches(p string) bool {
	if strings.HasSuffix(r.path, "/") {
		return len(p) > len(r.path) && strings.HasPrefix(p, r.path)
	}
	return p == r.path
}

func (r route) allows(method string) bool {
	return r.method == "" || r.method == method || (r.method == http.MethodGet && method == http.MethodHead)
}

// ServeHTTP implements http.Handler.
func (rt *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	var allow []string
	for _, r := range rt.routes {
		if !r.matches(req.URL.Path) {
			continue
		}
		if r.allows(req.Method) {
			r.h.ServeHTTP(w, req)
			return
		}
		allow = append(allow, r.method)
		if r.method == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	http.NotFound(w, req)
}

// Serve listens on addr and serves h until ctx is done. It returns once the
// listener is up (or failed), with a channel for the server's end.
func Serve(ctx context.Context, addr string, h http.Handler, log *slog.Logger) (net.Addr, <-chan error, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(lis)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			log.Warn("http server shutdown", "err", err)
		}
	}()
	log.Info("http server listening", "addr", lis.Addr().String())
	return lis.Addr(), done, nil
}
