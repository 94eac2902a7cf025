package keeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/compute/types"
)

func TestQueries(t *testing.T) {
	f := newFixture(t, smallParams)
	p1, p2 := addr("prov", 1), addr("prov", 2)
	for i := 0; i < 3; i++ {
		f.register(p1, addr("work", i), 1)
	}
	f.register(p2, addr("work", 10), 1)
	jailed := f.worker(addr("work", 1))
	jailed.Status = types.WORKER_STATUS_JAILED
	require.NoError(t, f.k.Workers.Set(f.ctx, addr("work", 1), jailed))

	params, err := f.q.Params(f.ctx, &types.QueryParamsRequest{})
	require.NoError(t, err)
	require.Equal(t, f.params(), params.Params)

	w, err := f.q.Worker(f.ctx, &types.QueryWorkerRequest{Address: f.bech(addr("work", 10))})
	require.NoError(t, err)
	require.Equal(t, f.bech(p2), w.Worker.Provider)
	_, err = f.q.Worker(f.ctx, &types.QueryWorkerRequest{Address: f.bech(addr("nobody", 1))})
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = f.q.Worker(f.ctx, &types.QueryWorkerRequest{Address: "bad"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))

	all, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{})
	require.NoError(t, err)
	require.Len(t, all.Workers, 4)

	byProv, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Provider: f.bech(p1)})
	require.NoError(t, err)
	require.Len(t, byProv.Workers, 3)

	active, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Provider: f.bech(p1), Status: types.WORKER_STATUS_ACTIVE})
	require.NoError(t, err)
	require.Len(t, active.Workers, 2)

	jailedAll, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Status: types.WORKER_STATUS_JAILED})
	require.NoError(t, err)
	require.Len(t, jailedAll.Workers, 1)
	require.Equal(t, f.bech(addr("work", 1)), jailedAll.Workers[0].Address)

	// Pagination through the provider index.
	page1, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Provider: f.bech(p1), Pagination: &query.PageRequest{Limit: 2}})
	require.NoError(t, err)
	require.Len(t, page1.Workers, 2)
	require.NotEmpty(t, page1.Pagination.NextKey)
	page2, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Provider: f.bech(p1), Pagination: &query.PageRequest{Key: page1.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, page2.Workers, 1)
	require.Equal(t, f.bech(addr("work", 2)), page2.Workers[0].Address)

	_, err = f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(addr("work", 0))})
	require.Equal(t, codes.NotFound, status.Code(err), "no epoch yet")
	ep, err := f.q.Epoch(f.ctx, &types.QueryEpochRequest{})
	require.NoError(t, err)
	require.Zero(t, ep.Epoch.Number)
	f.block(true, nil)
	ep, err = f.q.Epoch(f.ctx, &types.QueryEpochRequest{})
	require.NoError(t, err)
	require.Equal(t, int64(1), ep.Epoch.Number)
	require.Equal(t, f.height(), ep.Height)
	ch, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(addr("work", 0))})
	require.NoError(t, err)
	require.True(t, ch.Eligible)
	ch, err = f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(addr("work", 1))})
	require.NoError(t, err)
	require.False(t, ch.Eligible, "jailed")
	_, err = f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(addr("work", 0)), Epoch: 7})
	require.Equal(t, codes.NotFound, status.Code(err))
}

// TestQueryStatusCodes: not found is codes.NotFound (REST 404) and a bad
// argument codes.InvalidArgument (REST 400), never a 500 (issue 17,
// hostile-input run).
func TestQueryStatusCodes(t *testing.T) {
	f := newFixture(t, smallParams)
	f.register(addr("prov", 1), addr("work", 0), 1)
	f.block(true, nil)
	bothKeyAndOffset := &query.PageRequest{Key: []byte{1}, Offset: 1}
	for name, c := range map[string]struct {
		call func() error
		want codes.Code
	}{
		"workers: key and offset": {func() error {
			_, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Pagination: bothKeyAndOffset})
			return err
		}, codes.InvalidArgument},
		"workers by provider: key and offset": {func() error {
			_, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Provider: f.bech(addr("prov", 1)), Pagination: bothKeyAndOffset})
			return err
		}, codes.InvalidArgument},
		"workers: bad provider": {func() error {
			_, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Provider: "x"})
			return err
		}, codes.InvalidArgument},
		"workers: unknown status": {func() error {
			_, err := f.q.Workers(f.ctx, &types.QueryWorkersRequest{Status: 99})
			return err
		}, codes.InvalidArgument},
		"challenge: negative epoch": {func() error {
			_, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(addr("work", 0)), Epoch: -1})
			return err
		}, codes.InvalidArgument},
		"challenge: unknown worker": {func() error {
			_, err := f.q.Challenge(f.ctx, &types.QueryChallengeRequest{Worker: f.bech(addr("nobody", 1))})
			return err
		}, codes.NotFound},
		"beacon validators: key and offset": {func() error {
			_, err := f.q.BeaconValidators(f.ctx, &types.QueryBeaconValidatorsRequest{Pagination: bothKeyAndOffset})
			return err
		}, codes.InvalidArgument},
	} {
		err := c.call()
		require.Equal(t, c.want, status.Code(err), "%s: %v", name, err)
	}
}
