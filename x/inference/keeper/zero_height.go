package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
)

// PrepareForZeroHeight rewrites x/inference's block heights for a chain
// that restarts from an export at height zero (`meshd export
// --for-zero-height`). ctx is at the last committed height L; the new
// chain's first block is 1, so the old height L+n is the new height n.
//
// Every job's heights move back by L, in order and clamped so that
// JobValidate still holds (created ≥ 0, created ≤ assigned < commit_end <
// deadline, ended ≥ 1 once ended): an open job's commit phase and deadline
// end as many blocks after the restart as they had left, except that a
// deadline already due (or due in block 1 behind a commit phase already
// over) ends in block 1 or 2. Assignment commit and reveal heights (a
// slash's infraction height) become no lower than 0. The three
// height-ordered queues are rebuilt from the jobs, as InitGenesis does.
// Latencies already recorded are block counts and stay; a job assigned
// before the restart and committed after it counts its latency from the
// restart. It runs once, at export, and is O(jobs).
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	last := sdk.UnwrapSDKContext(ctx).BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	iter, err := k.Jobs.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	jobs, err := iter.Values()
	if err != nil {
		return err
	}
	for _, q := range []collections.KeySet[collections.Pair[int64, uint64]]{k.CommitQueue, k.DeadlineQueue, k.PruneQueue} {
		if err := q.Clear(ctx, nil); err != nil {
			return err
		}
	}
	for _, j := range jobs {
		j = shiftJob(j, last)
		if err := k.Jobs.Set(ctx, j.Id, j); err != nil {
			return err
		}
		key := func(h int64) collections.Pair[int64, uint64] { return collections.Join(h, j.Id) }
		switch {
		case j.Status == types.JOB_STATUS_COMMITTING:
			if err := k.CommitQueue.Set(ctx, key(j.CommitEnd)); err != nil {
				return err
			}
			err = k.DeadlineQueue.Set(ctx, key(j.Deadline))
		case types.IsOpen(j.Status):
			err = k.DeadlineQueue.Set(ctx, key(j.Deadline))
		case params.JobRetentionBlocks > 0:
			err = k.PruneQueue.Set(ctx, key(j.EndedHeight+params.JobRetentionBlocks))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// shiftJob moves a job's heights back by last, keeping their order.
func shiftJob(j types.Job, last int64) types.Job {
	j.CreatedHeight = max(j.CreatedHeight-last, 0)
	if j.AssignedHeight != 0 {
		j.AssignedHeight = max(j.AssignedHeight-last, j.CreatedHeight)
	}
	if j.CommitEnd != 0 {
		j.CommitEnd = max(j.CommitEnd-last, j.CreatedHeight+1, j.AssignedHeight+1)
	}
	j.Deadline = max(j.Deadline-last, j.CreatedHeight+1, j.CommitEnd+1)
	if j.EndedHeight != 0 {
		j.EndedHeight = max(j.EndedHeight-last, 1)
	}
	for i := range j.Assignments {
		a := &j.Assignments[i]
		a.CommitHeight = max(a.CommitHeight-last, 0)
		a.RevealHeight = max(a.RevealHeight-last, 0)
	}
	return j
}
