package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/cachectx"
)

// BeginBlocker assigns queued jobs to free workers (queue.go), at most
// max_expirations_per_block per block. It runs before the block's
// transactions, so a draw depends only on state committed in earlier blocks
// and on this height's seed. A failure of the batch as a whole is logged and
// nothing of it is kept; the block never fails and never panics because of
// x/inference.
func (k Keeper) BeginBlocker(ctx context.Context) error {
	if err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		params, err := k.Params.Get(cc)
		if err != nil {
			return err
		}
		_, err = k.AssignQueued(cc, params)
		return err
	}); err != nil {
		k.Logger(ctx).Error("inference: assigning queued jobs", "err", err)
	}
	// VERIFY jobs whose generator revealed get their verifiers (verify.go).
	if err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		params, err := k.Params.Get(cc)
		if err != nil {
			return err
		}
		_, err = k.DrawVerifiers(cc, params)
		return err
	}); err != nil {
		k.Logger(ctx).Error("inference: drawing verifiers", "err", err)
	}
	return nil
}

// EndBlocker ends jobs past their deadline, closes commit phases and prunes
// old jobs, each queue at most max_expirations_per_block entries per block
// (see expire.go). Each job runs in its own cache context; a failure of the
// batch as a whole (a store error) is logged and nothing of it is kept. The
// block never fails and never panics because of x/inference.
func (k Keeper) EndBlocker(ctx context.Context) error {
	if err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		_, err := k.ProcessQueues(cc)
		return err
	}); err != nil {
		k.Logger(ctx).Error("inference end block", "err", err)
	}
	// Contract callbacks of jobs ended in this block or queued before, after
	// the queues (so a job ended here is called back here) and before
	// pruning can reach them in a later block.
	if err := cachectx.RunRecoverOutOfGas(ctx, func(cc sdk.Context) error {
		params, err := k.Params.Get(cc)
		if err != nil {
			return err
		}
		_, err = k.DispatchContractCallbacks(cc, params)
		return err
	}); err != nil {
		k.Logger(ctx).Error("inference: contract callbacks", "err", err)
	}
	return nil
}
