package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	"github.com/cosmos/cosmos-sdk/types/query"

	host "github.com/cosmos/ibc-go/v11/modules/core/24-host"

	"github.com/llmesh/mesh/x/ibcinfer/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

var _ types.QueryServer = Querier{}

// Querier serves the x/ibcinfer queries. Its errors are gRPC statuses:
// codes.NotFound for a pending acknowledgement that does not exist (REST
// 404), codes.InvalidArgument for a malformed request (REST 400: a bad
// channel id, an empty sender, job id 0, a bad page request), codes.Internal
// otherwise.
type Querier struct{ k *Keeper }

// NewQuerier returns the query server.
func NewQuerier(k *Keeper) Querier { return Querier{k: k} }

// Params returns the module params.
func (q Querier) Params(ctx context.Context, _ *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	p, err := q.k.Params.Get(ctx)
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryParamsResponse{Params: p}, nil
}

// Account returns the derived account of (channel, sender). The channel is
// meshd's end of the channel, an ICS-24 channel identifier ("channel-0"):
// no packet arrives on anything else, and a "/" in it would name another
// pair's account.
func (q Querier) Account(_ context.Context, req *types.QueryAccountRequest) (*types.QueryAccountResponse, error) {
	if req == nil || req.Channel == "" || req.Sender == "" {
		return nil, status.Error(codes.InvalidArgument, "channel and sender are required")
	}
	if err := host.ChannelIdentifierValidator(req.Channel); err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "channel: %v", err)
	}
	return &types.QueryAccountResponse{Address: q.k.addrString(types.DeriveAccount(req.Channel, req.Sender))}, nil
}

// PendingAck returns the pending acknowledgement of a job.
func (q Querier) PendingAck(ctx context.Context, req *types.QueryPendingAckRequest) (*types.QueryPendingAckResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	if err := kit.CheckID("job_id", req.JobId); err != nil {
		return nil, err
	}
	pa, err := q.k.PendingAcks.Get(ctx, req.JobId)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "%s: job %d (not an IBC job, or acknowledged already)", types.ErrNoPendingAck, req.JobId)
	}
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryPendingAckResponse{PendingAck: pa}, nil
}

// PendingAcks returns the pending acknowledgements by job id.
func (q Querier) PendingAcks(ctx context.Context, req *types.QueryPendingAcksRequest) (*types.QueryPendingAcksResponse, error) {
	if req == nil {
		req = &types.QueryPendingAcksRequest{}
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	items, page, err := query.CollectionPaginate(ctx, q.k.PendingAcks, req.Pagination,
		func(_ uint64, pa types.PendingAck) (types.PendingAck, error) { return pa, nil })
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryPendingAcksResponse{PendingAcks: items, Pagination: page}, nil
}

// Refunds returns the refunds in flight.
func (q Querier) Refunds(ctx context.Context, req *types.QueryRefundsRequest) (*types.QueryRefundsResponse, error) {
	if req == nil {
		req = &types.QueryRefundsRequest{}
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	items, page, err := query.CollectionPaginate(ctx, q.k.Refunds, req.Pagination,
		func(_ collections.Pair[string, uint64], r types.Refund) (types.Refund, error) { return r, nil })
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryRefundsResponse{Refunds: items, Pagination: page}, nil
}
