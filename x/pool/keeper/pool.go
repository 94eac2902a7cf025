package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

// GetPool returns the provider's pool, or ErrPoolNotFound.
func (k Keeper) GetPool(ctx context.Context, provider sdk.AccAddress) (types.Pool, error) {
	pool, err := k.Pools.Get(ctx, provider)
	if err != nil {
		return types.Pool{}, kit.NotFound(err, types.ErrPoolNotFound, "provider "+k.addrString(provider))
	}
	return pool, nil
}

// HasPool reports whether the provider has created a pool.
func (k Keeper) HasPool(ctx context.Context, provider sdk.AccAddress) (bool, error) {
	return k.Pools.Has(ctx, provider)
}

// MinSelfStake is base_min_stake + per_unit_stake × units, in bond_denom.
func (k Keeper) MinSelfStake(ctx context.Context, units uint64) (math.Int, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.Int{}, err
	}
	return params.MinSelfStake(units)
}

// SelfStake is the token value of the provider's own shares, rounded down.
func (k Keeper) SelfStake(ctx context.Context, provider sdk.AccAddress) (math.Int, error) {
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return math.Int{}, err
	}
	return k.selfStake(ctx, pool, provider)
}

// IsEligible is true when the pool exists, is not jailed, and its self-stake
// meets MinSelfStake for its registered compute units. Only eligible pools
// should get new work.
func (k Keeper) IsEligible(ctx context.Context, provider sdk.AccAddress) (bool, error) {
	pool, err := k.Pools.Get(ctx, provider)
	if errors.Is(err, collections.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return k.isEligible(ctx, pool, provider)
}

// SetComputeUnits records the compute units the provider's workers registered
// (x/compute keeps it current); it raises the pool's minimum self-stake.
func (k Keeper) SetComputeUnits(ctx context.Context, provider sdk.AccAddress, units uint64) error {
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return err
	}
	pool.ComputeUnits = units
	return k.Pools.Set(ctx, provider, pool)
}

// WalkComputeUnits calls fn, in provider address order, for every pool
// whose compute units are not zero (x/compute's genesis cross-check).
func (k Keeper) WalkComputeUnits(ctx context.Context, fn func(provider sdk.AccAddress, units uint64) (stop bool, err error)) error {
	return k.Pools.Walk(ctx, nil, func(provider sdk.AccAddress, pool types.Pool) (bool, error) {
		if pool.ComputeUnits == 0 {
			return false, nil
		}
		return fn(provider, pool.ComputeUnits)
	})
}

// Jail marks the pool jailed until at least height until; a later jail never
// shortens an earlier one. The provider lifts it with MsgUnjail.
func (k Keeper) Jail(ctx context.Context, provider sdk.AccAddress, until int64) error {
	if until < 0 {
		return errorsmod.Wrapf(types.ErrInvalidHeight, "jail until %d", until)
	}
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return err
	}
	pool.Jailed = true
	pool.JailedUntil = max(pool.JailedUntil, until)
	if err := k.Pools.Set(ctx, provider, pool); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventJailed{Provider: pool.Provider, Until: pool.JailedUntil})
}

// CreatePool opens the provider's pool with its self-bond at an exchange rate
// of one share per token and returns the shares issued.
func (k Keeper) CreatePool(ctx context.Context, provider sdk.AccAddress, selfBond sdk.Coin, rate math.LegacyDec) (math.LegacyDec, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.LegacyDec{}, err
	}
	if err := checkBondCoin(params, selfBond); err != nil {
		return math.LegacyDec{}, err
	}
	if selfBond.Amount.LT(params.BaseMinStake) {
		return math.LegacyDec{}, errorsmod.Wrapf(types.ErrSelfBondTooLow, "%s < %s%s", selfBond, params.BaseMinStake, params.BondDenom)
	}
	if err := types.ValidateCommissionRate(rate); err != nil {
		return math.LegacyDec{}, err
	}
	if rate.GT(params.MaxCommissionRate) {
		return math.LegacyDec{}, errorsmod.Wrapf(types.ErrInvalidCommission, "%s above max_commission_rate %s", rate, params.MaxCommissionRate)
	}
	if has, err := k.Pools.Has(ctx, provider); err != nil {
		return math.LegacyDec{}, err
	} else if has {
		return math.LegacyDec{}, errorsmod.Wrapf(types.ErrPoolExists, "provider %s", provider)
	}
	providerStr := k.addrString(provider)

	// Funds first: if the provider cannot pay, nothing was written.
	if err := k.bk.SendCoinsFromAccountToModule(ctx, provider, types.ModuleName, sdk.NewCoins(selfBond)); err != nil {
		return math.LegacyDec{}, err
	}
	shares := math.LegacyNewDecFromInt(selfBond.Amount)
	pool := types.Pool{
		Provider:       providerStr,
		Tokens:         selfBond.Amount,
		Shares:         shares,
		CommissionRate: rate,
		RewardPerShare: sdk.DecCoins{},
		Commission:     sdk.DecCoins{},
		CreatedHeight:  sdk.UnwrapSDKContext(ctx).BlockHeight(),
	}
	if err := k.Pools.Set(ctx, provider, pool); err != nil {
		return math.LegacyDec{}, err
	}
	del := newDelegation(pool, providerStr, sdk.UnwrapSDKContext(ctx).BlockTime())
	del.Shares = shares
	if err := k.setDelegation(ctx, provider, provider, del); err != nil {
		return math.LegacyDec{}, err
	}
	return shares, kit.Emit(ctx, &types.EventPoolCreated{Provider: providerStr, SelfBond: selfBond.String(), CommissionRate: rate.String()})
}

// Unjail lifts the provider's jail once the jail height is reached and the
// self-stake meets the minimum for the pool's compute units. A tombstoned
// pool (MsgEjectProvider with tombstone) never unjails: ErrTombstoned.
func (k Keeper) Unjail(ctx context.Context, provider sdk.AccAddress) error {
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return err
	}
	if pool.Tombstoned {
		return errTombstoned(pool)
	}
	if !pool.Jailed {
		return errorsmod.Wrapf(types.ErrNotJailed, "provider %s", pool.Provider)
	}
	if h := sdk.UnwrapSDKContext(ctx).BlockHeight(); h < pool.JailedUntil {
		return errorsmod.Wrapf(types.ErrJailPeriodNotOver, "height %d < jailed_until %d", h, pool.JailedUntil)
	}
	self, err := k.selfStake(ctx, pool, provider)
	if err != nil {
		return err
	}
	min, err := k.MinSelfStake(ctx, pool.ComputeUnits)
	if err != nil {
		return err
	}
	if self.LT(min) {
		return errorsmod.Wrapf(types.ErrSelfStakeTooLow, "self-stake %s < minimum %s", self, min)
	}
	pool.Jailed = false
	pool.JailedUntil = 0
	if err := k.Pools.Set(ctx, provider, pool); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventUnjailed{Provider: pool.Provider})
}

func (k Keeper) selfStake(ctx context.Context, pool types.Pool, provider sdk.AccAddress) (math.Int, error) {
	del, found, err := k.getDelegation(ctx, provider, provider)
	if err != nil || !found {
		return math.ZeroInt(), err
	}
	return tokensFromShares(pool, del.Shares), nil
}

func (k Keeper) isEligible(ctx context.Context, pool types.Pool, provider sdk.AccAddress) (bool, error) {
	if pool.Jailed {
		return false, nil
	}
	self, err := k.selfStake(ctx, pool, provider)
	if err != nil {
		return false, err
	}
	min, err := k.MinSelfStake(ctx, pool.ComputeUnits)
	if err != nil {
		return false, err
	}
	return self.GTE(min), nil
}

// checkBondCoin accepts only a positive amount of bond_denom.
func checkBondCoin(params types.Params, c sdk.Coin) error {
	if err := types.ValidatePositiveCoin(c); err != nil {
		return err
	}
	if c.Denom != params.BondDenom {
		return errorsmod.Wrapf(types.ErrInvalidDenom, "got %s, want %s", c.Denom, params.BondDenom)
	}
	return nil
}

// Share math. Every rounding goes against the caller and for the pool:
// deposits get shares rounded down, withdrawals burn shares rounded up, and
// a token value is rounded down.

// tokensFromShares is floor(shares × tokens / total shares); 0 for an empty pool.
func tokensFromShares(pool types.Pool, shares math.LegacyDec) math.Int {
	if !pool.Shares.IsPositive() {
		return math.ZeroInt()
	}
	return shares.MulInt(pool.Tokens).QuoTruncate(pool.Shares).TruncateInt()
}

// sharesForDeposit is floor(amount × total shares / tokens), or amount (one
// share per token) when the pool has no shares.
func sharesForDeposit(pool types.Pool, amount math.Int) math.LegacyDec {
	if !pool.Shares.IsPositive() {
		return math.LegacyNewDecFromInt(amount)
	}
	return pool.Shares.MulInt(amount).QuoTruncate(math.LegacyNewDecFromInt(pool.Tokens))
}

// sharesForWithdrawal is ceil(amount × total shares / tokens): the shares
// burned are always worth at least the tokens paid. Callers ensure tokens > 0.
func sharesForWithdrawal(pool types.Pool, amount math.Int) math.LegacyDec {
	return pool.Shares.MulInt(amount).QuoRoundUp(math.LegacyNewDecFromInt(pool.Tokens))
}
