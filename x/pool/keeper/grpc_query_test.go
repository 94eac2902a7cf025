package keeper_test

import (
	"testing"

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
