package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// NextReputation moves rep (basis points) towards target by alpha/10000 of
// the distance, an exponential moving average in integers:
//
//	rep' = rep + alpha·(target − rep)/10000
//
// Rounding favours the protocol: a gain is floored, a loss is ceiled (so a
// worker that keeps failing reaches 0, and one that keeps passing approaches
// but may stop short of 10000).
func NextReputation(rep, alphaBps, target uint32) uint32 {
	const scale = types.MaxReputationBps
	rep, target = min(rep, scale), min(target, scale)
	alpha := uint64(min(alphaBps, scale))
	if target >= rep {
		return rep + uint32(alpha*uint64(target-rep)/scale)
	}
	loss := (alpha*uint64(rep-target) + scale - 1) / scale
	return rep - uint32(loss)
}

// RecordJobOutcome moves a worker's reputation after a job outcome reported
// by another module (x/inference, x/training): towards 10000 on success,
// towards 0 on failure. It returns the new reputation.
func (k Keeper) RecordJobOutcome(ctx context.Context, worker sdk.AccAddress, success bool) (uint32, error) {
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	w, err := k.GetWorker(ctx, worker)
	if err != nil {
		return 0, err
	}
	target := uint32(0)
	if success {
		target = types.MaxReputationBps
	}
	w.ReputationBps = NextReputation(w.ReputationBps, params.ReputationAlphaBps, target)
	return w.ReputationBps, k.Workers.Set(ctx, worker, w)
}
