package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// The wait queue: when every eligible worker of a model is at its job cap,
// a request is stored QUEUED (max_fee escrowed, deadline counting) at the
// back of the model's FIFO. In EndBlock, after the jobs ended this block
// freed their slots, the EndBlocker walks the models with a queue (model id
// order) and assigns each model's jobs in arrival order while enough
// providers have a free slot, at most max_expirations_per_block jobs per
// block in all. A queued job whose deadline leaves no time to commit and
// reveal is not assigned; it expires at its deadline and is refunded.

// queueLength is the number of model's QUEUED jobs.
func (k Keeper) queueLength(ctx context.Context, model string) (uint32, error) {
	n, err := k.QueueLength.Get(ctx, model)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return n, err
}

// joinQueue stores job (QUEUED) at the back of its model's queue; before is
// the queue length without it.
func (k Keeper) joinQueue(ctx context.Context, job *types.Job, before uint32) error {
	if err := k.Jobs.Set(ctx, job.Id, *job); err != nil {
		return err
	}
	if err := k.WaitQueue.Set(ctx, collections.Join(job.ModelId, job.Id)); err != nil {
		return err
	}
	if err := k.QueueLength.Set(ctx, job.ModelId, before+1); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventJobQueued{JobId: job.Id, ModelId: job.ModelId, QueueLength: before + 1})
}

// leaveQueue takes a QUEUED job out of its model's queue (assigned or ended).
func (k Keeper) leaveQueue(ctx context.Context, job *types.Job) error {
	key := collections.Join(job.ModelId, job.Id)
	has, err := k.WaitQueue.Has(ctx, key)
	if err != nil || !has {
		return err
	}
	if err := k.WaitQueue.Remove(ctx, key); err != nil {
		return err
	}
	n, err := k.queueLength(ctx, job.ModelId)
	if err != nil {
		return err
	}
	if n <= 1 {
		return k.QueueLength.Remove(ctx, job.ModelId)
	}
	return k.QueueLength.Set(ctx, job.ModelId, n-1)
}

// AssignQueued assigns queued jobs to freed slots (see above) and returns
// how many it assigned.
func (k Keeper) AssignQueued(ctx context.Context, params types.Params) (int, error) {
	budget := int(params.MaxExpirationsPerBlock)
	models, err := k.queuedModels(ctx, budget)
	if err != nil {
		return 0, err
	}
	assigned := 0
	for _, id := range models {
		if budget <= 0 {
			break
		}
		n, visited, err := k.assignModelQueue(ctx, params, id, budget)
		if err != nil {
			return assigned, err
		}
		assigned += n
		budget -= visited
	}
	return assigned, nil
}

// queuedModels lists up to limit models with a queue, in id order.
func (k Keeper) queuedModels(ctx context.Context, limit int) ([]string, error) {
	iter, err := k.QueueLength.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	return firstKeys[string](iter, limit)
}

// assignModelQueue assigns model's queued jobs in order while enough
// providers have a free slot, visiting at most budget jobs. The workers are
// listed once; each assignment takes a slot of the workers it drew.
func (k Keeper) assignModelQueue(ctx context.Context, params types.Params, modelID string, budget int) (assigned, visited int, err error) {
	model, err := k.GetModel(ctx, modelID)
	if err != nil {
		return 0, 0, err
	}
	if model.Status != types.MODEL_STATUS_ACTIVE {
		return 0, 0, nil // its queued jobs expire at their deadlines
	}
	cands, _, err := k.eligibleWorkers(ctx, params, model)
	if err != nil {
		return 0, 0, err
	}
	keys, err := k.queueHead(ctx, modelID, budget)
	if err != nil {
		return 0, 0, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	for _, key := range keys {
		visited++
		job, err := k.Jobs.Get(ctx, key.K2())
		if err != nil || job.Status != types.JOB_STATUS_QUEUED {
			// Stale entry: drop it and keep the count honest.
			stale := types.Job{Id: key.K2(), ModelId: modelID}
			if err := k.leaveQueue(ctx, &stale); err != nil {
				return assigned, visited, err
			}
			continue
		}
		if job.Deadline-h < 2 {
			continue // no time left to commit and reveal: it expires
		}
		if distinctProviders(cands) < int(job.Redundancy) {
			break // first come, first served: later jobs wait too
		}
		var drawn []sdk.AccAddress
		err = cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) (err error) {
			if err := k.leaveQueue(cc, &job); err != nil {
				return err
			}
			drawn, err = k.assign(cc, params, &job, cands)
			return err
		})
		if err != nil {
			k.Logger(ctx).Error("inference: assigning a queued job failed", "job", job.Id, "err", err)
			continue
		}
		assigned++
		cands = takeSlots(cands, drawn)
	}
	return assigned, visited, nil
}

// queueHead reads up to limit keys from the front of model's queue.
func (k Keeper) queueHead(ctx context.Context, model string, limit int) ([]collections.Pair[string, uint64], error) {
	rng := collections.NewPrefixedPairRange[string, uint64](model)
	iter, err := k.WaitQueue.Iterate(ctx, rng)
	if err != nil {
		return nil, err
	}
	return firstKeys[collections.Pair[string, uint64]](iter, limit)
}

// takeSlots uses one slot of each assigned worker and drops the full ones.
func takeSlots(cands []candidate, workers []sdk.AccAddress) []candidate {
	drawn := make(map[string]bool, len(workers)) // membership only
	for _, w := range workers {
		drawn[string(w)] = true
	}
	kept := cands[:0]
	for _, c := range cands {
		if drawn[string(c.addr)] {
			c.free--
		}
		if c.free > 0 {
			kept = append(kept, c)
		}
	}
	return kept
}
