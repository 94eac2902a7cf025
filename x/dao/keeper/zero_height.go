package keeper

import (
	"context"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
)

// PrepareForZeroHeight rewrites height-dependent state for a chain that
// restarts from an export at height zero (`meshd export --for-zero-height`):
// each checkpoint series collapses to its latest value at height 0, locks'
// created heights become 0, and open proposals (VOTING, PASSED) get submit
// height 1, so that the restarted chain reads the current powers for them.
// Without it, every checkpoint would sit "in the future" of the new heights:
// total power would read 0, and a power unlocked after the restart could
// reappear once the old heights came round again. Open proposals thereby
// lose their original snapshot: the powers at the export count for them.
// It runs once, at export, and is O(state).
func (k Keeper) PrepareForZeroHeight(ctx context.Context) error {
	if err := collapse(ctx, k.OwnPower); err != nil {
		return err
	}
	if err := collapse(ctx, k.DelegatedPower); err != nil {
		return err
	}
	if err := collapse(ctx, k.DelegationHistory); err != nil {
		return err
	}
	total, err := k.TotalPowerAt(ctx, sdk.UnwrapSDKContext(ctx).BlockHeight()+1)
	if err != nil {
		return err
	}
	if err := k.TotalPower.Clear(ctx, nil); err != nil {
		return err
	}
	if err := k.TotalPower.Set(ctx, 0, total); err != nil {
		return err
	}

	var locks []collections.KeyValue[sdk.AccAddress, types.Lock]
	if err := k.Locks.Walk(ctx, nil, func(owner sdk.AccAddress, l types.Lock) (bool, error) {
		locks = append(locks, collections.KeyValue[sdk.AccAddress, types.Lock]{Key: owner, Value: l})
		return false, nil
	}); err != nil {
		return err
	}
	for _, kv := range locks {
		kv.Value.CreatedHeight = 0
		if err := k.Locks.Set(ctx, kv.Key, kv.Value); err != nil {
			return err
		}
	}

	var open []types.Proposal
	if err := k.Proposals.Walk(ctx, nil, func(_ uint64, p types.Proposal) (bool, error) {
		if p.Status == types.PROPOSAL_STATUS_VOTING || p.Status == types.PROPOSAL_STATUS_PASSED {
			open = append(open, p)
		}
		return false, nil
	}); err != nil {
		return err
	}
	for _, p := range open {
		p.SubmitHeight = 1
		p.TotalPower = total
		if err := k.Proposals.Set(ctx, p.Id, p); err != nil {
			return err
		}
	}
	return nil
}

// collapse keeps, for each account, only its latest checkpoint, moved to
// height 0 (keys iterate by account, then height: the last one seen wins).
func collapse[V any](ctx context.Context, m collections.Map[collections.Pair[sdk.AccAddress, int64], V]) error {
	type latest struct {
		account sdk.AccAddress
		value   V
	}
	var all []latest
	if err := m.Walk(ctx, nil, func(key collections.Pair[sdk.AccAddress, int64], v V) (bool, error) {
		if n := len(all); n > 0 && all[n-1].account.Equals(key.K1()) {
			all[n-1].value = v
		} else {
			all = append(all, latest{key.K1(), v})
		}
		return false, nil
	}); err != nil {
		return err
	}
	if err := m.Clear(ctx, nil); err != nil {
		return err
	}
	for _, l := range all {
		if err := m.Set(ctx, collections.Join(l.account, int64(0)), l.value); err != nil {
			return err
		}
	}
	return nil
}
