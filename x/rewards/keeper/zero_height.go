package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// PrepareForZeroHeight rewrites x/rewards' block heights for a chain that
// restarts from an export at height zero (`meshd export --for-zero-height`).
// ctx is at the last committed height L; the new chain's first block is 1.
// Each epoch summary's start_height moves back by L, no lower than 0, and a
// closed epoch's end_height no lower than max(start_height, 1) (end_height
// > 0 is what marks it closed). The heights are a record only: epochs close
// on x/epochs' schedule, and claims and rates do not depend on them. It runs
// once, at export, and is O(epochs).
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	last := sdk.UnwrapSDKContext(ctx).BlockHeight()
	iter, err := k.Epochs.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	epochs, err := iter.KeyValues()
	if err != nil {
		return err
	}
	for _, kv := range epochs {
		e := kv.Value
		e.StartHeight = max(e.StartHeight-last, 0)
		if e.EndHeight != 0 {
			e.EndHeight = max(e.EndHeight-last, e.StartHeight, 1)
		}
		if err := k.Epochs.Set(ctx, kv.Key, e); err != nil {
			return err
		}
	}
	return nil
}
