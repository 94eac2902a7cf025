package keeper

import (
	"context"
	"errors"
	stdmath "math"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

// UnbondingRetryDelay is how long a matured unbonding whose payout failed
// waits before the EndBlocker tries it again. Moving it back in the queue
// keeps a payout that keeps failing from taking the block's whole budget.
const UnbondingRetryDelay = time.Hour

// createUnbonding records a new entry that pays amount to the delegator at
// block time + unbonding_period, and indexes it for the queue, for slashing
// and for the delegator's queries.
func (k Keeper) createUnbonding(ctx context.Context, params types.Params, provider, delegator sdk.AccAddress,
	providerStr, delegatorStr string, amount math.Int,
) (types.UnbondingEntry, error) {
	id, err := k.NextUnbondingID.Next(ctx)
	if err != nil {
		return types.UnbondingEntry{}, err
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	entry := types.UnbondingEntry{
		Id:             id,
		Provider:       providerStr,
		Delegator:      delegatorStr,
		InitialBalance: amount,
		Balance:        amount,
		CreationHeight: sdkCtx.BlockHeight(),
		CompletionTime: sdkCtx.BlockTime().Add(params.UnbondingPeriod).UTC(),
	}
	return entry, k.setUnbonding(ctx, entry, provider, delegator)
}

// setUnbonding writes a new entry with its three index entries.
func (k Keeper) setUnbonding(ctx context.Context, e types.UnbondingEntry, provider, delegator sdk.AccAddress) error {
	if err := k.Unbondings.Set(ctx, e.Id, e); err != nil {
		return err
	}
	if err := k.UnbondingQueue.Set(ctx, collections.Join(e.CompletionTime, e.Id)); err != nil {
		return err
	}
	if err := k.UnbondingsByProvider.Set(ctx, collections.Join(provider, e.Id)); err != nil {
		return err
	}
	return k.UnbondingsByDelegator.Set(ctx, collections.Join3(delegator, provider, e.Id))
}

// removeUnbonding deletes an entry and its index entries.
func (k Keeper) removeUnbonding(ctx context.Context, e types.UnbondingEntry) error {
	delegator, provider, err := k.addrPair(e.Delegator, e.Provider)
	if err != nil {
		return err
	}
	if err := k.Unbondings.Remove(ctx, e.Id); err != nil {
		return err
	}
	if err := k.UnbondingQueue.Remove(ctx, collections.Join(e.CompletionTime, e.Id)); err != nil {
		return err
	}
	if err := k.UnbondingsByProvider.Remove(ctx, collections.Join(provider, e.Id)); err != nil {
		return err
	}
	return k.UnbondingsByDelegator.Remove(ctx, collections.Join3(delegator, provider, e.Id))
}

// countUnbondings counts the delegator's open entries in the provider's pool,
// stopping at limit so the walk is bounded.
func (k Keeper) countUnbondings(ctx context.Context, delegator, provider sdk.AccAddress, limit uint32) (uint32, error) {
	var n uint32
	rng := collections.NewSuperPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, uint64](delegator, provider)
	err := k.UnbondingsByDelegator.Walk(ctx, rng, func(collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]) (bool, error) {
		n++
		return n >= limit, nil
	})
	return n, err
}

// CompleteMatureUnbondings pays, in queue order, at most limit unbondings whose
// completion time is at or before the block time, and returns how many it
// handled (paid or failed). Each payout runs in a cache context: a failure
// leaves no partial state, emits EventUnbondingFailed, is logged, and moves
// the entry UnbondingRetryDelay back in the queue. It never panics on a bad
// entry and never returns an error for one.
func (k Keeper) CompleteMatureUnbondings(ctx context.Context, limit uint32) (int, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	now := sdkCtx.BlockTime()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}

	// Collect first, then mutate: writes during an open iterator are unsafe.
	rng := new(collections.Range[collections.Pair[time.Time, uint64]]).
		EndInclusive(collections.Join(now, uint64(stdmath.MaxUint64)))
	iter, err := k.UnbondingQueue.Iterate(ctx, rng)
	if err != nil {
		return 0, err
	}
	var due []collections.Pair[time.Time, uint64]
	for ; iter.Valid() && uint32(len(due)) < limit; iter.Next() {
		key, err := iter.Key()
		if err != nil {
			iter.Close()
			return 0, err
		}
		due = append(due, key)
	}
	if err := iter.Close(); err != nil {
		return 0, err
	}

	for _, key := range due {
		k.completeUnbonding(sdkCtx, params, key)
	}
	return len(due), nil
}

func (k Keeper) completeUnbonding(ctx sdk.Context, params types.Params, key collections.Pair[time.Time, uint64]) {
	id := key.K2()
	entry, err := k.Unbondings.Get(ctx, id)
	if err != nil {
		// A queue key without its entry is an orphan: drop it so it cannot
		// take a slot in every later block.
		k.Logger(ctx).Error("unbonding queue key without entry; removed", "id", id, "err", err)
		if err := k.UnbondingQueue.Remove(ctx, key); err != nil {
			k.Logger(ctx).Error("remove orphan unbonding queue key", "id", id, "err", err)
		}
		return
	}

	cacheCtx, write := ctx.CacheContext()
	if payErr := k.payUnbonding(cacheCtx, params, entry); payErr != nil {
		retryAt := ctx.BlockTime().Add(UnbondingRetryDelay)
		k.Logger(ctx).Error("unbonding payout failed; retrying later", "id", id, "delegator", entry.Delegator,
			"retry_at", retryAt, "err", payErr)
		if err := k.requeueUnbonding(ctx, entry, retryAt); err != nil {
			k.Logger(ctx).Error("requeue unbonding", "id", id, "err", err)
		}
		if err := kit.Emit(ctx, &types.EventUnbondingFailed{UnbondingId: id, Error: payErr.Error()}); err != nil {
			k.Logger(ctx).Error("emit EventUnbondingFailed", "id", id, "err", err)
		}
		return
	}
	write()
}

func (k Keeper) payUnbonding(ctx context.Context, params types.Params, entry types.UnbondingEntry) error {
	delegator, err := k.addrBytes(entry.Delegator)
	if err != nil {
		return err
	}
	if err := k.removeUnbonding(ctx, entry); err != nil {
		return err
	}
	paid := sdk.NewCoin(params.BondDenom, entry.Balance)
	if entry.Balance.IsPositive() {
		if err := k.bk.SendCoinsFromModuleToAccount(ctx, types.ModuleName, delegator, sdk.NewCoins(paid)); err != nil {
			return err
		}
	}
	return kit.Emit(ctx, &types.EventUnbondingCompleted{UnbondingId: entry.Id, Delegator: entry.Delegator, Amount: paid.String()})
}

// requeueUnbonding moves an entry to a new completion time.
func (k Keeper) requeueUnbonding(ctx context.Context, entry types.UnbondingEntry, at time.Time) error {
	if err := k.UnbondingQueue.Remove(ctx, collections.Join(entry.CompletionTime, entry.Id)); err != nil {
		return err
	}
	entry.CompletionTime = at.UTC()
	if err := k.Unbondings.Set(ctx, entry.Id, entry); err != nil {
		return err
	}
	return k.UnbondingQueue.Set(ctx, collections.Join(entry.CompletionTime, entry.Id))
}

// GetUnbonding returns an unbonding entry by id.
func (k Keeper) GetUnbonding(ctx context.Context, id uint64) (types.UnbondingEntry, bool, error) {
	e, err := k.Unbondings.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return types.UnbondingEntry{}, false, nil
	}
	return e, err == nil, err
}
