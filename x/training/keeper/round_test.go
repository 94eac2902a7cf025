package keeper_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	computetypes "github.com/llmesh/mesh/x/compute/types"
	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	"github.com/llmesh/mesh/x/training/types"
)

// tfRank orders ws by SHA-256(seed ‖ role ‖ address), as the draw does.
func tfRank(seed []byte, role string, ws []tfWorker) []tfWorker {
	out := slices.Clone(ws)
	key := func(w tfWorker) []byte {
		return tfShaBytes(append(append(slices.Clone(seed), role...), w.addr...))
	}
	slices.SortFunc(out, func(a, b tfWorker) int { return bytes.Compare(key(a), key(b)) })
	return out
}

func TestRoundDraw(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(4)
	id := f.create(f.createMsg(2, 2, 3))
	f.next()
	for _, w := range ws[:3] {
		f.join(id, w)
	}
	f.endBlock()
	f.next()
	f.endBlock() // the block after the joins draws round 1
	h := f.height()
	seed := tfSeed(h, "training-round", binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, id), 1))
	r := f.round(id, 1)
	require.Equal(t, seed, r.Seed)
	require.Equal(t, tfRank(seed, "participant", ws[:3])[:2], f.participants(id, 1, ws))
	require.Equal(t, tfRank(seed, "aggregator", ws[:3]), f.aggregators(id, 1, ws))
	for _, u := range r.Updates {
		w := f.byBech(ws)[u.Worker]
		require.Equal(t, f.bech(w.provider), u.Provider)
		require.Equal(t, sdk.NewInt64Coin(tfDenom, 0), u.Paid)
	}
	require.Equal(t, types.ROUND_PHASE_COMMIT, r.Phase)
	require.Equal(t, tfBaseDigest, r.BaseDigest)
	require.Equal(t, sdk.NewInt64Coin(tfDenom, tfBudget/2), r.Budget)
	require.Equal(t, h, r.StartHeight)
	require.Equal(t, h+10, r.CommitEnd)
	require.Equal(t, h+20, r.RevealEnd)
	require.Equal(t, h+30, r.AggregateEnd)

	// A worker no longer ACTIVE, or whose pool is no longer eligible, is
	// not drawn; a worker that joined while the task ran is.
	f.join(id, ws[3])
	w := f.compute.workers[string(ws[0].addr)]
	w.Status = computetypes.WORKER_STATUS_JAILED
	f.compute.workers[string(ws[0].addr)] = w
	f.pool.eligible[string(ws[1].provider)] = false
	f.advanceTo(r.CommitEnd) // nobody committed: EMPTY, round 2 starts
	require.Equal(t, types.ROUND_PHASE_EMPTY, f.round(id, 1).Phase)
	r2 := f.round(id, 2)
	var drawn []string
	for _, u := range r2.Updates {
		drawn = append(drawn, u.Worker)
	}
	for _, a := range r2.Aggregates {
		drawn = append(drawn, a.Worker)
	}
	slices.Sort(drawn)
	want := []string{f.bech(ws[2].addr), f.bech(ws[3].addr), f.bech(ws[2].addr), f.bech(ws[3].addr)}
	slices.Sort(want)
	require.Equal(t, want, drawn)
	require.Equal(t, sdk.NewInt64Coin(tfDenom, tfBudget), r2.Budget)
}

func TestCommitRejected(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(4)
	id := f.startTask(f.createMsg(2, 3, 3), ws[:3])
	f.join(id, ws[3]) // joined after the draw: not in round 1
	u := tfUpdate(ws[0], 1, 10)

	commit := func(w tfWorker, n uint32) func() error {
		return func() error { return f.k.CommitUpdate(f.ctx, f.commitMsg(w, id, n, tfUpdate(w, n, 10))) }
	}
	f.requireRejected(types.ErrWrongPhase, commit(ws[0], 2), "future round")
	f.requireRejected(types.ErrNotParticipant, commit(ws[3], 1))
	f.requireRejected(types.ErrTaskNotFound, func() error { return f.k.CommitUpdate(f.ctx, f.commitMsg(ws[0], 9, 1, u)) })
	f.requireRejected(types.ErrInvalidUpdate, func() error { return f.commitMsg(ws[0], id, 0, tfUpdate(ws[0], 0, 10)).ValidateBasic() })
	f.commit(ws[0], id, 1, u)
	f.requireRejected(types.ErrAlreadyCommitted, commit(ws[0], 1), "second commit")
	f.requireRejected(types.ErrAlreadyCommitted, func() error {
		m := f.commitMsg(ws[0], id, 1, tfUpdate(ws[0], 1, 99))
		return f.k.CommitUpdate(f.ctx, m)
	}, "second commit, other update")

	// After commit_end the round reveals: commits are refused.
	r := f.round(id, 1)
	f.advanceTo(r.CommitEnd)
	require.Equal(t, types.ROUND_PHASE_REVEAL, f.round(id, 1).Phase)
	f.requireRejected(types.ErrWrongPhase, commit(ws[1], 1), "reveal phase")

	// Nobody reveals: round 1 ends EMPTY at reveal_end and round 2 starts.
	f.advanceTo(r.RevealEnd)
	require.Equal(t, types.ROUND_PHASE_EMPTY, f.round(id, 1).Phase)
	require.Equal(t, uint32(2), f.task(id).CurrentRound)
	f.requireRejected(types.ErrWrongPhase, commit(ws[1], 1), "closed round")
	f.requireRejected(types.ErrWrongPhase, commit(ws[1], 3), "future round")
}

func TestRevealRejected(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(4)
	id := f.startTask(f.createMsg(1, 3, 1), ws[:3])
	f.join(id, ws[3])
	u0, u1 := tfUpdate(ws[0], 1, 10), tfUpdate(ws[1], 1, 20)
	f.commit(ws[0], id, 1, u0)
	// ws[1] copies ws[0]'s commitment.
	copied := f.commitMsg(ws[1], id, 1, u0)
	copied.Commitment = f.commitMsg(ws[0], id, 1, u0).Commitment
	require.NoError(t, f.k.CommitUpdate(f.ctx, copied))

	reveal := func(m *types.MsgRevealUpdate) func() error {
		return func() error { return f.k.RevealUpdate(f.ctx, m) }
	}
	f.requireRejected(types.ErrWrongPhase, reveal(f.revealMsg(ws[0], id, 1, u0)), "commit phase")
	f.advanceTo(f.round(id, 1).CommitEnd)
	require.Equal(t, types.ROUND_PHASE_REVEAL, f.round(id, 1).Phase)

	f.requireRejected(types.ErrNoCommitment, reveal(f.revealMsg(ws[2], id, 1, tfUpdate(ws[2], 1, 5))))
	f.requireRejected(types.ErrNotParticipant, reveal(f.revealMsg(ws[3], id, 1, tfUpdate(ws[3], 1, 5))))
	f.requireRejected(types.ErrWrongPhase, reveal(f.revealMsg(ws[0], id, 2, u0)), "future round")
	bad := u0
	bad.samples++
	f.requireRejected(types.ErrBadReveal, reveal(f.revealMsg(ws[0], id, 1, bad)), "other samples")
	bad = u0
	bad.loss++
	f.requireRejected(types.ErrBadReveal, reveal(f.revealMsg(ws[0], id, 1, bad)), "other loss")
	bad = u1
	f.requireRejected(types.ErrBadReveal, reveal(f.revealMsg(ws[0], id, 1, bad)), "other digest")
	m := f.revealMsg(ws[0], id, 1, u0)
	m.Salt = tfSalt(ws[1].addr)
	f.requireRejected(types.ErrBadReveal, reveal(m), "other salt")
	// The copier cannot reveal the update it copied: the commitment binds
	// the original worker's address.
	m = f.revealMsg(ws[1], id, 1, u0)
	m.Salt = tfSalt(ws[0].addr)
	f.requireRejected(types.ErrBadReveal, reveal(m), "copied commitment")

	f.reveal(ws[0], id, 1, u0)
	f.requireRejected(types.ErrAlreadyRevealed, reveal(f.revealMsg(ws[0], id, 1, u0)))
	got := f.round(id, 1).Updates
	i := slices.IndexFunc(got, func(u types.Update) bool { return u.Worker == f.bech(ws[0].addr) })
	require.True(t, got[i].Revealed)
	require.Equal(t, u0.digest, got[i].Digest)
	require.Equal(t, u0.samples, got[i].Samples)
	require.Equal(t, "ipfs://update", got[i].Uri)
	require.Equal(t, []types.EventUpdateRevealed{{TaskId: id, Round: 1, Worker: f.bech(ws[0].addr), Samples: 10, Loss: u0.loss}},
		tfEvents[types.EventUpdateRevealed](f))
}

func TestAggregateRejected(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(4)
	id := f.startTask(f.createMsg(1, 1, 3), ws[:3])
	f.join(id, ws[3])
	p := f.participants(id, 1, ws)[0]
	digest := tfSha("checkpoint")
	agg := func(w tfWorker, n uint32) func() error {
		return func() error { return f.k.SubmitAggregate(f.ctx, f.aggregateMsg(w, id, n, digest, 1)) }
	}
	f.requireRejected(types.ErrWrongPhase, agg(ws[0], 1), "commit phase")

	// The only participant commits and reveals: each phase ends at once.
	f.commit(p, id, 1, tfUpdate(p, 1, 10))
	require.Equal(t, types.ROUND_PHASE_REVEAL, f.round(id, 1).Phase)
	f.requireRejected(types.ErrWrongPhase, agg(ws[0], 1), "reveal phase")
	f.reveal(p, id, 1, tfUpdate(p, 1, 10))
	require.Equal(t, types.ROUND_PHASE_AGGREGATE, f.round(id, 1).Phase)

	f.requireRejected(types.ErrNotAggregator, agg(ws[3], 1))
	f.requireRejected(types.ErrWrongPhase, agg(ws[0], 2), "future round")
	f.aggregate(ws[0], id, 1, digest, 1)
	f.requireRejected(types.ErrAlreadySubmitted, agg(ws[0], 1))
}

// TestEarlyPhaseEnds: the last commit, reveal and aggregate each end their
// phase at once and move the round's deadline.
func TestEarlyPhaseEnds(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(2)
	id := f.startTask(f.createMsg(2, 2, 2), ws)
	start := f.height()
	parts := f.participants(id, 1, ws)

	f.next()
	f.endBlock()
	f.next()
	h := f.height()
	f.commit(parts[0], id, 1, tfUpdate(parts[0], 1, 1))
	require.Equal(t, [][2]int64{{start + 10, int64(id)}}, f.deadlines())
	f.commit(parts[1], id, 1, tfUpdate(parts[1], 1, 1))
	r := f.round(id, 1)
	require.Equal(t, types.ROUND_PHASE_REVEAL, r.Phase)
	require.Equal(t, h, r.CommitEnd)
	require.Equal(t, h+10, r.RevealEnd)
	require.Equal(t, h+20, r.AggregateEnd)
	require.Equal(t, [][2]int64{{h + 10, int64(id)}}, f.deadlines())

	f.next()
	h2 := f.height()
	for _, w := range parts {
		f.reveal(w, id, 1, tfUpdate(w, 1, 1))
	}
	r = f.round(id, 1)
	require.Equal(t, types.ROUND_PHASE_AGGREGATE, r.Phase)
	require.Equal(t, h2, r.RevealEnd)
	require.Equal(t, h+20, r.AggregateEnd)
	require.Equal(t, [][2]int64{{h + 20, int64(id)}}, f.deadlines())

	f.next()
	h3 := f.height()
	for _, w := range f.aggregators(id, 1, ws) {
		f.aggregate(w, id, 1, tfSha("c1"), 7)
	}
	require.Equal(t, types.ROUND_PHASE_FINALIZED, f.round(id, 1).Phase)
	// Round 2 is due at the next block, not drawn in this one.
	require.Equal(t, uint32(1), f.task(id).CurrentRound)
	require.Equal(t, [][2]int64{{h3 + 1, int64(id)}}, f.deadlines())
	f.openNext()
	require.Equal(t, uint32(2), f.task(id).CurrentRound)
	require.Equal(t, h3+1, f.round(id, 2).StartHeight)
	require.Equal(t, [][2]int64{{h3 + 11, int64(id)}}, f.deadlines())
}

// TestLyingAggregatorOutvoted: one of three aggregators submits another
// digest; the two others make the quorum (⌈2·3/3⌉ = 2).
func TestLyingAggregatorOutvoted(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(3)
	id := f.startTask(f.createMsg(1, 2, 3), ws)
	start := f.height()
	parts := f.participants(id, 1, ws)
	f.next()
	for _, w := range parts {
		f.commit(w, id, 1, tfUpdate(w, 1, 50))
	}
	for _, w := range parts {
		f.reveal(w, id, 1, tfUpdate(w, 1, 50))
	}
	f.next()
	aggs := f.aggregators(id, 1, ws)
	honest, lie := tfSha("honest checkpoint"), tfSha("lie")
	f.aggregate(aggs[0], id, 1, honest, 300)
	f.aggregate(aggs[1], id, 1, lie, 50)
	f.aggregate(aggs[2], id, 1, honest, 100) // the last one finalizes at once

	r := f.round(id, 1)
	require.Equal(t, types.ROUND_PHASE_FINALIZED, r.Phase)
	require.Equal(t, honest, r.CheckpointDigest)
	require.Equal(t, f.aggregateMsg(aggs[0], id, 1, honest, 0).Uri, r.CheckpointUri)
	require.Equal(t, uint64(100), r.EvalLoss, "lower median of 100 and 300")
	require.Equal(t, []bool{true, false, true}, []bool{r.Aggregates[0].Agreed, r.Aggregates[1].Agreed, r.Aggregates[2].Agreed})

	require.Len(t, f.pool.slashes, 1)
	s := f.pool.slashes[0]
	require.Equal(t, string(aggs[1].provider), s.provider)
	require.True(t, s.fraction.Equal(math.LegacyNewDecWithPrec(1, 2)), s.fraction.String())
	require.Equal(t, "training-aggregate", s.reason)
	require.Equal(t, start, s.height)
	require.Equal(t, []bool{false}, f.outcomes(aggs[1]))
	for _, w := range []tfWorker{aggs[0], aggs[2]} {
		require.Contains(t, f.outcomes(w), true)
		require.NotContains(t, f.outcomes(w), false)
	}

	// B = 10,000,000: 10 % to the two agreeing aggregators, 90 % to the two
	// participants (equal samples); the liar gets nothing.
	require.Equal(t, sdk.NewInt64Coin(tfDenom, 500_000), r.Aggregates[0].Paid)
	require.Equal(t, sdk.NewInt64Coin(tfDenom, 0), r.Aggregates[1].Paid)
	require.Equal(t, sdk.NewInt64Coin(tfDenom, 500_000), r.Aggregates[2].Paid)
	for _, u := range r.Updates {
		require.Equal(t, sdk.NewInt64Coin(tfDenom, 4_500_000), u.Paid)
	}
	require.Equal(t, int64(tfBudget), f.paidOut())
	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_COMPLETED, task.Status)
	require.Equal(t, honest, task.CheckpointDigest)
	require.Equal(t, hex.EncodeToString(honest), f.inference.candidates[0].WeightsDigest)

	ended := tfEvents[types.EventRoundEnded](f)
	require.Equal(t, []types.EventRoundEnded{{
		TaskId: id, Round: 1, Phase: types.ROUND_PHASE_FINALIZED, CheckpointDigest: hex.EncodeToString(honest),
		EvalLoss: 100, Paid: "10000000umesh",
	}}, ended)
}

// TestNoQuorum: three aggregators, three digests: the round FAILS, nobody is
// paid or slashed, the checkpoint stays and the task ends FAILED with a full
// refund.
func TestNoQuorum(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(3)
	id := f.startTask(f.createMsg(1, 1, 3), ws)
	p := f.participants(id, 1, ws)[0]
	f.commit(p, id, 1, tfUpdate(p, 1, 10))
	f.reveal(p, id, 1, tfUpdate(p, 1, 10))
	aggs := f.aggregators(id, 1, ws)
	f.aggregate(aggs[0], id, 1, tfSha("a"), 1)
	f.aggregate(aggs[1], id, 1, tfSha("b"), 1)
	// The third stays silent: the round fails at aggregate_end.
	f.advanceTo(f.round(id, 1).AggregateEnd)

	r := f.round(id, 1)
	require.Equal(t, types.ROUND_PHASE_FAILED, r.Phase)
	require.Empty(t, r.CheckpointDigest)
	require.Empty(t, f.pool.slashes)
	require.Equal(t, []bool{false}, f.outcomes(aggs[2]))
	require.Empty(t, f.outcomes(aggs[0]))
	require.Equal(t, int64(0), f.paidOut())
	require.Empty(t, f.rewards.calls)

	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_FAILED, task.Status)
	require.Equal(t, tfBaseDigest, task.CheckpointDigest)
	require.Empty(t, task.CandidateModelId)
	require.Empty(t, f.inference.candidates)
	require.Equal(t, int64(tfFunds), f.balance(f.creator))
	require.Equal(t, []types.EventTaskEnded{{TaskId: id, Status: types.TASK_STATUS_FAILED, Refunded: "10000000umesh"}},
		tfEvents[types.EventTaskEnded](f))
	require.Empty(t, f.deadlines())
}

// TestEmptyRound: nobody commits; the round closes EMPTY at commit_end
// without payouts or error, the drawn participants lose reputation, and the
// task goes on with the whole budget.
func TestEmptyRound(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(2)
	id := f.startTask(f.createMsg(2, 2, 1), ws)
	r := f.round(id, 1)
	f.advanceTo(r.CommitEnd - 1)
	require.Equal(t, types.ROUND_PHASE_COMMIT, f.round(id, 1).Phase)
	f.next()
	f.endBlock()

	require.Equal(t, types.ROUND_PHASE_EMPTY, f.round(id, 1).Phase)
	require.Equal(t, []types.EventRoundEnded{{TaskId: id, Round: 1, Phase: types.ROUND_PHASE_EMPTY, Paid: "0umesh"}},
		tfEvents[types.EventRoundEnded](f))
	for _, w := range ws {
		require.Equal(t, []bool{false}, f.outcomes(w))
	}
	require.Equal(t, int64(0), f.paidOut())
	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_RUNNING, task.Status)
	require.Equal(t, uint32(2), task.CurrentRound)
	require.True(t, task.Spent.IsZero())
	r2 := f.round(id, 2)
	require.Equal(t, types.ROUND_PHASE_COMMIT, r2.Phase)
	require.Equal(t, f.height(), r2.StartHeight)
	require.Equal(t, sdk.NewInt64Coin(tfDenom, tfBudget), r2.Budget, "round 2 has what round 1 did not spend")

	// Round 2 runs: the whole budget (less dust) is paid.
	f.next()
	f.fullRound(id, 2, ws, []uint64{1, 1}, tfSha("c2"))
	require.Equal(t, int64(tfBudget), f.paidOut())
	require.Equal(t, types.TASK_STATUS_COMPLETED, f.task(id).Status)
}

// TestRoundWithoutCandidates: when no joined worker may be drawn, the round
// is EMPTY at once and so is each next one; the task then ends FAILED.
func TestRoundWithoutCandidates(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(1)
	id := f.startTask(f.createMsg(3, 1, 1), ws)
	f.pool.eligible[string(ws[0].provider)] = false
	f.advanceTo(f.round(id, 1).CommitEnd)
	for n := uint32(1); n <= 3; n++ {
		require.Equal(t, types.ROUND_PHASE_EMPTY, f.round(id, n).Phase, "round %d", n)
	}
	require.Empty(t, f.round(id, 3).Updates)
	require.Equal(t, types.TASK_STATUS_FAILED, f.task(id).Status)
	require.Equal(t, int64(tfFunds), f.balance(f.creator))
	require.Len(t, tfEvents[types.EventRoundEnded](f), 3)
	require.Empty(t, f.deadlines())
}

// TestDeadParticipant: one of three participants commits and never
// reveals; the round finalizes with the two others and it loses reputation.
func TestDeadParticipant(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(3)
	id := f.startTask(f.createMsg(1, 3, 1), ws)
	parts := f.participants(id, 1, ws)
	samples := []uint64{100, 300, 500}
	for i, w := range parts {
		f.commit(w, id, 1, tfUpdate(w, 1, samples[i]))
	}
	require.Equal(t, types.ROUND_PHASE_REVEAL, f.round(id, 1).Phase)
	f.reveal(parts[0], id, 1, tfUpdate(parts[0], 1, 100))
	f.reveal(parts[1], id, 1, tfUpdate(parts[1], 1, 300))
	require.Equal(t, types.ROUND_PHASE_REVEAL, f.round(id, 1).Phase)
	require.Empty(t, f.compute.outcomes)

	f.advanceTo(f.round(id, 1).RevealEnd)
	require.Equal(t, types.ROUND_PHASE_AGGREGATE, f.round(id, 1).Phase)
	require.Equal(t, []bool{false}, f.outcomes(parts[2]))
	require.Empty(t, f.outcomes(parts[0]))

	f.next()
	agg := f.aggregators(id, 1, ws)[0]
	f.aggregate(agg, id, 1, tfSha("c"), 9)
	r := f.round(id, 1)
	require.Equal(t, types.ROUND_PHASE_FINALIZED, r.Phase)
	// B = 10,000,000: 1,000,000 to the aggregator, 9,000,000 by samples
	// capped at 2 × the lower median (100): 100 : 200; nothing to the
	// silent participant.
	paid := map[string]int64{}
	for _, u := range r.Updates {
		paid[u.Worker] = u.Paid.Amount.Int64()
	}
	require.Equal(t, int64(3_000_000), paid[f.bech(parts[0].addr)])
	require.Equal(t, int64(6_000_000), paid[f.bech(parts[1].addr)])
	require.Equal(t, int64(0), paid[f.bech(parts[2].addr)])
	// Judged once as a participant (it may also be the aggregator, which agreed).
	failures := 0
	for _, ok := range f.outcomes(parts[2]) {
		if !ok {
			failures++
		}
	}
	require.Equal(t, 1, failures)
	require.Equal(t, types.TASK_STATUS_COMPLETED, f.task(id).Status)
	require.Equal(t, []tfPoints{
		{rewardstypes.CategoryTraining, string(parts[0].provider), 1000},
		{rewardstypes.CategoryTraining, string(parts[1].provider), 2000}, // capped at 2 × 100 samples
	}, f.rewards.calls)
}

// TestPayoutsExact: a 2-round task with an odd budget: every share rounds
// down, the dust stays in the budget and is refunded at the end.
func TestPayoutsExact(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(3)
	msg := f.createMsg(2, 3, 3)
	msg.Budget = sdk.NewInt64Coin(tfDenom, 10_000_003)
	id := f.startTask(msg, ws)

	// Round 1: B = ⌊10,000,003 / 2⌋ = 5,000,001; A = 500,000 → 166,666 × 3;
	// P = 4,500,001 by samples 1 : 2 : 4 → 642,857 + 1,285,714 + 2,571,429.
	require.Equal(t, int64(5_000_001), f.round(id, 1).Budget.Amount.Int64())
	f.next()
	f.fullRound(id, 1, ws, []uint64{1, 2, 4}, tfSha("c1"))
	r1 := f.round(id, 1)
	for _, a := range r1.Aggregates {
		require.Equal(t, int64(166_666), a.Paid.Amount.Int64())
	}
	require.Equal(t, []int64{642_857, 1_285_714, 2_571_429},
		[]int64{r1.Updates[0].Paid.Amount.Int64(), r1.Updates[1].Paid.Amount.Int64(), r1.Updates[2].Paid.Amount.Int64()})
	require.Equal(t, int64(4_999_998), f.task(id).Spent.Amount.Int64())
	require.Equal(t, "4999998umesh", tfEvents[types.EventRoundEnded](f)[0].Paid)
	f.openNext()

	// Round 2: B = 10,000,003 − 4,999,998 = 5,000,005; A = 500,000, one
	// aggregator silent → 250,000 × 2; P = 4,500,005 by 10 : 20 : 30 →
	// 750,000 + 1,500,001 + 2,250,002.
	r2 := f.round(id, 2)
	require.Equal(t, int64(5_000_005), r2.Budget.Amount.Int64())
	f.next()
	parts := f.participants(id, 2, ws)
	for i, w := range parts {
		f.commit(w, id, 2, tfUpdate(w, 2, uint64(10*(i+1))))
	}
	for i, w := range parts {
		f.reveal(w, id, 2, tfUpdate(w, 2, uint64(10*(i+1))))
	}
	aggs := f.aggregators(id, 2, ws)
	f.aggregate(aggs[0], id, 2, tfSha("c2"), 5)
	f.aggregate(aggs[1], id, 2, tfSha("c2"), 6)
	f.advanceTo(f.round(id, 2).AggregateEnd)
	r2 = f.round(id, 2)
	require.Equal(t, types.ROUND_PHASE_FINALIZED, r2.Phase)
	require.Equal(t, []int64{250_000, 250_000, 0},
		[]int64{r2.Aggregates[0].Paid.Amount.Int64(), r2.Aggregates[1].Paid.Amount.Int64(), r2.Aggregates[2].Paid.Amount.Int64()})
	require.Equal(t, []int64{750_000, 1_500_001, 2_250_002},
		[]int64{r2.Updates[0].Paid.Amount.Int64(), r2.Updates[1].Paid.Amount.Int64(), r2.Updates[2].Paid.Amount.Int64()})
	require.Equal(t, []bool{false}, f.outcomes(aggs[2])[1:], "silent aggregator")

	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_COMPLETED, task.Status)
	require.Equal(t, int64(10_000_001), task.Spent.Amount.Int64())
	require.Equal(t, int64(10_000_001), f.paidOut())
	require.Equal(t, int64(0), f.escrow())
	require.Equal(t, int64(tfFunds-10_000_003+2), f.balance(f.creator), "the 2 of dust is refunded")
	require.Equal(t, []types.EventTaskEnded{{TaskId: id, Status: types.TASK_STATUS_COMPLETED, CandidateModelId: tfBaseModel + "-t1", Refunded: "2umesh"}},
		tfEvents[types.EventTaskEnded](f))
}

// TestPayoutFailure: a share whose pool cannot be paid stays in the budget
// and goes back to the creator.
func TestPayoutFailure(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(2)
	id := f.startTask(f.createMsg(1, 2, 1), ws)
	// The participant that is not also the aggregator loses its share.
	agg := f.aggregators(id, 1, ws)[0]
	victim := 0
	if f.participants(id, 1, ws)[0].addr.Equals(agg.addr) {
		victim = 1
	}
	f.pool.failPay[string(f.participants(id, 1, ws)[victim].provider)] = true
	f.fullRound(id, 1, ws, []uint64{1, 1}, tfSha("c"))
	r := f.round(id, 1)
	require.True(t, r.Updates[victim].Paid.IsZero())
	require.Equal(t, int64(4_500_000), r.Updates[1-victim].Paid.Amount.Int64())
	require.Equal(t, int64(1_000_000), r.Aggregates[0].Paid.Amount.Int64())
	require.Equal(t, int64(5_500_000), f.paidOut())
	require.Equal(t, int64(tfFunds-5_500_000), f.balance(f.creator))
	require.Equal(t, int64(5_500_000), f.task(id).Spent.Amount.Int64())
}

// TestTwoRoundTaskCompletes: the candidate model carries the last round's
// checkpoint and the base model's runtime, price and VRAM.
func TestTwoRoundTaskCompletes(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(3)
	id := f.startTask(f.createMsg(2, 2, 3), ws)
	f.next()
	f.fullRound(id, 1, ws, []uint64{5, 5}, tfSha("c1"))
	f.openNext()
	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_RUNNING, task.Status)
	require.Equal(t, tfSha("c1"), task.CheckpointDigest)
	r2 := f.round(id, 2)
	require.Equal(t, tfSha("c1"), r2.BaseDigest)
	require.Empty(t, f.inference.candidates)

	f.next()
	f.fullRound(id, 2, ws, []uint64{5, 5}, tfSha("c2"))
	task = f.task(id)
	require.Equal(t, types.TASK_STATUS_COMPLETED, task.Status)
	require.Equal(t, tfSha("c2"), task.CheckpointDigest)
	require.Equal(t, tfBaseModel+"-t1", task.CandidateModelId)
	aggURI := f.aggregateMsg(f.aggregators(id, 2, ws)[0], id, 2, tfSha("c2"), 0).Uri
	require.Equal(t, aggURI, task.CheckpointUri)
	require.Equal(t, []inferencetypes.Model{{
		Id: tfBaseModel + "-t1", Name: "Mesh embedded (training task 1)", Version: "t1",
		WeightsDigest: hex.EncodeToString(tfSha("c2")), WeightsUri: aggURI, Runtime: inferencetypes.RuntimeInt8Embedded,
		Deterministic: true, Prices: sdk.NewCoins(sdk.NewInt64Coin(tfDenom, 1000)), MinVramGb: 8, Status: inferencetypes.MODEL_STATUS_CANDIDATE,
	}}, f.inference.candidates)
	require.NoError(t, inferencetypes.ValidateModel(f.inference.candidates[0]))
	require.Empty(t, f.deadlines())

	// Workers of an ended task get nothing more.
	f.requireRejected(types.ErrWrongPhase, func() error {
		return f.k.CommitUpdate(f.ctx, f.commitMsg(ws[0], id, 3, tfUpdate(ws[0], 3, 1)))
	})
	f.requireRejected(types.ErrTaskClosed, func() error {
		return f.k.JoinTask(f.ctx, &types.MsgJoinTask{Worker: f.bech(f.addWorker("late").addr), TaskId: id})
	})
}

// TestCandidateRegistration: a base model id too long for "<id>-t<n>" gives
// "task-<n>"; a registration that fails leaves the task COMPLETED without a
// candidate id.
func TestCandidateRegistration(t *testing.T) {
	f := newTaskFixture(t)
	long := "m" + string(bytes.Repeat([]byte("x"), 62))
	base := f.inference.models[tfBaseModel]
	base.Id = long
	f.inference.models[long] = base
	ws := f.addWorkers(1)
	w := f.compute.workers[string(ws[0].addr)]
	w.Models = append(w.Models, long)
	f.compute.workers[string(ws[0].addr)] = w
	msg := f.createMsg(1, 1, 1)
	msg.BaseModelId = long
	id := f.startTask(msg, ws)
	f.fullRound(id, 1, ws, []uint64{1}, tfSha("c"))
	require.Equal(t, "task-1", f.task(id).CandidateModelId)

	f.inference.fail = true
	id = f.startTask(f.createMsg(1, 1, 1), ws)
	f.fullRound(id, 1, ws, []uint64{1}, tfSha("c"))
	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_COMPLETED, task.Status)
	require.Empty(t, task.CandidateModelId)
	require.Equal(t, int64(0), f.escrow())
}

// TestSeedPurpose: the draw uses the x/compute seed for "training-round".
func TestSeedPurpose(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(1)
	f.startTask(f.createMsg(1, 1, 1), ws)
	require.Equal(t, []string{"training-round"}, f.compute.seeds)
}

// TestRoundStateIsValidGenesis: at every step of a task the state exports
// to a genesis that validates (deadlines, phases, paid coins, budgets).
func TestRoundStateIsValidGenesis(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(3)
	check := func() {
		gs, err := f.k.ExportGenesis(f.ctx)
		require.NoError(t, err)
		require.NoError(t, gs.Validate())
	}
	id := f.startTask(f.createMsg(3, 2, 3), ws)
	check()
	f.next()
	f.fullRound(id, 1, ws, []uint64{3, 4}, tfSha("c1"))
	check() // round 2 scheduled, not drawn
	f.openNext()
	check()
	f.advanceTo(f.round(id, 2).CommitEnd) // empty
	check()
	parts := f.participants(id, 3, ws)
	f.commit(parts[0], id, 3, tfUpdate(parts[0], 3, 1))
	check()
	f.advanceTo(f.round(id, 3).CommitEnd)
	check()
	f.reveal(parts[0], id, 3, tfUpdate(parts[0], 3, 1))
	check()
	f.advanceTo(f.round(id, 3).AggregateEnd)
	check()
}

// Samples are self-reported: a participant claiming a huge count is paid for
// at most 2 × the lower median of the round's counts.
func TestSamplesCapped(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(3)
	id := f.startTask(f.createMsg(1, 3, 1), ws)
	parts := f.participants(id, 1, ws)
	samples := []uint64{100, 100, 1 << 60}
	for i, w := range parts {
		f.commit(w, id, 1, tfUpdate(w, 1, samples[i]))
	}
	for i, w := range parts {
		f.reveal(w, id, 1, tfUpdate(w, 1, samples[i]))
	}
	f.next()
	f.aggregate(f.aggregators(id, 1, ws)[0], id, 1, tfSha("c"), 9)
	r := f.round(id, 1)
	require.Equal(t, types.ROUND_PHASE_FINALIZED, r.Phase)
	paid := map[string]int64{}
	for _, u := range r.Updates {
		paid[u.Worker] = u.Paid.Amount.Int64()
	}
	// P = 9,000,000 over weights 100 : 100 : 200.
	require.Equal(t, int64(2_250_000), paid[f.bech(parts[0].addr)])
	require.Equal(t, int64(2_250_000), paid[f.bech(parts[1].addr)])
	require.Equal(t, int64(4_500_000), paid[f.bech(parts[2].addr)])
}

// TestNoRoundInTheCreationBlock: a task created and joined by all the
// workers it needs in one block draws nothing in that block, not even in
// its EndBlocker; the next block's EndBlocker draws round 1 with that
// block's seed, and the block's joins are pruned once its draws are done.
func TestNoRoundInTheCreationBlock(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(1)
	f.next()
	id := f.openTask(f.createMsg(1, 1, 1), ws)
	created := f.height()
	require.Equal(t, created, f.task(id).CreatedHeight)
	has, err := f.k.RecentJoins.Has(f.ctx, collections.Join3(created, id, ws[0].addr))
	require.NoError(t, err)
	require.True(t, has)
	// (height, task, worker): Int64Key (sign bit flipped), Uint64Key, the address bytes.
	key := append(append(append([]byte{14}, binary.BigEndian.AppendUint64(nil, uint64(created)^1<<63)...),
		binary.BigEndian.AppendUint64(nil, id)...), ws[0].addr...)
	require.True(t, f.ctx.KVStore(f.keys[types.StoreKey]).Has(key), "key layout %X", key)
	f.endBlock()
	require.Equal(t, types.TASK_STATUS_OPEN, f.task(id).Status)
	require.Empty(t, tfEvents[types.EventRoundStarted](f))
	_, err = f.k.Rounds.Get(f.ctx, collections.Join(id, uint32(1)))
	require.ErrorIs(t, err, collections.ErrNotFound)
	has, err = f.k.RecentJoins.Has(f.ctx, collections.Join3(created, id, ws[0].addr))
	require.NoError(t, err)
	require.False(t, has, "pruned by the EndBlocker")

	f.next()
	f.endBlock()
	r := f.round(id, 1)
	require.Equal(t, types.TASK_STATUS_RUNNING, f.task(id).Status)
	require.Equal(t, created+1, r.StartHeight)
	require.Equal(t, tfSeed(created+1, "training-round", binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, id), 1)), r.Seed)
	require.Equal(t, []tfWorker{ws[0]}, f.participants(id, 1, ws))
	require.Len(t, tfEvents[types.EventRoundStarted](f), 1)
}

// TestDrawSkipsJoinsOfItsBlock: a round is drawn only from the workers that
// joined before the drawing block. Workers joining in the block that draws
// round 1, and in the block that draws round 2, are left out of that draw
// (and take part from the next one on).
func TestDrawSkipsJoinsOfItsBlock(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(8)
	early, late, later := ws[:2], ws[2:5], ws[5:]
	roundID := func(id uint64, n uint32) []byte {
		return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, id), n)
	}
	f.next()
	id := f.openTask(f.createMsg(2, 2, 2), early)
	f.endBlock()

	f.next() // round 1 is drawn in this block's EndBlocker
	for _, w := range late {
		f.join(id, w)
	}
	f.endBlock()
	seed := tfSeed(f.height(), "training-round", roundID(id, 1))
	require.Equal(t, seed, f.round(id, 1).Seed)
	require.ElementsMatch(t, early, f.participants(id, 1, ws))
	require.ElementsMatch(t, early, f.aggregators(id, 1, ws))
	// The test can tell: with the late joiners, another draw.
	require.NotElementsMatch(t, early, tfRank(seed, "participant", append(slices.Clone(early), late...))[:2])

	// Nobody commits: round 1 ends EMPTY at commit_end, whose EndBlocker
	// draws round 2 from early and late, not from the workers joining then.
	f.advanceTo(f.round(id, 1).CommitEnd - 1)
	f.next()
	for _, w := range later {
		f.join(id, w)
	}
	f.endBlock()
	require.Equal(t, types.ROUND_PHASE_EMPTY, f.round(id, 1).Phase)
	seed = tfSeed(f.height(), "training-round", roundID(id, 2))
	cands := append(slices.Clone(early), late...)
	require.Equal(t, tfRank(seed, "participant", cands)[:2], f.participants(id, 2, ws))
	require.Equal(t, tfRank(seed, "aggregator", cands)[:2], f.aggregators(id, 2, ws))
	require.NotElementsMatch(t, tfRank(seed, "participant", cands)[:2], tfRank(seed, "participant", ws)[:2], "the later joiners would change it")
}

// TestNextRoundDrawnNextBlock: the transaction that ends round 1 (the last
// aggregate) draws nothing: round 2 is due at the next block, whose
// EndBlocker draws it with that block's seed from the workers joined before
// it (in the completing block too), not from those joining in it. The
// transaction ending the last round ends the task at once.
func TestNextRoundDrawnNextBlock(t *testing.T) {
	f := newTaskFixture(t)
	ws := f.addWorkers(12)
	early, mid, late := ws[:2], ws[2:4], ws[4:]
	id := f.startTask(f.createMsg(2, 2, 2), early)

	f.next()
	h := f.height()
	f.fullRound(id, 1, early, []uint64{5, 5}, tfSha("c1"))
	require.Len(t, tfEvents[types.EventRoundEnded](f), 1)
	require.Empty(t, tfEvents[types.EventRoundStarted](f), "no draw in the completing tx")
	task := f.task(id)
	require.Equal(t, types.TASK_STATUS_RUNNING, task.Status)
	require.Equal(t, uint32(1), task.CurrentRound)
	_, err := f.k.Rounds.Get(f.ctx, collections.Join(id, uint32(2)))
	require.ErrorIs(t, err, collections.ErrNotFound)
	require.Equal(t, [][2]int64{{h + 1, int64(id)}}, f.deadlines())
	for _, w := range mid {
		f.join(id, w)
	}
	f.requireRejected(types.ErrWrongPhase, func() error {
		return f.k.CommitUpdate(f.ctx, f.commitMsg(early[0], id, 2, tfUpdate(early[0], 2, 1)))
	}, "round 2 is not open yet")
	f.endBlock()
	require.Empty(t, tfEvents[types.EventRoundStarted](f), "nor in the completing block's EndBlocker")
	require.Equal(t, uint32(1), f.task(id).CurrentRound)

	f.next()
	for _, w := range late {
		f.join(id, w)
	}
	f.endBlock()
	started := tfEvents[types.EventRoundStarted](f)
	require.Len(t, started, 1)
	require.Equal(t, uint32(2), started[0].Round)
	r2 := f.round(id, 2)
	require.Equal(t, uint32(2), f.task(id).CurrentRound)
	require.Equal(t, types.ROUND_PHASE_COMMIT, r2.Phase)
	require.Equal(t, h+1, r2.StartHeight)
	require.Equal(t, h+1+10, r2.CommitEnd)
	require.Equal(t, tfSha("c1"), r2.BaseDigest)
	require.Equal(t, [][2]int64{{r2.CommitEnd, int64(id)}}, f.deadlines())
	seed := tfSeed(h+1, "training-round", binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint64(nil, id), 2))
	require.Equal(t, seed, r2.Seed)
	cands := append(slices.Clone(early), mid...)
	require.Equal(t, tfRank(seed, "participant", cands)[:2], f.participants(id, 2, ws))
	require.Equal(t, tfRank(seed, "aggregator", cands)[:2], f.aggregators(id, 2, ws))
	// The test can tell: with the late joiners, another draw.
	require.NotEqual(t,
		[][]tfWorker{tfRank(seed, "participant", cands)[:2], tfRank(seed, "aggregator", cands)[:2]},
		[][]tfWorker{tfRank(seed, "participant", ws)[:2], tfRank(seed, "aggregator", ws)[:2]}, "the late joiners would change it")

	// The last round ends the task in its transaction; nothing is scheduled.
	f.next()
	f.fullRound(id, 2, ws, []uint64{5, 5}, tfSha("c2"))
	require.Equal(t, types.TASK_STATUS_COMPLETED, f.task(id).Status)
	require.Len(t, tfEvents[types.EventTaskEnded](f), 1)
	require.Empty(t, tfEvents[types.EventRoundStarted](f))
	require.Empty(t, f.deadlines())
	f.openNext()
	require.Equal(t, types.TASK_STATUS_COMPLETED, f.task(id).Status)
	require.Empty(t, tfEvents[types.EventRoundStarted](f))
}
