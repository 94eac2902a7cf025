package keeper

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/ibcinfer/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

var _ types.QueryServer = Querier{}

// Querier serves the x/ibcinfer queries.
type Querier struct{ k *Keeper }

// NewQuerier returns the query server.
func NewQuerier(k *Keeper) Querier { return Querier{k: k} }

// Params returns the module params.
func (q Querier) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Account returns the derived account of (channel, sender).
func (q Querier) Account(_ context.Context, req *types.QueryAccountRequest) (*types.QueryAccountResponse, error) {
	if req == nil || req.Channel == "" || req.Sender == "" {
		return nil, status.Error(codes.InvalidArgument, "channel and sender are required")
	}
	return &types.QueryAccountResponse{Address: q.k.addrString(types.DeriveAccount(req.Channel, req.Sender))}, nil
}

// PendingAck returns the pending acknowledgement of a job.
func (q Querier) PendingAck(ctx context.Context, req *types.QueryPendingAckRequest) (*types.QueryPendingAckResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	pa, err := q.k.PendingAcks.Get(ctx, req.JobId)
	if err != nil {
		return nil, kit.NotFound(err, types.ErrNoPendingAck, "job")
	}
	return &types.QueryPendingAckResponse{PendingAck: pa}, nil
}

// PendingAcks returns the pending acknowledgements by job id.
func (q Querier) PendingAcks(ctx context.Context, req *types.QueryPendingAcksRequest) (*types.QueryPendingAcksResponse, error) {
	if req == nil {
		req = &types.QueryPendingAcksRequest{}
	}
	items, page, err := query.CollectionPaginate(ctx, q.k.PendingAcks, req.Pagination,
		func(_ uint64, pa types.PendingAck) (types.PendingAck, error) { return pa, nil })
	if err != nil {
		return nil, err
	}
	return &types.QueryPendingAcksResponse{PendingAcks: items, Pagination: page}, nil
}

// Refunds returns the refunds in flight.
func (q Querier) Refunds(ctx context.Context, req *types.QueryRefundsRequest) (*types.QueryRefundsResponse, error) {
	if req == nil {
		req = &types.QueryRefundsRequest{}
	}
	items, page, err := query.CollectionPaginate(ctx, q.k.Refunds, req.Pagination,
		func(_ collections.Pair[string, uint64], r types.Refund) (types.Refund, error) { return r, nil })
	if err != nil {
		return nil, err
	}
	return &types.QueryRefundsResponse{Refunds: items, Pagination: page}, nil
}
