package keeper

import (
	"context"
	"fmt"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

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
