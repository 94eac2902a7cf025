package keeper

import (
	"context"
	"errors"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
)

// PrepareForZeroHeight rewrites x/compute's block heights for a chain that
// restarts from an export at height zero (`meshd export --for-zero-height`).
// ctx is at the last committed height L; the new chain's first block is 1,
// so the old height L+n is the new height n: every height moves back by L.
//
//   - open epochs (current and settling): start_height no lower than 0,
//     commit_end no lower than start_height, reveal_end above commit_end.
//     Their windows end as many blocks after the restart as they had left;
//     a window already over stays over (its sample seed was drawn, or is
//     drawn in the first block when commit_end was L itself);
//   - commitments: the commit height (a slash's infraction height), no lower
//     than 0;
//   - beacon: the last output and the validators' records are dropped (their
//     heights are the old chain's; the new chain's vote extensions start
//     again from no commitment);
//   - workers and tombstones: jailed_until, no lower than 1 when set, so a
//     jail that was over at the export is over at once, and one that was not
//     lasts as many blocks as it had left.
//
// Epoch numbers are x/epochs' and carry over unchanged. It runs once, at
// export, and is O(state).
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	last := sdk.UnwrapSDKContext(ctx).BlockHeight()
	if err := k.LastBeacon.Remove(ctx); err != nil {
		return err
	}
	if err := k.BeaconRecords.Clear(ctx, nil); err != nil {
		return err
	}
	cur, err := k.Epoch.Get(ctx)
	switch {
	case errors.Is(err, collections.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := k.Epoch.Set(ctx, shiftEpoch(cur, last)); err != nil {
			return err
		}
	}
	settling, err := allKV(ctx, k.Settling)
	if err != nil {
		return err
	}
	for _, kv := range settling {
		if err := k.Settling.Set(ctx, kv.Key, shiftEpoch(kv.Value, last)); err != nil {
			return err
		}
	}

	commits, err := allKV(ctx, k.Commitments)
	if err != nil {
		return err
	}
	for _, kv := range commits {
		kv.Value.Height = max(kv.Value.Height-last, 0)
		if err := k.Commitments.Set(ctx, kv.Key, kv.Value); err != nil {
			return err
		}
	}

	for _, m := range []collections.Map[sdk.AccAddress, types.Worker]{k.Workers, k.Tombstones} {
		workers, err := allKV(ctx, m)
		if err != nil {
			return err
		}
		for _, kv := range workers {
			if kv.Value.JailedUntil == 0 {
				continue
			}
			kv.Value.JailedUntil = max(kv.Value.JailedUntil-last, 1)
			if err := m.Set(ctx, kv.Key, kv.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// shiftEpoch moves an epoch's heights back by last, keeping
// start ≤ commit_end < reveal_end (EpochInfo.Validate).
func shiftEpoch(e types.EpochInfo, last int64) types.EpochInfo {
	e.StartHeight = max(e.StartHeight-last, 0)
	e.CommitEnd = max(e.CommitEnd-last, e.StartHeight)
	e.RevealEnd = max(e.RevealEnd-last, e.CommitEnd+1)
	return e
}

// allKV reads a whole map (collect first, then write: writes during an
// open iterator are unsafe).
func allKV[K, V any](ctx context.Context, m collections.Map[K, V]) ([]collections.KeyValue[K, V], error) {
	iter, err := m.Iterate(ctx, nil)
	if err != nil {
		return nil, err
	}
	return iter.KeyValues()
}
