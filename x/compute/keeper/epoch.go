package keeper

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"
	epochstypes "github.com/cosmos/cosmos-sdk/x/epochs/types"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Seed purposes.
const (
	// PurposeEpoch seeds every challenge of an epoch (id: be64(epoch)).
	PurposeEpoch = "poc-epoch"
	// PurposeSample picks the revealed rows of an epoch (id: be64(epoch)).
	PurposeSample = "poc-sample"
)

// Seed is the chain's only source of randomness. With the validators'
// beacon of this height (vote extensions, see ApplyBeacon):
//
//	SHA-256(LP(chain-id) ‖ be64(height) ‖ LP("beacon") ‖ LP(beacon) ‖ LP(purpose) ‖ id)
//
// and the block's header hash is not mixed in: the proposer's choice of
// block contents decides nothing. A height without a beacon (vote
// extensions off, or shares of at most 1/3 of the power) mixes the last
// beacon, if any, with the header hash:
//
//	… ‖ LP("beacon+header") ‖ LP(last beacon) ‖ LP(header hash) ‖ LP(purpose) ‖ id
//
// and a chain that never had a beacon keeps the original encoding
// (… ‖ LP(header hash) ‖ LP(purpose) ‖ id), which the proposer can grind.
// LP is a 4-byte big-endian length prefix, which makes the encoding
// injective. Callers draw only what was committed before this block: the
// beacon of h is known to h's proposer, not to anyone when h−1 was built.
func (k Keeper) Seed(ctx context.Context, purpose string, id []byte) []byte {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	h := sha256.New()
	writeLP(h.Write, []byte(sdkCtx.ChainID()))
	var height [8]byte
	binary.BigEndian.PutUint64(height[:], uint64(sdkCtx.BlockHeight()))
	h.Write(height[:])
	switch b, err := k.LastBeacon.Get(ctx); {
	case err == nil && b.Height == sdkCtx.BlockHeight():
		writeLP(h.Write, []byte("beacon"))
		writeLP(h.Write, b.Value)
	case err == nil:
		writeLP(h.Write, []byte("beacon+header"))
		writeLP(h.Write, b.Value)
		writeLP(h.Write, sdkCtx.HeaderHash())
	default:
		writeLP(h.Write, sdkCtx.HeaderHash())
	}
	writeLP(h.Write, []byte(purpose))
	h.Write(id)
	return h.Sum(nil)
}

func writeLP(write func([]byte) (int, error), b []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	_, _ = write(n[:])
	_, _ = write(b)
}

// be64 encodes an epoch number as a seed id.
func be64(v int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(v))
}

// Hooks are x/compute's x/epochs hooks.
type Hooks struct{ k Keeper }

var _ epochstypes.EpochHooks = Hooks{}

// EpochHooks returns the hooks to register with x/epochs.
func (k Keeper) EpochHooks() epochstypes.EpochHooks { return Hooks{k} }

// AfterEpochEnd implements epochstypes.EpochHooks; x/compute acts at the start.
func (Hooks) AfterEpochEnd(context.Context, string, int64) error { return nil }

// BeforeEpochStart starts a proof-of-compute epoch when the params' epoch
// identifier starts. x/epochs runs it in a cache context and logs an error.
func (h Hooks) BeforeEpochStart(ctx context.Context, identifier string, number int64) error {
	params, err := h.k.Params.Get(ctx)
	if err != nil {
		return err
	}
	if identifier != params.EpochIdentifier {
		return nil
	}
	behind, err := h.k.catchingUp(ctx, identifier)
	if err != nil {
		return err
	}
	if behind {
		// No worker can commit to an epoch that is over before its first
		// block: it is not challenged, and the current epoch stays open,
		// cut short (the halt fell inside it: a worker that was proving
		// when the chain stopped may not make the rest of its window).
		if err := h.k.cutShortCurrent(ctx); err != nil {
			return err
		}
		h.k.Logger(ctx).Info("compute epoch skipped: catching up after a chain halt", "epoch", number)
		return kit.Emit(ctx, &types.EventEpochSkipped{Epoch: number, Reason: types.SkipCatchUp})
	}
	return h.k.StartEpoch(ctx, number)
}

// cutShortCurrent marks the current epoch, if unsettled, cut short.
func (k Keeper) cutShortCurrent(ctx context.Context) error {
	cur, err := k.Epoch.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) || (err == nil && (cur.Settled || cur.CutShort)) {
		return nil
	}
	if err != nil {
		return err
	}
	cur.CutShort = true
	return k.Epoch.Set(ctx, cur)
}

// catchingUp reports whether the epoch x/epochs just started under
// identifier had already ended at this block's time: after a chain halt
// x/epochs fires every missed epoch, one per block, until it reaches the
// present, and only the last of them is live.
func (k Keeper) catchingUp(ctx context.Context, identifier string) (bool, error) {
	if k.epochs == nil {
		return false, nil
	}
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	info, err := k.epochs.GetEpochInfo(sdkCtx, identifier)
	if err != nil {
		return false, err
	}
	end := info.CurrentEpochStartTime.Add(info.Duration)
	return info.Duration > 0 && !sdkCtx.BlockTime().Before(end), nil
}

// StartEpoch records epoch number as the current epoch. It is O(1): every
// worker's challenge derives from the epoch seed on the fly. An unsettled
// current epoch moves to Settling so that no outcome is lost (cut short if
// its commit window is still running); if too many are already settling,
// the new epoch is skipped.
func (k Keeper) StartEpoch(ctx context.Context, number int64) error {
	sdkCtx := sdk.UnwrapSDKContext(ctx)
	params, err := k.Params.Get(ctx)
	if err != nil {
		return err
	}
	cur, err := k.Epoch.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return err
	case number <= cur.Number:
		return fmt.Errorf("compute epoch %d already started (current %d)", number, cur.Number)
	case !cur.Settled:
		n, err := k.countSettling(ctx)
		if err != nil {
			return err
		}
		if n >= types.MaxSettlingEpochs {
			reason := fmt.Sprintf("%d earlier epochs still settling", n)
			k.Logger(ctx).Error("compute epoch skipped", "epoch", number, "reason", reason)
			return kit.Emit(ctx, &types.EventEpochSkipped{Epoch: number, Reason: reason})
		}
		// Workers follow the newest epoch: one whose commit window had not
		// closed charges no miss to those that did not commit.
		cur.CutShort = cur.CutShort || sdkCtx.BlockHeight() <= cur.CommitEnd
		if err := k.Settling.Set(ctx, cur.Number, cur); err != nil {
			return err
		}
	}

	start := sdkCtx.BlockHeight()
	e := types.EpochInfo{
		Number:         number,
		StartHeight:    start,
		Seed:           k.Seed(ctx, PurposeEpoch, be64(number)),
		CommitEnd:      start + params.CommitWindow,
		RevealEnd:      start + params.CommitWindow + params.RevealWindow,
		PocDim:         params.PocDim,
		PocCols:        params.PocCols,
		PocRowsPerUnit: params.PocRowsPerUnit,
		SampleRows:     params.SampleRows,
		// Capacity snapshot: a param change never alters a running challenge.
		PocTargetFractionBps: params.PocTargetFractionBps,
		PocCommitSeconds:     params.PocCommitSeconds,
		PocMopsPerUnit:       params.PocMopsPerUnit,
	}
	if err := k.Epoch.Set(ctx, e); err != nil {
		return err
	}
	return kit.Emit(ctx, &types.EventEpochStarted{
		Epoch: number, Seed: hex.EncodeToString(e.Seed), CommitEnd: e.CommitEnd, RevealEnd: e.RevealEnd,
	})
}

// currentEpochNumber returns the current epoch number, 0 before the first epoch.
func (k Keeper) currentEpochNumber(ctx context.Context) (int64, error) {
	e, err := k.Epoch.Get(ctx)
	if errors.Is(err, collections.ErrNotFound) {
		return 0, nil
	}
	return e.Number, err
}

// openEpoch returns the current or a settling epoch by number.
func (k Keeper) openEpoch(ctx context.Context, number int64) (types.EpochInfo, error) {
	cur, err := k.Epoch.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return cur, err
	}
	if err == nil && cur.Number == number {
		return cur, nil
	}
	e, err := k.Settling.Get(ctx, number)
	if err != nil {
		return e, kit.NotFound(err, types.ErrWrongEpoch, fmt.Sprintf("epoch %d", number))
	}
	return e, nil
}

// saveEpoch stores e where it lives: the current item or Settling.
func (k Keeper) saveEpoch(ctx context.Context, e types.EpochInfo) error {
	cur, err := k.Epoch.Get(ctx)
	if err != nil && !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if err == nil && cur.Number == e.Number {
		return k.Epoch.Set(ctx, e)
	}
	return k.Settling.Set(ctx, e.Number, e)
}

// openEpochs returns the settling epochs (oldest first) then the current one:
// at most MaxSettlingEpochs + 1 records.
func (k Keeper) openEpochs(ctx context.Context) ([]types.EpochInfo, error) {
	var out []types.EpochInfo
	iter, err := k.Settling.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer iter.Close()
	for ; iter.Valid() && len(out) < types.MaxSettlingEpochs; iter.Next() {
		e, err := iter.Value()
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	cur, err := k.Epoch.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		out = append(out, cur)
	}
	return out, nil
}

// openEpochNumbers lists the numbers of openEpochs.
func (k Keeper) openEpochNumbers(ctx context.Context) ([]int64, error) {
	open, err := k.openEpochs(ctx)
	if err != nil {
		return nil, err
	}
	nums := make([]int64, len(open))
	for i, e := range open {
		nums[i] = e.Number
	}
	return nums, nil
}

// countSettling counts settling epochs, stopping at MaxSettlingEpochs.
func (k Keeper) countSettling(ctx context.Context) (int, error) {
	iter, err := k.Settling.Iterate(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer iter.Close()
	n := 0
	for ; iter.Valid() && n < types.MaxSettlingEpochs; iter.Next() {
		n++
	}
	return n, nil
}

// drawSample draws an epoch's sample seed at the first block after its
// commit window: no worker could know it when committing.
func (k Keeper) drawSample(ctx context.Context, e types.EpochInfo) error {
	e.SampleSeed = k.Seed(ctx, PurposeSample, be64(e.Number))
	if err := k.saveEpoch(ctx, e); err != nil {
		return errorsmod.Wrapf(err, "epoch %d", e.Number)
	}
	return nil
}
