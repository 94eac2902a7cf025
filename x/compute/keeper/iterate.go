package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// IterateWorkers calls fn for every registered worker in address order until
// fn returns stop = true or an error. It is what other modules (x/inference
// assignment) read the registry with; fn must not write x/compute state.
func (k Keeper) IterateWorkers(ctx context.Context, fn func(addr sdk.AccAddress, w types.Worker) (stop bool, err error)) error {
	return k.Workers.Walk(ctx, nil, fn)
}
