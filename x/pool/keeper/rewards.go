package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

// Rewards use a cumulative reward-per-share index per pool (like a
// MasterChef/F1 index without periods): AddRewards raises the index in O(1),
// and each delegation settles shares × (index − paid) lazily, before any
// change of its shares and on Claim. No code path iterates delegators.
//
// Rounding: the commission is rounded down (the provider's cut), the index
// increment is rounded down, each settlement is rounded down, and payouts are
// whole coins with the decimal remainder kept for later. The sum of payouts
// therefore never exceeds what was added; the difference is dust that stays
// in the module account.

// AddRewards moves amt from module fromModule into the pool module account and
// credits it to the provider's pool: commission_rate of it to the provider's
// commission, the rest to the delegators through the index and the loyalty
// reserve (see loyalty.go). A pool with no shares has no delegators to pay,
// so all of it goes to the commission.
func (k Keeper) AddRewards(ctx context.Context, fromModule string, provider sdk.AccAddress, amt sdk.Coins) error {
	if !amt.IsValid() {
		return errorsmod.Wrapf(types.ErrInvalidAmount, "rewards %s", amt)
	}
	if amt.IsZero() {
		return nil
	}
	// Bonded tokens live in this module account; relabelling them as rewards
	// would let a caller pay stake out twice.
	if fromModule == types.ModuleName {
		return errorsmod.Wrap(types.ErrInvalidAddress, "rewards cannot come from the pool module itself")
	}
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return err
	}
	if err := k.bk.SendCoinsFromModuleToModule(ctx, fromModule, types.ModuleName, amt); err != nil {
		return err
	}

	added := sdk.NewDecCoinsFromCoins(amt...)
	commission := added
	if pool.Shares.IsPositive() {
		commission = added.MulDecTruncate(pool.CommissionRate)
		distribute(params, &pool, added.Sub(commission), pool.Shares, sdk.UnwrapSDKContext(ctx).BlockTime().Unix())
	}
	pool.Commission = pool.Commission.Add(commission...)
	if err := k.Pools.Set(ctx, provider, pool); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventRewardsAdded{Provider: pool.Provider, Amount: amt.String(), Commission: commission.String()})
}

// Claim pays the delegator's settled rewards in whole coins, plus the pool's
// commission when the delegator is the provider; decimal remainders are kept.
// Anyone else gets ErrDelegationNotFound.
func (k Keeper) Claim(ctx context.Context, delegator, provider sdk.AccAddress) (sdk.Coins, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return nil, err
	}
	del, found, err := k.getDelegation(ctx, provider, delegator)
	if err != nil {
		return nil, err
	}
	isProvider := delegator.Equals(provider)
	if !found && !isProvider {
		return nil, errorsmod.Wrapf(types.ErrDelegationNotFound, "delegator %s in pool %s", delegator, pool.Provider)
	}

	paid := sdk.NewCoins()
	if found {
		if err := k.settleAndEmit(ctx, params, &pool, &del); err != nil {
			return nil, err
		}
		var coins sdk.Coins
		coins, del.PendingRewards = del.PendingRewards.TruncateDecimal()
		paid = paid.Add(coins...)
	}
	if isProvider {
		var coins sdk.Coins
		coins, pool.Commission = pool.Commission.TruncateDecimal()
		paid = paid.Add(coins...)
	}
	if !paid.IsZero() {
		if err := k.bk.SendCoinsFromModuleToAccount(ctx, types.ModuleName, delegator, paid); err != nil {
			return nil, err
		}
	}
	if found {
		if err := k.setDelegation(ctx, provider, delegator, del); err != nil {
			return nil, err
		}
	}
	// Settling moves the loyalty reserve and the index, so the pool is
	// written even when the claimant is not the provider.
	if err := k.Pools.Set(ctx, provider, pool); err != nil {
		return nil, err
	}
	return paid, kit.Emit(ctx, &types.EventRewardsClaimed{Provider: pool.Provider, Delegator: k.addrString(delegator), Amount: paid.String()})
}

// PendingRewards is what Claim would pay now (whole coins), loyalty bonus
// and, for the provider, commission included. It writes nothing.
func (k Keeper) PendingRewards(ctx context.Context, pool types.Pool, del types.Delegation, isProvider bool) (sdk.Coins, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	settle(params, sdk.UnwrapSDKContext(ctx).BlockTime(), &pool, &del)
	total := del.PendingRewards
	if isProvider {
		total = total.Add(pool.Commission...)
	}
	coins, _ := total.TruncateDecimal()
	return coins, nil
}

// cloneDecCoins copies a DecCoins so that a pool and a delegation never share
// a backing array.
func cloneDecCoins(c sdk.DecCoins) sdk.DecCoins {
	out := make(sdk.DecCoins, len(c))
	copy(out, c)
	return out
}
