package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/training/types"
)

// EndBlocker ends the round phases whose deadline has come and starts the
// first round of the tasks whose workers joined in an earlier block, and the
// next round of those whose round a transaction of an earlier block ended: at most
// max_rounds_per_block RoundDeadlines entries with height ≤ the block
// height, oldest first; the rest wait for the next blocks. Each entry is
// removed and its task started or its current round advanced (round.go) in
// its own cache context. One that fails keeps its state, is logged and
// dropped from the queue: left there, it would fail again at every block
// and, with enough of them at the head of the queue, stall every later
// round. Its task stays as it was until a software upgrade repairs it.
// Last, it prunes the block's RecentJoins.
//
// It never returns an error: nothing here may halt the chain.
func (k Keeper) EndBlocker(ctx context.Context) error {
	defer func() {
		if r := recover(); r != nil {
			k.Logger(ctx).Error("x/training end blocker panicked", "panic", r)
		}
	}()
	params, err := k.Params.Get(ctx)
	if err != nil {
		k.Logger(ctx).Error("x/training end blocker: params", "err", err)
		return nil
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	due, err := k.dueDeadlines(ctx, h, params.MaxRoundsPerBlock)
	if err != nil {
		k.Logger(ctx).Error("x/training end blocker: deadlines", "err", err)
		return nil
	}
	for _, key := range due {
		err := cachectx.Run(ctx, func(cc sdk.Context) error {
			if err := k.RoundDeadlines.Remove(cc, key); err != nil {
				return err
			}
			return k.deadlineReached(cc, params, key)
		})
		if err == nil {
			continue
		}
		k.Logger(ctx).Error("x/training: round skipped", "task", key.K2(), "height", key.K1(), "err", err)
		if err := k.RoundDeadlines.Remove(ctx, key); err != nil {
			k.Logger(ctx).Error("x/training: drop skipped round deadline", "task", key.K2(), "err", err)
		}
	}
	// This block's draws are done: its joins count from the next block on.
	if err := k.pruneJoins(ctx, h); err != nil {
		k.Logger(ctx).Error("x/training end blocker: prune joins", "err", err)
	}
	return nil
}

// maxJoinPrunesPerBlock bounds the RecentJoins entries the EndBlocker
// deletes per block. More joins than that in a block (each a paid tx) leave
// entries for the next blocks; an entry of an earlier height never matches a
// draw, so a late prune changes no outcome.
const maxJoinPrunesPerBlock = 1024

// pruneJoins deletes up to maxJoinPrunesPerBlock RecentJoins entries of
// heights ≤ h, in order, in a cache context kept only on success.
func (k Keeper) pruneJoins(ctx context.Context, h int64) error {
	rng := new(collections.Range[collections.Triple[int64, uint64, sdk.AccAddress]]).
		EndExclusive(collections.Join3(h+1, uint64(0), sdk.AccAddress(nil)))
	it, err := k.RecentJoins.Iterate(ctx, rng)
	if err != nil {
		return err
	}
	var keys []collections.Triple[int64, uint64, sdk.AccAddress]
	for ; it.Valid() && len(keys) < maxJoinPrunesPerBlock; it.Next() {
		key, err := it.Key()
		if err != nil {
			it.Close()
			return err
		}
		keys = append(keys, key)
	}
	it.Close()
	return cachectx.Run(ctx, func(cc sdk.Context) error {
		for _, key := range keys {
			if err := k.RecentJoins.Remove(cc, key); err != nil {
				return err
			}
		}
		return nil
	})
}

// dueDeadlines reads up to limit RoundDeadlines keys with height ≤ h, in
// order, before any is processed (processing changes the queue).
func (k Keeper) dueDeadlines(ctx context.Context, h int64, limit uint32) ([]collections.Pair[int64, uint64], error) {
	rng := new(collections.Range[collections.Pair[int64, uint64]]).EndExclusive(collections.Join(h+1, uint64(0)))
	it, err := k.RoundDeadlines.Iterate(ctx, rng)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out []collections.Pair[int64, uint64]
	for ; it.Valid() && uint32(len(out)) < limit; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}

// deadlineReached starts the first round of the entry's task when it is
// OPEN with its workers, starts the next round of a RUNNING task whose
// current round a transaction ended (nextRound), or advances its current
// round, unless the entry is stale (the task or round moved on without
// removing it).
func (k Keeper) deadlineReached(ctx context.Context, params types.Params, key collections.Pair[int64, uint64]) error {
	task, err := k.Tasks.Get(ctx, key.K2())
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if task.Status == types.TASK_STATUS_OPEN && task.CurrentRound == 0 && task.Workers >= startWorkers(task) {
		if err := k.startTask(ctx, params, &task); err != nil {
			return err
		}
		return k.Tasks.Set(ctx, task.Id, task)
	}
	if task.Status != types.TASK_STATUS_RUNNING {
		return nil
	}
	round, err := k.Rounds.Get(ctx, collections.Join(task.Id, task.CurrentRound))
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if roundEnded(round.Phase) {
		// Ended in an earlier block's transaction: draw the next round
		// now, from what that block committed.
		if err := k.startRounds(ctx, params, &task, round.Number+1); err != nil {
			return err
		}
		return k.Tasks.Set(ctx, task.Id, task)
	}
	switch round.Phase {
	case types.ROUND_PHASE_COMMIT, types.ROUND_PHASE_REVEAL, types.ROUND_PHASE_AGGREGATE:
	default:
		return nil
	}
	if phaseEnd(round) != key.K1() {
		return nil
	}
	return k.advanceRound(ctx, params, &task, &round, false)
}
