package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/dao/types"
)

// Querier implements the x/dao Query service (the lock, delegation and power
// queries are in grpc_query_locks.go).
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/dao Query service.
func NewQuerier(k Keeper) Querier { return Querier{Keeper: k} }

// Params implements types.QueryServer.
func (q Querier) Params(ctx context.Context, req *types.QueryParamsRequest) (*types.QueryParamsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	params, err := q.Keeper.Params.Get(ctx)
	if err != nil {
		return nil, err
	}
	return &types.QueryParamsResponse{Params: params}, nil
}

// Proposal implements types.QueryServer.
func (q Querier) Proposal(ctx context.Context, req *types.QueryProposalRequest) (*types.QueryProposalResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	p, err := q.Keeper.Proposals.Get(ctx, req.ProposalId)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "proposal %d not found", req.ProposalId)
	}
	if err != nil {
		return nil, err
	}
	return &types.QueryProposalResponse{Proposal: p}, nil
}

// Proposals implements types.QueryServer: proposals by id, of one status if
// one is given.
func (q Querier) Proposals(ctx context.Context, req *types.QueryProposalsRequest) (*types.QueryProposalsResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	if _, ok := types.ProposalStatus_name[int32(req.Status)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d", req.Status)
	}
	var filter func(uint64, types.Proposal) (bool, error)
	if req.Status != types.PROPOSAL_STATUS_UNSPECIFIED {
		filter = func(_ uint64, p types.Proposal) (bool, error) { return p.Status == req.Status, nil }
	}
	proposals, page, err := query.CollectionFilteredPaginate(ctx, q.Keeper.Proposals, req.Pagination, filter,
		func(_ uint64, p types.Proposal) (types.Proposal, error) { return p, nil })
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryProposalsResponse{Proposals: proposals, Pagination: page}, nil
}

// Vote implements types.QueryServer.
func (q Querier) Vote(ctx context.Context, req *types.QueryVoteRequest) (*types.QueryVoteResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	voter, err := q.addrBytes(req.Voter)
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	v, err := q.Keeper.Votes.Get(ctx, collections.Join(req.ProposalId, voter))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "no vote of %s on proposal %d", req.Voter, req.ProposalId)
	}
	if err != nil {
		return nil, err
	}
	return &types.QueryVoteResponse{Vote: v}, nil
}

// Votes implements types.QueryServer: a proposal's votes by voter address.
func (q Querier) Votes(ctx context.Context, req *types.QueryVotesRequest) (*types.QueryVotesResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	votes, page, err := query.CollectionPaginate(ctx, q.Keeper.Votes, req.Pagination,
		func(_ collections.Pair[uint64, sdk.AccAddress], v types.Vote) (types.Vote, error) { return v, nil },
		query.WithCollectionPaginationPairPrefix[uint64, sdk.AccAddress](req.ProposalId))
	if err != nil {
		return nil, status.Error(codes.InvalidArgument, err.Error())
	}
	return &types.QueryVotesResponse{Votes: votes, Pagination: page}, nil
}

// Treasury implements types.QueryServer.
func (q Querier) Treasury(ctx context.Context, req *types.QueryTreasuryRequest) (*types.QueryTreasuryResponse, error) {
	if req == nil {
		return nil, status.Error(codes.InvalidArgument, "empty request")
	}
	treasury := q.TreasuryAddress()
	addr := q.addrString(treasury)
	return &types.QueryTreasuryResponse{Address: addr, Balance: q.bank.GetAllBalances(ctx, treasury)}, nil
}
