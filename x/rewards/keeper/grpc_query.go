package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	errorsmod "cosmossdk.io/errors"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/rewards/types"
)

// Querier implements the x/rewards Query service. Its errors are gRPC
// statuses: codes.NotFound for an epoch that does not exist (REST 404),
// codes.InvalidArgument for a malformed request (REST 400: a bad address, a
// bad page request), codes.Internal otherwise.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/rewards Query service.
func NewQuerier(k Keeper) Querier { return Querier{Keeper: k} }

// Params implements types.QueryServer.
func (q Querier) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// Pending implements types.QueryServer.
func (q Querier) Pending(ctx context.Context, req *types.QueryPendingRequest) (*types.QueryPendingResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	account, err := q.addrBytes(req.Account)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	res, err := q.Keeper.Pending(ctx, account)
	if err != nil {
		return nil, queryErrors.Status(err)
	}
	return res, nil
}

// Epoch implements types.QueryServer; epoch 0 is the last closed epoch.
func (q Querier) Epoch(ctx context.Context, req *types.QueryEpochRequest) (*types.QueryEpochResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	n := req.Epoch
	if n == 0 {
		current, err := q.CurrentEpoch.Get(ctx)
		if err != nil {
			return nil, kit.Internal(err)
		}
		if current <= 1 {
			return nil, status.Error(codes.NotFound, "no epoch has closed yet")
		}
		n = current - 1
	}
	e, err := q.Keeper.Epochs.Get(ctx, n)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "epoch %d not found", n)
	}
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryEpochResponse{Epoch: e}, nil
}

// Epochs implements types.QueryServer: summaries newest first.
func (q Querier) Epochs(ctx context.Context, req *types.QueryEpochsRequest) (*types.QueryEpochsResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	pagination := &query.PageRequest{}
	if req.Pagination != nil {
		p := *req.Pagination // a copy: the caller's request is not changed
		pagination = &p
	}
	pagination.Reverse = !pagination.Reverse
	epochs, page, err := query.CollectionPaginate(ctx, q.Keeper.Epochs, pagination,
		func(_ uint64, e types.EpochSummary) (types.EpochSummary, error) { return e, nil })
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryEpochsResponse{Epochs: epochs, Pagination: page}, nil
}

// Pot implements types.QueryServer.
func (q Querier) Pot(ctx context.Context, req *types.QueryPotRequest) (*types.QueryPotResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	pot, owed, err := q.Keeper.Pot(ctx)
	if err != nil {
		return nil, kit.Internal(err)
	}
	current, err := q.CurrentEpoch.Get(ctx)
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryPotResponse{Pot: pot, Outstanding: owed, CurrentEpoch: current}, nil
}

// queryErrors maps the keeper's errors for the query server: a bad address
// is the caller's mistake; a closed epoch's summary missing under an
// account's points (ErrEpochNotFound) is a broken state, codes.Internal.
var queryErrors = kit.QueryErrors{Invalid: []*errorsmod.Error{types.ErrInvalidAddress}}
