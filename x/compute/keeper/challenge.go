package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/poc"
	"github.com/llmesh/mesh/x/compute/types"
)

// A worker's challenge is never stored: it derives from the epoch seed, the
// worker address and its claimed GOPS, so starting an epoch costs O(1)
// whatever the number of workers.

// ChallengeSeed returns worker's 32-byte challenge seed in epoch e:
// poc.ChallengeSeed(epoch seed, worker address bytes).
func ChallengeSeed(e types.EpochInfo, worker sdk.AccAddress) []byte {
	return poc.ChallengeSeed(e.Seed, worker)
}

// challengeRows returns m for a worker claiming spec in epoch e: sized by
// the claimed GOPS (poc.ChallengeRows under the epoch's snapshot), so that
// an honest worker proves it in poc_target_fraction_bps of the commit
// window and one claiming more than it has cannot finish in time. An epoch
// started before the v2 upgrade keeps m = units × poc_rows_per_unit.
func challengeRows(e types.EpochInfo, spec types.HardwareSpec) (uint32, error) {
	m := e.ChallengeRows(spec)
	if m == 0 {
		return 0, errorsmod.Wrapf(types.ErrInvalidSpec, "%d units give no valid challenge in epoch %d", spec.ComputeUnits, e.Number)
	}
	return m, nil
}

// SampleIndices returns the rows worker must reveal for a commitment of m
// rows in epoch e; nil before the sample seed is drawn.
func SampleIndices(e types.EpochInfo, worker sdk.AccAddress, m uint32) []uint32 {
	if len(e.SampleSeed) == 0 {
		return nil
	}
	return poc.SampleIndices(e.SampleSeed, worker, m, e.SampleRows)
}

// IsEligible reports whether w must answer epoch's challenge: active,
// registered (or unjailed) before the epoch, and its provider's pool eligible.
// Ineligible workers are neither challenged nor counted as missing.
func (k Keeper) IsEligible(ctx context.Context, w types.Worker, epoch int64) (bool, error) {
	provider, err := k.addrBytes(w.Provider)
	if err != nil {
		return false, err
	}
	return k.isEligible(ctx, w, provider, epoch)
}

// isEligible is IsEligible with w's provider address already decoded.
func (k Keeper) isEligible(ctx context.Context, w types.Worker, provider sdk.AccAddress, epoch int64) (bool, error) {
	if w.Status != types.WORKER_STATUS_ACTIVE || w.RegisteredEpoch >= epoch {
		return false, nil
	}
	return k.pool.IsEligible(ctx, provider)
}
