package keeper

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"cosmossdk.io/collections"
	"cosmossdk.io/math"

	sdk "github.com/cosmos/cosmos-sdk/types"
	"github.com/cosmos/cosmos-sdk/types/query"

	"github.com/llmesh/mesh/x/dao/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

// Lock implements types.QueryServer: the lock and the power it gives now.
func (q Querier) Lock(ctx context.Context, req *types.QueryLockRequest) (*types.QueryLockResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	owner, err := q.accountArg("owner", req.Owner)
	if err != nil {
		return nil, err
	}
	lock, err := q.Keeper.Locks.Get(ctx, owner)
	if errors.Is(err, collections.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "%s has no lock", req.Owner)
	}
	if err != nil {
		return nil, kit.Internal(err)
	}
	power, err := q.OwnPowerNow(ctx, owner)
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryLockResponse{Lock: lock, Power: power}, nil
}

// Locks implements types.QueryServer: locks by owner address bytes.
func (q Querier) Locks(ctx context.Context, req *types.QueryLocksRequest) (*types.QueryLocksResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	locks, page, err := query.CollectionPaginate(ctx, q.Keeper.Locks, req.Pagination,
		func(_ sdk.AccAddress, l types.Lock) (types.Lock, error) { return l, nil })
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryLocksResponse{Locks: locks, Pagination: page}, nil
}

// Delegation implements types.QueryServer: the account's delegate now and a
// page of the accounts delegating to it.
func (q Querier) Delegation(ctx context.Context, req *types.QueryDelegationRequest) (*types.QueryDelegationResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	account, err := q.accountArg("account", req.Account)
	if err != nil {
		return nil, err
	}
	if err := kit.CheckPage(req.Pagination); err != nil {
		return nil, err
	}
	delegate, found, err := q.currentDelegate(ctx, account)
	if err != nil {
		return nil, kit.Internal(err)
	}
	delegateStr, err := q.bech32OrEmpty(delegate, found)
	if err != nil {
		return nil, kit.Internal(err)
	}
	delegators, page, err := query.CollectionPaginate(ctx, q.DelegatorsByDelegate, req.Pagination,
		func(key collections.Pair[sdk.AccAddress, sdk.AccAddress], _ collections.NoValue) (string, error) {
			return q.addrString(key.K2()), nil
		},
		query.WithCollectionPaginationPairPrefix[sdk.AccAddress, sdk.AccAddress](account))
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryDelegationResponse{Delegate: delegateStr, Delegators: delegators, Pagination: page}, nil
}

// Power implements types.QueryServer. With proposal_id 0 it is the power now
// (counting this block's changes); otherwise the power a vote by the account
// on that proposal carries: its power at the proposal's snapshot, less the
// own power of its delegators that voted themselves.
func (q Querier) Power(ctx context.Context, req *types.QueryPowerRequest) (*types.QueryPowerResponse, error) {
	if req == nil {
		return nil, kit.ErrEmptyRequest
	}
	account, err := q.accountArg("account", req.Account)
	if err != nil {
		return nil, err
	}
	height := currentBlock(ctx) + 1
	overridden := math.ZeroInt()
	if req.ProposalId != 0 {
		p, err := q.proposal(ctx, req.ProposalId)
		if err != nil {
			return nil, err
		}
		height = p.SubmitHeight
		if overridden, err = q.override(ctx, p.Id, account); err != nil {
			return nil, kit.Internal(err)
		}
	}
	own, err := q.OwnPowerAt(ctx, account, height)
	if err != nil {
		return nil, kit.Internal(err)
	}
	delegated, err := q.DelegatedPowerAt(ctx, account, height)
	if err != nil {
		return nil, kit.Internal(err)
	}
	delegated = math.MaxInt(delegated.Sub(overridden), math.ZeroInt())
	delegate, err := q.DelegateAt(ctx, account, height)
	if err != nil {
		return nil, kit.Internal(err)
	}
	delegateStr, err := q.bech32OrEmpty(delegate, delegate != nil)
	if err != nil {
		return nil, kit.Internal(err)
	}
	return &types.QueryPowerResponse{Own: own, Delegated: delegated, Total: own.Add(delegated), Delegate: delegateStr}, nil
}

// accountArg parses a request address; a bad one is InvalidArgument.
func (q Querier) accountArg(field, s string) (sdk.AccAddress, error) {
	if s == "" {
		return nil, status.Errorf(codes.InvalidArgument, "%s is empty", field)
	}
	addr, err := q.addrBytes(s)
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "%s: %v", field, err)
	}
	return addr, nil
}

// bech32OrEmpty is addr in bech32, or "" when absent.
func (q Querier) bech32OrEmpty(addr sdk.AccAddress, present bool) (string, error) {
	if !present {
		return "", nil
	}
	return q.addrString(addr), nil
}
