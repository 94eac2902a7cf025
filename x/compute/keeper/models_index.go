package keeper

import (
	"context"
	"slices"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// indexModels moves worker's entries in WorkersByModel from the models old
// to the models now: entries of old models not in now are removed, entries
// of now are set (idempotent).
func (k Keeper) indexModels(ctx context.Context, worker sdk.AccAddress, old, now []string) error {
	for _, m := range old {
		if slices.Contains(now, m) {
			continue
		}
		if err := k.WorkersByModel.Remove(ctx, collections.Join(m, worker)); err != nil {
			return err
		}
	}
	for _, m := range now {
		if err := k.WorkersByModel.Set(ctx, collections.Join(m, worker)); err != nil {
			return err
		}
	}
	return nil
}

// rebuildWorkersByModel clears WorkersByModel and rebuilds it from Workers.
func (k Keeper) rebuildWorkersByModel(ctx context.Context) error {
	if err := k.WorkersByModel.Clear(ctx, nil); err != nil {
		return err
	}
	return k.Workers.Walk(ctx, nil, func(addr sdk.AccAddress, w types.Worker) (bool, error) {
		return false, k.indexModels(ctx, addr, nil, w.Models)
	})
}

// IterateWorkersOfModel calls fn for every registered worker serving model,
// in address order, until fn returns stop = true or an error. It reads only
// the model's entries of WorkersByModel (a prefix range), not the whole
// registry; fn must not write x/compute state.
func (k Keeper) IterateWorkersOfModel(ctx context.Context, model string, fn func(w types.Worker) (stop bool, err error)) error {
	iter, err := k.WorkersByModel.Iterate(ctx, collections.NewPrefixedPairRange[string, sdk.AccAddress](model))
	if err != nil {
		return err
	}
	defer iter.Close()
	for ; iter.Valid(); iter.Next() {
		key, err := iter.Key()
		if err != nil {
			return err
		}
		w, err := k.Workers.Get(ctx, key.K2())
		if err != nil {
			return err
		}
		stop, err := fn(w)
		if err != nil || stop {
			return err
		}
	}
	return nil
}
