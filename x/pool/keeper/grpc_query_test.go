package keeper_test

import (
	"testing"

	"github.com/cosmos/cosmos-sdk/types/query"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/llmesh/mesh/x/pool/types"
)

// TestQueryStatusCodes: a missing pool or delegation is codes.NotFound (REST
// 404, not 500) and a malformed address codes.InvalidArgument (issue 17,
// hostile-input run).
func TestQueryStatusCodes(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")

	_, err := f.qs.Pool(f.ctx, &types.QueryPoolRequest{Provider: f.str(provider)})
	require.NoError(t, err)
	for name, c := range map[string]struct {
		err  error
		want codes.Code
	}{
		"pool not found": {err: func() error {
			_, err := f.qs.Pool(f.ctx, &types.QueryPoolRequest{Provider: f.str(stranger)})
			return err
		}(), want: codes.NotFound},
		"pool bad address": {err: func() error {
			_, err := f.qs.Pool(f.ctx, &types.QueryPoolRequest{Provider: "not-an-address"})
			return err
		}(), want: codes.InvalidArgument},
		"delegation not found": {err: func() error {
			_, err := f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Delegator: f.str(alice), Provider: f.str(provider)})
			return err
		}(), want: codes.NotFound},
		"delegation of a missing pool": {err: func() error {
			_, err := f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Delegator: f.str(alice), Provider: f.str(stranger)})
			return err
		}(), want: codes.NotFound},
		"delegation bad delegator": {err: func() error {
			_, err := f.qs.Delegation(f.ctx, &types.QueryDelegationRequest{Delegator: "x", Provider: f.str(provider)})
			return err
		}(), want: codes.InvalidArgument},
		"delegations bad delegator": {err: func() error {
			_, err := f.qs.DelegatorDelegations(f.ctx, &types.QueryDelegatorDelegationsRequest{Delegator: "x"})
			return err
		}(), want: codes.InvalidArgument},
		"unbondings bad delegator": {err: func() error {
			_, err := f.qs.Unbondings(f.ctx, &types.QueryUnbondingsRequest{Delegator: "x"})
			return err
		}(), want: codes.InvalidArgument},
		"empty request": {err: func() error {
			_, err := f.qs.Pool(f.ctx, nil)
			return err
		}(), want: codes.InvalidArgument},
	} {
		require.Equal(t, c.want, status.Code(c.err), "%s: %v", name, c.err)
	}
}

// TestPoolDelegations lists one pool's delegations (the self-bond included),
// none of another pool's, pages through them and counts them.
func TestPoolDelegations(t *testing.T) {
	f := newFixture(t)
	f.createPool(provider, 100_000_000, "0.1")
	f.createPool(provider2, 100_000_000, "0.1")
	f.delegate(alice, provider, 10_000_000)
	f.delegate(bob, provider, 20_000_000)
	f.delegate(alice, provider2, 5_000_000)

	res, err := f.qs.PoolDelegations(f.ctx, &types.QueryPoolDelegationsRequest{Provider: f.str(provider), Pagination: &query.PageRequest{CountTotal: true}})
	require.NoError(t, err)
	require.Equal(t, uint64(3), res.Pagination.Total)
	got := map[string]bool{}
	for _, d := range res.Delegations {
		require.Equal(t, f.str(provider), d.Provider)
		got[d.Delegator] = true
	}
	require.Equal(t, map[string]bool{f.str(provider): true, f.str(alice): true, f.str(bob): true}, got)

	first, err := f.qs.PoolDelegations(f.ctx, &types.QueryPoolDelegationsRequest{Provider: f.str(provider), Pagination: &query.PageRequest{Limit: 2}})
	require.NoError(t, err)
	require.Len(t, first.Delegations, 2)
	rest, err := f.qs.PoolDelegations(f.ctx, &types.QueryPoolDelegationsRequest{Provider: f.str(provider), Pagination: &query.PageRequest{Key: first.Pagination.NextKey}})
	require.NoError(t, err)
	require.Len(t, rest.Delegations, 1)
	require.Empty(t, rest.Pagination.NextKey)

	none, err := f.qs.PoolDelegations(f.ctx, &types.QueryPoolDelegationsRequest{Provider: f.str(stranger)})
	require.NoError(t, err)
	require.Empty(t, none.Delegations)
	_, err = f.qs.PoolDelegations(f.ctx, &types.QueryPoolDelegationsRequest{Provider: "x"})
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	_, err = f.qs.PoolDelegations(f.ctx, nil)
	require.Equal(t, codes.InvalidArgument, status.Code(err))
}
