package keeper

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
)

// EndBlocker ends the voting of the proposals whose voting_end has come
// (PASSED, REJECTED or VETOED by types.Decide) and expires the PASSED
// proposals whose expiry has come: at most max_proposals_per_block in all,
// voting first, each queue oldest first. The rest waits for the next blocks.
//
// Each proposal is processed in its own cache context. One that fails (an
// error or a panic: a broken invariant such as an escrow short of its
// deposit) keeps its state, is dropped from its queue, logged and reported by
// an EventProposalSkipped event. Dropping it is deliberate: left queued,
// it would fail again at every block and, with max_proposals_per_block such
// failures at the head of a queue, stop every later proposal from ending.
// A dropped proposal stays as it was (VOTING or PASSED, deposit escrowed)
// until a software upgrade repairs it; votes and execution are refused after
// voting_end and expiry anyway.
//
// It never returns an error: nothing here may halt the chain.
func (k Keeper) EndBlocker(ctx context.Context) error {
	defer func() {
		if r := recover(); r != nil {
			k.Logger(ctx).Error("x/dao end blocker panicked", "panic", r)
		}
	}()
	params, err := k.Params.Get(ctx)
	if err != nil {
		k.Logger(ctx).Error("x/dao end blocker: params", "err", err)
		return nil
	}
	budget := int(params.MaxProposalsPerBlock)
	now := sdk.UnwrapSDKContext(ctx).BlockTime()

	ended, err := dueKeys(ctx, k.VotingQueue, now, budget)
	if err != nil {
		k.Logger(ctx).Error("x/dao end blocker: voting queue", "err", err)
		return nil
	}
	for _, key := range ended {
		k.processQueued(ctx, k.VotingQueue, "voting", key, k.endVoting)
	}
	budget -= len(ended)
	if budget <= 0 {
		return nil
	}
	expired, err := dueKeys(ctx, k.ExecutionQueue, now, budget)
	if err != nil {
		k.Logger(ctx).Error("x/dao end blocker: execution queue", "err", err)
		return nil
	}
	for _, key := range expired {
		k.processQueued(ctx, k.ExecutionQueue, "execution", key, k.expire)
	}
	return nil
}

// dueKeys returns up to n keys of queue whose time is at or before now, in
// queue order. The keys are read before any is processed: processing removes
// them from the queue.
func dueKeys(ctx context.Context, queue collections.KeySet[collections.Pair[time.Time, uint64]], now time.Time, n int,
) ([]collections.Pair[time.Time, uint64], error) {
	if n <= 0 {
		return nil, nil
	}
	it, err := queue.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var keys []collections.Pair[time.Time, uint64]
	for ; it.Valid() && len(keys) < n; it.Next() {
		key, err := it.Key()
		if err != nil {
			return nil, err
		}
		if key.K1().After(now) {
			break
		}
		keys = append(keys, key)
	}
	return keys, nil
}

// processQueued runs fn on the proposal of a due queue key in a cache
// context; on failure the key is dropped from the queue (see EndBlocker).
func (k Keeper) processQueued(ctx context.Context, queue collections.KeySet[collections.Pair[time.Time, uint64]], name string,
	key collections.Pair[time.Time, uint64], fn func(ctx context.Context, key collections.Pair[time.Time, uint64], p types.Proposal) error,
) {
	id := key.K2()
	err := cachectx.Run(ctx, func(cc sdk.Context) error {
		p, err := k.Proposals.Get(cc, id)
		if err != nil {
			return fmt.Errorf("proposal %d: %s", id, err.Error())
		}
		return fn(cc, key, p)
	})
	if err == nil {
		return
	}
	k.Logger(ctx).Error("x/dao: proposal skipped", "proposal", id, "queue", name, "err", err)
	if err := queue.Remove(ctx, key); err != nil {
		k.Logger(ctx).Error("x/dao: drop skipped proposal from its queue", "proposal", id, "queue", name, "err", err)
	}
	if err := kit.Emit(ctx, &types.EventProposalSkipped{ProposalId: id, Queue: name, Error: err.Error()}); err != nil {
		k.Logger(ctx).Error("x/dao: emit skipped proposal", "proposal", id, "err", err)
	}
}

// endVoting decides a proposal whose voting period is over.
func (k Keeper) endVoting(ctx context.Context, key collections.Pair[time.Time, uint64], p types.Proposal) error {
	if p.Status != types.PROPOSAL_STATUS_VOTING || !p.VotingEnd.Equal(key.K1()) {
		// A stale entry: nothing to decide.
		return k.VotingQueue.Remove(ctx, key)
	}
	status, reason := types.Decide(p)
	return k.setStatus(ctx, &p, status, reason)
}

// expire ends a passed proposal that was not executed before its expiry.
func (k Keeper) expire(ctx context.Context, key collections.Pair[time.Time, uint64], p types.Proposal) error {
	if p.Status != types.PROPOSAL_STATUS_PASSED || !p.Expiry.Equal(key.K1()) {
		return k.ExecutionQueue.Remove(ctx, key)
	}
	return k.setStatus(ctx, &p, types.PROPOSAL_STATUS_EXPIRED,
		"not executed before its expiry "+p.Expiry.UTC().Format(time.RFC3339))
}
