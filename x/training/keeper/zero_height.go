package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/training/types"
)

// PrepareForZeroHeight rewrites the heights of running rounds for a chain
// that restarts from an export at height zero (`meshd export
// --for-zero-height`): each running round's start and phase ends move back
// by the export height (ends no lower than 1), so its current phase ends as
// many blocks after the restart as it had left before it, instead of waiting
// for the old heights to come round again. Finished rounds keep their
// heights (history). An OPEN task with its workers starts its first round at
// height 1, and a RUNNING task whose current round a transaction ended
// starts its next round there. InitGenesis rebuilds the deadlines from the tasks and rounds.
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	offset := sdk.UnwrapSDKContext(ctx).BlockHeight()
	shift := func(h int64) int64 { return max(h-offset, 1) }
	var running []types.Round
	if err := k.Rounds.Walk(ctx, nil, func(_ collections.Pair[uint64, uint32], r types.Round) (bool, error) {
		switch r.Phase {
		case types.ROUND_PHASE_COMMIT, types.ROUND_PHASE_REVEAL, types.ROUND_PHASE_AGGREGATE:
			running = append(running, r)
		}
		return false, nil
	}); err != nil {
		return err
	}
	if err := k.RoundDeadlines.Clear(ctx, nil); err != nil {
		return err
	}
	for _, r := range running {
		r.StartHeight = max(r.StartHeight-offset, 0)
		r.CommitEnd, r.RevealEnd, r.AggregateEnd = shift(r.CommitEnd), shift(r.RevealEnd), shift(r.AggregateEnd)
		if err := k.Rounds.Set(ctx, collections.Join(r.TaskId, r.Number), r); err != nil {
			return err
		}
		if err := k.RoundDeadlines.Set(ctx, collections.Join(phaseEnd(r), r.TaskId)); err != nil {
			return err
		}
	}
	var starting []uint64
	if err := k.Tasks.Walk(ctx, nil, func(id uint64, t types.Task) (bool, error) {
		switch {
		case t.Status == types.TASK_STATUS_OPEN && t.Workers >= startWorkers(t):
			starting = append(starting, id)
		case t.Status == types.TASK_STATUS_RUNNING:
			r, err := k.Rounds.Get(ctx, collections.Join(id, t.CurrentRound))
			if err != nil {
				return true, err
			}
			if roundEnded(r.Phase) {
				starting = append(starting, id)
			}
		}
		return false, nil
	}); err != nil {
		return err
	}
	for _, id := range starting {
		if err := k.RoundDeadlines.Set(ctx, collections.Join(int64(1), id)); err != nil {
			return err
		}
	}
	return nil
}
