package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/llmesh/mesh/worker/backends"
	"github.com/llmesh/mesh/worker/backends/cpu"
	"github.com/llmesh/mesh/worker/chain"
	"github.com/llmesh/mesh/worker/health"
	"github.com/llmesh/mesh/worker/state"
	"github.com/llmesh/mesh/x/compute/poc"
	computetypes "github.com/llmesh/mesh/x/compute/types"
)

const worker = "mesh1worker"

// fakeChain plays x/compute for one worker: it includes a commit or reveal
// in the next block as soon as it is broadcast and verifies reveals with
// the spec's VerifyRows, as the keeper does.
type fakeChain struct {
	mu                   sync.Mutex
	t                    *testing.T
	store                *state.Store // to check that state precedes the commit
	height               int64
	epoch                int64
	commitEnd, revealEnd int64
	seed, sampleSeed     []byte
	d                    poc.Dims
	k                    uint32
	eligible             bool
	commitment           *computetypes.Commitment
	commits, reveals     int
	dropCommits          int   // CheckTx accepts but the tx never lands
	failCalls            int   // the next failCalls queries fail as unreachable
	failed               int64 // queries failed so far
	// past holds earlier epochs still open on chain (see startEpoch).
	past map[int64]*pastEpoch
	// jailedUntil > 0: the worker is jailed until that height.
	jailedUntil, unjails int
	// beforeCommit, when set, runs (locked) when a commit is broadcast, e.g.
	// to land the commitment from a vote extension first.
	beforeCommit func(f *fakeChain)
}

// pastEpoch is an earlier epoch still settling.
type pastEpoch struct {
	commitEnd, revealEnd int64
	seed, sampleSeed     []byte
	commitment           *computetypes.Commitment
}

// startEpoch starts epoch number at the current height, as x/compute does:
// the current epoch keeps settling (its reveal window runs on).
func (f *fakeChain) startEpoch(number, commitEnd, revealEnd int64) {
	f.set(func(f *fakeChain) {
		if f.past == nil {
			f.past = map[int64]*pastEpoch{}
		}
		f.past[f.epoch] = &pastEpoch{commitEnd: f.commitEnd, revealEnd: f.revealEnd, seed: f.seed, sampleSeed: f.sampleSeed, commitment: f.commitment}
		f.epoch, f.commitEnd, f.revealEnd, f.commitment = number, commitEnd, revealEnd, nil
		f.seed = poc.ChallengeSeed(fmt.Appendf(nil, "epoch-%d", number), []byte(worker))
		f.sampleSeed = fmt.Appendf(nil, "sample-%d", number)
	})
}

// view is epoch's state: the current epoch's or a past one's (nil if closed).
func (f *fakeChain) view(epoch int64) *pastEpoch {
	if epoch == 0 || epoch == f.epoch {
		return &pastEpoch{commitEnd: f.commitEnd, revealEnd: f.revealEnd, seed: f.seed, sampleSeed: f.sampleSeed, commitment: f.commitment}
	}
	return f.past[epoch]
}

func newFakeChain(t *testing.T, store *state.Store) *fakeChain {
	return &fakeChain{t: t, store: store, height: 10, epoch: 5, commitEnd: 20, revealEnd: 30,
		seed: poc.ChallengeSeed([]byte("epoch-5"), []byte(worker)), sampleSeed: []byte("sample-5"),
		d: poc.Dims{M: 37, N: 48, P: 9}, k: 4, eligible: true}
}

func (f *fakeChain) Address() string { return worker }

func (f *fakeChain) unreachable() error {
	if f.failCalls > 0 {
		f.failCalls--
		f.failed++
		return status.Error(codes.Unavailable, "connection refused")
	}
	return nil
}

func (f *fakeChain) Height(context.Context) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.unreachable(); err != nil {
		return 0, err
	}
	return f.height, nil
}

func (f *fakeChain) Challenge(_ context.Context, epoch int64) (*computetypes.QueryChallengeResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.unreachable(); err != nil {
		return nil, err
	}
	v := f.view(epoch)
	if v == nil {
		return nil, status.Errorf(codes.NotFound, "epoch %d is neither current nor settling", epoch)
	}
	if epoch == 0 {
		epoch = f.epoch
	}
	res := &computetypes.QueryChallengeResponse{Epoch: epoch, Seed: v.seed, M: uint32(f.d.M), N: uint32(f.d.N), P: uint32(f.d.P),
		CommitEnd: v.commitEnd, RevealEnd: v.revealEnd, Eligible: f.eligible && f.jailedUntil == 0}
	if v.commitment != nil {
		c := *v.commitment
		res.Commitment = &c
		if f.height > v.commitEnd {
			res.SampleIndices = poc.SampleIndices(v.sampleSeed, []byte(worker), uint32(f.d.M), f.k)
		}
	}
	return res, nil
}

func (f *fakeChain) Worker(context.Context) (computetypes.Worker, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w := computetypes.Worker{Address: worker, Status: computetypes.WORKER_STATUS_ACTIVE}
	if f.jailedUntil > 0 {
		w.Status, w.JailedUntil = computetypes.WORKER_STATUS_JAILED, int64(f.jailedUntil)
	}
	return w, nil
}

func (f *fakeChain) UnjailWorker(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case f.jailedUntil == 0:
		return "", &chain.TxError{Codespace: computetypes.ModuleName, Code: computetypes.ErrNotJailed.ABCICode(), Log: "not jailed"}
	case f.height+1 < int64(f.jailedUntil):
		return "", &chain.TxError{Codespace: computetypes.ModuleName, Code: computetypes.ErrStillJailed.ABCICode(), Log: "still jailed"}
	}
	f.jailedUntil = 0
	f.unjails++
	return fmt.Sprintf("UNJAIL%d", f.unjails), nil
}

func (f *fakeChain) CommitPoC(_ context.Context, epoch int64, root []byte, timeoutHeight int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// The state the reveal needs is on disk before the commit leaves.
	rec, found, err := f.store.Get(epoch)
	require.NoError(f.t, err)
	require.True(f.t, found, "commit broadcast before its state was saved")
	require.Equal(f.t, root, rec.Root)
	require.Equal(f.t, f.commitEnd, timeoutHeight)
	f.commits++
	if f.beforeCommit != nil {
		f.beforeCommit(f)
	}
	if f.commitment != nil {
		return "", &chain.TxError{Codespace: computetypes.ModuleName, Code: 15, Log: "already committed"}
	}
	if f.dropCommits > 0 {
		f.dropCommits--
		return fmt.Sprintf("DROPPED%d", f.commits), nil
	}
	if f.height+1 > f.commitEnd {
		return "", &chain.TxError{Codespace: computetypes.ModuleName, Code: 14, Log: "commit window closed"}
	}
	f.commitment = &computetypes.Commitment{Worker: worker, Epoch: epoch, Root: root, Rows: uint32(f.d.M), Height: f.height + 1}
	return fmt.Sprintf("COMMIT%d", f.commits), nil
}

func (f *fakeChain) RevealPoC(_ context.Context, epoch int64, rows []computetypes.RevealedRow, _ int64) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reveals++
	v := f.view(epoch)
	require.NotNil(f.t, v, "reveal of a closed epoch")
	require.LessOrEqual(f.t, f.height+1, v.revealEnd, "reveal after the reveal window")
	c := v.commitment
	require.NotNil(f.t, c)
	idx := poc.SampleIndices(v.sampleSeed, []byte(worker), c.Rows, f.k)
	var ri []uint32
	var vals [][]byte
	var proofs [][][]byte
	for _, r := range rows {
		ri, vals, proofs = append(ri, r.Index), append(vals, r.Values), append(proofs, r.Proof)
	}
	ok, err := poc.VerifyRows(v.seed, c.Root, f.d, idx, ri, vals, proofs)
	require.NoError(f.t, err)
	if ok {
		c.Outcome = computetypes.PROOF_OUTCOME_PASS
	} else {
		c.Outcome = computetypes.PROOF_OUTCOME_FRAUD
	}
	return fmt.Sprintf("REVEAL%d", f.reveals), nil
}

func (f *fakeChain) TxResult(context.Context, string) (chain.TxResult, error) {
	return chain.TxResult{}, nil
}

func (f *fakeChain) set(fn func(f *fakeChain)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// countingBackend counts proofs and can be told to fail.
type countingBackend struct {
	backends.PoC
	calls atomic.Int32
	err   error
}

func (b *countingBackend) ProvePoC(ctx context.Context, seed []byte, d poc.Dims) ([][]byte, error) {
	b.calls.Add(1)
	if b.err != nil {
		return nil, b.err
	}
	return b.PoC.ProvePoC(ctx, seed, d)
}

type harness struct {
	f     *fakeChain
	be    *countingBackend
	store *state.Store
	m     *health.Metrics
	st    *health.Status
	s     *Scheduler
}

// pinned is the scheduler's clock in these tests (see newHarness).
var pinned = time.Now()

func newHarness(t *testing.T, dir string, f *fakeChain) *harness {
	store, err := state.Open(dir)
	require.NoError(t, err)
	if f == nil {
		f = newFakeChain(t, store)
	}
	f.store = store
	h := &harness{f: f, be: &countingBackend{PoC: cpu.Backend{}}, store: store, m: health.NewMetrics(), st: health.NewStatus(worker, "cpu")}
	h.s, err = New(Config{Chain: f, Backend: h.be, Store: store, Metrics: h.m, Status: h.st,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), PollInterval: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		// A pinned clock: heights jump within microseconds here, which would
		// otherwise make the worker skip epochs as too short to prove in.
		Now: func() time.Time { return pinned }})
	require.NoError(t, err)
	return h
}

func (h *harness) step(t *testing.T) {
	t.Helper()
	require.NoError(t, h.s.Step(context.Background()))
}

func TestNormalEpoch(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.step(t) // proves, saves, commits
	require.Equal(t, int32(1), h.be.calls.Load())
	require.Equal(t, 1, h.f.commits)
	require.NotNil(t, h.f.commitment)

	h.f.set(func(f *fakeChain) { f.height = 15 })
	h.step(t) // commitment seen, waiting for the sample
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsCommitted))
	require.Equal(t, "waiting for sample", h.st.Snapshot().Phase)
	require.Equal(t, 0, h.f.reveals)

	h.f.set(func(f *fakeChain) { f.height = 21 })
	h.step(t) // reveals
	require.Equal(t, 1, h.f.reveals)
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, h.f.commitment.Outcome)
	h.step(t) // sees the verdict
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsRevealed))
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsPassed))
	require.Equal(t, 5.0, testutil.ToFloat64(h.m.CurrentEpoch))
	h.step(t)
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsPassed), "counted once")
	require.Equal(t, int32(1), h.be.calls.Load(), "proved once")

	snap := h.st.Snapshot()
	require.True(t, snap.Healthy)
	require.Equal(t, int64(5), snap.LastEpochCommitted)
	require.Equal(t, int64(5), snap.LastEpochRevealed)
	require.Equal(t, "PROOF_OUTCOME_PASS", snap.LastOutcome)
	require.Equal(t, int64(21), snap.LastHeight)
	rec, found, err := h.store.Get(5)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "PROOF_OUTCOME_PASS", rec.Outcome)
	require.Equal(t, "REVEAL1", rec.RevealTx)
}

func TestRestartBetweenCommitAndReveal(t *testing.T) {
	dir := t.TempDir()
	h1 := newHarness(t, dir, nil)
	h1.step(t)
	require.Equal(t, 1, h1.f.commits)

	// The worker dies; the chain goes on; a new process starts over the
	// same state directory with a backend that must not be needed.
	f := h1.f
	f.set(func(f *fakeChain) { f.height = 22 })
	h2 := newHarness(t, dir, f)
	h2.be.err = errors.New("must not recompute")
	h2.step(t)
	require.Equal(t, 1, f.reveals)
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, f.commitment.Outcome)
	require.Equal(t, int32(0), h2.be.calls.Load())
	h2.step(t)
	require.Equal(t, 1.0, testutil.ToFloat64(h2.m.EpochsPassed))
	require.Equal(t, 1, f.commits, "no second commit")
}

func TestCrashAfterSaveBeforeBroadcast(t *testing.T) {
	dir := t.TempDir()
	h1 := newHarness(t, dir, nil)
	// The first process proved and saved, then died before broadcasting.
	_, err := h1.s.prove(context.Background(), mustChallenge(t, h1.f))
	require.NoError(t, err)
	require.Equal(t, 0, h1.f.commits)

	h2 := newHarness(t, dir, h1.f)
	h2.be.err = errors.New("must not recompute")
	h2.step(t)
	require.Equal(t, 1, h1.f.commits)
	require.NotNil(t, h1.f.commitment)
}

func mustChallenge(t *testing.T, f *fakeChain) *computetypes.QueryChallengeResponse {
	ch, err := f.Challenge(context.Background(), 0)
	require.NoError(t, err)
	return ch
}

func TestLostStateRecomputesForReveal(t *testing.T) {
	h1 := newHarness(t, t.TempDir(), nil)
	h1.step(t)
	// A new machine with the same key and an empty disk.
	h1.f.set(func(f *fakeChain) { f.height = 21 })
	h2 := newHarness(t, t.TempDir(), h1.f)
	h2.step(t)
	require.Equal(t, int32(1), h2.be.calls.Load())
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, h1.f.commitment.Outcome)
}

func TestNodeErrorsRetried(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.f.failCalls = 5
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- h.s.Run(ctx) }()
	require.Eventually(t, func() bool {
		h.f.mu.Lock()
		defer h.f.mu.Unlock()
		return h.f.commitment != nil
	}, 10*time.Second, 5*time.Millisecond)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.Equal(t, 5.0, testutil.ToFloat64(h.m.NodeErrors))
	require.Contains(t, h.st.Snapshot().LastError, "connection refused")
	require.Equal(t, int32(1), h.be.calls.Load())
}

func TestSkipsEpochItCannotMake(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.f.set(func(f *fakeChain) { f.height = 20 }) // a commit now lands at 21 > commit_end
	h.step(t)
	h.step(t)
	require.Equal(t, int32(0), h.be.calls.Load())
	require.Equal(t, 0, h.f.commits)

	// Next epoch, but the last proof says it cannot finish in the window.
	h.s.clock = blockClock{height: 30, at: pinned, perBlock: time.Millisecond}
	h.s.lastProve = proveSample{d: poc.Dims{M: 1, N: 1, P: 1}, backend: "cpu", took: time.Millisecond}
	h.f.set(func(f *fakeChain) { f.epoch, f.height, f.commitEnd, f.revealEnd = 6, 30, 35, 40 })
	h.step(t)
	require.Equal(t, int32(0), h.be.calls.Load())

	// Not eligible: nothing to do.
	h.f.set(func(f *fakeChain) { f.epoch, f.eligible = 7, false })
	h.step(t)
	require.Equal(t, int32(0), h.be.calls.Load())
	require.Equal(t, "idle", h.st.Snapshot().Phase)
}

func TestDroppedCommitIsResent(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.f.dropCommits = 1
	h.step(t)
	require.Equal(t, 1, h.f.commits)
	require.Nil(t, h.f.commitment)
	h.f.set(func(f *fakeChain) { f.height = 11 })
	h.step(t) // too early to resend
	require.Equal(t, 1, h.f.commits)
	h.f.set(func(f *fakeChain) { f.height = 13 })
	h.step(t)
	require.Equal(t, 2, h.f.commits)
	require.NotNil(t, h.f.commitment)
	require.Equal(t, int32(1), h.be.calls.Load())
}

// A chain restarted from a zero-height export runs at lower heights than
// the ones the worker stored: a commit sent (and lost) before the restart is
// sent again at once, not when the new chain passes the old height.
func TestDroppedCommitIsResentAfterRestartAtLowerHeight(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.f.dropCommits = 1
	h.step(t)
	require.Equal(t, 1, h.f.commits)
	require.Nil(t, h.f.commitment)
	h.f.set(func(f *fakeChain) { f.height, f.commitEnd, f.revealEnd = 2, 12, 22 })
	h.step(t)
	require.Equal(t, 2, h.f.commits)
	require.NotNil(t, h.f.commitment)
}

func TestWrongBackendNeverCommits(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.be.PoC = zeroBackend{}
	require.ErrorContains(t, h.s.Step(context.Background()), "differs from the reference")
	require.Equal(t, 0, h.f.commits)
	epochs, err := h.store.Epochs()
	require.NoError(t, err)
	require.Empty(t, epochs)
}

type zeroBackend struct{}

func (zeroBackend) Name() string { return "zero" }
func (zeroBackend) ProvePoC(_ context.Context, _ []byte, d poc.Dims) ([][]byte, error) {
	return backends.SplitRows(make([]byte, 4*d.M*d.P), d)
}

func TestPrunesOldEpochs(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	for e := int64(1); e <= 4; e++ {
		require.NoError(t, h.store.Save(state.Record{Epoch: e, M: 1, N: 1, P: 1}, [][]byte{make([]byte, 4)}))
	}
	h.step(t) // epoch 5, keeps 3 epochs: 3, 4, 5
	epochs, err := h.store.Epochs()
	require.NoError(t, err)
	require.Equal(t, []int64{3, 4, 5}, epochs)
}

func TestShapeChangeBeforeCommitRecomputes(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	_, err := h.s.prove(context.Background(), mustChallenge(t, h.f))
	require.NoError(t, err)
	// The worker's units went up before the commit left.
	h.f.set(func(f *fakeChain) { f.d.M = 50 })
	h.step(t)
	require.Equal(t, int32(2), h.be.calls.Load())
	rec, _, err := h.store.Get(5)
	require.NoError(t, err)
	require.Equal(t, uint32(50), rec.M)
	h.f.set(func(f *fakeChain) { f.height = 21 })
	h.step(t)
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, h.f.commitment.Outcome)
}

func TestCommittedWorkerRevealsAfterLosingEligibility(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.step(t)
	h.f.set(func(f *fakeChain) { f.height, f.eligible = 21, false })
	h.step(t)
	require.Equal(t, 1, h.f.reveals)
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, h.f.commitment.Outcome)
}

// When the chain starts a new epoch while the worker owes a reveal in the
// previous one (x/epochs catching up after a halt), the worker reveals the
// old commitment and commits to the new epoch; the old state is not pruned
// before its outcome, even with KeepEpochs = 1.
func TestRevealsWhatItOwesInAnOlderEpoch(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.s.cfg.KeepEpochs = 1
	h.step(t) // epoch 5: proves and commits
	require.Equal(t, 1, h.f.commits)

	// Epoch 5's commit window closes and epoch 6 starts in the same block.
	h.f.set(func(f *fakeChain) { f.height = 21 })
	h.f.startEpoch(6, 31, 41)
	h.step(t)
	require.Equal(t, 1, h.f.reveals, "the reveal owed in epoch 5")
	require.Equal(t, computetypes.PROOF_OUTCOME_PASS, h.f.past[5].commitment.Outcome)
	require.Equal(t, 2, h.f.commits, "and the commit of epoch 6")
	require.NotNil(t, h.f.commitment)

	h.step(t) // sees epoch 5's verdict, then may prune it
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.EpochsPassed))
	h.step(t)
	epochs, err := h.store.Epochs()
	require.NoError(t, err)
	require.Equal(t, []int64{6}, epochs, "epoch 5 pruned once judged")
}

// An epoch that closed on chain before the worker revealed (it was down the
// whole reveal window) is recorded as closed and pruned, not queried forever.
func TestOwedEpochClosedOnChain(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.s.cfg.KeepEpochs = 1
	h.step(t)
	h.f.set(func(f *fakeChain) { f.height = 50 })
	h.f.startEpoch(6, 60, 70)
	h.f.set(func(f *fakeChain) { delete(f.past, 5) })
	h.step(t)
	require.Equal(t, 0, h.f.reveals)
	h.step(t)
	epochs, err := h.store.Epochs()
	require.NoError(t, err)
	require.Equal(t, []int64{6}, epochs)
}

// A jailed worker waits out its jail, then unjails itself once and is
// challenged again.
func TestUnjailsItselfWhenTheJailEnds(t *testing.T) {
	h := newHarness(t, t.TempDir(), nil)
	h.f.set(func(f *fakeChain) { f.jailedUntil = 14 })
	h.step(t)
	h.f.set(func(f *fakeChain) { f.height = 12 })
	h.step(t)
	require.Equal(t, 0, h.f.unjails, "not before the jail ends")
	require.Equal(t, 0, h.f.commits)

	h.f.set(func(f *fakeChain) { f.height = 13 })
	h.step(t)
	require.Equal(t, 0, h.f.unjails, "not before the jail ends")
	h.f.set(func(f *fakeChain) { f.height = 14 })
	h.step(t)
	require.Equal(t, 1, h.f.unjails)
	require.Equal(t, 1.0, testutil.ToFloat64(h.m.Unjails))
	h.step(t)
	require.Equal(t, 1, h.f.unjails, "once")
	require.Equal(t, 1, h.f.commits, "challenged again")
}
