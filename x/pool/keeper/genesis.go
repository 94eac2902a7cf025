package keeper

import (
	"context"
	"fmt"

	errorsmod "cosmossdk.io/errors"
	"cosmossdk.io/math"

	"github.com/llmesh/mesh/x/pool/types"
)

// InitGenesis writes the genesis state and rebuilds every index from it. It
// fails if the pool module account holds less bond_denom than the bonded and
// unbonding tokens it must back (run it after x/bank's InitGenesis).
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return errorsmod.Wrap(types.ErrInvalidGenesis, err.Error())
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	backed := math.ZeroInt()
	for _, p := range gs.Pools {
		provider, err := k.addrBytes(p.Provider)
		if err != nil {
			return err
		}
		if err := k.Pools.Set(ctx, provider, p); err != nil {
			return err
		}
		backed = backed.Add(p.Tokens)
	}
	for _, d := range gs.Delegations {
		delegator, provider, err := k.addrPair(d.Delegator, d.Provider)
		if err != nil {
			return err
		}
		if err := k.setDelegation(ctx, provider, delegator, d); err != nil {
			return err
		}
	}
	for _, u := range gs.Unbondings {
		delegator, provider, err := k.addrPair(u.Delegator, u.Provider)
		if err != nil {
			return err
		}
		if err := k.setUnbonding(ctx, u, provider, delegator); err != nil {
			return err
		}
		backed = backed.Add(u.Balance)
	}
	if err := k.NextUnbondingID.Set(ctx, gs.NextUnbondingId); err != nil {
		return err
	}
	for _, e := range gs.Ejections {
		provider, err := k.addrBytes(e.Provider)
		if err != nil {
			return err
		}
		if err := k.Ejections.Set(ctx, provider, e); err != nil {
			return err
		}
	}

	if backed.IsPositive() {
		held := k.bk.GetBalance(ctx, k.ak.GetModuleAddress(types.ModuleName), gs.Params.BondDenom)
		if held.Amount.LT(backed) {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "module account holds %s, pools and unbondings need %s%s",
				held, backed, gs.Params.BondDenom)
		}
	}
	return nil
}

// ExportGenesis reads the whole state back, in key order.
func (k Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}

	pools, err := k.Pools.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	if gs.Pools, err = pools.Values(); err != nil {
		return nil, fmt.Errorf("export pools: %w", err)
	}
	dels, err := k.Delegations.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	if gs.Delegations, err = dels.Values(); err != nil {
		return nil, fmt.Errorf("export delegations: %w", err)
	}
	ubds, err := k.Unbondings.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	if gs.Unbondings, err = ubds.Values(); err != nil {
		return nil, fmt.Errorf("export unbondings: %w", err)
	}
	if gs.NextUnbondingId, err = k.NextUnbondingID.Peek(ctx); err != nil {
		return nil, err
	}
	ejs, err := k.Ejections.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	if gs.Ejections, err = ejs.Values(); err != nil {
		return nil, fmt.Errorf("export ejections: %w", err)
	}
	return gs, nil
}
