package keeper

import (
	"context"
	"encoding/binary"
	"errors"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// The wait queue: every accepted request is stored QUEUED (max_fee
// escrowed, deadline counting) at the back of its model's FIFO; no request
// is assigned in the block it was made. In BeginBlock — before any of the
// block's transactions, after the jobs that ended in the previous block
// freed their slots — the BeginBlocker walks the models with a queue (model
// id order) and assigns each model's jobs in arrival order while enough
// providers have a free slot, at most max_expirations_per_block jobs per
// block in all. The draw's seed (x/compute Seed: the validators' beacon of
// this height once vote extensions are on) is revealed only after the
// previous block was fixed, and everything it draws from — the job and the
// workers, their slots and weights — was committed in earlier blocks, so
// neither the requester nor the proposer can see a draw and change its
// inputs. A job created at this height is never assigned (the queue stops at
// it: first come, first served); BeginBlock runs before any such job exists,
// the guard keeps any other caller honest. A queued job whose deadline leaves
// no time to commit and reveal is not assigned; it expires at its deadline
// and is refunded.

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

// AssignQueued assigns queued jobs created before this height to free slots
// (see above) and returns how many it assigned.
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
		if job.CreatedHeight >= h {
			// Too young: its draw could depend on this block (seed and
			// candidates alike). It and every job behind it wait.
			break
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

// assign draws job's workers from cands (enough distinct providers, and a
// job created in an earlier block, both checked by the caller), opens its
// commit phase and saves it: status COMMITTING, assigned now. The job keeps
// its deadline; its commit phase is at most half of what is left, so that
// reveals get the other half. It returns the workers drawn.
func (k Keeper) assign(ctx context.Context, params types.Params, job *types.Job, cands []candidate) ([]sdk.AccAddress, error) {
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	seed := k.compute.Seed(ctx, types.SeedPurpose, binary.BigEndian.AppendUint64(nil, job.Id))
	seats, phase := int(job.Redundancy), max((job.Deadline-h)/2, 1)
	if job.Mode == types.CONSENSUS_MODE_VERIFY {
		// The generator only; its verifiers are drawn after it revealed, and
		// get the larger part of the time left.
		seats, phase = 1, max((job.Deadline-h)/4, 1)
	}
	workers := drawWorkers(seed, cands, seats)
	job.Assignments = job.Assignments[:0]
	if err := k.seat(ctx, job, workers, cands, false); err != nil {
		return nil, err
	}
	job.AssignedHeight = h
	job.CommitEnd = h + min(params.CommitBlocks, phase)
	if err := k.setStatus(ctx, job, types.JOB_STATUS_COMMITTING); err != nil {
		return nil, err
	}
	if err := k.Jobs.Set(ctx, job.Id, *job); err != nil {
		return nil, err
	}
	if err := k.CommitQueue.Set(ctx, collections.Join(job.CommitEnd, job.Id)); err != nil {
		return nil, err
	}
	for _, a := range job.Assignments {
		if err := kit.Emit(ctx, &types.EventJobAssigned{JobId: job.Id, Worker: a.Worker}); err != nil {
			return nil, err
		}
	}
	return workers, nil
}

// seat appends an assignment for each drawn worker (its provider as among
// cands, fixed now; verifier seats of a VERIFY job when verifier is set)
// and indexes the worker's open job.
func (k Keeper) seat(ctx context.Context, job *types.Job, workers []sdk.AccAddress, cands []candidate, verifier bool) error {
	providerOf := make(map[string]string, len(cands)) // lookups only
	for _, c := range cands {
		providerOf[string(c.addr)] = c.provider
	}
	zero := sdk.NewCoin(job.MaxFee.Denom, math.ZeroInt())
	for _, w := range workers {
		job.Assignments = append(job.Assignments, types.Assignment{Worker: k.addrString(w), Provider: providerOf[string(w)], Paid: zero, Verifier: verifier})
		if err := k.JobsByWorker.Set(ctx, collections.Join(w, job.Id)); err != nil {
			return err
		}
		if err := k.OpenJobsByWorker.Set(ctx, collections.Join(w, job.Id)); err != nil {
			return err
		}
		if err := k.addOpenJob(ctx, w); err != nil {
			return err
		}
	}
	return nil
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
