package keeper

import (
	"context"
	"fmt"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// CheckInvariants walks the store and reports the first broken promise of
// x/compute (tests and the app simulation only: O(state)):
//
//   - every worker is indexed under its provider, and every index entry has a worker;
//   - a provider's recorded units are the sum of its workers' compute units;
//   - no worker is both registered and tombstoned, and its reputation is in range.
func (k Keeper) CheckInvariants(ctx context.Context) error {
	units := make(map[string]uint64) // look-ups only, never iterated
	var providers []sdk.AccAddress
	err := k.Workers.Walk(ctx, nil, func(addr sdk.AccAddress, w types.Worker) (bool, error) {
		provider, err := k.addrBytes(w.Provider)
		if err != nil {
			return true, err
		}
		if has, err := k.WorkersByProvider.Has(ctx, collections.Join(provider, addr)); err != nil || !has {
			return true, fmt.Errorf("worker %s is not indexed under provider %s (%v)", w.Address, w.Provider, err)
		}
		if has, err := k.Tombstones.Has(ctx, addr); err != nil || has {
			return true, fmt.Errorf("worker %s is registered and tombstoned (%v)", w.Address, err)
		}
		if w.ReputationBps > types.MaxReputationBps {
			return true, fmt.Errorf("worker %s: reputation %d above %d", w.Address, w.ReputationBps, types.MaxReputationBps)
		}
		if _, seen := units[string(provider)]; !seen {
			providers = append(providers, provider)
		}
		units[string(provider)] += uint64(w.Spec.ComputeUnits)
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.WorkersByProvider.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, sdk.AccAddress]) (bool, error) {
		if has, err := k.Workers.Has(ctx, key.K2()); err != nil || !has {
			return true, fmt.Errorf("index entry (%s, %s) without a worker (%v)", k.addrString(key.K1()), k.addrString(key.K2()), err)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	err = k.ProviderUnits.Walk(ctx, nil, func(provider sdk.AccAddress, n uint64) (bool, error) {
		if want := units[string(provider)]; n != want {
			return true, fmt.Errorf("provider %s: recorded units %d, workers' units %d", k.addrString(provider), n, want)
		}
		return false, nil
	})
	if err != nil {
		return err
	}
	for _, p := range providers {
		n, err := k.ProviderUnits.Get(ctx, p)
		if err != nil || n != units[string(p)] {
			return fmt.Errorf("provider %s: recorded units %d (%v), workers' units %d", k.addrString(p), n, err, units[string(p)])
		}
	}
	return nil
}

// ProviderStake is a read-only view of a provider's pool through x/pool, for
// the simulation's message factories: whether it has a pool, whether the
// pool is eligible, its self-stake and the self-stake units would need.
func (k Keeper) ProviderStake(ctx context.Context, provider sdk.AccAddress, units uint64) (has, eligible bool, self, need math.Int, err error) {
	if has, err = k.pool.HasPool(ctx, provider); err != nil || !has {
		return has, false, math.ZeroInt(), math.ZeroInt(), err
	}
	if eligible, err = k.pool.IsEligible(ctx, provider); err != nil {
		return
	}
	if self, err = k.pool.SelfStake(ctx, provider); err != nil {
		return
	}
	need, err = k.pool.MinSelfStake(ctx, units)
	return
}
