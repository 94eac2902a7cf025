package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/pool/types"
)

// Querier implements the x/pool Query service.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/pool Query service.
func NewQuerier(k Keeper) Querier { return Querier{Keeper: k} }

// Params implements types.QueryServer.
func (q Querier) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// Pool implements types.QueryServer.
func (q Querier) Pool(ctx context.Context, req *types.QueryPoolRequest) (*types.QueryPoolResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	provider, err := q.addrBytes(req.Provider)
	if err != nil {
		return nil, grpcError(err)
	}
	pool, err := q.GetPool(ctx, provider)
	if err != nil {
		return nil, grpcError(err)
	}
	self, err := q.selfStake(ctx, pool, provider)
	if err != nil {
		return nil, grpcError(err)
	}
	min, err := q.MinSelfStake(ctx, pool.ComputeUnits)
	if err != nil {
		return nil, grpcError(err)
	}
	return &types.QueryPoolResponse{
		Pool:         pool,
		SelfStake:    self,
		MinSelfStake: min,
		Eligible:     !pool.Jailed && self.GTE(min),
	}, nil
}

// Pools implements types.QueryServer.
func (q Querier) Pools(ctx context.Context, req *types.QueryPoolsRequest) (*types.QueryPoolsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	pools, page, err := query.CollectionPaginate(ctx, q.Keeper.Pools, req.Pagination,
		func(_ sdk.AccAddress, p types.Pool) (types.Pool, error) { return p, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryPoolsResponse{Pools: pools, Pagination: page}, nil
}

// Delegation implements types.QueryServer.
func (q Querier) Delegation(ctx context.Context, req *types.QueryDelegationRequest) (*types.QueryDelegationResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	delegator, provider, err := q.addrPair(req.Delegator, req.Provider)
	if err != nil {
		return nil, grpcError(err)
	}
	pool, err := q.GetPool(ctx, provider)
	if err != nil {
		return nil, grpcError(err)
	}
	del, err := q.GetDelegation(ctx, provider, delegator)
	if err != nil {
		return nil, grpcError(err)
	}
	pending, err := q.PendingRewards(ctx, pool, del, provider.Equals(delegator))
	if err != nil {
		return nil, grpcError(err)
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, grpcError(err)
	}
	var age int64
	if !del.BondedSince.IsZero() {
		age = ageSeconds(del.BondedSince, sdk.UnwrapSDKContext(ctx).BlockTime())
	}
	return &types.QueryDelegationResponse{
		Delegation:      del,
		Tokens:          tokensFromShares(pool, del.Shares),
		PendingRewards:  pending,
		LoyaltyBonusBps: uint32(LoyaltyBonusBps(params, age).TruncateInt64()),
		AgeSeconds:      age,
	}, nil
}

// DelegatorDelegations implements types.QueryServer.
func (q Querier) DelegatorDelegations(ctx context.Context, req *types.QueryDelegatorDelegationsRequest) (*types.QueryDelegatorDelegationsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	delegator, err := q.addrBytes(req.Delegator)
	if err != nil {
		return nil, grpcError(err)
	}
	dels, page, err := query.CollectionPaginate(ctx, q.DelegationsByDelegator, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, sdk.AccAddress], _ collections.NoValue) (types.Delegation, error) {
			return q.Delegations.Get(ctx, collections.Join(key.K2(), key.K1()))
		},
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, sdk.AccAddress](delegator))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryDelegatorDelegationsResponse{Delegations: dels, Pagination: page}, nil
}

// PoolDelegations implements types.QueryServer: one prefix of Delegations, paginated.
func (q Querier) PoolDelegations(ctx context.Context, req *types.QueryPoolDelegationsRequest) (*types.QueryPoolDelegationsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	provider, err := q.addrBytes(req.Provider)
	if err != nil {
		return nil, grpcError(err)
	}
	dels, page, err := query.CollectionPaginate(ctx, q.Delegations, req.Pagination,
		func(_ collections.Pair[sdk.AccAddress, sdk.AccAddress], d types.Delegation) (types.Delegation, error) {
			return d, nil
		},
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, sdk.AccAddress](provider))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryPoolDelegationsResponse{Delegations: dels, Pagination: page}, nil
}

// Unbondings implements types.QueryServer.
func (q Querier) Unbondings(ctx context.Context, req *types.QueryUnbondingsRequest) (*types.QueryUnbondingsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	delegator, err := q.addrBytes(req.Delegator)
	if err != nil {
		return nil, grpcError(err)
	}
	entries, page, err := query.CollectionPaginate(ctx, q.UnbondingsByDelegator, req.Pagination,
		func(key collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64], _ collections.NoValue) (types.UnbondingEntry, error) {
			return q.Keeper.Unbondings.Get(ctx, key.K3())
		},
		func(o *query.CollectionsPaginateOptions[collections.Triple[sdk.AccAddress, sdk.AccAddress, uint64]]) {
			prefix := collections.TriplePrefix[sdk.AccAddress, sdk.AccAddress, uint64](delegator)
			o.Prefix = &prefix
		})
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryUnbondingsResponse{Unbondings: entries, Pagination: page}, nil
}

// Ejection implements types.QueryServer.
func (q Querier) Ejection(ctx context.Context, req *types.QueryEjectionRequest) (*types.QueryEjectionResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	provider, err := q.addrBytes(req.Provider)
	if err != nil {
		return nil, grpcError(err)
	}
	ej, err := q.GetEjection(ctx, provider)
	if err != nil {
		return nil, grpcError(err)
	}
	return &types.QueryEjectionResponse{Ejection: ej}, nil
}

// Ejections implements types.QueryServer.
func (q Querier) Ejections(ctx context.Context, req *types.QueryEjectionsRequest) (*types.QueryEjectionsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	ejs, page, err := query.CollectionPaginate(ctx, q.Keeper.Ejections, req.Pagination,
		func(_ sdk.AccAddress, e types.Ejection) (types.Ejection, error) { return e, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryEjectionsResponse{Ejections: ejs, Pagination: page}, nil
}

// grpcError maps a keeper error to a gRPC status, so that the REST gateway
// answers 404 for what does not exist and 400 for a bad argument instead of
// 500 (issue 17, hostile-input run): not-found errors give codes.NotFound,
// malformed arguments codes.InvalidArgument, anything else codes.Internal.
func grpcError(err error) error {
	switch {
	case err == nil:
		return nil
	case errorsmod.IsOf(err, types.ErrPoolNotFound, types.ErrDelegationNotFound, types.ErrEjectionNotFound, collections.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errorsmod.IsOf(err, types.ErrInvalidAddress):
		return status.Error(codes.InvalidArgument, err.Error())
	default:
		return status.Error(codes.Internal, err.Error())
	}
}
