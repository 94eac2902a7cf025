package keeper

import (
	"context"
	"math"
	"math/bits"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/poc"
	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/cachectx"
	"github.com/llmesh/mesh/x/internal/kit"
	rewardstypes "github.com/llmesh/mesh/x/rewards/types"
)

// FraudReason is the slashing reason given to x/pool for a wrong row.
const FraudReason = "poc-fraud"

// RevealPoC checks worker's sampled rows for epoch and records the outcome.
//
// A malformed reveal (outside the reveal window, no commitment, already
// revealed, wrong row count, order or size, bad Merkle proof) returns an
// error and changes nothing: the worker may retry until reveal_end, after
// which an unrevealed commitment is a miss. Rows whose proofs hold but whose
// values are wrong are provable fraud: the outcome is recorded, the worker
// jailed and its provider slashed and jailed, and the call succeeds.
//
// Recomputation costs verify_gas_per_mac × (k·n·p + n·p + k·n) gas — the
// k row products, regenerating B (n·p bytes of SHAKE128) and the k rows of
// A — charged to the revealing worker before anything is recomputed.
func (k Keeper) RevealPoC(ctx context.Context, worker sdk.AccAddress, epoch int64, rows []types.RevealedRow) (types.ProofOutcome, error) {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	params, err := k.Params.Get(ctx)
	if err != nil {
		return 0, err
	}
	w, err := k.GetWorker(ctx, worker)
	if err != nil {
		return 0, err
	}
	e, err := k.openEpoch(ctx, epoch)
	if err != nil {
		return 0, err
	}
	height := sdkCtx.BlockHeight()
	if height <= e.CommitEnd || height > e.RevealEnd || len(e.SampleSeed) == 0 {
		return 0, errorsmod.Wrapf(types.ErrRevealWindow, "epoch %d reveals run from height %d to %d, now %d", epoch, e.CommitEnd+1, e.RevealEnd, height)
	}
	key := collections.Join(epoch, worker)
	c, err := k.Commitments.Get(ctx, key)
	if err != nil {
		return 0, kit.NotFound(err, types.ErrNoCommitment, w.Address)
	}
	if c.Outcome != types.PROOF_OUTCOME_UNSPECIFIED {
		return 0, errorsmod.Wrapf(types.ErrAlreadyRevealed, "%s in epoch %d: %s", w.Address, epoch, c.Outcome)
	}
	indices := SampleIndices(e, worker, c.Rows)
	if len(rows) != len(indices) {
		return 0, errorsmod.Wrapf(types.ErrInvalidReveal, "%d rows revealed, %d sampled", len(rows), len(indices))
	}

	sdkCtx.GasMeter().ConsumeGas(verifyGas(params.VerifyGasPerMac, uint64(len(indices)), e), "poc verify")

	rowIndex := make([]uint32, len(rows))
	values := make([][]byte, len(rows))
	proofs := make([][][]byte, len(rows))
	for i, r := range rows {
		rowIndex[i], values[i], proofs[i] = r.Index, r.Values, r.Proof
	}
	correct, err := poc.VerifyRows(ChallengeSeed(e, worker), c.Root, e.ChallengeDims(c.Rows), indices, rowIndex, values, proofs)
	if err != nil {
		return 0, errorsmod.Wrap(types.ErrInvalidReveal, err.Error())
	}

	if correct {
		return types.PROOF_OUTCOME_PASS, k.recordPass(ctx, params, e, worker, w, c)
	}
	return types.PROOF_OUTCOME_FRAUD, k.recordFraud(ctx, params, worker, w, c)
}

// verifyGas is perMac × (k·n·p + n·p + k·n), saturating (out of gas) on
// overflow. Regenerating B costs as much hashing as it has elements and is
// priced like a MAC per element (issue 17, M6): with k = 1 it is half of
// the chain's work, and a reveal must not get it for free. The k rows of A
// are priced the same way.
func verifyGas(perMac, k uint64, e types.EpochInfo) uint64 {
	n, p := uint64(e.PocDim), uint64(e.PocCols)
	// k ≤ 2^8, n·p ≤ 2^22, n ≤ 2^16: the sum stays below 2^32, no overflow.
	units := k*n*p + n*p + k*n
	return mulSaturating(perMac, units)
}

// recordPass credits a verified epoch: verified capacity, last passed
// epoch, reputation towards MaxReputationBps, and PoC points to the provider.
func (k Keeper) recordPass(ctx context.Context, params types.Params, e types.EpochInfo, addr sdk.AccAddress, w types.Worker, c types.Commitment) error {
	c.Outcome = types.PROOF_OUTCOME_PASS
	w.VerifiedGops, w.VerifiedUnits, w.TrustedVramGb = verifiedCapacity(params, e, w, c)
	if e.Number > w.LastPassedEpoch {
		w.LastPassedEpoch = e.Number
	}
	w.Passed++
	w.PassStreak++
	w.ReputationBps = NextReputation(w.ReputationBps, params.ReputationAlphaBps, types.MaxReputationBps)
	if err := k.saveOutcome(ctx, addr, w, c); err != nil {
		return err
	}
	k.addPoCPoints(ctx, w, c.Epoch)
	return nil
}

// verifiedCapacity is what a pass of commitment c proves for w in epoch e:
//
//	verified_gops   = min(ProvenGOPS(m), the claim at commit, the claim now)
//	verified_units  = min(compute_units, verified_gops × 1000 / poc_mops_per_unit)
//	trusted_vram_gb = min(vram_gb, verified_gops × vram_gb_per_verified_tops / 1000)
//
// all floored. A legacy epoch (started before the v2 upgrade) proves no
// GOPS and keeps verified_units = m / poc_rows_per_unit.
func verifiedCapacity(params types.Params, e types.EpochInfo, w types.Worker, c types.Commitment) (gops uint64, units, vram uint32) {
	if e.Legacy() {
		// Floor: a partial unit (after a rows_per_unit change) is not credited.
		return 0, min(w.Spec.ComputeUnits, c.Rows/e.PocRowsPerUnit), 0
	}
	// The claim at commit, and never more than the worker still claims (an
	// update between commit and reveal may have lowered it).
	claim := w.Spec.ClaimedGOPS()
	if c.ClaimedGops > 0 {
		claim = min(claim, c.ClaimedGops)
	}
	gops = min(e.ProvenGOPS(c.Rows), claim)
	units = uint32(min(uint64(w.Spec.ComputeUnits), mulSaturating(gops, 1000)/e.PocMopsPerUnit))
	vram = uint32(min(uint64(w.Spec.VramGb), mulSaturating(gops, uint64(params.VramGbPerVerifiedTops))/1000))
	return gops, units, vram
}

// saveOutcome stores a revealed commitment's outcome and its worker, and
// emits EventPoCResult.
func (k Keeper) saveOutcome(ctx context.Context, addr sdk.AccAddress, w types.Worker, c types.Commitment) error {
	if err := k.Commitments.Set(ctx, collections.Join(c.Epoch, addr), c); err != nil {
		return err
	}
	if err := k.Workers.Set(ctx, addr, w); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventPoCResult{
		Worker: w.Address, Epoch: c.Epoch, Outcome: c.Outcome, VerifiedUnits: w.VerifiedUnits, ReputationBps: w.ReputationBps,
		VerifiedGops: w.VerifiedGops, TrustedVramGb: w.TrustedVramGb,
	})
}

// addPoCPoints credits the provider of a worker that just passed with
// VerifiedUnits × RewardPointsPerUnit points (CategoryPoC), its new
// reputation as the quality. It runs in a cache context: if x/rewards
// fails, its writes are dropped, the failure is logged and the pass stands.
func (k Keeper) addPoCPoints(ctx context.Context, w types.Worker, epoch int64) {
	if k.rewards == nil || w.VerifiedUnits == 0 {
		return
	}
	points := mulSaturating(uint64(w.VerifiedUnits), types.RewardPointsPerUnit)
	err := cachectx.Run(ctx, func(cc sdk.Context) error {
		provider, err := k.addrBytes(w.Provider)
		if err != nil {
			return err
		}
		_, err = k.rewards.AddPoints(cc, rewardstypes.CategoryPoC, provider, points, rewardstypes.WithQuality(w.ReputationBps), rewardstypes.WithPassStreak(w.PassStreak))
		return err
	})
	if err != nil {
		k.Logger(ctx).Error("poc points not recorded", "provider", w.Provider, "worker", w.Address, "epoch", epoch, "points", points, "err", err)
	}
}

// mulSaturating is a × b, or MaxUint64 on overflow.
func mulSaturating(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi != 0 {
		return math.MaxUint64
	}
	return lo
}

// recordFraud records provable fraud: the worker is jailed and its
// reputation falls; the provider's pool is slashed fraud_slash_fraction for
// an infraction at the commit height and jailed as long as the worker. The
// pool calls run in a cache context: if x/pool fails, the fraud and the
// worker's jail stand and the failure is logged.
func (k Keeper) recordFraud(ctx context.Context, params types.Params, addr sdk.AccAddress, w types.Worker, c types.Commitment) error {
	c.Outcome = types.PROOF_OUTCOME_FRAUD
	w.VerifiedUnits, w.VerifiedGops, w.TrustedVramGb = 0, 0, 0
	w.Frauds++
	w.ReputationBps = NextReputation(w.ReputationBps, params.ReputationAlphaBps, 0)
	if err := k.jail(ctx, params, &w, "fraud"); err != nil {
		return err
	}
	if err := k.saveOutcome(ctx, addr, w, c); err != nil {
		return err
	}

	provider, err := k.addrBytes(w.Provider)
	if err != nil {
		return err
	}
	cacheCtx, write := sdk.UnwrapSDKContext(ctx).CacheContext()
	_, err = k.pool.Slash(cacheCtx, provider, params.FraudSlashFraction, FraudReason, c.Height)
	if err == nil {
		err = k.pool.Jail(cacheCtx, provider, w.JailedUntil)
	}
	if err != nil {
		k.Logger(ctx).Error("slashing provider for poc fraud failed", "provider", w.Provider, "worker", w.Address, "epoch", c.Epoch, "err", err)
		return nil
	}
	write()
	return nil
}
