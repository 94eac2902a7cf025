package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/inference/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
)

// The EndBlocker drains three queues, each by key order and each at most
// max_expirations_per_block entries per block:
//
//  1. DeadlineQueue (deadline ≤ height): the reveal phase is over; the job
//     is settled from the reveals it has (FINALIZED, or EXPIRED and refunded).
//  2. CommitQueue (commit_end ≤ height): the commit phase is over. A job
//     with fewer than ⌈2r/3⌉ commitments can never reach a quorum: it ends
//     FAILED and is refunded at once; otherwise it moves to REVEALING.
//  3. PruneQueue (prune height ≤ height): ended jobs older than
//     job_retention_blocks are deleted with their index entries.
//
// Each job is handled in its own cache context. A refund x/bank refuses
// does not fail a settlement: it goes to the treasury (refund in settle.go,
// issue 17 M3), so a requester that can no longer receive never keeps a job
// open. A settlement that fails otherwise is retried as a plain refund
// (EXPIRED, nobody paid or penalised); if even that fails (a store error,
// not a refusal), the job is re-queued reveal_blocks later and reported
// with EventJobSettlementFailed, and the block goes on.

// queueBatch reads up to limit keys of q with height ≤ h, in order.
func queueBatch(ctx context.Context, q collections.KeySet[collections.Pair[int64, uint64]], h int64, limit uint32) ([]collections.Pair[int64, uint64], error) {
	rng := new(collections.Range[collections.Pair[int64, uint64]]).
		EndExclusive(collections.Join(h+1, uint64(0)))
	iter, err := q.Iterate(ctx, rng)
	if err != nil {
		return nil, err
	}
	return firstKeys[collections.Pair[int64, uint64]](iter, int(limit))
}

// keyIterator is what the iterators of collections' Map and KeySet share.
type keyIterator[K any] interface {
	Valid() bool
	Next()
	Key() (K, error)
	Close() error
}

// firstKeys reads up to limit keys from iter, in order, and closes it.
func firstKeys[K any](iter keyIterator[K], limit int) ([]K, error) {
	defer iter.Close()
	var out []K
	for ; iter.Valid() && len(out) < limit; iter.Next() {
		key, err := iter.Key()
		if err != nil {
			return nil, err
		}
		out = append(out, key)
	}
	return out, nil
}

// ProcessQueues runs the EndBlocker's work and returns the jobs it ended.
func (k Keeper) ProcessQueues(ctx context.Context) (ended int, err error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	h := sdk.UnwrapSDKContext(ctx).BlockHeight()
	limit := params.MaxExpirationsPerBlock

	due, err := queueBatch(ctx, k.DeadlineQueue, h, limit)
	if err != nil {
		return 0, err
	}
	for _, key := range due {
		if k.expire(ctx, params, key) {
			ended++
		}
	}

	closing, err := queueBatch(ctx, k.CommitQueue, h, limit)
	if err != nil {
		return ended, err
	}
	for _, key := range closing {
		if k.closeCommits(ctx, params, key) {
			ended++
		}
	}

	// The slots freed above go to queued jobs in the next BeginBlock.

	stale, err := queueBatch(ctx, k.PruneQueue, h, limit)
	if err != nil {
		return ended, err
	}
	for _, key := range stale {
		if err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error { return k.prune(cc, key) }); err != nil {
			k.Logger(ctx).Error("inference: prune failed", "job", key.K2(), "err", err)
		}
	}
	return ended, nil
}

// expire ends a job whose deadline passed; it reports whether the job ended.
func (k Keeper) expire(ctx context.Context, params types.Params, key collections.Pair[int64, uint64]) bool {
	job, err := k.Jobs.Get(ctx, key.K2())
	if err != nil || !types.IsOpen(job.Status) {
		// Stale entry (job pruned or ended elsewhere): drop it.
		if err := k.DeadlineQueue.Remove(ctx, key); err != nil {
			k.Logger(ctx).Error("inference: drop stale deadline entry", "job", key.K2(), "err", err)
		}
		return false
	}
	var ended types.Job
	err = cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) (err error) {
		ended, err = k.settle(cc, params, job, true)
		return err
	})
	if err != nil {
		k.settlementFailed(ctx, job.Id, err)
		err = cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) (err error) {
			ended, err = k.abort(cc, params, job)
			return err
		})
	}
	if err != nil {
		k.settlementFailed(ctx, job.Id, err)
		k.requeue(ctx, key, key.K1()+params.RevealBlocks)
		return false
	}
	k.runCallback(ctx, ended)
	return true
}

// closeCommits ends the commit phase of a job; it reports whether the job ended.
func (k Keeper) closeCommits(ctx context.Context, params types.Params, key collections.Pair[int64, uint64]) bool {
	job, err := k.Jobs.Get(ctx, key.K2())
	if err == nil && job.Status == types.JOB_STATUS_VERIFYING && job.VerifiersHeight != 0 && job.CommitEnd == key.K1() {
		return k.closeVerifierCommits(ctx, params, key, job)
	}
	if err != nil || job.Status != types.JOB_STATUS_COMMITTING {
		if err := k.CommitQueue.Remove(ctx, key); err != nil {
			k.Logger(ctx).Error("inference: drop stale commit entry", "job", key.K2(), "err", err)
		}
		return false
	}
	enough := countCommitted(job) >= int(types.Quorum(job.Redundancy))
	if job.Mode == types.CONSENSUS_MODE_VERIFY {
		enough = countCommitted(job) == 1 // the generator
	}
	var ended types.Job
	err = cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) (err error) {
		if enough {
			if err := k.openReveals(cc, &job); err != nil {
				return err
			}
			return k.Jobs.Set(cc, job.Id, job)
		}
		ended, err = k.failUncommitted(cc, params, job)
		return err
	})
	if err != nil {
		k.settlementFailed(ctx, job.Id, err)
		return false // the deadline queue still ends it
	}
	if enough {
		return false
	}
	k.runCallback(ctx, ended)
	return true
}

// failUncommitted ends a job whose commit phase closed with fewer than
// ⌈2r/3⌉ commitments: FAILED, full refund; the workers that did not commit
// are silent and penalised, those that did are not judged.
func (k Keeper) failUncommitted(ctx context.Context, params types.Params, job types.Job) (types.Job, error) {
	ps, err := k.parties(&job)
	if err != nil {
		return job, err
	}
	if err := k.refund(ctx, &job, job.MaxFee.Amount); err != nil {
		return job, err
	}
	outcomes := make([]workerOutcome, len(job.Assignments))
	for i, p := range ps {
		if len(p.Commitment) == 0 {
			outcomes[i] = outcomeSilent
			k.penalize(ctx, params, job.Id, p, "silent", false)
		}
	}
	return job, k.finish(ctx, params, &job, ps, types.JOB_STATUS_FAILED, outcomes)
}

// abort ends a job as EXPIRED with a full refund and nothing else: the
// fallback when its settlement fails.
func (k Keeper) abort(ctx context.Context, params types.Params, job types.Job) (types.Job, error) {
	ps, err := k.parties(&job)
	if err != nil {
		return job, err
	}
	if err := k.refund(ctx, &job, job.MaxFee.Amount); err != nil {
		return job, err
	}
	return job, k.finish(ctx, params, &job, ps, types.JOB_STATUS_EXPIRED, make([]workerOutcome, len(job.Assignments)))
}

// requeue moves a deadline entry that could not be processed to height at.
func (k Keeper) requeue(ctx context.Context, key collections.Pair[int64, uint64], at int64) {
	err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		if err := k.DeadlineQueue.Remove(cc, key); err != nil {
			return err
		}
		return k.DeadlineQueue.Set(cc, collections.Join(at, key.K2()))
	})
	if err != nil {
		k.Logger(ctx).Error("inference: requeue failed", "job", key.K2(), "err", err)
	}
}

// prune deletes an ended job and its index entries.
func (k Keeper) prune(ctx context.Context, key collections.Pair[int64, uint64]) error {
	if err := k.PruneQueue.Remove(ctx, key); err != nil {
		return err
	}
	job, err := k.Jobs.Get(ctx, key.K2())
	if err != nil {
		return nil // already gone
	}
	if types.IsOpen(job.Status) {
		return nil // never prune an open job (cannot happen: only ended jobs are queued)
	}
	requester, err := k.addrBytes(job.Requester)
	if err != nil {
		return err
	}
	if err := k.JobsByRequester.Remove(ctx, collections.Join(requester, job.Id)); err != nil {
		return err
	}
	for _, a := range job.Assignments {
		w, err := k.addrBytes(a.Worker)
		if err != nil {
			return err
		}
		if err := k.JobsByWorker.Remove(ctx, collections.Join(w, job.Id)); err != nil {
			return err
		}
	}
	if err := k.JobsByStatus.Remove(ctx, collections.Join(int32(job.Status), job.Id)); err != nil {
		return err
	}
	return k.Jobs.Remove(ctx, job.Id)
}
