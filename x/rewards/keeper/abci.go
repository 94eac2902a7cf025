package keeper

import (
	"context"

	"github.com/llmesh/mesh/x/internal/cachectx"
)

// BeginBlocker splits the fee collector's coins — this block's inflation
// (x/mint runs first) and the previous block's fees — before x/distribution
// pays validators what is left, and sweeps x/inference's protocol fees into
// the pot. It never fails the block: an error leaves state untouched and is
// logged.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	if err := cachectx.RunRecoverOutOfGas(ctx, k.splitBlockRewards); err != nil {
		k.Logger(ctx).Error("block reward split skipped", "err", err)
	}
	return nil
}
