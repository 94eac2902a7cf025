package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// BeginBlocker assigns queued jobs to free workers (queue.go), at most
// max_expirations_per_block per block. It runs before the block's
// transactions, so a draw depends only on state committed in earlier blocks
// and on this height's seed. A failure of the batch as a whole is logged and
// nothing of it is kept; the block never fails and never panics because of
// x/inference.
func (k Keeper) BeginBlocker(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			k.Logger(ctx).Error(fmt.Sprintf("inference begin block: recovered panic: %v", r))
			err = nil
		}
	}()
	cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	params, err := k.Params.Get(cacheCtx)
	if err != nil {
		k.Logger(ctx).Error("inference begin block", "err", err)
		return nil
	}
	if _, err := k.AssignQueued(cacheCtx, params); err != nil {
		k.Logger(ctx).Error("inference: assigning queued jobs", "err", err)
		return nil
	}
	write()
	return nil
}

// EndBlocker ends jobs past their deadline, closes commit phases and prunes
// old jobs, each queue at most max_expirations_per_block entries per block
// (see expire.go). Each job runs in its own cache context; a failure of the
// batch as a whole (a store error) is logged and nothing of it is kept. The
// block never fails and never panics because of x/inference.
func (k Keeper) EndBlocker(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			k.Logger(ctx).Error(fmt.Sprintf("inference end block: recovered panic: %v", r))
			err = nil
		}
	}()
	cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	if _, err := k.ProcessQueues(cacheCtx); err != nil {
		k.Logger(ctx).Error("inference end block", "err", err)
		return nil
	}
	write()
	return nil
}
