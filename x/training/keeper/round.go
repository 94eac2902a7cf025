package keeper

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/bits"
	"slices"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	inferencetypes "github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
	"github.com/llmesh/mesh/x/training/types"
)

// A round of task T, number n, started at height h:
//
//	seed = x/compute Seed("training-round", be64(T) ‖ be32(n))
//	candidates: the joined workers still ACTIVE with an eligible pool
//	participants: the p candidates with the smallest SHA-256(seed ‖ "participant" ‖ address)
//	aggregators:  the a candidates with the smallest SHA-256(seed ‖ "aggregator" ‖ address)
//	budget B = ⌊(budget − spent) / (rounds − n + 1)⌋
//
// COMMIT (until commit_end = h + commit_blocks, or every participant
// committed) → REVEAL (until reveal_end, or every committer revealed) →
// AGGREGATE (until aggregate_end, or every aggregator submitted) →
// FINALIZED when q = ⌈2a/3⌉ aggregators submitted one digest, else FAILED.
// A round nobody committed to or revealed in, or without candidates, ends
// EMPTY. Participants that did not reveal lose reputation.
//
// FINALIZED pays, each share into the worker's provider pool (x/pool
// AddRewards), all rounding down, the dust staying in the task's budget:
//
//	aggregators: A = ⌊B × aggregator_share_bps / 10000⌋, ⌊A / agreeing⌋ each
//	participants: P = B − A, ⌊P × w_i / Σ w⌋ to each revealed one, where
//	w_i = min(samples_i, 2 × the lower median of the revealed samples):
//	samples are self-reported, so one participant claiming a huge count
//	cannot take the whole part (the same weights give training points)
//
// An aggregator that submitted another digest is slashed
// aggregator_slash_fraction of its provider's pool.
//
// Each effect of a transition on another module (payment, slash,
// reputation, points) runs in its own cache context: a failure is logged and
// skips that effect only. The draw is in task.go. A round that a
// transaction ends is followed by the next round's draw only in the next
// block's EndBlocker (nextRound): the proposer, who knows its block's seed,
// chose the block of that transaction.

// CommitUpdate records a participant's commitment
// (types.UpdateCommitment). The last participant to commit opens the
// reveal phase at once, for reveal_blocks from now.
func (k Keeper) CommitUpdate(ctx context.Context, msg *types.MsgCommitUpdate) error {
	task, round, worker, err := k.roundOf(ctx, msg.Worker, msg.TaskId, msg.Round)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if round.Phase != types.ROUND_PHASE_COMMIT || h > round.CommitEnd {
		return errorsmod.Wrapf(types.ErrWrongPhase, "task %d round %d: %s, commits until height %d", task.Id, round.Number, round.Phase, round.CommitEnd)
	}
	u := participant(&round, worker)
	if u == nil {
		return errorsmod.Wrapf(types.ErrNotParticipant, "%s in task %d round %d", worker, task.Id, round.Number)
	}
	if len(u.Commitment) != 0 {
		return errorsmod.Wrapf(types.ErrAlreadyCommitted, "%s in task %d round %d", worker, task.Id, round.Number)
	}
	u.Commitment = bytes.Clone(msg.Commitment)
	if countUpdates(round, func(u types.Update) bool { return len(u.Commitment) != 0 }) == len(round.Updates) {
		params, err := k.Params.Get(ctx)
		if err != nil {
			return err
		}
		if err := k.RoundDeadlines.Remove(ctx, collections.Join(round.CommitEnd, task.Id)); err != nil {
			return err
		}
		round.Phase = types.ROUND_PHASE_REVEAL
		round.CommitEnd = h
		round.RevealEnd = h + params.RevealBlocks
		round.AggregateEnd = round.RevealEnd + params.AggregateBlocks
		if err := k.RoundDeadlines.Set(ctx, collections.Join(round.RevealEnd, task.Id)); err != nil {
			return err
		}
	}
	return k.Rounds.Set(ctx, collections.Join(task.Id, round.Number), round)
}

// RevealUpdate records a participant's update. The commitment is recomputed
// with the signer's own address. When every participant that committed has
// revealed, the reveal phase ends at once (a failure there is logged and
// left to the deadline; the reveal stands).
func (k Keeper) RevealUpdate(ctx context.Context, msg *types.MsgRevealUpdate) error {
	task, round, worker, err := k.roundOf(ctx, msg.Worker, msg.TaskId, msg.Round)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if round.Phase != types.ROUND_PHASE_REVEAL || h > round.RevealEnd {
		return errorsmod.Wrapf(types.ErrWrongPhase, "task %d round %d: %s, reveals until height %d", task.Id, round.Number, round.Phase, round.RevealEnd)
	}
	u := participant(&round, worker)
	if u == nil {
		return errorsmod.Wrapf(types.ErrNotParticipant, "%s in task %d round %d", worker, task.Id, round.Number)
	}
	if len(u.Commitment) == 0 {
		return errorsmod.Wrapf(types.ErrNoCommitment, "%s in task %d round %d", worker, task.Id, round.Number)
	}
	if u.Revealed {
		return errorsmod.Wrapf(types.ErrAlreadyRevealed, "%s in task %d round %d", worker, task.Id, round.Number)
	}
	addr, err := k.addrBytes(worker)
	if err != nil {
		return err
	}
	want := types.UpdateCommitment(task.Id, round.Number, addr, msg.Digest, msg.Samples, msg.Loss, msg.Salt)
	if !bytes.Equal(want, u.Commitment) {
		return errorsmod.Wrapf(types.ErrBadReveal, "%s in task %d round %d", worker, task.Id, round.Number)
	}
	u.Digest, u.Samples, u.Loss, u.Uri, u.Revealed = bytes.Clone(msg.Digest), msg.Samples, msg.Loss, msg.Uri, true
	if err := k.Rounds.Set(ctx, collections.Join(task.Id, round.Number), round); err != nil {
		return err
	}
	if err := kit.Emit(ctx, &types.EventUpdateRevealed{TaskId: task.Id, Round: round.Number, Worker: worker, Samples: msg.Samples, Loss: msg.Loss}); err != nil {
		return err
	}
	committed := countUpdates(round, func(u types.Update) bool { return len(u.Commitment) != 0 })
	if countUpdates(round, func(u types.Update) bool { return u.Revealed }) == committed {
		k.advanceNow(ctx, task.Id)
	}
	return nil
}

// SubmitAggregate records an aggregator's checkpoint digest, URI and
// held-out loss. The last aggregator to submit finalizes the round at once
// (a failure there is logged and left to the deadline; the submission stands).
func (k Keeper) SubmitAggregate(ctx context.Context, msg *types.MsgSubmitAggregate) error {
	task, round, worker, err := k.roundOf(ctx, msg.Worker, msg.TaskId, msg.Round)
	if err != nil {
		return err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if round.Phase != types.ROUND_PHASE_AGGREGATE || h > round.AggregateEnd {
		return errorsmod.Wrapf(types.ErrWrongPhase, "task %d round %d: %s, aggregates until height %d", task.Id, round.Number, round.Phase, round.AggregateEnd)
	}
	var a *types.Aggregate
	for i := range round.Aggregates {
		if round.Aggregates[i].Worker == worker {
			a = &round.Aggregates[i]
			break
		}
	}
	if a == nil {
		return errorsmod.Wrapf(types.ErrNotAggregator, "%s in task %d round %d", worker, task.Id, round.Number)
	}
	if len(a.Digest) != 0 {
		return errorsmod.Wrapf(types.ErrAlreadySubmitted, "%s in task %d round %d", worker, task.Id, round.Number)
	}
	a.Digest, a.Uri, a.EvalLoss = bytes.Clone(msg.Digest), msg.Uri, msg.EvalLoss
	if err := k.Rounds.Set(ctx, collections.Join(task.Id, round.Number), round); err != nil {
		return err
	}
	for _, a := range round.Aggregates {
		if len(a.Digest) == 0 {
			return nil
		}
	}
	k.advanceNow(ctx, task.Id)
	return nil
}

// roundOf loads the task and round a worker's message is for: the task must
// be RUNNING and the round its current one. It returns the worker's
// canonical address string.
func (k Keeper) roundOf(ctx context.Context, workerStr string, taskID uint64, n uint32) (types.Task, types.Round, string, error) {
	addr, err := k.addrBytes(workerStr)
	if err != nil {
		return types.Task{}, types.Round{}, "", err
	}
	worker := k.addrString(addr)
	task, err := k.getTask(ctx, taskID)
	if err != nil {
		return task, types.Round{}, "", err
	}
	if task.Status != types.TASK_STATUS_RUNNING || n != task.CurrentRound {
		return task, types.Round{}, "", errorsmod.Wrapf(types.ErrWrongPhase,
			"task %d is %s at round %d: round %d is closed or in the future", task.Id, task.Status, task.CurrentRound, n)
	}
	round, err := k.Rounds.Get(ctx, collections.Join(taskID, n))
	return task, round, worker, kit.NotFound(err, types.ErrRoundNotFound, fmt.Sprintf("task %d round %d", taskID, n))
}

// participant returns worker's update slot in round, or nil.
func participant(round *types.Round, worker string) *types.Update {
	for i := range round.Updates {
		if round.Updates[i].Worker == worker {
			return &round.Updates[i]
		}
	}
	return nil
}

// countUpdates counts the updates of round for which pred holds.
func countUpdates(round types.Round, pred func(types.Update) bool) int {
	n := 0
	for _, u := range round.Updates {
		if pred(u) {
			n++
		}
	}
	return n
}

// advanceNow ends the current phase of a task's round inside a transaction
// (every participant revealed, every aggregator submitted). It is block
// work, bounded by the round's size, and not charged to whichever worker
// happens to be last; if it fails, nothing of it is kept and the deadline
// does it. A round it ends is not followed by a draw here: the next round
// is scheduled for the next block's EndBlocker (nextRound).
func (k Keeper) advanceNow(ctx context.Context, taskID uint64) {
	err := cachectx.Run(ctx, func(cc sdk.Context) error {
		cc = cc.WithGasMeter(storetypes.NewInfiniteGasMeter())
		params, err := k.Params.Get(cc)
		if err != nil {
			return err
		}
		task, err := k.Tasks.Get(cc, taskID)
		if err != nil {
			return err
		}
		round, err := k.Rounds.Get(cc, collections.Join(taskID, task.CurrentRound))
		if err != nil {
			return err
		}
		return k.advanceRound(cc, params, &task, &round, true)
	})
	if err != nil {
		k.Logger(ctx).Error("training: round left to its deadline", "task", taskID, "err", err)
	}
}

// advanceRound ends the current phase of a RUNNING task's current round and
// saves the task: COMMIT → REVEAL (EMPTY if nobody committed), REVEAL →
// AGGREGATE (EMPTY if nobody revealed), AGGREGATE → FINALIZED or FAILED.
// A round that ends is followed by the next one or ends the task
// (nextRound); inTx says a transaction ended it.
func (k Keeper) advanceRound(ctx context.Context, params types.Params, task *types.Task, round *types.Round, inTx bool) error {
	if err := k.RoundDeadlines.Remove(ctx, collections.Join(phaseEnd(*round), task.Id)); err != nil {
		return err
	}
	var err error
	switch round.Phase {
	case types.ROUND_PHASE_COMMIT:
		err = k.closeCommits(ctx, params, task, round)
	case types.ROUND_PHASE_REVEAL:
		err = k.closeReveals(ctx, params, task, round)
	case types.ROUND_PHASE_AGGREGATE:
		err = k.finalize(ctx, params, task, round)
	default:
		return errorsmod.Wrapf(types.ErrWrongPhase, "task %d round %d is %s", task.Id, round.Number, round.Phase)
	}
	if err != nil {
		return err
	}
	if roundEnded(round.Phase) {
		if err := k.nextRound(ctx, params, task, round.Number, inTx); err != nil {
			return err
		}
	}
	return k.Tasks.Set(ctx, task.Id, *task)
}

// roundEnded reports whether a round in phase p is over (FINALIZED, FAILED
// or EMPTY).
func roundEnded(p types.RoundPhase) bool {
	switch p {
	case types.ROUND_PHASE_FINALIZED, types.ROUND_PHASE_FAILED, types.ROUND_PHASE_EMPTY:
		return true
	}
	return false
}

// nextRound follows round n of a RUNNING task, which just ended (not
// saved). After the last round the task ends at once: that draws nothing.
// Otherwise round n+1 is drawn now when the round ended at its deadline, in
// the EndBlocker; when a transaction ended it, the proposer chose the block
// of that transaction knowing the block's seed, so round n+1 is only
// scheduled, a RoundDeadlines entry at h + 1 that the next block's
// EndBlocker takes (the task stays RUNNING at round n, ended, until then).
func (k Keeper) nextRound(ctx context.Context, params types.Params, task *types.Task, n uint32, inTx bool) error {
	if n >= task.Rounds {
		return k.endTask(ctx, task)
	}
	if !inTx {
		return k.startRounds(ctx, params, task, n+1)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	return k.RoundDeadlines.Set(ctx, collections.Join(h+1, task.Id))
}

// closeCommits ends a commit phase at its deadline.
func (k Keeper) closeCommits(ctx context.Context, params types.Params, task *types.Task, round *types.Round) error {
	if countUpdates(*round, func(u types.Update) bool { return len(u.Commitment) != 0 }) == 0 {
		return k.emptyRound(ctx, task, round)
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if round.RevealEnd <= h {
		// Only when the EndBlocker ran late: leave the reveal phase its length.
		round.RevealEnd = h + params.RevealBlocks
		round.AggregateEnd = round.RevealEnd + params.AggregateBlocks
	}
	round.Phase = types.ROUND_PHASE_REVEAL
	if err := k.RoundDeadlines.Set(ctx, collections.Join(round.RevealEnd, task.Id)); err != nil {
		return err
	}
	return k.Rounds.Set(ctx, collections.Join(task.Id, round.Number), *round)
}

// closeReveals ends a reveal phase, at its deadline or once every committer
// revealed: the participants that did not reveal lose reputation.
func (k Keeper) closeReveals(ctx context.Context, params types.Params, task *types.Task, round *types.Round) error {
	if countUpdates(*round, func(u types.Update) bool { return u.Revealed }) == 0 {
		return k.emptyRound(ctx, task, round)
	}
	for _, u := range round.Updates {
		if !u.Revealed {
			k.recordOutcome(ctx, task.Id, u.Worker, false)
		}
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	round.RevealEnd = min(round.RevealEnd, h)
	if round.AggregateEnd <= h {
		round.AggregateEnd = h + params.AggregateBlocks
	}
	round.Phase = types.ROUND_PHASE_AGGREGATE
	if err := k.RoundDeadlines.Set(ctx, collections.Join(round.AggregateEnd, task.Id)); err != nil {
		return err
	}
	return k.Rounds.Set(ctx, collections.Join(task.Id, round.Number), *round)
}

// emptyRound ends a round without an update (saved): no payouts; the
// participants that did not reveal lose reputation.
func (k Keeper) emptyRound(ctx context.Context, task *types.Task, round *types.Round) error {
	for _, u := range round.Updates {
		if !u.Revealed {
			k.recordOutcome(ctx, task.Id, u.Worker, false)
		}
	}
	round.Phase = types.ROUND_PHASE_EMPTY
	return k.saveEndedRound(ctx, task, round, math.ZeroInt())
}

// finalize ends an aggregate phase: FINALIZED with payouts when a quorum of
// aggregators agreed on a digest, else FAILED.
func (k Keeper) finalize(ctx context.Context, params types.Params, task *types.Task, round *types.Round) error {
	q := int(inferencetypes.Quorum(uint32(len(round.Aggregates))))
	best, bestN := inferencetypes.Plurality(round.Aggregates, func(a types.Aggregate) []byte { return a.Digest })
	if best < 0 || bestN < q {
		// Nobody is judged on a split vote, but an aggregator that did not
		// submit at all failed its job.
		for _, a := range round.Aggregates {
			if len(a.Digest) == 0 {
				k.recordOutcome(ctx, task.Id, a.Worker, false)
			}
		}
		round.Phase = types.ROUND_PHASE_FAILED
		return k.saveEndedRound(ctx, task, round, math.ZeroInt())
	}

	digest := bytes.Clone(round.Aggregates[best].Digest)
	var uri string
	var losses []uint64
	for i := range round.Aggregates {
		a := &round.Aggregates[i]
		switch {
		case bytes.Equal(a.Digest, digest):
			if len(losses) == 0 {
				uri = a.Uri
			}
			a.Agreed = true
			losses = append(losses, a.EvalLoss)
			k.recordOutcome(ctx, task.Id, a.Worker, true)
		case len(a.Digest) != 0:
			k.slashAggregator(ctx, params, task.Id, round, a)
			k.recordOutcome(ctx, task.Id, a.Worker, false)
		default:
			k.recordOutcome(ctx, task.Id, a.Worker, false)
		}
	}
	slices.Sort(losses)
	round.Phase = types.ROUND_PHASE_FINALIZED
	round.CheckpointDigest, round.CheckpointUri, round.EvalLoss = digest, uri, losses[(len(losses)-1)/2]

	paid := k.payRound(ctx, params, task, round, len(losses))
	task.Spent = task.Spent.AddAmount(paid)
	k.addTrainingPoints(ctx, params, task.Id, round)
	task.CheckpointDigest, task.CheckpointUri = bytes.Clone(digest), uri
	return k.saveEndedRound(ctx, task, round, paid)
}

// payRound pays a FINALIZED round's budget (see above) and returns the sum
// paid. A share whose pool cannot be paid stays in the task's budget.
func (k Keeper) payRound(ctx context.Context, params types.Params, task *types.Task, round *types.Round, agreeing int) math.Int {
	denom := task.Budget.Denom
	b := round.Budget.Amount
	if b.IsNil() {
		b = math.ZeroInt()
	}
	aggPart := b.MulRaw(int64(params.AggregatorShareBps)).QuoRaw(types.BpsScale)
	each := aggPart.QuoRaw(int64(agreeing))
	partPart := b.Sub(aggPart)

	maxW := samplesCap(round)
	total := math.ZeroInt()
	for _, u := range round.Updates {
		if u.Revealed {
			total = total.Add(math.NewIntFromUint64(min(u.Samples, maxW)))
		}
	}

	paid := math.ZeroInt()
	for i := range round.Updates {
		u := &round.Updates[i]
		u.Paid = sdk.NewCoin(denom, math.ZeroInt())
		if !u.Revealed || !total.IsPositive() {
			continue
		}
		share := partPart.Mul(math.NewIntFromUint64(min(u.Samples, maxW))).Quo(total)
		if k.pay(ctx, task.Id, u.Worker, u.Provider, sdk.NewCoin(denom, share)) {
			u.Paid = sdk.NewCoin(denom, share)
			paid = paid.Add(share)
		}
	}
	for i := range round.Aggregates {
		a := &round.Aggregates[i]
		a.Paid = sdk.NewCoin(denom, math.ZeroInt())
		if !a.Agreed {
			continue
		}
		if k.pay(ctx, task.Id, a.Worker, a.Provider, sdk.NewCoin(denom, each)) {
			a.Paid = sdk.NewCoin(denom, each)
			paid = paid.Add(each)
		}
	}
	return paid
}

// pay adds share to provider's pool in a cache context and reports whether
// it was paid (a zero share is not sent).
func (k Keeper) pay(ctx context.Context, taskID uint64, worker, provider string, share sdk.Coin) bool {
	if !share.IsPositive() {
		return false
	}
	err := cachectx.Run(ctx, func(cc sdk.Context) error {
		addr, err := k.addrBytes(provider)
		if err != nil {
			return err
		}
		return k.pool.AddRewards(cc, types.ModuleName, addr, sdk.NewCoins(share))
	})
	if err != nil {
		k.Logger(ctx).Error("training: share not paid", "task", taskID, "worker", worker, "provider", provider, "err", err)
		return false
	}
	return true
}

// slashAggregator slashes the pool of an aggregator outvoted by the quorum,
// at the round's start height.
func (k Keeper) slashAggregator(ctx context.Context, params types.Params, taskID uint64, round *types.Round, a *types.Aggregate) {
	if !params.AggregatorSlashFraction.IsPositive() {
		return
	}
	err := cachectx.Run(ctx, func(cc sdk.Context) error {
		addr, err := k.addrBytes(a.Provider)
		if err != nil {
			return err
		}
		_, err = k.pool.Slash(cc, addr, params.AggregatorSlashFraction, "training-aggregate", round.StartHeight)
		return err
	})
	if err != nil {
		k.Logger(ctx).Error("training: aggregator not slashed", "task", taskID, "round", round.Number, "worker", a.Worker, "err", err)
	}
}

// addTrainingPoints credits each revealed participant's provider with
// samples × training_points_per_sample x/rewards points (saturating).
func (k Keeper) addTrainingPoints(ctx context.Context, params types.Params, taskID uint64, round *types.Round) {
	if k.rewards == nil || params.TrainingPointsPerSample == 0 {
		return
	}
	maxW := samplesCap(round)
	for _, u := range round.Updates {
		if !u.Revealed {
			continue
		}
		points := uint64(1<<64 - 1)
		if hi, lo := bits.Mul64(min(u.Samples, maxW), params.TrainingPointsPerSample); hi == 0 {
			points = lo
		}
		err := cachectx.Run(ctx, func(cc sdk.Context) error {
			addr, err := k.addrBytes(u.Provider)
			if err != nil {
				return err
			}
			_, err = k.rewards.AddPoints(cc, rewardstypes.CategoryTraining, addr, points)
			return err
		})
		if err != nil {
			k.Logger(ctx).Error("training: points not recorded", "task", taskID, "round", round.Number, "worker", u.Worker, "err", err)
		}
	}
}

// recordOutcome reports a worker's round outcome to x/compute; a failure
// (e.g. the worker deregistered) is logged and skipped.
func (k Keeper) recordOutcome(ctx context.Context, taskID uint64, worker string, success bool) {
	err := cachectx.Run(ctx, func(cc sdk.Context) error {
		addr, err := k.addrBytes(worker)
		if err != nil {
			return err
		}
		_, err = k.compute.RecordJobOutcome(cc, addr, success)
		return err
	})
	if err != nil {
		k.Logger(ctx).Error("training: reputation not updated", "task", taskID, "worker", worker, "err", err)
	}
}

// saveEndedRound saves an ended round and emits EventRoundEnded.
func (k Keeper) saveEndedRound(ctx context.Context, task *types.Task, round *types.Round, paid math.Int) error {
	if err := k.Rounds.Set(ctx, collections.Join(task.Id, round.Number), *round); err != nil {
		return err
	}
	ev := &types.EventRoundEnded{TaskId: task.Id, Round: round.Number, Phase: round.Phase, Paid: sdk.NewCoin(task.Budget.Denom, paid).String()}
	if round.Phase == types.ROUND_PHASE_FINALIZED {
		ev.CheckpointDigest, ev.EvalLoss = hex.EncodeToString(round.CheckpointDigest), round.EvalLoss
	}
	return kit.Emit(ctx, ev)
}

// samplesCap is 2 × the lower median of the revealed updates' sample counts
// (saturating): the most samples one update is paid and credited for.
func samplesCap(round *types.Round) uint64 {
	var samples []uint64
	for _, u := range round.Updates {
		if u.Revealed {
			samples = append(samples, u.Samples)
		}
	}
	if len(samples) == 0 {
		return 0
	}
	slices.Sort(samples)
	m := samples[(len(samples)-1)/2]
	if m > (1<<64-1)/2 {
		return m
	}
	return 2 * m
}
