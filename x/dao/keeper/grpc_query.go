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
	"github.com/llmesh/mesh/x/internal/kit"
)

// Querier implements the x/dao Query service (the lock, delegation and power
// queries are in grpc_query_locks.go). Its errors are gRPC statuses:
// codes.NotFound for a proposal, vote or lock that does not exist (REST
// 404), codes.InvalidArgument for a malformed request (REST 400: proposal id
// 0, a bad address, an unknown status filter, a bad page request),
// codes.Internal otherwise.
type Querier struct {
	Keeper
}

var _ types.QueryServer = Querier{}

// NewQuerier returns the x/dao Query service.
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

// Proposal implements types.QueryServer.
func (q Querier) Proposal(ctx context.Context, req *types.QueryProposalRequest) (*types.QueryProposalResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	p, err := q.proposal(ctx, req.ProposalId)
	if err != nil {
		return nil, err
	}
	return &types.QueryProposalResponse{Proposal: p}, nil
}

// Proposals implements types.QueryServer: proposals by id, of one status if
// one is given.
func (q Querier) Proposals(ctx context.Context, req *types.QueryProposalsRequest) (*types.QueryProposalsResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	if _, ok := types.ProposalStatus_name[int32(req.Status)]; !ok {
		return nil, status.Errorf(codes.InvalidArgument, "unknown status %d", req.Status)
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	var filter func(uint64, types.Proposal) (bool, error)
	if req.Status != types.PROPOSAL_STATUS_UNSPECIFIED {
		filter = func(_ uint64, p types.Proposal) (bool, error) { return p.Status == req.Status, nil }
	}
	proposals, page, err := query.CollectionFilteredPaginate(ctx, q.Keeper.Proposals, req.Pagination, filter,
		func(_ uint64, p types.Proposal) (types.Proposal, error) { return p, nil })
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryProposalsResponse{Proposals: proposals, Pagination: page}, nil
}

// Vote implements types.QueryServer.
func (q Querier) Vote(ctx context.Context, req *types.QueryVoteRequest) (*types.QueryVoteResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	voter, err := q.accountArg("voter", req.Voter)
	if err != nil {
		return nil, err
	}
	if _, err := q.proposal(ctx, req.ProposalId); err != nil {
		return nil, err
	}
	v, err := q.Keeper.Votes.Get(ctx, collections.Join(req.ProposalId, voter))
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "no vote of %s on proposal %d", req.Voter, req.ProposalId)
	}
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryVoteResponse{Vote: v}, nil
}

// Votes implements types.QueryServer: a proposal's votes by voter address.
func (q Querier) Votes(ctx context.Context, req *types.QueryVotesRequest) (*types.QueryVotesResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	if _, err := q.proposal(ctx, req.ProposalId); err != nil {
		return nil, err
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	votes, page, err := query.CollectionPaginate(ctx, q.Keeper.Votes, req.Pagination,
		func(_ collections.Pair[uint64, sdk.AccAddress], v types.Vote) (types.Vote, error) { return v, nil },
		query.WithCollectionPaginationPairPrefix[uint64, sdk.AccAddress](req.ProposalId))
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryVotesResponse{Votes: votes, Pagination: page}, nil
}

// Treasury implements types.QueryServer.
func (q Querier) Treasury(ctx context.Context, req *types.QueryTreasuryRequest) (*types.QueryTreasuryResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	treasury := q.TreasuryAddress()
	addr := q.addrString(treasury)
	return &types.QueryTreasuryResponse{Address: addr, Balance: q.bank.GetAllBalances(ctx, treasury)}, nil
}

// proposal reads a requested proposal: id 0 is codes.InvalidArgument (ids
// start at 1), a missing one codes.NotFound.
func (q Querier) proposal(ctx context.Context, id uint64) (types.Proposal, error) {
	if err := kit.CheckID("proposal_id", id); err != nil {
		return types.Proposal{}, err
	}
	p, err := q.Keeper.Proposals.Get(ctx, id)
	if errors.Is(err, collections.ErrNotFound) {
		return p, status.Errorf(codes.NotFound, "proposal %d not found", id)
	}
	return p, kit.Internal(err)
}
