// Package scheduler is meshd-worker's loop: watch the worker's challenge,
// prove, persist, commit, then reveal the sampled rows, surviving restarts
// and node outages.
//
// One epoch, as the scheduler sees it through Query/Challenge:
//
//	eligible, no commitment, height < commit_end  → compute, persist, broadcast MsgCommitPoC
//	commitment, no sample_indices                  → wait for the commit window to close
//	sample_indices, no outcome, height < reveal_end → load rows, build proofs, broadcast MsgRevealPoC
//	outcome set                                    → count it, prune old state
//
// Nothing is broadcast before the state it depends on is on disk, so a
// restart (new Scheduler, same state directory) reveals without recomputing.
//
// Epochs overlap when the chain starts a new one before an older one's
// reveal window closed (after a chain halt, x/epochs catches up): the
// scheduler follows the newest epoch and still reveals every commitment it
// owes in older ones, whose state it keeps until they have an outcome.
// A worker jailed for missing epochs unjails itself once its jail is over.
//
// With a sidecar store (meshd-worker --sidecar-listen), the root is also
// published for the validator's vote extension once it is on disk, and
// dropped once the commitment is on chain or the commit window closed.
// MsgCommitPoC is then held back for Config.SidecarGrace blocks (see
// sidecar.Grace): the extension is free and lands first, the tx is the
// fallback. A commitment that landed from a vote extension looks to the
// scheduler like its own commit (a tx sent anyway is refused as a
// duplicate), and it reveals.
package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/internal/poll"
	"github.com/llmesh/mesh/worker/sidecar"
	"github.com/llmesh/mesh/worker/state"
	"github.com/llmesh/mesh/x/compute/poc"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

// Config wires a Scheduler.
type Config struct {
	Chain   chain.PoC
	Backend backends.PoC
	Store   *state.Store
	Metrics *health.Metrics
	Status  *health.Status
	Logger  *slog.Logger
	// Sidecar, when set, gets every root ready to commit, for the
	// validator's vote extension (nil: off).
	Sidecar *sidecar.Store
	// SidecarGrace is how many blocks, with a Sidecar, MsgCommitPoC waits
	// for the vote extension to land the root first (0: broadcast at
	// once). Ignored without a Sidecar.
	SidecarGrace int64
	// PollInterval is the time between challenge polls (about a block); 1s when 0.
	PollInterval time.Duration
	// MaxBackoff caps the wait after consecutive node errors (doubling from
	// PollInterval); 30s when 0.
	MaxBackoff time.Duration
	// ResendAfter is the number of blocks after which a commit or reveal that
	// has not shown up on chain is broadcast again; 3 when 0.
	ResendAfter int64
	// KeepEpochs is how many recent epochs of state are kept; 3 when 0.
	KeepEpochs int64
	// SpotCheckRows rows of every proof are recomputed with the chain's
	// reference code before committing (a wrong row is slashed as fraud); 4 when 0,
	// none when negative.
	SpotCheckRows int
	// MaxProofBytes caps the memory one proof may take (its rows, m·4p
	// bytes, and its Merkle tree, about 64 bytes a row): a larger challenge
	// is not attempted, and is reported like an over-claim. No cap when 0.
	MaxProofBytes uint64
	// Now is the clock the block-time and proof-time estimates read;
	// time.Now when nil (tests pin it).
	Now func() time.Time
}

// Scheduler runs the proof-of-compute loop of one worker.
type Scheduler struct {
	cfg   Config
	chain chain.PoC
	log   *slog.Logger
	m     *health.Metrics
	st    *health.Status

	clock     blockClock
	lastProve proveSample
	// once holds (epoch, event) pairs already logged, so that a skipped
	// epoch is reported once rather than every poll.
	once map[onceKey]bool
	// unjailHeight is the height of the last MsgUnjailWorker broadcast.
	unjailHeight int64
	// grace holds commit txs back for the vote extension, by epoch (nil:
	// off).
	grace *sidecar.Grace[int64]
}

type onceKey struct {
	epoch int64
	what  string
}

// New checks cfg and makes a scheduler.
func New(cfg Config) (*Scheduler, error) {
	if cfg.Chain == nil || cfg.Backend == nil || cfg.Store == nil {
		return nil, errors.New("scheduler: chain, backend and store are required")
	}
	if cfg.ResendAfter <= 0 {
		cfg.ResendAfter = 3
	}
	if cfg.KeepEpochs <= 0 {
		cfg.KeepEpochs = 3
	}
	if cfg.SpotCheckRows == 0 {
		cfg.SpotCheckRows = 4
	}
	if cfg.Metrics == nil {
		cfg.Metrics = health.NewMetrics()
	}
	if cfg.Status == nil {
		cfg.Status = health.NewStatus(cfg.Chain.Address(), cfg.Backend.Name())
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Scheduler{cfg: cfg, chain: cfg.Chain, log: cfg.Logger, m: cfg.Metrics, st: cfg.Status, once: map[onceKey]bool{}}
	if cfg.Sidecar != nil {
		s.grace = sidecar.NewGrace[int64](cfg.SidecarGrace)
	}
	return s, nil
}

// Run polls until ctx is done. Errors are logged, counted and retried with
// exponential backoff; Run only returns ctx's error.
func (s *Scheduler) Run(ctx context.Context) error {
	s.log.Info("scheduler started", "worker", s.chain.Address(), "backend", s.cfg.Backend.Name(), "state", s.cfg.Store.Dir())
	return poll.Run(ctx, poll.Config{Name: "scheduler", Logger: s.log, Interval: s.cfg.PollInterval, MaxBackoff: s.cfg.MaxBackoff}, s.Step)
}

// nodeErr counts and records a failed call to the node.
func (s *Scheduler) nodeErr(what string, err error) error {
	s.m.NodeErrors.Inc()
	err = fmt.Errorf("%s: %w", what, err)
	s.st.SetError(err)
	return err
}

// fail records an error that is not the node's.
func (s *Scheduler) fail(err error) error {
	s.st.SetError(err)
	return err
}

func (s *Scheduler) logOnce(epoch int64, what string, msg string, args ...any) {
	k := onceKey{epoch, what}
	if s.once[k] {
		return
	}
	s.once[k] = true
	s.log.Info(msg, append([]any{"epoch", epoch}, args...)...)
}

func (s *Scheduler) phase(p string) { s.st.Update(func(sn *health.Snapshot) { sn.Phase = p }) }

// Step polls the chain once and does whatever the epoch needs next.
func (s *Scheduler) Step(ctx context.Context) error {
	ch, err := s.chain.Challenge(ctx, 0)
	if err != nil {
		return s.nodeErr("challenge", err)
	}
	height, err := s.chain.Height(ctx)
	if err != nil {
		return s.nodeErr("height", err)
	}
	s.observe(height, ch.Epoch)
	s.cfg.Sidecar.Expire(height)
	s.grace.Retain(func(e int64) bool { return e == ch.Epoch }) // only the current epoch takes commits
	if err := s.revealOwed(ctx, ch.Epoch, height); err != nil {
		return err
	}
	if !ch.Eligible && ch.Commitment == nil {
		// (A worker that committed and then lost eligibility still reveals.)
		s.phase("idle")
		s.cfg.Sidecar.DropPoC(ch.Epoch)
		s.logOnce(ch.Epoch, "ineligible", "not challenged in this epoch (not eligible)")
		return s.unjailIfDue(ctx, ch.Epoch, height)
	}
	rec, found, err := s.cfg.Store.Get(ch.Epoch)
	if err != nil {
		// The proof is deterministic: a damaged record only costs a recomputation.
		s.log.Error("state unreadable, will recompute", "epoch", ch.Epoch, "err", err)
		found = false
	}
	if ch.Commitment == nil {
		if found && (rec.M != ch.M || rec.N != ch.N || rec.P != ch.P) {
			// The claimed units (or the params) changed since it was proved.
			s.log.Warn("saved proof has another shape, recomputing", "epoch", ch.Epoch, "saved_m", rec.M, "m", ch.M)
			found = false
		}
		return s.commitPhase(ctx, ch, height, rec, found)
	}
	s.cfg.Sidecar.DropPoC(ch.Epoch)
	return s.revealPhase(ctx, ch, height, rec, found)
}

func (s *Scheduler) observe(height, epoch int64) {
	s.clock.observe(height, s.cfg.Now())
	s.m.Height.Set(float64(height))
	s.m.CurrentEpoch.Set(float64(epoch))
	s.st.Update(func(sn *health.Snapshot) {
		sn.LastHeight, sn.CurrentEpoch, sn.LastPoll = height, epoch, s.cfg.Now().UTC()
	})
}

// prune drops the state of epochs before keepFrom, except from the oldest
// epoch that still owes a reveal on.
func (s *Scheduler) prune(keepFrom int64, owed []int64) {
	if len(owed) > 0 {
		keepFrom = min(keepFrom, owed[0])
	}
	removed, err := s.cfg.Store.Prune(keepFrom)
	if err != nil {
		s.log.Warn("pruning state", "err", err)
	}
	if len(removed) > 0 {
		s.log.Debug("pruned state", "epochs", removed)
	}
}

func dimsOf(ch *computetypes.QueryChallengeResponse) poc.Dims {
	return poc.Dims{M: int(ch.M), N: int(ch.N), P: int(ch.P)}
}

// commitPhase: no commitment on chain yet.
func (s *Scheduler) commitPhase(ctx context.Context, ch *computetypes.QueryChallengeResponse, height int64, rec state.Record, found bool) error {
	// A tx broadcast now lands at height+1 at the earliest.
	if height >= ch.CommitEnd {
		s.phase("idle")
		if found && rec.CommitTx != "" {
			s.logOnce(ch.Epoch, "commit-lost", "commit not included before the commit window closed", "tx", rec.CommitTx, "commit_end", ch.CommitEnd)
		} else {
			s.logOnce(ch.Epoch, "commit-skip", "skipping epoch: commit window closed", "height", height, "commit_end", ch.CommitEnd)
		}
		return nil
	}
	if !found {
		d := dimsOf(ch)
		if est, left := s.lastProve.estimate(d, backends.For(s.cfg.Backend, d).Name()), s.clock.until(height, ch.CommitEnd); est > 0 && left > 0 && est > left {
			// From the last proof's rate: late in the window, or (every
			// epoch) a claim above what this machine proves in time.
			s.logOnce(ch.Epoch, "commit-skip", "skipping epoch: the proof would finish after the commit window "+
				"(every epoch: the claim is above this machine's capacity; run `meshd-worker bench`)",
				"estimate", est.Round(time.Millisecond), "window_left", left.Round(time.Millisecond), "m", d.M)
			return nil
		}
		var abandoned bool
		var err error
		if rec, abandoned, err = s.proveInWindow(ctx, ch); err != nil {
			return s.fail(err)
		}
		if abandoned {
			return nil
		}
		// Proving takes time: is the window still open?
		if height, err = s.chain.Height(ctx); err != nil {
			return s.nodeErr("height", err)
		}
		if height >= ch.CommitEnd {
			s.logOnce(ch.Epoch, "commit-skip", "skipping epoch: proof finished after the commit window", "height", height, "commit_end", ch.CommitEnd)
			return nil
		}
	}
	// Rows and root are on disk: the commitment may land from the vote
	// extension from now on.
	s.cfg.Sidecar.PutPoC(ch.Epoch, rec.Root, ch.CommitEnd)
	if rec.CommitTx == "" && s.grace.Hold(ch.Epoch, height, ch.CommitEnd) {
		s.phase("committing")
		s.logOnce(ch.Epoch, "commit-held", "commit tx held back for the vote extension",
			"grace_blocks", s.cfg.SidecarGrace, "height", height, "commit_end", ch.CommitEnd)
		return nil
	}
	if rec.CommitTx == "" && s.grace.Held(ch.Epoch) {
		s.logOnce(ch.Epoch, "commit-fallback", "root not landed from the vote extension: broadcasting the commit tx",
			"height", height, "commit_end", ch.CommitEnd)
	}
	if rec.CommitTx != "" && poll.Within(height, rec.CommitHeight, s.cfg.ResendAfter) {
		s.phase("committing")
		return nil // broadcast recently: wait for the block
	}
	if rec.CommitTx != "" {
		if err := s.checkPending(ctx, ch.Epoch, "commit", rec.CommitTx); err != nil {
			return err
		}
	}
	s.phase("committing")
	hash, err := s.chain.CommitPoC(ctx, ch.Epoch, rec.Root, ch.CommitEnd)
	if errors.Is(err, computetypes.ErrDuplicateCommit) {
		// Our earlier tx, or the vote extension carried the root: the next
		// poll sees the commitment, checks it is this root, and reveals.
		s.log.Info("commitment already on chain", "epoch", ch.Epoch)
		return nil
	}
	if err != nil {
		return s.txErr("commit", err)
	}
	rec.CommitTx, rec.CommitHeight = hash, height
	if err := s.cfg.Store.Update(rec); err != nil {
		return s.fail(err)
	}
	s.log.Info("commit broadcast", "epoch", ch.Epoch, "tx", hash, "root", fmt.Sprintf("%X", rec.Root), "rows", rec.M)
	return nil
}

// txErr records a broadcast failure: an unreachable node counts as a node
// error, a tx the chain refused (simulation or CheckTx) does not.
func (s *Scheduler) txErr(what string, err error) error {
	if chain.Unreachable(err) {
		return s.nodeErr(what, err)
	}
	return s.fail(fmt.Errorf("%s: %w", what, err))
}

// checkPending looks up a tx that has not shown its effect after
// ResendAfter blocks, before it is sent again, and logs why it failed.
func (s *Scheduler) checkPending(ctx context.Context, epoch int64, what, hash string) error {
	res, err := s.chain.TxResult(ctx, hash)
	if err != nil {
		return s.nodeErr("tx result", err)
	}
	res.LogResend(s.log, what, "in the challenge", hash, "epoch", epoch)
	return nil
}

// errWindowClosed cancels a proof whose commit window closed.
var errWindowClosed = errors.New("commit window closed")

// proveInWindow proves ch while it watches the height (every poll
// interval): once the height reaches commit_end a commit can no longer
// land, so the proof is cancelled, nothing is saved or committed, and the
// over-claim is logged and counted (abandoned = true, err = nil).
func (s *Scheduler) proveInWindow(ctx context.Context, ch *computetypes.QueryChallengeResponse) (rec state.Record, abandoned bool, err error) {
	if need := ProofBytes(dimsOf(ch)); s.cfg.MaxProofBytes > 0 && need > s.cfg.MaxProofBytes {
		key := onceKey{ch.Epoch, "too-big"}
		if s.once[key] {
			return state.Record{}, true, nil // said at the first poll of this epoch
		}
		s.once[key] = true
		s.overclaimed(ctx, ch, fmt.Sprintf("needs %d MiB of memory for its rows and tree, above --poc-max-memory-mb %d",
			need>>20, s.cfg.MaxProofBytes>>20))
		return state.Record{}, true, nil
	}
	pctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		every := s.cfg.PollInterval
		if every <= 0 {
			every = time.Second
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-pctx.Done():
				return
			case <-tick.C:
			}
			// A failed query is the loop's business, after the proof.
			if h, err := s.chain.Height(pctx); err == nil && h >= ch.CommitEnd {
				cancel(errWindowClosed)
				return
			}
		}
	}()
	rec, err = s.prove(pctx, ch)
	closed := context.Cause(pctx) == errWindowClosed
	cancel(nil)
	<-watched
	if err == nil || !closed || ctx.Err() != nil {
		return rec, false, err
	}
	s.overclaimed(ctx, ch, fmt.Sprintf("not proven before the commit window closed at height %d", ch.CommitEnd))
	return state.Record{}, true, nil
}

// ProofBytes is about the memory a proof of d takes: its rows (m·4p bytes)
// and its Merkle tree (two 32-byte hashes a row).
func ProofBytes(d poc.Dims) uint64 {
	return uint64(d.M) * (4*uint64(d.P) + 64)
}

// overclaimed reports a challenge not proven within its commit window:
// the worker claims more capacity than it has.
func (s *Scheduler) overclaimed(ctx context.Context, ch *computetypes.QueryChallengeResponse, why string) {
	d := dimsOf(ch)
	claim := "the claim"
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if w, err := s.chain.Worker(qctx); err == nil {
		if gops, ok := chain.ClaimedGOPS(w.Spec); ok {
			claim = fmt.Sprintf("the claim of %d GOPS", gops)
		} else {
			claim = fmt.Sprintf("the claim of %d compute units", w.Spec.ComputeUnits)
		}
	}
	msg := fmt.Sprintf("epoch %d: challenge of %d rows (%.4g MACs) %s: "+
		"%s is above this machine's capacity; run `meshd-worker bench`", ch.Epoch, d.M, backends.MACs(d), why, claim)
	s.m.PoCOverclaims.Inc()
	s.st.SetError(errors.New(msg))
	s.phase("idle")
	s.once[onceKey{ch.Epoch, "commit-skip"}] = true // the next polls see the closed window: said here
	s.log.Warn(msg, "epoch", ch.Epoch, "m", d.M, "n", d.N, "p", d.P, "commit_end", ch.CommitEnd,
		"backend", backends.For(s.cfg.Backend, d).Name())
}

// prove computes the challenge, checks a few rows against the spec and
// saves rows and root before anything is broadcast.
func (s *Scheduler) prove(ctx context.Context, ch *computetypes.QueryChallengeResponse) (state.Record, error) {
	d := dimsOf(ch)
	if err := d.Validate(); err != nil {
		return state.Record{}, fmt.Errorf("epoch %d: %w", ch.Epoch, err)
	}
	s.phase("proving")
	// With a backends.Sized (exec and cpu), the challenge's size picks.
	backend := backends.For(s.cfg.Backend, d)
	s.log.Info("proving", "epoch", ch.Epoch, "m", d.M, "n", d.N, "p", d.P, "macs", fmt.Sprintf("%.4g", backends.MACs(d)),
		"backend", backend.Name())
	start := s.cfg.Now()
	rows, err := backend.ProvePoC(ctx, ch.Seed, d)
	if err != nil {
		return state.Record{}, fmt.Errorf("prove epoch %d: %w", ch.Epoch, err)
	}
	if err := spotCheck(ch.Seed, d, rows, s.cfg.SpotCheckRows); err != nil {
		return state.Record{}, fmt.Errorf("prove epoch %d: backend %s: %w", ch.Epoch, backend.Name(), err)
	}
	tree, err := backends.Tree(rows)
	if err != nil {
		return state.Record{}, err
	}
	if err := ctx.Err(); err != nil { // abandoned while the tree was built: save nothing
		return state.Record{}, fmt.Errorf("prove epoch %d: %w", ch.Epoch, err)
	}
	took := s.cfg.Now().Sub(start)
	s.m.ProveDuration.Observe(took.Seconds())
	s.lastProve = proveSample{d: d, backend: backend.Name(), took: took}
	rec := state.Record{Epoch: ch.Epoch, M: ch.M, N: ch.N, P: ch.P, Root: tree.Root()}
	if err := s.cfg.Store.Save(rec, rows); err != nil {
		return state.Record{}, fmt.Errorf("saving epoch %d: %w", ch.Epoch, err)
	}
	rec, _, err = s.cfg.Store.Get(ch.Epoch)
	s.log.Info("proof ready", "epoch", ch.Epoch, "backend", backend.Name(), "took", took.Round(time.Microsecond),
		"gmacs", fmt.Sprintf("%.2f", float64(d.M)*float64(d.N)*float64(d.P)/took.Seconds()/1e9))
	return rec, err
}

// spotCheck recomputes k rows spread over the challenge with poc.RowProduct.
func spotCheck(seed []byte, d poc.Dims, rows [][]byte, k int) error {
	if len(rows) != d.M {
		return fmt.Errorf("%d rows, want %d", len(rows), d.M)
	}
	if k <= 0 {
		return nil
	}
	b := poc.GenB(seed, d.N, d.P)
	for t := 0; t < k && t < d.M; t++ {
		i := uint32(0)
		if k > 1 {
			i = uint32((int64(t) * int64(d.M-1)) / int64(k-1))
		}
		want := poc.EncodeRow(poc.RowProduct(poc.GenARow(seed, i, d.N), b, d.N, d.P))
		if !bytes.Equal(want, rows[i]) {
			return fmt.Errorf("row %d differs from the reference computation", i)
		}
	}
	return nil
}
