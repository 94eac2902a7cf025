package keeper

import (
	"context"

	sdk "github.com/cosmos/cosmos-sdk/types"
)

// PrepareForZeroHeight rewrites x/pool's block heights for a chain that
// restarts from an export at height zero (`meshd export --for-zero-height`).
// ctx is at the last committed height L; the new chain's first block is 1,
// so the old height L+n is the new height n:
//
//   - a pool's jailed_until moves back by L, no lower than 1 when set: a
//     jail over at the export is over at once, one that was not lasts as
//     many blocks as it had left; created_height moves back, no lower than 0;
//   - a tombstoned pool keeps its jailed_until (TombstoneJailedUntil);
//   - an ejection's height moves back, no lower than 0;
//   - an unbonding's creation_height moves back, no lower than 0. Every
//     infraction judged after the restart is at a height ≥ 0, so an entry
//     created before the restart stays exposed to a slash for an
//     infraction committed before the restart and judged after it (an open
//     PoC epoch or job at the export: both are at height 0 then), and never
//     to one committed after it — ties go to the protocol.
//
// Times are left alone: completion_time (and with it the unbonding queue),
// bonded_since and the reward time index are block times, which go on from
// the wall clock on the new chain, so an unbonding pays at the same time
// it would have. It runs once, at export, and is O(pools + ejections + unbondings).
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	last := sdk.UnwrapSDKContext(ctx).BlockHeight()
	iter, err := k.Pools.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	pools, err := iter.KeyValues()
	if err != nil {
		return err
	}
	for _, kv := range pools {
		p := kv.Value
		p.CreatedHeight = max(p.CreatedHeight-last, 0)
		if p.JailedUntil != 0 && !p.Tombstoned {
			p.JailedUntil = max(p.JailedUntil-last, 1)
		}
		if err := k.Pools.Set(ctx, kv.Key, p); err != nil {
			return err
		}
	}
	eiter, err := k.Ejections.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	ejs, err := eiter.KeyValues()
	if err != nil {
		return err
	}
	for _, kv := range ejs {
		e := kv.Value
		e.Height = max(e.Height-last, 0)
		if err := k.Ejections.Set(ctx, kv.Key, e); err != nil {
			return err
		}
	}
	uiter, err := k.Unbondings.Iterate(ctx, nil)
	if err != nil {
		return err
	}
	entries, err := uiter.Values()
	if err != nil {
		return err
	}
	for _, e := range entries {
		e.CreationHeight = max(e.CreationHeight-last, 0)
		if err := k.Unbondings.Set(ctx, e.Id, e); err != nil {
			return err
		}
	}
	return nil
}
