package keeper

import (
	"context"

	"github.com/llmesh/mesh/x/compute/types"
)

type msgServer struct{ Keeper }

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/compute Msg server. Signers are enforced by
// the cosmos.msg.v1.signer options: worker messages are signed by the worker.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{Keeper: k} }

// AuthorizeWorker lets an account register as the provider's worker.
func (s msgServer) AuthorizeWorker(ctx context.Context, msg *types.MsgAuthorizeWorker) (*types.MsgAuthorizeWorkerResponse, error) {
	provider, worker, err := s.addrPair(msg.Provider, msg.Worker)
	if err != nil {
		return nil, err
	}
	return &types.MsgAuthorizeWorkerResponse{}, s.Keeper.AuthorizeWorker(ctx, provider, worker)
}

// RegisterWorker registers the signing worker under its provider.
func (s msgServer) RegisterWorker(ctx context.Context, msg *types.MsgRegisterWorker) (*types.MsgRegisterWorkerResponse, error) {
	worker, provider, err := s.addrPair(msg.Worker, msg.Provider)
	if err != nil {
		return nil, err
	}
	return &types.MsgRegisterWorkerResponse{}, s.Keeper.RegisterWorker(ctx, worker, provider, msg.Spec, msg.Models, msg.Endpoint)
}

// UpdateWorker replaces the signing worker's claims.
func (s msgServer) UpdateWorker(ctx context.Context, msg *types.MsgUpdateWorker) (*types.MsgUpdateWorkerResponse, error) {
	worker, err := s.addrBytes(msg.Worker)
	if err != nil {
		return nil, err
	}
	return &types.MsgUpdateWorkerResponse{}, s.Keeper.UpdateWorker(ctx, worker, msg.Spec, msg.Models, msg.Endpoint)
}

// DeregisterWorker removes a worker (signed by the worker or its provider).
func (s msgServer) DeregisterWorker(ctx context.Context, msg *types.MsgDeregisterWorker) (*types.MsgDeregisterWorkerResponse, error) {
	signer, worker, err := s.addrPair(msg.Signer, msg.Worker)
	if err != nil {
		return nil, err
	}
	_, err = s.Keeper.DeregisterWorker(ctx, signer, worker)
	return &types.MsgDeregisterWorkerResponse{}, err
}

// UnjailWorker reactivates a jailed worker (signed by the worker or its provider).
func (s msgServer) UnjailWorker(ctx context.Context, msg *types.MsgUnjailWorker) (*types.MsgUnjailWorkerResponse, error) {
	signer, worker, err := s.addrPair(msg.Signer, msg.Worker)
	if err != nil {
		return nil, err
	}
	return &types.MsgUnjailWorkerResponse{}, s.Keeper.UnjailWorker(ctx, signer, worker)
}

// CommitPoC commits the signing worker's Merkle root.
func (s msgServer) CommitPoC(ctx context.Context, msg *types.MsgCommitPoC) (*types.MsgCommitPoCResponse, error) {
	worker, err := s.addrBytes(msg.Worker)
	if err != nil {
		return nil, err
	}
	_, err = s.Keeper.CommitPoC(ctx, worker, msg.Epoch, msg.Root)
	return &types.MsgCommitPoCResponse{}, err
}

// RevealPoC reveals the signing worker's sampled rows.
func (s msgServer) RevealPoC(ctx context.Context, msg *types.MsgRevealPoC) (*types.MsgRevealPoCResponse, error) {
	worker, err := s.addrBytes(msg.Worker)
	if err != nil {
		return nil, err
	}
	outcome, err := s.Keeper.RevealPoC(ctx, worker, msg.Epoch, msg.Rows)
	return &types.MsgRevealPoCResponse{Outcome: outcome}, err
}

// UpdateParams replaces the params (authority only).
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	return &types.MsgUpdateParamsResponse{}, s.Keeper.UpdateParams(ctx, msg.Authority, msg.Params)
}
