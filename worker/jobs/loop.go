// Package jobs is meshd-worker's x/inference loop: it answers the
// inference jobs the chain assigns to the worker with commit–reveal.
//
// Every poll it reads the height and the worker's open jobs
// (Query/Jobs(worker, open_only)) and, per job and our assignment:
//
//	COMMITTING, no record              → resolve the model's runtime, compute the output
//	                                      in the background, save {output, digest, salt}
//	COMMITTING, record, no commitment  → broadcast MsgCommitResult (timeout_height = commit_end)
//	REVEALING, our commitment, no reveal → broadcast MsgRevealResult from the record
//	                                      (timeout_height = deadline)
//	gone from the open jobs            → Query/Job: once it has ended, count and delete the record
//
// The commits and reveals of one poll leave in one tx (each message alone
// if the chain refuses the batch), so a worker with many concurrent jobs
// does not spend blocks on tx round trips.
//
// The record, with the salt, is fsynced before the commit is broadcast, so
// a restarted worker reveals from disk; without it the commitment could
// never be opened. Inference runs beside the loop (bounded by
// Config.Concurrency), so a slow model never delays another job's reveal.
//
// With a sidecar store (meshd-worker --sidecar-listen), each commitment is
// also published for the validator's vote extension once its record is on
// disk, until it is seen on chain or the commit phase is over, and
// MsgCommitResult is held back for Config.SidecarGrace blocks (see
// sidecar.Grace): the extension is free and lands first, the tx is the
// fallback. A commitment that landed from a vote extension refuses a
// commit tx sent anyway as "already committed", which counts as done: the
// job goes on to its reveal.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/internal/poll"
	"github.com/llmesh/mesh/worker/sidecar"
	"github.com/llmesh/mesh/worker/state"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
)

// Config wires a Loop.
type Config struct {
	Chain    chain.Inference
	Backends Backends
	Store    *state.JobStore
	Metrics  *health.Metrics
	Status   *health.Status
	Logger   *slog.Logger
	// Sidecar, when set, gets every result commitment ready to commit, for
	// the validator's vote extension (nil: off).
	Sidecar *sidecar.Store
	// SidecarGrace is how many blocks, with a Sidecar, MsgCommitResult
	// waits for the vote extension to land the commitment first (0:
	// broadcast at once). Ignored without a Sidecar.
	SidecarGrace int64
	// Models are the model ids the worker says it serves (--models); a job
	// for another model is still attempted, with a warning. Informational.
	Models []string
	// PollInterval is the time between polls (about a block); 1s when 0.
	PollInterval time.Duration
	// MaxBackoff caps the wait after failed polls and between retries of a
	// failing inference (both doubling from PollInterval); 30s when 0.
	MaxBackoff time.Duration
	// ResendAfter is the number of blocks after which a commit or reveal not
	// visible on chain is broadcast again; 3 when 0.
	ResendAfter int64
	// InferTimeout bounds one inference; 2m when 0.
	InferTimeout time.Duration
	// Concurrency bounds the inferences running at once; 4 when 0.
	Concurrency int
	// ModelTTL is how long a Query/Model answer is reused; 1m when 0.
	ModelTTL time.Duration
}

// Loop answers one worker's inference jobs.
type Loop struct {
	cfg   Config
	chain chain.Inference
	log   *slog.Logger
	m     *health.Metrics
	st    *health.Status
	addr  []byte
	sem   chan struct{}
	wake  chan struct{}
	wg    sync.WaitGroup

	// Touched by the loop goroutine only.
	models map[string]cachedModel
	once   map[onceKey]bool
	// refusedAt is the height at which the chain last refused a job's
	// commit or reveal; the job's next try waits ResendAfter blocks.
	refusedAt map[uint64]int64
	// batch holds the commits and reveals of the Step under way (see flush).
	batch []pendingTx
	// grace holds commit txs back for the vote extension, by job (nil: off).
	grace *sidecar.Grace[uint64]

	// mu guards what the inference goroutines share with the loop.
	mu       sync.Mutex
	inflight map[uint64]bool
	failures map[uint64]failure
}

type cachedModel struct {
	model inferencetypes.Model
	at    time.Time
}

// failure is a job whose inference failed: retried after next.
type failure struct {
	n    int
	next time.Time
	err  error
}

type onceKey struct {
	job  uint64
	what string
}

// New checks cfg and makes a loop.
func New(cfg Config) (*Loop, error) {
	if cfg.Chain == nil || cfg.Store == nil {
		return nil, errors.New("jobs: chain and store are required")
	}
	addr, err := chain.AddressCodec.StringToBytes(cfg.Chain.Address())
	if err != nil {
		return nil, fmt.Errorf("jobs: worker address: %w", err)
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	if cfg.ResendAfter <= 0 {
		cfg.ResendAfter = 3
	}
	if cfg.InferTimeout <= 0 {
		cfg.InferTimeout = 2 * time.Minute
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 4
	}
	if cfg.ModelTTL <= 0 {
		cfg.ModelTTL = time.Minute
	}
	if cfg.Metrics == nil {
		cfg.Metrics = health.NewMetrics()
	}
	if cfg.Status == nil {
		cfg.Status = health.NewStatus(cfg.Chain.Address(), "")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Status.Update(func(s *health.Snapshot) { s.Models = slices.Clone(cfg.Models) })
	l := &Loop{cfg: cfg, chain: cfg.Chain, log: cfg.Logger.With("loop", "jobs"), m: cfg.Metrics, st: cfg.Status, addr: addr,
		sem: make(chan struct{}, cfg.Concurrency), wake: make(chan struct{}, 1),
		models: map[string]cachedModel{}, once: map[onceKey]bool{}, refusedAt: map[uint64]int64{},
		inflight: map[uint64]bool{}, failures: map[uint64]failure{}}
	if cfg.Sidecar != nil {
		l.grace = sidecar.NewGrace[uint64](cfg.SidecarGrace)
	}
	return l, nil
}

// Run polls until ctx is done, then waits for the inferences in flight.
// Errors are logged and retried with exponential backoff; Run only returns
// ctx's error.
func (l *Loop) Run(ctx context.Context) error {
	l.log.Info("job loop started", "worker", l.chain.Address(), "state", l.cfg.Store.Dir(), "models", l.cfg.Models)
	defer l.wg.Wait()
	return poll.Run(ctx, poll.Config{Name: "job loop", Logger: l.log, Interval: l.cfg.PollInterval, MaxBackoff: l.cfg.MaxBackoff,
		Module: "inference", Wake: l.wake}, l.Step)
}

// Wait blocks until the inferences started so far are done (for tests).
func (l *Loop) Wait() { l.wg.Wait() }

// Step polls the chain once and moves every open job on.
func (l *Loop) Step(ctx context.Context) error {
	height, err := l.chain.Height(ctx)
	if err != nil {
		return l.nodeErr("height", err)
	}
	l.cfg.Sidecar.Expire(height)
	open, err := l.chain.OpenJobs(ctx)
	if err != nil {
		return l.nodeErr("jobs", err)
	}
	slices.SortFunc(open, func(a, b inferencetypes.Job) int {
		switch {
		case a.Id < b.Id:
			return -1
		case a.Id > b.Id:
			return 1
		}
		return 0
	})
	l.m.OpenJobs.Set(float64(len(open)))
	l.m.Height.Set(float64(height))
	var errs []error
	snaps := make([]health.JobSnapshot, 0, min(len(open), health.MaxJobsShown))
	ids := make(map[uint64]bool, len(open))
	for i := range open {
		j := &open[i]
		ids[j.Id] = true
		phase, err := l.handle(ctx, height, j)
		if err != nil {
			errs = append(errs, fmt.Errorf("job %d: %w", j.Id, err))
		}
		if phase != "" && len(snaps) < health.MaxJobsShown {
			snaps = append(snaps, health.JobSnapshot{ID: j.Id, Model: j.ModelId, Status: statusName(j.Status), Phase: phase,
				CommitEnd: j.CommitEnd, Deadline: j.Deadline})
		}
	}
	if err := l.flush(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := l.prune(ctx, ids); err != nil {
		errs = append(errs, err)
	}
	l.st.Update(func(s *health.Snapshot) {
		s.LastHeight, s.LastPoll = height, time.Now().UTC()
		s.OpenJobs, s.Jobs = len(open), snaps
	})
	return errors.Join(errs...)
}

func statusName(s inferencetypes.JobStatus) string {
	name := s.String()
	if len(name) > len("JOB_STATUS_") {
		return name[len("JOB_STATUS_"):]
	}
	return name
}

// nodeErr counts and records a failed call to the node.
func (l *Loop) nodeErr(what string, err error) error {
	l.m.NodeErrors.Inc()
	err = fmt.Errorf("%s: %w", what, err)
	l.st.SetError(err)
	return err
}

// fail records an error that is not the node's.
func (l *Loop) fail(err error) error {
	l.st.SetError(err)
	return err
}

// refusedRecently reports whether the job's last tx was refused less than
// ResendAfter blocks ago.
func (l *Loop) refusedRecently(job uint64, height int64) bool {
	h, ok := l.refusedAt[job]
	return ok && poll.Within(height, h, l.cfg.ResendAfter)
}

// logOnce logs msg once per job and topic.
func (l *Loop) logOnce(level slog.Level, job uint64, what, msg string, args ...any) {
	k := onceKey{job, what}
	if l.once[k] {
		return
	}
	l.once[k] = true
	l.log.Log(context.Background(), level, msg, append([]any{"job", job}, args...)...)
}

// model returns a registered model, from the cache when fresh.
func (l *Loop) model(ctx context.Context, id string) (inferencetypes.Model, error) {
	if c, ok := l.models[id]; ok && time.Since(c.at) < l.cfg.ModelTTL {
		return c.model, nil
	}
	m, err := l.chain.Model(ctx, id)
	if err != nil {
		return m, err
	}
	l.models[id] = cachedModel{model: m, at: time.Now()}
	return m, nil
}

func (l *Loop) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}
