package keeper

import (
	"context"
	"math/big"

	"cosmossdk.io/math"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/rewards/types"
)

// RateScale is the fixed-point scale of a rate: a rate is stored as a
// DecCoin, i.e. an integer number of 10^-18 base units per point.
var RateScale = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// MaxAllocation caps what one category is offered per denom in one epoch
// (2^200 base units, far above any supply) so that allocated × 10^18 and
// points × rate stay well inside a LegacyDec. Anything above it stays in the
// pot.
var MaxAllocation = math.NewIntFromBigInt(new(big.Int).Lsh(big.NewInt(1), 200))

// Hooks closes a reward epoch at the end of params.epoch_identifier.
type Hooks struct{ k Keeper }

var _ epochstypes.EpochHooks = Hooks{}

// EpochHooks returns the hooks to register with x/epochs.
func (k Keeper) EpochHooks() epochstypes.EpochHooks { return Hooks{k} }

// AfterEpochEnd closes the open reward epoch when the params' epoch
// identifier ends. A failure is logged and leaves state untouched; the epoch
// then stays open until the next end.
func (h Hooks) AfterEpochEnd(ctx context.Context, identifier string, _ int64) error {
	params, err := h.k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if identifier != params.EpochIdentifier {
		return nil
	}
	if err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error { _, err := h.k.CloseEpoch(cc); return err }); err != nil {
		h.k.Logger(ctx).Error("reward epoch not closed", "err", err)
	}
	return nil
}

// BeforeEpochStart implements epochstypes.EpochHooks; x/rewards acts at the end.
func (Hooks) BeforeEpochStart(context.Context, string, int64) error { return nil }

// CloseEpoch sets the open epoch's rates and opens the next epoch.
//
// pot = module balance − Outstanding. Each category with points is offered
// allocated = ⌊pot × weight_bps / 10000⌋ per denom; its rate is
// ⌊allocated × 10^18 / points⌋ × 10^-18 and reserved = ⌊points × rate⌋ is
// owed to its accounts; the rest of the pot — the shares of categories
// without points and every rounding remainder — carries to the next epoch.
// The cost is O(categories × denoms), whatever the number of accounts.
func (k Keeper) CloseEpoch(ctx context.Context) (types.EpochSummary, error) {
	height := sdk.UnwrapSDKContext(ctx).BlockHeight()
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.EpochSummary{}, err
	}
	epoch, err := k.CurrentEpoch.Get(ctx)
	if err != nil {
		return types.EpochSummary{}, err
	}
	summary, err := k.Epochs.Get(ctx, epoch)
	if err != nil {
		return types.EpochSummary{}, err
	}
	pot, owed, err := k.Pot(ctx)
	if err != nil {
		return types.EpochSummary{}, err
	}

	summary.Pot = pot
	reservedAll := sdk.NewCoins()
	for i := range summary.Categories {
		c := &summary.Categories[i]
		weight, _ := params.Weight(c.Category) // a category dropped from params while open earns nothing
		priceCategory(c, pot, weight)
		reservedAll = reservedAll.Add(c.Reserved...)
	}
	carried, neg := pot.SafeSub(reservedAll...)
	if neg {
		return types.EpochSummary{}, errInvariant("epoch %d reserves %s from a pot of %s", epoch, reservedAll, pot)
	}
	summary.Carried = carried
	// end_height > 0 marks a closed epoch (genesis validation relies on it).
	summary.EndHeight = max(height, summary.StartHeight, 1)
	if err := k.Epochs.Set(ctx, epoch, summary); err != nil {
		return types.EpochSummary{}, err
	}
	if err := k.Outstanding.Set(ctx, types.Balance{Coins: owed.Add(reservedAll...)}); err != nil {
		return types.EpochSummary{}, err
	}
	if err := k.CurrentEpoch.Set(ctx, epoch+1); err != nil {
		return types.EpochSummary{}, err
	}
	if err := k.Epochs.Set(ctx, epoch+1, types.EpochSummary{Epoch: epoch + 1, StartHeight: height}); err != nil {
		return types.EpochSummary{}, err
	}

	for _, c := range summary.Categories {
		if err := kit.Emit(ctx, &types.EventCategoryRate{
			Epoch: epoch, Category: c.Category, Points: c.Points.String(),
			Allocated: c.Allocated.String(), Rate: c.Rate.String(), Reserved: c.Reserved.String(),
		}); err != nil {
			return types.EpochSummary{}, err
		}
	}
	return summary, kit.Emit(ctx, &types.EventEpochClosed{
		Epoch: epoch, Pot: pot.String(), Reserved: reservedAll.String(), Carried: carried.String(), Categories: uint32(len(summary.Categories)),
	})
}

// priceCategory offers the category ⌊pot × weight / 10000⌋ of each denom
// (capped at MaxAllocation) and sets its rate and what it reserves; a
// category without points or weight gets nothing.
func priceCategory(c *types.CategoryEpoch, pot sdk.Coins, weight uint32) {
	c.Allocated, c.Rate, c.Reserved, c.Claimed = sdk.NewCoins(), sdk.NewDecCoins(), sdk.NewCoins(), sdk.NewCoins()
	if !c.Points.IsPositive() || weight == 0 {
		return
	}
	points := c.Points.BigInt()
	for _, coin := range pot {
		alloc := math.MinInt(mulDivFloor(coin.Amount, uint64(weight), types.BpsScale), MaxAllocation)
		if !alloc.IsPositive() {
			continue
		}
		c.Allocated = c.Allocated.Add(sdk.NewCoin(coin.Denom, alloc))
		scaled := new(big.Int).Mul(alloc.BigInt(), RateScale)
		scaled.Quo(scaled, points)
		if scaled.Sign() == 0 {
			continue // allocated × 10^18 < points: this denom waits in the pot
		}
		c.Rate = c.Rate.Add(sdk.NewDecCoinFromDec(coin.Denom, math.LegacyNewDecFromBigIntWithPrec(scaled, math.LegacyPrecision)))
		if reserved := payout(points, scaled); reserved.IsPositive() {
			c.Reserved = c.Reserved.Add(sdk.NewCoin(coin.Denom, reserved))
		}
	}
}

// payout is ⌊points × scaled / 10^18⌋: what points earn at a rate.
func payout(points, scaled *big.Int) math.Int {
	x := new(big.Int).Mul(points, scaled)
	return math.NewIntFromBigInt(x.Quo(x, RateScale))
}
