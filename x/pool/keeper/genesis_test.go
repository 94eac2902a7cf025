package keeper_test

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/pool/types"
)

// richState builds pools, delegations, rewards, a jail, a slash and unbondings.
func richState(f *fixture) {
	f.createPool(provider, 150_000_000, "0.1")
	f.createPool(provider2, 100_000_000, "0.25")
	f.delegate(alice, provider, 30_000_000)
	f.delegate(alice, provider2, 7_000_000)
	f.delegate(bob, provider, 3)
	f.addRewards(provider, sdk.NewCoins(sdk.NewInt64Coin(denom, 12_345), sdk.NewInt64Coin("uatom", 77)))
	f.claim(bob, provider)
	f.nextBlock(time.Minute)
	f.undelegate(alice, provider, 1_000_000)
	f.undelegate(provider2, provider2, 5)
	require.NoError(f.t, f.k.SetComputeUnits(f.ctx, provider2, 3))
	require.NoError(f.t, f.k.Jail(f.ctx, provider2, 50))
	_, err := f.k.Slash(f.ctx, provider, math.LegacyMustNewDecFromStr("0.013"), "test", 1)
	require.NoError(f.t, err)
	f.nextBlock(time.Minute)
	f.undelegate(alice, provider, 2_000)
}

// importFrom imports the genesis bz, exported by f, as a fresh chain whose
// bank genesis gives the module account f's coins.
func (g *fixture) importFrom(f *fixture, bz []byte) {
	g.t.Helper()
	moduleCoins := f.bk.GetAllBalances(f.ctx, f.ak.GetModuleAddress(types.ModuleName))
	require.NoError(g.t, g.bk.MintCoins(g.ctx, "mint", moduleCoins))
	require.NoError(g.t, g.bk.SendCoinsFromModuleToModule(g.ctx, "mint", types.ModuleName, moduleCoins))
	var imported types.GenesisState
	g.cdc.Codec.MustUnmarshalJSON(bz, &imported)
	require.NoError(g.t, g.k.InitGenesis(g.ctx, &imported))
}

func TestGenesisRoundTrip(t *testing.T) {
	f := newFixture(t)
	richState(f)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)
	require.NoError(t, exported.Validate())
	require.Len(t, exported.Pools, 2)
	require.Len(t, exported.Delegations, 5)
	require.Len(t, exported.Unbondings, 3)
	require.Equal(t, uint64(4), exported.NextUnbondingId)
	bz := f.cdc.Codec.MustMarshalJSON(exported)

	g := newFixture(t)
	g.importFrom(f, bz)
	again, err := g.k.ExportGenesis(g.ctx)
	require.NoError(t, err)
	require.JSONEq(t, string(bz), string(g.cdc.Codec.MustMarshalJSON(again)))

	// The indexes were rebuilt: by-delegator queries, the queue and the ids.
	dels, err := g.qs.DelegatorDelegations(g.ctx, &types.QueryDelegatorDelegationsRequest{Delegator: g.str(alice)})
	require.NoError(t, err)
	require.Len(t, dels.Delegations, 2)
	ubds, err := g.qs.Unbondings(g.ctx, &types.QueryUnbondingsRequest{Delegator: g.str(alice)})
	require.NoError(t, err)
	require.Len(t, ubds.Unbondings, 2)
	g.ctx = g.ctx.WithBlockHeight(f.ctx.BlockHeight()).WithBlockTime(f.ctx.BlockTime())
	res := g.undelegate(alice, provider2, 1)
	require.Equal(t, uint64(4), res.UnbondingId)
	g.nextBlock(types.DefaultUnbondingPeriod)
	require.NoError(t, g.k.EndBlocker(g.ctx))
	require.Equal(t, 4, g.countEvents("mesh.pool.v1.EventUnbondingCompleted"))
	// Rewards owed before export are still claimable after import.
	require.Equal(t, f.pending(alice, provider), g.pending(alice, provider))
}

func TestInitGenesisRejectsUnbackedState(t *testing.T) {
	f := newFixture(t)
	richState(f)
	exported, err := f.k.ExportGenesis(f.ctx)
	require.NoError(t, err)

	g := newFixture(t) // the module account holds nothing here
	require.ErrorIs(t, g.k.InitGenesis(g.ctx, exported), types.ErrInvalidGenesis)

	bad := *exported
	bad.NextUnbondingId = 1
	require.ErrorIs(t, g.k.InitGenesis(g.ctx, &bad), types.ErrInvalidGenesis)
}

func TestQueries(t *testing.T) {
	f := newFixture(t)
	richState(f)

	pools, err := f.qs.Pools(f.ctx, &types.QueryPoolsRequest{Pagination: &query.PageRequest{Limit: 1, CountTotal: true}})
	require.NoError(t, err)
	require.Len(t, pools.Pools, 1)
	require.Equal(t, uint64(2), pools.Pagination.Total)
	next, err := f.qs.Pools(f.ctx, &types.QueryPoolsRequest{Pagination: &query.PageRequest{Key: pools.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, next.Pools, 1)
	require.NotEqual(t, pools.Pools[0].Provider, next.Pools[0].Provider)

	// provider2: jailed, 3 units → minimum 130 MESH, self-stake 100 MESH − 5.
	p2, err := f.qs.Pool(f.ctx, &types.QueryPoolRequest{Provider: f.str(provider2)})
	require.NoError(t, err)
	require.Equal(t, math.NewInt(130_000_000), p2.MinSelfStake)
	require.Equal(t, math.NewInt(99_999_995), p2.SelfStake)
	require.False(t, p2.Eligible)
	require.True(t, p2.Pool.Jailed)

	// Queries answer gRPC codes (REST 404/400), with the keeper's message.
	_, err = f.qs.Pool(f.ctx, &types.QueryPoolRequest{Provider: f.str(stranger)})
	require.Equal(t, codes.NotFound, status.Code(err))
	require.ErrorContains(t, err, types.ErrPoolNotFound.Error())
	_, err = f.qs.Pool(f.ctx, &types.QueryPoolRequest{Provider: "bad"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Provider: f.str(provider), Delegator: f.str(stranger)})
	require.Equal(t, codes.NotFound, status.Code(err))
	require.ErrorContains(t, err, types.ErrDelegationNotFound.Error())
	_, err = f.qs.Pool(f.ctx, nil)
	require.Error(t, err)

	dels, err := f.qs.DelegatorDelegations(f.ctx, &types.QueryDelegatorDelegationsRequest{
		Delegator: f.str(alice), Pagination: &query.PageRequest{Limit: 1, CountTotal: true},
	})
	require.NoError(t, err)
	require.Len(t, dels.Delegations, 1)
	require.Equal(t, uint64(2), dels.Pagination.Total)
	require.Equal(t, f.str(alice), dels.Delegations[0].Delegator)

	ubds, err := f.qs.Unbondings(f.ctx, &types.QueryUnbondingsRequest{Delegator: f.str(alice)})
	require.NoError(t, err)
	require.Len(t, ubds.Unbondings, 2)
	for _, u := range ubds.Unbondings {
		require.Equal(t, f.str(alice), u.Delegator)
	}
	none, err := f.qs.Unbondings(f.ctx, &types.QueryUnbondingsRequest{Delegator: f.str(bob)})
	require.NoError(t, err)
	require.Empty(t, none.Unbondings)
}

func TestComputeUnitsAndEligibility(t *testing.T) {
	f := newFixture(t)
	min, err := f.k.MinSelfStake(f.ctx, 4)
	require.NoError(t, err)
	require.Equal(t, math.NewInt(140_000_000), min)
	_, err = f.k.MinSelfStake(f.ctx, ^uint64(0))
	require.NoError(t, err, "uint64 units times 10^7 still fits")

	has, err := f.k.HasPool(f.ctx, provider)
	require.NoError(t, err)
	require.False(t, has)
	ok, err := f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.False(t, ok)
	_, err = f.k.SelfStake(f.ctx, provider)
	require.ErrorIs(t, err, types.ErrPoolNotFound)
	require.ErrorIs(t, f.k.SetComputeUnits(f.ctx, provider, 1), types.ErrPoolNotFound)

	f.createPool(provider, 120_000_000, "0")
	has, err = f.k.HasPool(f.ctx, provider)
	require.NoError(t, err)
	require.True(t, has)
	require.NoError(t, f.k.SetComputeUnits(f.ctx, provider, 2))
	ok, err = f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.True(t, ok)

	// Delegations do not count as self-stake.
	f.delegate(alice, provider, 500_000_000)
	require.NoError(t, f.k.SetComputeUnits(f.ctx, provider, 3))
	ok, err = f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.False(t, ok)

	// The provider may undelegate below its minimum; the pool just stops being eligible.
	require.NoError(t, f.k.SetComputeUnits(f.ctx, provider, 0))
	f.undelegate(provider, provider, 20_000_001)
	ok, err = f.k.IsEligible(f.ctx, provider)
	require.NoError(t, err)
	require.False(t, ok)
}
