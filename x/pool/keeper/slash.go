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
// Which entries are reached, and the bound (issue 17, M3): unbonding ids
// grow with creation height, so the entries created at or after the
// infraction are a suffix of the provider's (provider, id) index; Slash
// walks it newest first and stops at the first older entry, never reading
// the pool's earlier unbondings. The provider's own entries are reached
// first through the (delegator, provider) index (at most
// max_unbonding_entries), then at most MaxSlashUnbondings entries of other
// delegators, newest first. Older entries beyond that bound keep their
// balance (a log line names the first one left); the bound keeps a slash
// from a block hook (x/compute's settlement) a bounded amount of work.
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

	entries, err := k.slashableUnbondings(ctx, provider, infractionHeight)
	if err != nil {
		return math.Int{}, err
	}
	for i, e := range entries {
		cut := math.MinInt(fraction.MulInt(e.InitialBalance).Ceil().TruncateInt(), e.Balance)
		entries[i].Balance = e.Balance.Sub(cut)
		total = total.Add(cut)
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

// MaxSlashUnbondings bounds the other delegators' unbonding entries one
// Slash reaches (newest first), whatever the length of the pool's list.
const MaxSlashUnbondings = 1000

// slashableUnbondings returns the provider's unbonding entries with a
// positive balance created at or after infractionHeight: the provider's own
// first, then at most MaxSlashUnbondings of other delegators, newest first.
// It reads one entry beyond each stretch it takes, never the older ones.
func (k Keeper) slashableUnbondings(ctx context.Context, provider sdk.AccAddress, infractionHeight int64) ([]types.UnbondingEntry, error) {
	var out []types.UnbondingEntry
	// The provider's own entries: at most max_unbonding_entries.
	own := collections.NewSuperPrefixedTripleRange[sdk.AccAddress, sdk.AccAddress, uint64](provider, provider)
	err := k.UnbondingsByDelegator.Walk(ctx, own, func(key collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]) (bool, error) {
		e, err := k.Unbondings.Get(ctx, key.K3())
		if err != nil {
			return true, err
		}
		if e.CreationHeight >= infractionHeight && e.Balance.IsPositive() {
			out = append(out, e)
		}
		return false, nil
	})
	if err != nil {
		return nil, err
	}
	selfStr := k.addrString(provider)
	taken := 0
	rng := collections.NewPrefixedPairRange[sdk.AccAddress, uint64](provider).Descending()
	err = k.UnbondingsByProvider.Walk(ctx, rng, func(key collections.Pair[sdk.AccAddress, uint64]) (bool, error) {
		e, err := k.Unbondings.Get(ctx, key.K2())
		if err != nil {
			return true, err
		}
		if e.CreationHeight < infractionHeight {
			return true, nil // every older id was created earlier still
		}
		if e.Delegator == selfStr || !e.Balance.IsPositive() {
			return false, nil
		}
		if taken == MaxSlashUnbondings {
			k.Logger(ctx).Info("slash: unbonding bound reached; older entries keep their balance",
				"provider", selfStr, "bound", MaxSlashUnbondings, "first_unreached", e.Id)
			return true, nil
		}
		taken++
		out = append(out, e)
		return false, nil
	})
	return out, err
}
