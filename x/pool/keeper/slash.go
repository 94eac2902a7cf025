package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

// Slash takes fraction of the provider's pool and of every unbonding entry of
// that pool created at or after infractionHeight (the stake that was bonded
// when the offence happened), and returns the total taken.
//
//   - The pool loses ceil(fraction × tokens), capped at its tokens. Shares are
//     untouched, so the exchange rate falls for every delegator alike.
//   - Each reached entry loses ceil(fraction × initial_balance), capped at its
//     balance, as in x/staking. Entries created before the infraction had
//     already left the pool and are not touched.
//
// Amounts round up (towards the protocol). The slashed coins are burned or
// sent to the dao module account, per Params.SlashDestination. A zero
// fraction is a no-op. This is the one slashing path for x/compute,
// x/inference and x/training.
func (k Keeper) Slash(ctx context.Context, provider sdk.AccAddress, fraction math.LegacyDec, reason string, infractionHeight int64) (math.Int, error) {
	if fraction.IsNil() || fraction.IsNegative() || fraction.GT(math.LegacyOneDec()) {
		return math.Int{}, errorsmod.Wrapf(types.ErrInvalidSlashFraction, "got %s", fraction)
	}
	if h := sdk.UnwrapSDKContext(ctx).BlockHeight(); infractionHeight < 0 || infractionHeight > h {
		return math.Int{}, errorsmod.Wrapf(types.ErrInvalidHeight, "infraction height %d not in [0, %d]", infractionHeight, h)
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.Int{}, err
	}
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return math.Int{}, err
	}
	if fraction.IsZero() {
		return math.ZeroInt(), nil
	}

	fromPool := math.MinInt(fraction.MulInt(pool.Tokens).Ceil().TruncateInt(), pool.Tokens)
	total := fromPool

	// Collect the entries first; the walk is bounded by the provider's open
	// unbondings (max_unbonding_entries per delegator).
	var entries []types.UnbondingEntry
	rng := collections.NewPrefixedPairRange[sdk.AccAddress, uint64](provider)
	err = k.UnbondingsByProvider.Walk(ctx, rng, func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
		e, err := k.Unbondings.Get(ctx, key.K2())
		if err != nil {
			return true, err
		}
		if e.CreationHeight < infractionHeight || !e.Balance.IsPositive() {
			return false, nil
		}
		cut := math.MinInt(fraction.MulInt(e.InitialBalance).Ceil().TruncateInt(), e.Balance)
		e.Balance = e.Balance.Sub(cut)
		total = total.Add(cut)
		entries = append(entries, e)
		return false, nil
	})
	if err != nil {
		return math.Int{}, err
	}

	if total.IsPositive() {
		// Move the coins first: if that fails, nothing was written.
		coins := sdk.NewCoins(sdk.NewCoin(params.BondDenom, total))
		switch params.SlashDestination {
		case types.SLASH_DESTINATION_TREASURY:
			err = k.bk.SendCoinsFromModuleToModule(ctx, types.ModuleName, types.TreasuryModuleName, coins)
		default:
			err = k.bk.BurnCoins(ctx, types.ModuleName, coins)
		}
		if err != nil {
			return math.Int{}, err
		}
	}
	pool.Tokens = pool.Tokens.Sub(fromPool)
	if err := k.Pools.Set(ctx, provider, pool); err != nil {
		return math.Int{}, err
	}
	for _, e := range entries {
		if err := k.Unbondings.Set(ctx, e.Id, e); err != nil {
			return math.Int{}, err
		}
	}
	return total, kit.Emit(ctx, &types.EventSlashed{
		Provider:         pool.Provider,
		Fraction:         fraction.String(),
		Reason:           reason,
		InfractionHeight: infractionHeight,
		Amount:           sdk.NewCoin(params.BondDenom, total).String(),
		Destination:      params.SlashDestination,
	})
}
