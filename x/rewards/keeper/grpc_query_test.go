package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/rewards/types"
)

func TestQueries(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	a, prov := addr("a", 1), addr("prov", 1)
	f.createPool(prov, "0.1")

	// Nothing closed yet.
	_, err := f.q.Epoch(f.ctx, &types.QueryEpochRequest{})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = f.q.Epoch(f.ctx, &types.QueryEpochRequest{Epoch: 9})
	require.Equal(t, codes.NotFound, status.Code(err))
	pot, err := f.q.Pot(f.ctx, &types.QueryPotRequest{})
	require.NoError(t, err)
	require.True(t, pot.Pot.IsZero())
	require.Equal(t, uint64(1), pot.CurrentEpoch)
	pending, err := f.q.Pending(f.ctx, &types.QueryPendingRequest{Account: f.bech(a)})
	require.NoError(t, err)
	require.Equal(t, &types.QueryPendingResponse{Amount: sdk.NewCoins(), CurrentEpoch: 1, OpenPoints: []types.CategoryPoints{}}, pending)
	_, err = f.q.Pending(f.ctx, &types.QueryPendingRequest{Account: "nope"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	// Epochs 1 and 2: poc (30 % of 10,000, then of 7000 carried + 7000) pays 10umesh a point.
	f.mintTo(types.ModuleName, coins(t, "10000umesh"))
	f.add(types.CategoryPoC, a, 100)
	f.add(types.CategoryPoC, prov, 200)
	f.closeEpoch()
	f.next()
	f.mintTo(types.ModuleName, coins(t, "7000umesh"))
	f.add(types.CategoryPoC, a, 300)
	f.add(types.CategoryPoC, prov, 120)
	f.closeEpoch()
	f.next()
	f.add(types.CategoryPoC, a, 4)
	f.add(types.CategoryInference, a, 6)

	pending, err = f.q.Pending(f.ctx, &types.QueryPendingRequest{Account: f.bech(a)})
	require.NoError(t, err)
	// 100 × 10 + 300 × 10 = 4000umesh.
	require.Equal(t, "4000umesh", pending.Amount.String())
	require.Equal(t, uint32(2), pending.Epochs)
	require.False(t, pending.More)
	require.False(t, pending.ToPool)
	require.Equal(t, uint64(3), pending.CurrentEpoch)
	// In key order: by category name.
	require.Equal(t, []types.CategoryPoints{{Category: types.CategoryInference, Points: 6}, {Category: types.CategoryPoC, Points: 4}}, pending.OpenPoints)
	pending, err = f.q.Pending(f.ctx, &types.QueryPendingRequest{Account: f.bech(prov)})
	require.NoError(t, err)
	require.Equal(t, "3200umesh", pending.Amount.String())
	require.True(t, pending.ToPool)
	// Pending is what the claim pays.
	requireCoins(t, coins(t, "4000umesh"), f.claim(a, a).Amount)

	pot, err = f.q.Pot(f.ctx, &types.QueryPotRequest{})
	require.NoError(t, err)
	requireCoins(t, f.pot(), pot.Pot)
	requireCoins(t, coins(t, "3200umesh"), pot.Outstanding)
	requireCoins(t, f.modBal(types.ModuleName), pot.Pot.Add(pot.Outstanding...))
	require.Equal(t, uint64(3), pot.CurrentEpoch)

	last, err := f.q.Epoch(f.ctx, &types.QueryEpochRequest{})
	require.NoError(t, err)
	require.Equal(t, uint64(2), last.Epoch.Epoch)
	requireSummary(t, f.epoch(2), last.Epoch)
	one, err := f.q.Epoch(f.ctx, &types.QueryEpochRequest{Epoch: 1})
	require.NoError(t, err)
	requireSummary(t, f.epoch(1), one.Epoch)
	open, err := f.q.Epoch(f.ctx, &types.QueryEpochRequest{Epoch: 3})
	require.NoError(t, err)
	require.Zero(t, open.Epoch.EndHeight)

	// Epochs, newest first, two to a page.
	f.closeEpoch() // epoch 4 is open now
	numbers := func(es []types.EpochSummary) []uint64 {
		var out []uint64
		for _, e := range es {
			out = append(out, e.Epoch)
		}
		return out
	}
	all, err := f.q.Epochs(f.ctx, &types.QueryEpochsRequest{})
	require.NoError(t, err)
	require.Equal(t, []uint64{4, 3, 2, 1}, numbers(all.Epochs))
	page, err := f.q.Epochs(f.ctx, &types.QueryEpochsRequest{Pagination: &query.PageRequest{Limit: 2, CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, []uint64{4, 3}, numbers(page.Epochs))
	require.Equal(t, uint64(4), page.Pagination.Total)
	require.NotNil(t, page.Pagination.NextKey)
	page, err = f.q.Epochs(f.ctx, &types.QueryEpochsRequest{Pagination: &query.PageRequest{Limit: 2, Key: page.Pagination.NextKey}})
	require.NoError(t, err)
	require.Equal(t, []uint64{2, 1}, numbers(page.Epochs))
	require.Nil(t, page.Pagination.NextKey)
	page, err = f.q.Epochs(f.ctx, &types.QueryEpochsRequest{Pagination: &query.PageRequest{Offset: 3, Limit: 5}})
	require.NoError(t, err)
	require.Equal(t, []uint64{1}, numbers(page.Epochs))
	page, err = f.q.Epochs(f.ctx, &types.QueryEpochsRequest{Pagination: &query.PageRequest{Reverse: true}})
	require.NoError(t, err)
	require.Equal(t, []uint64{1, 2, 3, 4}, numbers(page.Epochs), "reverse: oldest first")

	params, err := f.q.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, f.params(), params.Params)

	for _, call := range []func() error{
		func() error { _, err := f.q.Params(f.ctx, nil); return err },
		func() error { _, err := f.q.Pending(f.ctx, nil); return err },
		func() error { _, err := f.q.Epoch(f.ctx, nil); return err },
		func() error { _, err := f.q.Epochs(f.ctx, nil); return err },
		func() error { _, err := f.q.Pot(f.ctx, nil); return err },
	} {
		require.Equal(t, codes.InvalidArgument, status.Code(call()))
	}
}

// TestQueryStatusCodes: what does not exist is codes.NotFound (REST 404)
// and a malformed request codes.InvalidArgument (REST 400), never a 500
// (issue 17, hostile-input run).
func TestQueryStatusCodes(t *testing.T) {
	f := newFixture(t, withParams(noEarly))
	f.closeEpoch()
	f.next()
	_, err := f.q.Epoch(f.ctx, &types.QueryEpochRequest{Epoch: 1})
	require.NoError(t, err)

	for name, c := range map[string]struct {
		call func() error
		want codes.Code
	}{
		"epoch not found": {func() error {
			_, err := f.q.Epoch(f.ctx, &types.QueryEpochRequest{Epoch: 99})
			return err
		}, codes.NotFound},
		"epochs: key and offset": {func() error {
			_, err := f.q.Epochs(f.ctx, &types.QueryEpochsRequest{Pagination: &query.PageRequest{Key: []byte{1}, Offset: 1}})
			return err
		}, codes.InvalidArgument},
		"pending: bad account": {func() error {
			_, err := f.q.Pending(f.ctx, &types.QueryPendingRequest{Account: "not-an-address"})
			return err
		}, codes.InvalidArgument},
		"pending: empty account": {func() error {
			_, err := f.q.Pending(f.ctx, &types.QueryPendingRequest{})
			return err
		}, codes.InvalidArgument},
	} {
		err := c.call()
		require.Equal(t, c.want, status.Code(err), "%s: %v", name, err)
		require.NotEmpty(t, status.Convert(err).Message(), name)
	}

	// Before any epoch closed, the last closed epoch does not exist.
	g := newFixture(t, withParams(noEarly))
	_, err = g.q.Epoch(g.ctx, &types.QueryEpochRequest{})
	require.Equal(t, codes.NotFound, status.Code(err))
}
