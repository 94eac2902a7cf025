package keeper

import (
	"context"

	"cosmossdk.io/collections"

	"github.com/llmesh/mesh/x/ibcinfer/types"
)

// InitGenesis writes params, pending acknowledgements and refunds in flight.
func (k *Keeper) InitGenesis(ctx context.Context, gs *types.GenesisState) error {
	if err := gs.Validate(); err != nil {
		return err
	}
	if err := k.SetParams(ctx, gs.Params); err != nil {
		return err
	}
	for _, pa := range gs.PendingAcks {
		if err := k.PendingAcks.Set(ctx, pa.JobId, pa); err != nil {
			return err
		}
	}
	for _, r := range gs.Refunds {
		if err := k.Refunds.Set(ctx, collections.Join(r.Channel, r.Sequence), r); err != nil {
			return err
		}
	}
	return nil
}

// ExportGenesis reads the whole state, in key order.
func (k *Keeper) ExportGenesis(ctx context.Context) (*types.GenesisState, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	gs := &types.GenesisState{Params: params}
	if err := k.PendingAcks.Walk(ctx, nil, func(_ uint64, pa types.PendingAck) (bool, error) {
		gs.PendingAcks = append(gs.PendingAcks, pa)
		return false, nil
	}); err != nil {
		return nil, err
	}
	if err := k.Refunds.Walk(ctx, nil, func(_ collections.Pair[string, uint64], r types.Refund) (bool, error) {
		gs.Refunds = append(gs.Refunds, r)
		return false, nil
	}); err != nil {
		return nil, err
	}
	return gs, nil
}
