package keeper

import (
	"context"
	"errors"
	"time"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Lock escrows amount from owner for d and returns the lock and its power now.
//
// A new lock must hold at least min_lock; it ends at block time + d. Adding to
// an existing lock (even one that has ended) adds the amount, keeps the later
// of the old end and now + d, and keeps the longer of the old duration and d:
// a lock's multiplier is that of the longest duration its owner chose, not of
// the time left. A lock that has ended keeps its power until Unlock, because
// its tokens stay in escrow until then.
//
// The new power counts from the next block's proposals on (the snapshot of a
// proposal is the state before its submission block).
func (k Keeper) Lock(ctx context.Context, owner sdk.AccAddress, amount sdk.Coin, d time.Duration) (types.Lock, math.Int, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Lock{}, math.Int{}, err
	}
	if amount.Denom != params.LockDenom || amount.Amount.IsNil() || !amount.Amount.IsPositive() {
		return types.Lock{}, math.Int{}, errorsmod.Wrapf(types.ErrInvalidAmount, "lock %s: want a positive amount of %s", amount, params.LockDenom)
	}
	if err := checkDuration(params, d); err != nil {
		return types.Lock{}, math.Int{}, err
	}
	// The treasury and the escrow cannot lock: Unlock pays an account, and
	// the escrow cannot pay itself, and a treasury lock would take tokens out of
	// the treasury's accounting behind the voters' backs.
	if owner.Equals(k.ak.GetModuleAddress(types.ModuleName)) || owner.Equals(k.ak.GetModuleAddress(types.EscrowAccount)) {
		return types.Lock{}, math.Int{}, errorsmod.Wrap(types.ErrInvalidAddress, "the DAO's own accounts cannot lock")
	}
	ownerStr := k.addrString(owner)
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	now := sdkCtx.BlockTime()

	lock, err := k.Locks.Get(ctx, owner)
	switch {
	case errors.Is(err, collections.ErrNotFound):
		if amount.Amount.LT(params.MinLock) {
			return types.Lock{}, math.Int{}, errorsmod.Wrapf(types.ErrLockTooSmall, "%s below min_lock %s", amount.Amount, params.MinLock)
		}
		lock = types.Lock{
			Owner:         ownerStr,
			Amount:        amount.Amount,
			Duration:      d,
			End:           now.Add(d),
			CreatedHeight: sdkCtx.BlockHeight(),
		}
	case err != nil:
		return types.Lock{}, math.Int{}, err
	default:
		lock.Amount = lock.Amount.Add(amount.Amount)
		lock.Duration = keptDuration(lock, now, d)
		if end := now.Add(d); end.After(lock.End) {
			lock.End = end
		}
	}

	// The transfer is the last check: insufficient funds leaves nothing written.
	if err := k.bank.SendCoinsFromAccountToModule(ctx, owner, types.EscrowAccount, sdk.NewCoins(amount)); err != nil {
		return types.Lock{}, math.Int{}, err
	}
	return k.saveLock(ctx, params, owner, lock)
}

// ExtendLock moves the end of owner's lock to block time + d, which must not
// be earlier than its end; the lock's duration becomes the longer of its
// duration and d (just d for an ended lock, which this locks again).
func (k Keeper) ExtendLock(ctx context.Context, owner sdk.AccAddress, d time.Duration) (types.Lock, math.Int, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return types.Lock{}, math.Int{}, err
	}
	lock, err := k.getLock(ctx, owner)
	if err != nil {
		return types.Lock{}, math.Int{}, err
	}
	if err := checkDuration(params, d); err != nil {
		return types.Lock{}, math.Int{}, err
	}
	end := sdk.UnwrapSDKContext(ctx).BlockTime().Add(d)
	if end.Before(lock.End) {
		return types.Lock{}, math.Int{}, errorsmod.Wrapf(types.ErrInvalidDuration,
			"%s from now (%s) would shorten the lock ending %s", d, end.UTC().Format(time.RFC3339), lock.End.UTC().Format(time.RFC3339))
	}
	lock.Duration = keptDuration(lock, sdk.UnwrapSDKContext(ctx).BlockTime(), d)
	lock.End = end
	return k.saveLock(ctx, params, owner, lock)
}

// keptDuration is the duration (hence multiplier) of a lock re-locked for d
// at now: the longer of its duration and d while the lock runs; d alone once
// it has ended, so an old long lock cannot lend its conviction to tokens
// added for a short time.
func keptDuration(lock types.Lock, now time.Time, d time.Duration) time.Duration {
	if !now.Before(lock.End) {
		return d
	}
	return max(lock.Duration, d)
}

// Unlock returns the tokens of owner's lock once it has ended and deletes it;
// the owner's power drops to zero (its delegation, if any, stays in force).
func (k Keeper) Unlock(ctx context.Context, owner sdk.AccAddress) (sdk.Coin, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return sdk.Coin{}, err
	}
	lock, err := k.getLock(ctx, owner)
	if err != nil {
		return sdk.Coin{}, err
	}
	if now := sdk.UnwrapSDKContext(ctx).BlockTime(); now.Before(lock.End) {
		return sdk.Coin{}, errorsmod.Wrapf(types.ErrLockNotExpired, "lock ends %s", lock.End.UTC().Format(time.RFC3339))
	}
	// Locks do not record their denom: params.lock_denom is assumed never to
	// change while locks exist.
	coin := sdk.NewCoin(params.LockDenom, lock.Amount)
	if err := k.bank.SendCoinsFromModuleToAccount(ctx, types.EscrowAccount, owner, sdk.NewCoins(coin)); err != nil {
		return sdk.Coin{}, err
	}
	if err := k.Locks.Remove(ctx, owner); err != nil {
		return sdk.Coin{}, err
	}
	if err := k.setOwnPower(ctx, owner, math.ZeroInt()); err != nil {
		return sdk.Coin{}, err
	}
	return coin, kit.Emit(ctx, &types.EventUnlocked{Owner: lock.Owner, Amount: coin.String()})
}

// OwnPowerNow is account's own power now, counting this block's changes:
// what a proposal submitted in the next block sees.
func (k Keeper) OwnPowerNow(ctx context.Context, account sdk.AccAddress) (math.Int, error) {
	return k.OwnPowerAt(ctx, account, currentBlock(ctx)+1)
}

// DelegatedPowerNow is the own power of account's delegators now.
func (k Keeper) DelegatedPowerNow(ctx context.Context, account sdk.AccAddress) (math.Int, error) {
	return k.DelegatedPowerAt(ctx, account, currentBlock(ctx)+1)
}

// getLock is owner's lock or ErrLockNotFound.
func (k Keeper) getLock(ctx context.Context, owner sdk.AccAddress) (types.Lock, error) {
	lock, err := k.Locks.Get(ctx, owner)
	return lock, kit.NotFound(err, types.ErrLockNotFound, owner.String())
}

// saveLock stores lock, checkpoints its power and emits EventLocked.
func (k Keeper) saveLock(ctx context.Context, params types.Params, owner sdk.AccAddress, lock types.Lock) (types.Lock, math.Int, error) {
	if err := k.Locks.Set(ctx, owner, lock); err != nil {
		return types.Lock{}, math.Int{}, err
	}
	power := params.LockPower(lock.Amount, lock.Duration)
	if err := k.setOwnPower(ctx, owner, power); err != nil {
		return types.Lock{}, math.Int{}, err
	}
	err := kit.Emit(ctx, &types.EventLocked{
		Owner:  lock.Owner,
		Amount: sdk.NewCoin(params.LockDenom, lock.Amount).String(),
		End:    lock.End.UTC().Format(time.RFC3339),
		Power:  power.String(),
	})
	return lock, power, err
}

func checkDuration(params types.Params, d time.Duration) error {
	if d < params.MinLockDuration || d > params.MaxLockDuration {
		return errorsmod.Wrapf(types.ErrInvalidDuration, "%s: want %s to %s", d, params.MinLockDuration, params.MaxLockDuration)
	}
	return nil
}

// setOwnPower checkpoints account's own power at the current block and moves
// the difference into the total power and, if account delegates, into its
// delegate's delegated power. A second change in the same block overwrites
// the checkpoints written by the first.
func (k Keeper) setOwnPower(ctx context.Context, account sdk.AccAddress, power math.Int) error {
	h := currentBlock(ctx)
	old, err := k.OwnPowerAt(ctx, account, h+1)
	if err != nil {
		return err
	}
	if old.Equal(power) {
		return nil
	}
	if err := k.OwnPower.Set(ctx, collections.Join(account, h), power); err != nil {
		return err
	}
	total, err := k.TotalPowerAt(ctx, h+1)
	if err != nil {
		return err
	}
	if err := k.TotalPower.Set(ctx, h, k.nonNegative(ctx, "total power", total.Sub(old).Add(power))); err != nil {
		return err
	}
	delegate, err := k.Delegations.Get(ctx, account)
	if errors.Is(err, collections.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return k.addDelegatedPower(ctx, delegate, power.Sub(old))
}

// addDelegatedPower checkpoints delegate's delegated power plus delta (which
// may be negative) at the current block.
func (k Keeper) addDelegatedPower(ctx context.Context, delegate sdk.AccAddress, delta math.Int) error {
	if delta.IsZero() {
		return nil
	}
	h := currentBlock(ctx)
	cur, err := k.DelegatedPowerAt(ctx, delegate, h+1)
	if err != nil {
		return err
	}
	return k.DelegatedPower.Set(ctx, collections.Join(delegate, h), k.nonNegative(ctx, "delegated power", cur.Add(delta)))
}

// nonNegative floors a power sum at zero. A negative sum means the
// checkpoints disagree (an inconsistent genesis); the error is logged rather
// than returned so that tokens can always leave escrow.
func (k Keeper) nonNegative(ctx context.Context, what string, x math.Int) math.Int {
	if x.IsNegative() {
		k.Logger(ctx).Error("negative power sum floored at zero", "what", what, "value", x.String())
		return math.ZeroInt()
	}
	return x
}
