package keeper

import (
	"context"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/rewards/types"
)

// InitGenesis writes the genesis state, rebuilds Outstanding (Σ reserved −
// claimed of the closed epochs) and the contributor counts, and fails if the
// module account holds less than Outstanding (run it after x/bank).
func (k Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return errorsmod.Wrap(types.ErrInvalidGenesis, err.Error())
	}
	if err := k.Params.Set(ctx, gs.Params); err != nil {
		return err
	}
	if err := k.CurrentEpoch.Set(ctx, gs.CurrentEpoch); err != nil {
		return err
	}
	owed := sdk.NewCoins()
	for _, e := range gs.Epochs {
		if err := k.Epochs.Set(ctx, e.Epoch, e); err != nil {
			return err
		}
		if e.Epoch < gs.CurrentEpoch {
			owed = owed.Add(e.Owed()...)
		}
	}
	if err := k.Outstanding.Set(ctx, types.Balance{Coins: owed}); err != nil {
		return err
	}
	for _, r := range gs.Points {
		account, err := k.addrBytes(r.Account)
		if err != nil {
			return errorsmod.Wrap(types.ErrInvalidGenesis, err.Error())
		}
		if err := k.Points.Set(ctx, collections.Join3(account, r.Epoch, r.Category), r.Points); err != nil {
			return err
		}
	}
	counts := make(map[string]uint64)
	var order []string
	for _, c := range gs.Contributors {
		account, err := k.addrBytes(c.Account)
		if err != nil {
			return errorsmod.Wrap(types.ErrInvalidGenesis, err.Error())
		}
		if err := k.Contributors.Set(ctx, collections.Join(c.Category, account), c.Index); err != nil {
			return err
		}
		if _, ok := counts[c.Category]; !ok {
			order = append(order, c.Category)
		}
		counts[c.Category]++
	}
	for _, cat := range order {
		if err := k.ContributorCount.Set(ctx, cat, counts[cat]); err != nil {
			return err
		}
	}
	if !owed.IsZero() {
		held := k.bank.GetAllBalances(ctx, k.ak.GetModuleAddress(types.ModuleName))
		if !owed.IsAllLTE(held) {
			return errorsmod.Wrapf(types.ErrInvalidGenesis, "module account holds %s, closed epochs owe %s", held, owed)
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
	current, err := k.CurrentEpoch.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params, CurrentEpoch: current}
	if err := k.Epochs.Walk(ctx, nil, func(_ uint64, e types.EpochSummary) (bool, error) {
		gs.Epochs = append(gs.Epochs, e)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Points.Walk(ctx, nil, func(key collections.Triple[sdk.AccAddress, uint64, string], points uint64) (bool, error) {
		gs.Points = append(gs.Points, types.PointsRecord{Account: k.addrString(key.K1()), Epoch: key.K2(), Category: key.K3(), Points: points})
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Contributors.Walk(ctx, nil, func(key collections.Pair[string, sdk.AccAddress], index uint64) (bool, error) {
		gs.Contributors = append(gs.Contributors, types.Contributor{Category: key.K1(), Account: k.addrString(key.K2()), Index: index})
		return false, nil
	}); err != nil {
		return nil, err
	}
	return gs, nil
}
