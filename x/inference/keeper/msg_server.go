package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/llmesh/mesh/x/inference/types"
)

type msgServer struct{ Keeper }

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/inference Msg server. Signers are enforced
// by the cosmos.msg.v1.signer options: a worker's messages are signed by the
// worker itself, so it can only commit and reveal for itself.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{Keeper: k} }

// Events are emitted by the keeper, so that a module calling it directly
// (x/dao, x/training) gets them too, in the order things happen.

// RequestInference escrows max_fee and queues a new job. The response
// carries the job id only: workers are drawn in a later block, and the
// deprecated workers field stays empty.
func (s msgServer) RequestInference(ctx context.Context, msg *types.MsgRequestInference) (*types.MsgRequestInferenceResponse, error) {
	requester, err := s.addrBytes(msg.Requester)
	if err != nil {
		return nil, err
	}
	// A named callback ("dao", "ibc") belongs to the module that registered
	// it, which requests through the keeper; a transaction (a user, a
	// contract, an interchain or GMP account) may name only "sudo", which
	// calls the requester itself back.
	if msg.Callback != "" && msg.Callback != types.SudoCallback {
		return nil, errorsmod.Wrapf(types.ErrUnknownCallback, "callback %q is reserved to the module that registered it; a transaction may name only %q", msg.Callback, types.SudoCallback)
	}
	job, err := s.Keeper.RequestInference(ctx, requester, msg)
	if err != nil {
		return nil, err
	}
	return &types.MsgRequestInferenceResponse{JobId: job.Id}, nil
}

// CommitResult records the signing worker's commitment.
func (s msgServer) CommitResult(ctx context.Context, msg *types.MsgCommitResult) (*types.MsgCommitResultResponse, error) {
	worker, err := s.addrBytes(msg.Worker)
	if err != nil {
		return nil, err
	}
	_, err = s.Keeper.CommitResult(ctx, worker, msg.JobId, msg.Commitment)
	return &types.MsgCommitResultResponse{}, err
}

// RevealResult records the signing worker's answer (and settles the job on
// the last reveal).
func (s msgServer) RevealResult(ctx context.Context, msg *types.MsgRevealResult) (*types.MsgRevealResultResponse, error) {
	worker, err := s.addrBytes(msg.Worker)
	if err != nil {
		return nil, err
	}
	_, _, err = s.Keeper.RevealResult(ctx, worker, msg)
	return &types.MsgRevealResultResponse{}, err
}

// RegisterModel adds a model (authority only).
func (s msgServer) RegisterModel(ctx context.Context, msg *types.MsgRegisterModel) (*types.MsgRegisterModelResponse, error) {
	return &types.MsgRegisterModelResponse{}, s.Keeper.RegisterModel(ctx, msg.Authority, msg.Model)
}

// UpdateModel replaces a model (authority only).
func (s msgServer) UpdateModel(ctx context.Context, msg *types.MsgUpdateModel) (*types.MsgUpdateModelResponse, error) {
	return &types.MsgUpdateModelResponse{}, s.Keeper.UpdateModel(ctx, msg.Authority, msg.Model)
}

// UpdateParams replaces the params (authority only).
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	return &types.MsgUpdateParamsResponse{}, s.Keeper.UpdateParams(ctx, msg.Authority, msg.Params)
}
