package keeper_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/pool/keeper"
	"github.com/llmesh/mesh/x/pool/types"
)

func TestUndelegateCreatesQueuedEntry(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 5_000)
	f.ctx = f.ctx.WithBlockHeight(7)

	res := f.undelegate(alice, provider, 2_000)
	require.Equal(t, uint64(1), res.UnbondingId)
	require.Equal(t, t0.Add(types.DefaultUnbondingPeriod), res.CompletionTime)
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventUndelegated"))
	e, found, err := f.k.GetUnbonding(f.ctx, res.UnbondingId)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, types.UnbondingEntry{
		Id: 1, Provider: f.str(provider), Delegator: f.str(alice),
		InitialBalance: math.NewInt(2_000), Balance: math.NewInt(2_000),
		CreationHeight: 7, CompletionTime: t0.Add(types.DefaultUnbondingPeriod),
	}, e)
	require.Equal(t, math.NewInt(100_003_000), f.pool(provider).Tokens)

	q, err := f.qs.Unbondings(f.ctx, &types.QueryUnbondingsRequest{Delegator: f.str(alice)})
	require.NoError(t, err)
	require.Equal(t, []types.UnbondingEntry{e}, q.Unbondings)

	// Not paid a nanosecond early; paid at completion time.
	aliceBefore := f.balance(alice)
	f.ctx = f.ctx.WithBlockTime(e.CompletionTime.Add(-time.Nanosecond))
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Equal(t, aliceBefore, f.balance(alice))
	f.ctx = f.ctx.WithBlockTime(e.CompletionTime)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Equal(t, aliceBefore.AddRaw(2_000), f.balance(alice))
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventUnbondingCompleted"))
	_, found, err = f.k.GetUnbonding(f.ctx, res.UnbondingId)
	require.NoError(t, err)
	require.False(t, found)
	q, err = f.qs.Unbondings(f.ctx, &types.QueryUnbondingsRequest{Delegator: f.str(alice)})
	require.NoError(t, err)
	require.Empty(t, q.Unbondings)
}

// TestEndBlockerDrains10000Unbondings matures 10,000 entries at once and checks
// that the EndBlocker pays them in queue order, never more than
// max_unbondings_per_block per block, with exact final balances.
func TestEndBlockerDrains10000Unbondings(t *testing.T) {
	const (
		delegators = 100
		perDel     = 100
		total      = delegators * perDel
	)
	f := newFixture(t)
	p := types.DefaultParams()
	p.MaxUnbondingEntries = perDel
	require.NoError(t, f.k.SetParams(f.ctx, p))
	f.createPool(provider, 100_000_000, "0")

	addrs := make([]sdk.AccAddress, delegators)
	for i := range addrs {
		addrs[i] = sdk.AccAddress(fmt.Sprintf("delegator%011d", i))
		f.delegate(addrs[i], provider, 1_000_000)
	}
	// Entries of varying size, spread over 100 blocks of 1 s.
	for j := 0; j < perDel; j++ {
		for i, a := range addrs {
			f.undelegate(a, provider, int64(1+(i+j)%7))
		}
		f.nextBlock(time.Second)
	}
	want := make([]math.Int, delegators)
	for i, a := range addrs {
		q, err := f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Provider: f.str(provider), Delegator: f.str(a)})
		require.NoError(t, err)
		paid := int64(0)
		for j := 0; j < perDel; j++ {
			paid += int64(1 + (i+j)%7)
		}
		require.Equal(t, math.NewInt(1_000_000-paid), q.Tokens)
		require.True(t, f.balance(a).IsZero())
		want[i] = math.NewInt(paid)
	}

	// Everything matures at once.
	f.nextBlock(types.DefaultUnbondingPeriod + time.Hour)
	blocks, paid := 0, 0
	lastID := uint64(0)
	for {
		require.NoError(t, f.k.EndBlocker(f.ctx))
		n := f.countEvents("mesh.pool.v1.EventUnbondingCompleted")
		require.LessOrEqual(t, n, int(p.MaxUnbondingsPerBlock))
		// Queue order: completion time, then id — here ids ascend.
		for _, e := range f.ctx.EventManager().Events() {
			if e.Type != "mesh.pool.v1.EventUnbondingCompleted" {
				continue
			}
			ev, err := sdk.ParseTypedEvent(abciEvent(e))
			require.NoError(t, err)
			id := ev.(*types.EventUnbondingCompleted).UnbondingId
			require.Greater(t, id, lastID)
			lastID = id
		}
		paid += n
		if n == 0 {
			break
		}
		blocks++
		f.nextBlock(time.Second)
	}
	require.Equal(t, total, paid)
	require.Equal(t, total/int(p.MaxUnbondingsPerBlock), blocks)
	for i, a := range addrs {
		require.Equal(t, want[i], f.balance(a), "delegator %d", i)
	}
	require.Equal(t, f.pool(provider).Tokens, f.moduleBalance())
	it, err := f.k.UnbondingQueue.Iterate(f.ctx, nil)
	require.NoError(t, err)
	require.False(t, it.Valid())
	require.NoError(t, it.Close())
}

func TestFailedPayoutIsSkippedAndRetried(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 1_000)
	f.delegate(bob, provider, 1_000)
	first := f.undelegate(alice, provider, 600)
	second := f.undelegate(bob, provider, 300)

	// Take the module's coins away so both payouts fail.
	held := sdk.NewCoins(sdk.NewCoin(denom, f.moduleBalance()))
	require.NoError(t, f.bk.SendCoinsFromModuleToModule(f.ctx, types.ModuleName, "mint", held))
	f.nextBlock(types.DefaultUnbondingPeriod)
	now := f.ctx.BlockTime()
	require.NotPanics(t, func() { require.NoError(t, f.k.EndBlocker(f.ctx)) })
	require.Equal(t, 2, f.countEvents("mesh.pool.v1.EventUnbondingFailed"))
	require.Zero(t, f.countEvents("mesh.pool.v1.EventUnbondingCompleted"))
	for _, id := range []uint64{first.UnbondingId, second.UnbondingId} {
		e, found, err := f.k.GetUnbonding(f.ctx, id)
		require.NoError(t, err)
		require.True(t, found, "entry kept")
		require.Equal(t, now.Add(keeper.UnbondingRetryDelay), e.CompletionTime, "moved back in the queue")
	}

	// Not retried before the delay; paid once the coins are back and the delay passed.
	require.NoError(t, f.bk.SendCoinsFromModuleToModule(f.ctx, "mint", types.ModuleName, held))
	f.nextBlock(keeper.UnbondingRetryDelay - time.Second)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Zero(t, f.countEvents("mesh.pool.v1.EventUnbondingCompleted"))
	f.nextBlock(time.Second)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Equal(t, 2, f.countEvents("mesh.pool.v1.EventUnbondingCompleted"))
	require.Equal(t, math.NewInt(600), f.balance(alice))
	require.Equal(t, math.NewInt(300), f.balance(bob))
}

func TestOneFailingPayoutDoesNotBlockOthers(t *testing.T) {
	f := newFixture(t)
	p := types.DefaultParams()
	p.MaxUnbondingsPerBlock = 2
	require.NoError(t, f.k.SetParams(f.ctx, p))
	f.createPool(provider, 100_000_000, "0")
	f.delegate(alice, provider, 1_000)

	// An entry that can never be paid (its delegator does not decode), queued
	// first: it fails, and the entry behind it is still paid in this block.
	bad := types.UnbondingEntry{
		Id: 1000, Provider: f.str(provider), Delegator: "not-an-address",
		InitialBalance: math.NewInt(5), Balance: math.NewInt(5), CompletionTime: t0,
	}
	require.NoError(t, f.k.Unbondings.Set(f.ctx, bad.Id, bad))
	require.NoError(t, f.k.UnbondingQueue.Set(f.ctx, joinTime(bad.CompletionTime, bad.Id)))
	res := f.undelegate(alice, provider, 10)

	f.ctx = f.ctx.WithBlockTime(res.CompletionTime)
	require.NoError(t, f.k.EndBlocker(f.ctx))
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventUnbondingFailed"))
	require.Equal(t, 1, f.countEvents("mesh.pool.v1.EventUnbondingCompleted"))
	require.Equal(t, math.NewInt(10), f.balance(alice))
}
