package keeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/dao/types"
)

// A zero-height export collapses every checkpoint series to its latest value
// at height 0 and moves open proposals' snapshots to height 1, so that a
// chain restarted at height 1 reads today's powers (not zero, and no stale
// value coming back later).
func TestPrepareForZeroHeight(t *testing.T) {
	f := newLockFixture(t)
	a, b, c := f.account("a"), f.account("b"), f.account("c")
	f.lock(a, 1_000_000, lfMinDur) // 1000
	f.next(time.Minute)
	f.lock(a, 3_000_000, lfMinDur) // isqrt(4e6) = 2000
	f.lock(b, 4_000_000, lfMaxDur) // 8000
	f.delegate(c, a)
	f.next(time.Minute)
	f.delegate(c, b)
	f.lock(c, 1_000_000, lfMinDur) // 1000, delegated to b
	f.next(time.Minute)
	p := f.proposal(5000)
	f.next(time.Minute)
	require.Greater(t, f.height(), int64(3))

	require.NoError(t, f.k.PrepareForZeroHeight(f.ctx))

	// One checkpoint per account, at height 0, with the latest value.
	for _, tc := range []struct {
		who  sdk.AccAddress
		own  int64
		dele int64
	}{{a, 2000, 0}, {b, 8000, 1000}, {c, 1000, 0}} {
		it, err := f.k.OwnPower.Iterate(f.ctx, collections.NewPrefixedPairRange[sdk.AccAddress, int64](tc.who))
		require.NoError(t, err)
		kvs, err := it.KeyValues()
		require.NoError(t, err)
		require.Len(t, kvs, 1)
		require.Equal(t, int64(0), kvs[0].Key.K2())
		require.Equal(t, tc.own, kvs[0].Value.Int64())
		own, err := f.k.OwnPowerAt(f.ctx, tc.who, 1)
		require.NoError(t, err)
		require.Equal(t, tc.own, own.Int64())
		dele, err := f.k.DelegatedPowerAt(f.ctx, tc.who, 1)
		require.NoError(t, err)
		require.Equal(t, tc.dele, dele.Int64())
	}
	d, err := f.k.DelegateAt(f.ctx, c, 1)
	require.NoError(t, err)
	require.Equal(t, b, d)
	total, err := f.k.TotalPowerAt(f.ctx, 1)
	require.NoError(t, err)
	require.Equal(t, int64(11000), total.Int64())
	n := 0
	require.NoError(t, f.k.TotalPower.Walk(f.ctx, nil, func(h int64, _ math.Int) (bool, error) { n++; require.Zero(t, h); return false, nil }))
	require.Equal(t, 1, n)

	got := f.getProposal(p.Id)
	require.Equal(t, types.PROPOSAL_STATUS_VOTING, got.Status)
	require.Equal(t, int64(1), got.SubmitHeight)
	require.Equal(t, int64(11000), got.TotalPower.Int64())
	lock, err := f.k.Locks.Get(f.ctx, a)
	require.NoError(t, err)
	require.Zero(t, lock.CreatedHeight)
}
