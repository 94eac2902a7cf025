package keeper

import (
	"context"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/types"
)

// CheckInvariants walks the whole store and reports the first broken
// promise of x/pool. It is for tests and the app simulation (it is O(state)),
// never for a block hook:
//
//   - each pool's shares are the sum of its delegations' shares;
//   - shares × rate = tokens: the delegations' token values (each rounded
//     down) add up to the pool's tokens, short by less than one token per
//     delegation;
//   - the module account holds at least the bonded tokens plus the unpaid
//     unbonding balances, in bond_denom;
//   - every unbonding is in the queue and its indexes, with 0 ≤ balance ≤ initial.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	backed := math.ZeroInt()
	err = k.Pools.Walk(ctx, nil, func(provider sdk.AccAddress, pool types.Pool) (bool, error) {
		shares := math.LegacyZeroDec()
		values := math.ZeroInt()
		n := int64(0)
		rng := collections.NewPrefixedPairRange[sdk.AccAddress, sdk.AccAddress](provider)
		if err := k.Delegations.Walk(ctx, rng, func(key collections.Pair[sdk.AccAddress, sdk.AccAddress], d types.Delegation) (bool, error) {
			if !d.Shares.IsPositive() {
				return true, fmt.Errorf("pool %s: delegation of %s has shares %s", pool.Provider, d.Delegator, d.Shares)
			}
			if has, err := k.DelegationsByDelegator.Has(ctx, collections.Join(key.K2(), key.K1())); err != nil || !has {
				return true, fmt.Errorf("pool %s: delegation of %s missing from the delegator index (%v)", pool.Provider, d.Delegator, err)
			}
			shares = shares.Add(d.Shares)
			values = values.Add(tokensFromShares(pool, d.Shares))
			n++
			return false, nil
		}); err != nil {
			return true, err
		}
		if !shares.Equal(pool.Shares) {
			return true, fmt.Errorf("pool %s: shares %s != Σ delegation shares %s", pool.Provider, pool.Shares, shares)
		}
		if pool.Tokens.IsNegative() {
			return true, fmt.Errorf("pool %s: negative tokens %s", pool.Provider, pool.Tokens)
		}
		if pool.Shares.IsPositive() {
			gap := pool.Tokens.Sub(values)
			if gap.IsNegative() || gap.GT(math.NewInt(n)) {
				return true, fmt.Errorf("pool %s: Σ delegation values %s vs tokens %s (%d delegations)", pool.Provider, values, pool.Tokens, n)
			}
		}
		backed = backed.Add(pool.Tokens)
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.Unbondings.Walk(ctx, nil, func(id uint64, u types.UnbondingEntry) (bool, error) {
		if u.Balance.IsNegative() || u.Balance.GT(u.InitialBalance) {
			return true, fmt.Errorf("unbonding %d: balance %s outside [0, %s]", id, u.Balance, u.InitialBalance)
		}
		if has, err := k.UnbondingQueue.Has(ctx, collections.Join(u.CompletionTime, id)); err != nil || !has {
			// A failed payout is requeued later than its completion time.
			found := false
			if err := k.UnbondingQueue.Walk(ctx, nil, func(key collections.Pair[time.Time, uint64]) (bool, error) {
				found = key.K2() == id
				return found, nil
			}); err != nil {
				return true, err
			}
			if !found {
				return true, fmt.Errorf("unbonding %d is not in the queue", id)
			}
		}
		backed = backed.Add(u.Balance)
		return false, nil
	})
	if err != nil {
		return err
	}
	held := k.bk.GetBalance(ctx, k.ak.GetModuleAddress(types.ModuleName), params.BondDenom)
	if held.Amount.LT(backed) {
		return fmt.Errorf("module account holds %s, pools and unbondings need %s%s", held, backed, params.BondDenom)
	}
	return nil
}
