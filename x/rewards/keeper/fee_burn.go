package keeper

import (
	"context"

	storetypes "github.com/cosmos/cosmos-sdk/store/v2/types"
	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/rewards/types"
)

// BurnFeeShare burns ⌊fee × fee_burn_bps / 10000⌋ of each denom of a tx fee
// that the ante handler has just moved into the fee collector; the rest is
// left there for the next block's split. Only fees are burned, never the
// block inflation x/mint adds to the same account. The share passes through
// the "rewards" module account (a Burner) within the call.
func (k Keeper) BurnFeeShare(ctx context.Context, fee sdk.Coins) error {
	if fee.IsZero() {
		return nil
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	burn := MulBpsFloor(fee, params.FeeBurnBps)
	if burn.IsZero() {
		return nil
	}
	if err := k.bank.SendCoinsFromModuleToModule(ctx, k.feeCollector, types.ModuleName, burn); err != nil {
		return err
	}
	if err := k.bank.BurnCoins(ctx, types.ModuleName, burn); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventFeeBurned{Fee: fee.String(), Burned: burn.String()})
}

// FeeBurnDecorator burns the fee share of every tx; it goes right after the
// SDK's DeductFeeDecorator in the ante chain.
type FeeBurnDecorator struct{ k Keeper }

// NewFeeBurnDecorator returns the ante decorator of BurnFeeShare.
func NewFeeBurnDecorator(k Keeper) FeeBurnDecorator { return FeeBurnDecorator{k: k} }

// AnteHandle burns the share of the tx's fee, then calls next. The burn
// is not metered: a simulation (gas estimation) carries no fee and so burns
// nothing, and a tx must not then run out of the gas it was estimated at.
// Its work is O(fee denoms), which the tx's size already pays for.
func (d FeeBurnDecorator) AnteHandle(ctx sdk.Context, tx sdk.Tx, simulate bool, next sdk.AnteHandler) (sdk.Context, error) {
	if feeTx, ok := tx.(sdk.FeeTx); ok {
		if err := d.k.BurnFeeShare(ctx.WithGasMeter(storetypes.NewInfiniteGasMeter()), feeTx.GetFee()); err != nil {
			return ctx, err
		}
	}
	return next(ctx, tx, simulate)
}
