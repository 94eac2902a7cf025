package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

// Delegate bonds amount into the provider's pool and returns the shares
// issued (rounded down). Rewards earned so far are settled first.
func (k Keeper) Delegate(ctx context.Context, delegator, provider sdk.AccAddress, amount sdk.Coin) (math.LegacyDec, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return math.LegacyDec{}, err
	}
	if err := checkBondCoin(params, amount); err != nil {
		return math.LegacyDec{}, err
	}
	k.beforeSharesChange(ctx, provider)
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return math.LegacyDec{}, err
	}
	// A pool slashed to zero tokens with shares outstanding cannot price new
	// shares: any deposit would be shared with the old, worthless shares.
	if pool.Shares.IsPositive() && !pool.Tokens.IsPositive() {
		return math.LegacyDec{}, errorsmod.Wrapf(types.ErrPoolInsolvent, "provider %s", pool.Provider)
	}
	// Checking the balance first bounds the amount, so the share math below
	// cannot overflow on absurd inputs.
	if err := k.checkBalance(ctx, delegator, amount); err != nil {
		return math.LegacyDec{}, err
	}
	shares := sharesForDeposit(pool, amount.Amount)
	if !shares.IsPositive() {
		return math.LegacyDec{}, errorsmod.Wrapf(types.ErrZeroShares, "%s", amount)
	}
	del, found, err := k.getDelegation(ctx, provider, delegator)
	if err != nil {
		return math.LegacyDec{}, err
	}
	now := sdk.UnwrapSDKContext(ctx).BlockTime()
	if found {
		if err := k.settleAndEmit(ctx, params, &pool, &del); err != nil {
			return math.LegacyDec{}, err
		}
		// New tokens have age zero: the delegation's age becomes the
		// share-weighted average.
		del.BondedSince = topUpSince(del.BondedSince, now, del.Shares, shares)
	} else {
		del = newDelegation(pool, k.addrString(delegator), now)
	}

	if err := k.bk.SendCoinsFromAccountToModule(ctx, delegator, types.ModuleName, sdk.NewCoins(amount)); err != nil {
		return math.LegacyDec{}, err
	}
	pool.Tokens = pool.Tokens.Add(amount.Amount)
	pool.Shares = pool.Shares.Add(shares)
	del.Shares = del.Shares.Add(shares)
	if err := k.Pools.Set(ctx, provider, pool); err != nil {
		return math.LegacyDec{}, err
	}
	if err := k.setDelegation(ctx, provider, delegator, del); err != nil {
		return math.LegacyDec{}, err
	}
	return shares, kit.Emit(ctx, &types.EventDelegated{
		Provider: pool.Provider, Delegator: del.Delegator, Amount: amount.String(), Shares: shares.String(),
	})
}

// Undelegate starts unbonding amount tokens from the delegation. The shares
// burned are rounded up, so the pool never pays out more than the shares were
// worth. If the shares left would be worth less than one token, all of them
// are burned and the delegation closes; its settled rewards (whole coins) are
// paid at once and the sub-unit remainder stays in the module account.
//
// A provider may undelegate its self-bond below MinSelfStake: that is allowed,
// but the pool stops being eligible for work until the stake is topped up.
func (k Keeper) Undelegate(ctx context.Context, delegator, provider sdk.AccAddress, amount sdk.Coin) (types.UnbondingEntry, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.UnbondingEntry{}, err
	}
	pool, del, err := k.undelegation(ctx, params, delegator, provider, amount)
	if err != nil {
		return types.UnbondingEntry{}, err
	}
	if shares, _ := sharesToBurn(pool, del.Shares, amount.Amount); !shares.IsPositive() {
		return types.UnbondingEntry{}, errorsmod.Wrapf(types.ErrZeroShares, "%s", amount)
	}
	// The tokens that leave take their age with them; the rest keeps its
	// bonded_since.
	if err := k.settleAndEmit(ctx, params, &pool, &del); err != nil {
		return types.UnbondingEntry{}, err
	}
	shares, after := sharesToBurn(pool, del.Shares, amount.Amount)
	del.Shares = del.Shares.Sub(shares)
	if err := k.setOrCloseDelegation(ctx, provider, delegator, del); err != nil {
		return types.UnbondingEntry{}, err
	}
	if err := k.Pools.Set(ctx, provider, after); err != nil {
		return types.UnbondingEntry{}, err
	}
	entry, err := k.createUnbonding(ctx, params, provider, delegator, del.Provider, del.Delegator, amount.Amount)
	if err != nil {
		return types.UnbondingEntry{}, err
	}
	return entry, kit.Emit(ctx, &types.EventUndelegated{
		Provider: entry.Provider, Delegator: entry.Delegator, Amount: amount.String(),
		UnbondingId: entry.Id, CompletionTime: entry.CompletionTime.Format(time.RFC3339Nano),
	})
}

// undelegation runs the hook, then returns the pool and the delegation that
// amount unbonds from, checking the coin, the delegation's token value and
// the max_unbonding_entries cap.
func (k Keeper) undelegation(ctx context.Context, params types.Params, delegator, provider sdk.AccAddress, amount sdk.Coin,
) (types.Pool, types.Delegation, error) {
	if err := checkBondCoin(params, amount); err != nil {
		return types.Pool{}, types.Delegation{}, err
	}
	k.beforeSharesChange(ctx, provider)
	pool, err := k.GetPool(ctx, provider)
	if err != nil {
		return types.Pool{}, types.Delegation{}, err
	}
	del, found, err := k.getDelegation(ctx, provider, delegator)
	if err != nil {
		return types.Pool{}, types.Delegation{}, err
	}
	if !found {
		return types.Pool{}, types.Delegation{}, errorsmod.Wrapf(types.ErrDelegationNotFound, "delegator %s in pool %s", delegator, pool.Provider)
	}
	if value := tokensFromShares(pool, del.Shares); amount.Amount.GT(value) {
		return types.Pool{}, types.Delegation{}, errorsmod.Wrapf(types.ErrInsufficientStake, "%s > %s%s", amount, value, params.BondDenom)
	}
	n, err := k.countUnbondings(ctx, delegator, provider, params.MaxUnbondingEntries)
	if err != nil {
		return types.Pool{}, types.Delegation{}, err
	}
	if n >= params.MaxUnbondingEntries {
		return types.Pool{}, types.Delegation{}, errorsmod.Wrapf(types.ErrMaxUnbondingEntries, "%d entries", n)
	}
	return pool, del, nil
}

// sharesToBurn returns the shares that unbonding amount burns out of held,
// and the pool after it. amount ≤ the value of held implies tokens > 0, so
// the division is defined, and the rounded-up shares never exceed held
// (capped anyway). If the shares left would be worth less than one token,
// all of held is burned.
func sharesToBurn(pool types.Pool, held math.LegacyDec, amount math.Int) (math.LegacyDec, types.Pool) {
	shares := math.LegacyMinDec(sharesForWithdrawal(pool, amount), held)
	after := pool
	after.Tokens = pool.Tokens.Sub(amount)
	after.Shares = pool.Shares.Sub(shares)
	if rest := held.Sub(shares); rest.IsPositive() && tokensFromShares(after, rest).IsZero() {
		after.Shares = after.Shares.Sub(rest)
		shares = held
	}
	return shares, after
}

// setOrCloseDelegation writes a settled delegation; one without shares is
// removed, its settled rewards paid in whole coins.
func (k Keeper) setOrCloseDelegation(ctx context.Context, provider, delegator sdk.AccAddress, del types.Delegation) error {
	if !del.Shares.IsZero() {
		return k.setDelegation(ctx, provider, delegator, del)
	}
	paid, change := del.PendingRewards.TruncateDecimal()
	if !paid.IsZero() {
		if err := k.bk.SendCoinsFromModuleToAccount(ctx, types.ModuleName, delegator, paid); err != nil {
			return err
		}
		if err := kit.Emit(ctx, &types.EventRewardsClaimed{Provider: del.Provider, Delegator: del.Delegator, Amount: paid.String()}); err != nil {
			return err
		}
	}
	if !change.IsZero() {
		k.Logger(ctx).Debug("closing delegation leaves reward dust in the module account", "dust", change.String())
	}
	return k.removeDelegation(ctx, provider, delegator)
}

// newDelegation is an empty delegation in pool, bonded at now.
func newDelegation(pool types.Pool, delegator string, now time.Time) types.Delegation {
	return types.Delegation{
		Provider:            pool.Provider,
		Delegator:           delegator,
		Shares:              math.LegacyZeroDec(),
		RewardPerSharePaid:  cloneDecCoins(pool.RewardPerShare),
		PendingRewards:      sdk.DecCoins{},
		BondedSince:         now,
		RewardTimeIndexPaid: cloneDecCoins(pool.RewardTimeIndex),
	}
}

// GetDelegation returns the delegation of delegator in provider's pool.
func (k Keeper) GetDelegation(ctx context.Context, provider, delegator sdk.AccAddress) (types.Delegation, error) {
	del, found, err := k.getDelegation(ctx, provider, delegator)
	if err != nil {
		return types.Delegation{}, err
	}
	if !found {
		return types.Delegation{}, errorsmod.Wrapf(types.ErrDelegationNotFound, "delegator %s in pool of %s", delegator, provider)
	}
	return del, nil
}

func (k Keeper) getDelegation(ctx context.Context, provider, delegator sdk.AccAddress) (types.Delegation, bool, error) {
	del, err := k.Delegations.Get(ctx, collections.Join(provider, delegator))
	if errors.Is(err, collections.ErrNotFound) {
		return types.Delegation{}, false, nil
	}
	return del, err == nil, err
}

// setDelegation writes the delegation and its by-delegator index together.
func (k Keeper) setDelegation(ctx context.Context, provider, delegator sdk.AccAddress, del types.Delegation) error {
	if err := k.Delegations.Set(ctx, collections.Join(provider, delegator), del); err != nil {
		return err
	}
	return k.DelegationsByDelegator.Set(ctx, collections.Join(delegator, provider))
}

func (k Keeper) removeDelegation(ctx context.Context, provider, delegator sdk.AccAddress) error {
	if err := k.Delegations.Remove(ctx, collections.Join(provider, delegator)); err != nil {
		return err
	}
	return k.DelegationsByDelegator.Remove(ctx, collections.Join(delegator, provider))
}

// checkBalance fails with ErrInsufficientFunds before any state is written.
func (k Keeper) checkBalance(ctx context.Context, addr sdk.AccAddress, amount sdk.Coin) error {
	if bal := k.bk.GetBalance(ctx, addr, amount.Denom); bal.Amount.LT(amount.Amount) {
		return errorsmod.Wrapf(sdkerrors.ErrInsufficientFunds, "balance %s < %s", bal, amount)
	}
	return nil
}
