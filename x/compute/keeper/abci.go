package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// BeginBlocker draws the sample seed of every open epoch whose commit window
// closed in the previous block, and records its challenged workers. Bounded: at most MaxSettlingEpochs + 1
// epochs are open. It never fails the block: errors are logged.
func (k Keeper) BeginBlocker(ctx context.Context) (err error) {
	defer k.recoverBlock(ctx, "begin block", &err)
	open, err := k.openEpochs(ctx)
	if err != nil {
		k.Logger(ctx).Error("compute begin block: read epochs", "err", err)
		return nil
	}
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	for _, e := range open {
		if len(e.SampleSeed) != 0 || height <= e.CommitEnd {
			continue
		}
		if err := k.drawSample(ctx, e); err != nil {
			k.Logger(ctx).Error("compute begin block: draw sample", "epoch", e.Number, "err", err)
			continue
		}
		// The commit window is closed: who owes this epoch an outcome is
		// decided now, not at settlement (issue 17, M2).
		cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
		if err := k.snapshotChallenged(cacheCtx, e); err != nil {
			k.Logger(ctx).Error("compute begin block: challenged workers", "epoch", e.Number, "err", err)
			continue
		}
		write()
	}
	return nil
}

// EndBlocker settles epochs whose reveal window is over, at most
// max_settlements_per_block workers per block. The batch runs in a cache
// context: if it fails as a whole (a store error), nothing of it is kept and
// the next block retries; the block itself never fails.
func (k Keeper) EndBlocker(ctx context.Context) (err error) {
	defer k.recoverBlock(ctx, "end block", &err)
	cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	if _, err := k.Settle(cacheCtx); err != nil {
		k.Logger(ctx).Error("compute end block: settle", "err", err)
		return nil
	}
	write()
	return nil
}

// recoverBlock turns a panic in a block hook into a log line: a bug in
// x/compute must not halt the chain. Every node panics at the same point,
// so recovering is deterministic.
func (k Keeper) recoverBlock(ctx context.Context, where string, err *error) {
	if r := recover(); r != nil {
		k.Logger(ctx).Error(fmt.Sprintf("compute %s: recovered panic", where), "panic", r)
		*err = nil
	}
}
