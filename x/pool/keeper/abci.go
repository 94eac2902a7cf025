package keeper

import (
	"context"
)

// EndBlocker pays matured unbondings, at most max_unbondings_per_block per
// block, oldest first. Per-entry failures are skipped and retried later (see
// CompleteMatureUnbondings); only an unreadable store is reported as an error,
// and even that is logged rather than returned so the chain keeps going.
func (k Keeper) EndBlocker(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		k.Logger(ctx).Error("read params in EndBlocker", "err", err)
		return nil
	}
	if _, err := k.CompleteMatureUnbondings(ctx, params.MaxUnbondingsPerBlock); err != nil {
		k.Logger(ctx).Error("complete matured unbondings", "err", err)
	}
	return nil
}
