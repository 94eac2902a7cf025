package keeper

import (
	"context"

	"github.com/llmesh/mesh/x/dao/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/dao Msg service. Each handler converts the
// message's addresses and calls the keeper, which checks state and emits the
// events; baseapp has run the message's ValidateBasic.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// Lock implements types.MsgServer.
func (s msgServer) Lock(ctx context.Context, msg *types.MsgLock) (*types.MsgLockResponse, error) {
	owner, err := s.addrBytes(msg.Owner)
	if err != nil {
		return nil, err
	}
	lock, power, err := s.Keeper.Lock(ctx, owner, msg.Amount, msg.Duration)
	if err != nil {
		return nil, err
	}
	return &types.MsgLockResponse{Lock: lock, Power: power}, nil
}

// ExtendLock implements types.MsgServer.
func (s msgServer) ExtendLock(ctx context.Context, msg *types.MsgExtendLock) (*types.MsgExtendLockResponse, error) {
	owner, err := s.addrBytes(msg.Owner)
	if err != nil {
		return nil, err
	}
	lock, power, err := s.Keeper.ExtendLock(ctx, owner, msg.Duration)
	if err != nil {
		return nil, err
	}
	return &types.MsgExtendLockResponse{Lock: lock, Power: power}, nil
}

// Unlock implements types.MsgServer.
func (s msgServer) Unlock(ctx context.Context, msg *types.MsgUnlock) (*types.MsgUnlockResponse, error) {
	owner, err := s.addrBytes(msg.Owner)
	if err != nil {
		return nil, err
	}
	amount, err := s.Keeper.Unlock(ctx, owner)
	if err != nil {
		return nil, err
	}
	return &types.MsgUnlockResponse{Amount: amount}, nil
}

// DelegateVotes implements types.MsgServer.
func (s msgServer) DelegateVotes(ctx context.Context, msg *types.MsgDelegateVotes) (*types.MsgDelegateVotesResponse, error) {
	delegator, err := s.addrBytes(msg.Delegator)
	if err != nil {
		return nil, err
	}
	delegate, err := s.addrBytes(msg.Delegate)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.DelegateVotes(ctx, delegator, delegate); err != nil {
		return nil, err
	}
	return &types.MsgDelegateVotesResponse{}, nil
}

// UndelegateVotes implements types.MsgServer.
func (s msgServer) UndelegateVotes(ctx context.Context, msg *types.MsgUndelegateVotes) (*types.MsgUndelegateVotesResponse, error) {
	delegator, err := s.addrBytes(msg.Delegator)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.UndelegateVotes(ctx, delegator); err != nil {
		return nil, err
	}
	return &types.MsgUndelegateVotesResponse{}, nil
}

// SubmitProposal implements types.MsgServer.
func (s msgServer) SubmitProposal(ctx context.Context, msg *types.MsgSubmitProposal) (*types.MsgSubmitProposalResponse, error) {
	id, err := s.Keeper.SubmitProposal(ctx, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgSubmitProposalResponse{ProposalId: id}, nil
}

// Vote implements types.MsgServer.
func (s msgServer) Vote(ctx context.Context, msg *types.MsgVote) (*types.MsgVoteResponse, error) {
	voter, err := s.addrBytes(msg.Voter)
	if err != nil {
		return nil, err
	}
	vote, err := s.CastVote(ctx, voter, msg.ProposalId, msg.Option)
	if err != nil {
		return nil, err
	}
	return &types.MsgVoteResponse{Vote: vote}, nil
}

// ExecuteProposal implements types.MsgServer. A failing proposal message
// does not fail the transaction: the response says FAILED and why.
func (s msgServer) ExecuteProposal(ctx context.Context, msg *types.MsgExecuteProposal) (*types.MsgExecuteProposalResponse, error) {
	if _, err := s.addrBytes(msg.Executor); err != nil {
		return nil, err
	}
	status, result, err := s.Keeper.ExecuteProposal(ctx, msg.ProposalId)
	if err != nil {
		return nil, err
	}
	return &types.MsgExecuteProposalResponse{Status: status, Result: result}, nil
}

// UpdateParams implements types.MsgServer.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := s.Keeper.UpdateParams(ctx, msg.Authority, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
