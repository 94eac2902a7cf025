// Package training is meshd-worker's x/training loop: it joins training
// tasks, trains its share of each round as a drawn participant
// (commit–reveal of the update's digest), and aggregates the revealed
// updates as a drawn aggregator. Updates and checkpoints travel between
// workers as content-addressed blobs (BlobStore, Fetcher) served over HTTP
// at /blobs/<hex SHA-256>.
//
// Every new block it reads each followed task and its current round:
//
//	not joined, trainable          → MsgJoinTask, once (join record)
//	participant, COMMIT, no record → base checkpoint + data + shard → federated.LocalUpdate,
//	                                 store the blob, save the record (salt), then MsgCommitUpdate
//	participant, REVEAL, committed → MsgRevealUpdate from the record
//	aggregator, AGGREGATE          → fetch every revealed update (digest checked), federated.Aggregate
//	                                 with the task's rule, evaluate on the held-out split, store
//	                                 the checkpoint, save the record, then MsgSubmitAggregate
//
// The record is fsynced before the commitment leaves, so a restarted worker
// reveals without training again and never commits twice. Only the
// int8-embedded runtime (mesh-embedded-v1 and checkpoints of it) is
// trained: every step is federated's fixed-point arithmetic, so honest
// aggregators produce the same checkpoint bytes. The arithmetic is the
// Config's Trainer: CPUTrainer in process, or ExecTrainer, an external
// program speaking the same contract (meshd-worker exec-train).
package training

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/llmesh/mesh/worker/backends/embedded"
	"github.com/llmesh/mesh/worker/backends/embedded/federated"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/internal/poll"
	trainingtypes "github.com/llmesh/mesh/x/training/types"
)

// Config wires a Loop.
type Config struct {
	Chain   chain.Training
	Blobs   *BlobStore
	Records *Records
	// Fetcher gets other workers' blobs; one over Blobs when nil.
	Fetcher *Fetcher
	// BlobURL is the base URL other workers fetch this worker's blobs from
	// (its HTTP server): URIs are BlobURL/blobs/<hex>.
	BlobURL string
	// Auto joins and follows every OPEN or RUNNING task this worker can
	// train; Tasks are followed (and joined) in any case.
	Auto  bool
	Tasks []uint64
	// Models are the base model ids the worker serves (--models); a task on
	// another base model is not joined. Empty: any.
	Models []string
	// Metrics are the training metrics; NewMetrics(NodeMetrics.Registry)
	// when nil.
	Metrics *Metrics
	// NodeMetrics (optional) counts node errors; Status (optional) shows the
	// last error in /healthz.
	NodeMetrics *health.Metrics
	Status      *health.Status
	Logger      *slog.Logger
	// PollInterval is the time between polls (about a block); 1s when 0.
	PollInterval time.Duration
	// MaxBackoff caps the wait after failed polls; 30s when 0.
	MaxBackoff time.Duration
	// ResendAfter is the number of blocks after which a tx whose effect is
	// not visible is looked up and sent again (and after which one the
	// chain refused is tried again); 3 when 0.
	ResendAfter int64
	// RejoinAfter is the number of blocks after which a refused join is
	// tried again (the worker's registration may have been fixed); 600 when 0.
	RejoinAfter int64
	// ScanInterval is the time between two reads of every task (Auto); 30s when 0.
	ScanInterval time.Duration
	// Trainer computes updates and checkpoints; CPUTrainer when nil.
	Trainer Trainer
}

// Loop is one worker's training loop. Its methods are called from one
// goroutine (Run, or a test calling Step).
type Loop struct {
	cfg   Config
	chain chain.Training
	log   *slog.Logger
	m     *Metrics
	addr  []byte
	fetch *Fetcher

	follow     map[uint64]bool
	lastScan   time.Time
	lastHeight int64
	lastOK     bool
	once       map[onceKey]bool
	refusedAt  map[onceKey]int64
	pruned     map[uint64]uint32
	trainable  map[uint64]verdict
	data       map[roundKey]roundData
	bases      []cachedBase
}

type onceKey struct {
	task  uint64
	round uint32
	what  string
}

type roundKey struct {
	task  uint64
	round uint32
}

type verdict struct {
	why string // empty: trainable
	at  time.Time
}

type cachedBase struct {
	digest [32]byte
	ck     *federated.Checkpoint
}

// New checks cfg and makes a loop.
func New(cfg Config) (*Loop, error) {
	if cfg.Chain == nil || cfg.Blobs == nil || cfg.Records == nil {
		return nil, errors.New("training: chain, blobs and records are required")
	}
	if cfg.BlobURL == "" {
		return nil, errors.New("training: a blob URL is required (where other workers fetch this worker's blobs)")
	}
	addr, err := chain.AddressCodec.StringToBytes(cfg.Chain.Address())
	if err != nil {
		return nil, fmt.Errorf("training: worker address: %w", err)
	}
	if cfg.Fetcher == nil {
		cfg.Fetcher = &Fetcher{Store: cfg.Blobs}
	}
	if cfg.ResendAfter <= 0 {
		cfg.ResendAfter = 3
	}
	if cfg.RejoinAfter <= 0 {
		cfg.RejoinAfter = 600
	}
	if cfg.ScanInterval <= 0 {
		cfg.ScanInterval = 30 * time.Second
	}
	if cfg.Metrics == nil {
		if cfg.NodeMetrics != nil {
			cfg.Metrics = NewMetrics(cfg.NodeMetrics.Registry)
		} else {
			cfg.Metrics = NewMetrics(nil)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Trainer == nil {
		cfg.Trainer = CPUTrainer{}
	}
	l := &Loop{cfg: cfg, chain: cfg.Chain, log: cfg.Logger.With("loop", "training"), m: cfg.Metrics, addr: addr,
		fetch: cfg.Fetcher, follow: map[uint64]bool{}, once: map[onceKey]bool{}, refusedAt: map[onceKey]int64{},
		pruned: map[uint64]uint32{}, trainable: map[uint64]verdict{}, data: map[roundKey]roundData{}}
	for _, id := range cfg.Tasks {
		l.follow[id] = true
	}
	if cfg.Auto {
		// Tasks with records on disk first: a restarted worker reveals
		// before its first scan of every task.
		ids, err := cfg.Records.Tasks()
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			l.follow[id] = true
		}
	}
	return l, nil
}

// Run polls until ctx is done. Errors are logged and retried with
// exponential backoff; Run only returns ctx's error.
func (l *Loop) Run(ctx context.Context) error {
	l.log.Info("training loop started", "worker", l.chain.Address(), "auto", l.cfg.Auto, "tasks", l.cfg.Tasks,
		"blob_url", l.cfg.BlobURL, "blobs", l.cfg.Blobs.Dir(), "records", l.cfg.Records.Dir())
	return poll.Run(ctx, poll.Config{Name: "training loop", Logger: l.log, Interval: l.cfg.PollInterval, MaxBackoff: l.cfg.MaxBackoff,
		Module: "training"}, l.Step)
}

// Step does one block's work: nothing when the height has not moved since
// the last step that went well.
func (l *Loop) Step(ctx context.Context) error {
	height, err := l.chain.Height(ctx)
	if err != nil {
		return l.nodeErr("height", err)
	}
	if height == l.lastHeight && l.lastOK {
		return nil
	}
	var errs []error
	if l.cfg.Auto && time.Since(l.lastScan) >= l.cfg.ScanInterval {
		if err := l.scan(ctx); err != nil {
			errs = append(errs, err)
		} else {
			l.lastScan = time.Now()
		}
	}
	ids := make([]uint64, 0, len(l.follow))
	for id := range l.follow {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := l.task(ctx, height, id); err != nil {
			errs = append(errs, fmt.Errorf("task %d: %w", id, err))
		}
	}
	l.lastHeight, l.lastOK = height, len(errs) == 0
	return errors.Join(errs...)
}

// scan follows every OPEN or RUNNING task the worker can train.
func (l *Loop) scan(ctx context.Context) error {
	tasks, err := l.chain.Tasks(ctx)
	if err != nil {
		return l.nodeErr("tasks", err)
	}
	for _, t := range tasks {
		if l.follow[t.Id] || t.Status != trainingtypes.TASK_STATUS_OPEN && t.Status != trainingtypes.TASK_STATUS_RUNNING {
			continue
		}
		if why := l.canTrain(ctx, t); why != "" {
			l.logOnce(slog.LevelDebug, onceKey{task: t.Id, what: "untrainable"}, "not joining task", "task", t.Id,
				"base_model", t.BaseModelId, "why", why)
			continue
		}
		l.log.Info("following task", "task", t.Id, "base_model", t.BaseModelId, "status", t.Status.String())
		l.follow[t.Id] = true
	}
	return nil
}

// task moves one followed task on.
func (l *Loop) task(ctx context.Context, height int64, id uint64) error {
	task, workers, err := l.chain.Task(ctx, id)
	if status.Code(err) == codes.NotFound {
		l.logOnce(slog.LevelWarn, onceKey{task: id, what: "not-found"}, "task not found on chain", "task", id)
		return nil
	}
	if err != nil {
		return l.nodeErr("task", err)
	}
	switch task.Status {
	case trainingtypes.TASK_STATUS_COMPLETED, trainingtypes.TASK_STATUS_FAILED:
		if err := l.settle(ctx, id, task.CurrentRound); err != nil {
			return err
		}
		l.log.Info("task ended", "task", id, "status", task.Status.String(), "rounds", task.CurrentRound,
			"checkpoint", hex.EncodeToString(task.CheckpointDigest), "candidate_model", task.CandidateModelId)
		delete(l.follow, id)
		l.forget(id)
		return l.cfg.Records.Prune(id, 0)
	case trainingtypes.TASK_STATUS_OPEN, trainingtypes.TASK_STATUS_RUNNING:
	default:
		return nil
	}
	if !slices.Contains(workers, l.chain.Address()) {
		return l.join(ctx, height, task)
	}
	if rec, found, _ := l.cfg.Records.Join(id); found && !rec.Joined {
		rec.Joined = true
		if err := l.cfg.Records.SaveJoin(rec); err != nil {
			return l.fail(err)
		}
		l.m.TasksJoined.Inc()
		l.log.Info("joined task", "task", id, "workers", task.Workers)
	}
	if task.Status != trainingtypes.TASK_STATUS_RUNNING {
		return nil // OPEN: waiting for workers
	}
	if why := l.canTrain(ctx, task); why != "" {
		// Joined by hand or under other --models: whatever it produced
		// would not be what honest workers produce.
		l.logOnce(slog.LevelWarn, onceKey{task: id, what: "untrainable-joined"}, "joined a task this worker cannot train: sitting it out",
			"task", id, "why", why)
		return nil
	}
	round, err := l.chain.Round(ctx, id, 0)
	if err != nil {
		return l.nodeErr("round", err)
	}
	if round.Number > 1 {
		if err := l.settle(ctx, id, round.Number-1); err != nil {
			return err
		}
	}
	if round.Number > 2 && l.pruned[id] < round.Number {
		// Keep the previous round's records: its blobs may still be fetched.
		if err := l.cfg.Records.Prune(id, round.Number-1); err != nil {
			l.log.Warn("pruning training records", "task", id, "err", err)
		}
		l.pruned[id] = round.Number
		for k := range l.data {
			if k.task == id && k.round < round.Number {
				delete(l.data, k)
			}
		}
	}
	return errors.Join(l.participant(ctx, height, &task, &round), l.aggregator(ctx, height, &task, &round))
}

// forget drops what the loop remembers of an ended task.
func (l *Loop) forget(id uint64) {
	for k := range l.once {
		if k.task == id {
			delete(l.once, k)
		}
	}
	for k := range l.refusedAt {
		if k.task == id {
			delete(l.refusedAt, k)
		}
	}
	for k := range l.data {
		if k.task == id {
			delete(l.data, k)
		}
	}
	delete(l.pruned, id)
	delete(l.trainable, id)
}

// join sends MsgJoinTask once: again only if it is not visible after
// ResendAfter blocks, or RejoinAfter blocks after the chain refused it.
func (l *Loop) join(ctx context.Context, height int64, task trainingtypes.Task) error {
	if why := l.canTrain(ctx, task); why != "" {
		l.logOnce(slog.LevelWarn, onceKey{task: task.Id, what: "untrainable"}, "not joining task", "task", task.Id,
			"base_model", task.BaseModelId, "why", why)
		return nil
	}
	rec, found, err := l.cfg.Records.Join(task.Id)
	if err != nil {
		l.logOnce(slog.LevelError, onceKey{task: task.Id, what: "join-unreadable"}, "join record unreadable", "err", err)
	}
	if !found {
		rec = JoinRecord{TaskID: task.Id}
	}
	switch {
	case rec.Refused != "" && poll.Within(height, rec.RefusedHeight, l.cfg.RejoinAfter):
		return nil
	case rec.Refused == "" && rec.Tx != "" && poll.Within(height, rec.Height, l.cfg.ResendAfter):
		return nil
	case rec.Refused == "" && rec.Tx != "":
		l.checkPending(ctx, "join", rec.Tx, "task", task.Id)
	}
	hash, err := l.chain.JoinTask(ctx, task.Id)
	switch {
	case errors.Is(err, trainingtypes.ErrAlreadyJoined):
		l.log.Info("already joined", "task", task.Id)
		return nil
	case err != nil && chain.Unreachable(err):
		return l.nodeErr("join", err)
	case err != nil:
		rec.Refused, rec.RefusedHeight = err.Error(), height
		l.log.Warn("join refused", "task", task.Id, "err", err, "retry_after_blocks", l.cfg.RejoinAfter)
		l.setError(fmt.Errorf("task %d: join: %w", task.Id, err))
	default:
		rec.Tx, rec.Height, rec.Refused, rec.RefusedHeight = hash, height, "", 0
		l.log.Info("join broadcast", "task", task.Id, "tx", hash, "base_model", task.BaseModelId)
	}
	if err := l.cfg.Records.SaveJoin(rec); err != nil {
		return l.fail(err)
	}
	return nil
}

// canTrain says why the worker cannot train task ("" when it can):
// runtime, base model, hyper-parameters, rule and base weights. Verdicts
// are kept a minute (the base model's query is not repeated every block).
func (l *Loop) canTrain(ctx context.Context, task trainingtypes.Task) string {
	if v, ok := l.trainable[task.Id]; ok && time.Since(v.at) < time.Minute {
		return v.why
	}
	why := l.trainableWhy(ctx, task)
	l.trainable[task.Id] = verdict{why: why, at: time.Now()}
	return why
}

func (l *Loop) trainableWhy(ctx context.Context, task trainingtypes.Task) string {
	if task.Runtime != embedded.Runtime {
		return fmt.Sprintf("runtime %q: only %s is trained", task.Runtime, embedded.Runtime)
	}
	if len(l.cfg.Models) > 0 && !slices.Contains(l.cfg.Models, task.BaseModelId) {
		return "base model not among the served models (--models)"
	}
	if _, err := federated.ParseHyper([]byte(task.Hyperparams)); err != nil {
		return err.Error()
	}
	if _, err := ruleOf(task.Aggregation); err != nil {
		return err.Error()
	}
	if d, err := embeddedDigest(); err == nil && bytes.Equal(task.BaseDigest, d[:]) {
		return ""
	}
	m, err := l.chain.Model(ctx, task.BaseModelId)
	if err != nil {
		return fmt.Sprintf("base model: %v", err)
	}
	if m.WeightsUri == "" || m.WeightsDigest != hex.EncodeToString(task.BaseDigest) {
		return "base weights are neither the built-in mesh-embedded-v1 nor fetchable from the model's weights_uri"
	}
	return ""
}

// ruleOf maps x/training's aggregation to federated's rule.
func ruleOf(a trainingtypes.Aggregation) (federated.Rule, error) {
	switch a {
	case trainingtypes.AGGREGATION_FEDAVG:
		return federated.FedAvg, nil
	case trainingtypes.AGGREGATION_TRIMMED_MEAN:
		return federated.TrimmedMean, nil
	case trainingtypes.AGGREGATION_MEDIAN:
		return federated.Median, nil
	}
	return 0, fmt.Errorf("aggregation %s is not supported", a)
}

var (
	embeddedOnce sync.Once
	embeddedCk   *federated.Checkpoint
	embeddedSum  [32]byte
	embeddedErr  error
)

// embeddedBase is the checkpoint a task on the built-in mesh-embedded-v1
// starts from: federated.FromWeights of the embedded weights. The task's
// base_digest is x/inference's weights_digest, the SHA-256 of the weights
// file (embedded.WeightsDigest), not of a checkpoint encoding; FromWeights
// is exact (every int8 weight w becomes the master w·2^8, which rounds
// back to w), so the checkpoint's WeightsFile is that very file. That is
// checked here once.
func embeddedBase() (*federated.Checkpoint, [32]byte, error) {
	embeddedOnce.Do(func() {
		w, err := embedded.Load()
		if err != nil {
			embeddedErr = err
			return
		}
		ck, err := federated.FromWeights(w)
		if err != nil {
			embeddedErr = err
			return
		}
		file := embedded.WeightsFile()
		if !bytes.Equal(ck.WeightsFile(), file) {
			embeddedErr = errors.New("training: the built-in weights do not survive FromWeights")
			return
		}
		embeddedCk, embeddedSum = ck, sha256.Sum256(file)
	})
	return embeddedCk, embeddedSum, embeddedErr
}

func embeddedDigest() ([32]byte, error) {
	_, d, err := embeddedBase()
	return d, err
}

// nodeErr counts and records a failed call to the node.
func (l *Loop) nodeErr(what string, err error) error {
	if l.cfg.NodeMetrics != nil {
		l.cfg.NodeMetrics.NodeErrors.Inc()
	}
	err = fmt.Errorf("%s: %w", what, err)
	l.setError(err)
	return err
}

// fail records an error that is not the node's.
func (l *Loop) fail(err error) error {
	l.setError(err)
	return err
}

func (l *Loop) setError(err error) {
	if l.cfg.Status != nil {
		l.cfg.Status.SetError(err)
	}
}

// logOnce logs msg once per key.
func (l *Loop) logOnce(level slog.Level, k onceKey, msg string, args ...any) {
	if l.once[k] {
		return
	}
	l.once[k] = true
	l.log.Log(context.Background(), level, msg, args...)
}

// checkPending looks up a tx whose effect has not shown after ResendAfter
// blocks, before it is sent again, and logs why.
func (l *Loop) checkPending(ctx context.Context, what, hash string, args ...any) {
	res, err := l.chain.TxResult(ctx, hash)
	if err != nil {
		l.log.Warn(what+" tx lookup failed, broadcasting again", append(args, "tx", hash, "err", err)...)
		return
	}
	res.LogResend(l.log, what, "", hash, args...)
}
