package keeper

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// InitGenesis loads a validated genesis state. Provider unit sums are
// rebuilt from the workers and must agree with x/pool's, whose genesis runs
// first (app/modules.go): every provider with workers has a pool carrying
// exactly its workers' units, and no pool carries units without workers
// (issue 17, genesis cross-check). Nothing is sent to x/pool.
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	for _, w := range gs.Workers {
		addr, provider, err := k.addrPair(w.Address, w.Provider)
		if err != nil {
			return fmt.Errorf("worker %s: %w", w.Address, err)
		}
		if err := k.Workers.Set(ctx, addr, w); err != nil {
			return err
		}
		if err := k.WorkersByProvider.Set(ctx, collections.Join[sdk.AccAddress, sdk.AccAddress](provider, addr)); err != nil {
			return err
		}
		if err := k.indexModels(ctx, addr, nil, w.Models); err != nil {
			return err
		}
		units, err := k.providerUnits(ctx, provider)
		if err != nil {
			return err
		}
		if err := k.ProviderUnits.Set(ctx, provider, units+uint64(w.Spec.ComputeUnits)); err != nil {
			return err
		}
	}
	for _, a := range gs.Authorizations {
		provider, worker, err := k.addrPair(a.Provider, a.Worker)
		if err != nil {
			return fmt.Errorf("authorization: %w", err)
		}
		if err := k.Authorizations.Set(ctx, collections.Join[sdk.AccAddress, sdk.AccAddress](provider, worker)); err != nil {
			return err
		}
	}
	if gs.Epoch.Number > 0 {
		if err := k.Epoch.Set(ctx, gs.Epoch); err != nil {
			return err
		}
	}
	for _, e := range gs.Settling {
		if err := k.Settling.Set(ctx, e.Number, e); err != nil {
			return err
		}
	}
	for _, c := range gs.Commitments {
		worker, err := k.addrBytes(c.Worker)
		if err != nil {
			return fmt.Errorf("commitment worker: %w", err)
		}
		if err := k.Commitments.Set(ctx, collections.Join[int64, sdk.AccAddress](c.Epoch, worker), c); err != nil {
			return err
		}
	}
	for _, t := range gs.Tombstones {
		addr, err := k.addrBytes(t.Address)
		if err != nil {
			return fmt.Errorf("tombstone: %w", err)
		}
		if err := k.Tombstones.Set(ctx, addr, t); err != nil {
			return err
		}
	}
	if gs.Beacon != nil {
		if err := k.LastBeacon.Set(ctx, *gs.Beacon); err != nil {
			return err
		}
	}
	for _, r := range gs.BeaconValidators {
		if err := k.BeaconRecords.Set(ctx, r.ConsAddress, r); err != nil {
			return err
		}
	}
	if err := k.checkPoolUnits(ctx); err != nil {
		return err
	}
	return k.rebuildChallenged(ctx)
}

// checkPoolUnits compares ProviderUnits with x/pool's units. Both are walked
// in provider address order (the same key encoding), so a merge of the two
// sorted lists finds every disagreement; no map is iterated.
func (k Keeper) checkPoolUnits(ctx context.Context) error {
	type entry struct {
		provider sdk.AccAddress
		units    uint64
	}
	var pool []entry
	if err := k.pool.WalkComputeUnits(ctx, func(p sdk.AccAddress, units uint64) (bool, error) {
		pool = append(pool, entry{p, units})
		return false, nil
	}); err != nil {
		return err
	}
	i := 0
	err := k.ProviderUnits.Walk(ctx, nil, func(p sdk.AccAddress, units uint64) (bool, error) {
		if i < len(pool) && bytes.Compare(pool[i].provider, p) < 0 {
			return true, fmt.Errorf("x/pool gives provider %s %d compute units, its workers have none", k.addrString(pool[i].provider), pool[i].units)
		}
		if i == len(pool) || !pool[i].provider.Equals(p) {
			has, err := k.pool.HasPool(ctx, p)
			if err != nil {
				return true, err
			}
			if !has {
				return true, fmt.Errorf("provider %s has workers with %d units and no pool in x/pool", k.addrString(p), units)
			}
			return true, fmt.Errorf("provider %s: workers have %d units, x/pool has 0", k.addrString(p), units)
		}
		if pool[i].units != units {
			return true, fmt.Errorf("provider %s: workers have %d units, x/pool has %d", k.addrString(p), units, pool[i].units)
		}
		i++
		return false, nil
	})
	if err != nil {
		return err
	}
	if i < len(pool) {
		return fmt.Errorf("x/pool gives provider %s %d compute units, its workers have none", k.addrString(pool[i].provider), pool[i].units)
	}
	return nil
}

// ExportGenesis exports the module state.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.Workers.Walk(ctx, nil, func(_ sdk.AccAddress, w types.Worker) (bool, error) {
		gs.Workers = append(gs.Workers, w)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Authorizations.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, sdk.AccAddress]) (bool, error) {
		gs.Authorizations = append(gs.Authorizations, types.Authorization{Provider: k.addrString(key.K1()), Worker: k.addrString(key.K2())})
		return false, nil
	}); err != nil {
		return nil, err
	}
	epoch, err := k.Epoch.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return nil, err
	}
	gs.Epoch = epoch
	if err := k.Settling.Walk(ctx, nil, func(_ int64, e types.EpochInfo) (bool, error) {
		gs.Settling = append(gs.Settling, e)
		return false, nil
	}); err != nil {
		return nil, err
	}
	open, err := k.openEpochNumbers(ctx)
	if err != nil {
		return nil, err
	}
	// Commitments of closed epochs awaiting pruning are left out.
	if err := k.Commitments.Walk(ctx, nil, func(_ collections.Pair[int64, sdk.AccAddress], c types.Commitment) (bool, error) {
		if slices.Contains(open, c.Epoch) {
			gs.Commitments = append(gs.Commitments, c)
		}
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Tombstones.Walk(ctx, nil, func(_ sdk.AccAddress, t types.Worker) (bool, error) {
		gs.Tombstones = append(gs.Tombstones, t)
		return false, nil
	}); err != nil {
		return nil, err
	}
	switch b, err := k.LastBeacon.Get(ctx); {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		gs.Beacon = &b
	}
	if err := k.BeaconRecords.Walk(ctx, nil, func(_ []byte, r types.BeaconValidator) (bool, error) {
		gs.BeaconValidators = append(gs.BeaconValidators, r)
		return false, nil
	}); err != nil {
		return nil, err
	}
	return gs, nil
}
