package keeper

import (
	"context"
	"encoding/hex"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/compute/types"
	"github.com/llmesh/mesh/x/internal/kit"
)

type msgServer struct{ k Keeper }

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/compute Msg server. Signers are enforced by
// the cosmos.msg.v1.signer options: worker messages are signed by the worker.
func NewMsgServerImpl(k Keeper) types.MsgServer { return msgServer{k} }

// AuthorizeWorker lets an account register as the provider's worker.
func (s msgServer) AuthorizeWorker(ctx context.Context, msg *types.MsgAuthorizeWorker) (*types.MsgAuthorizeWorkerResponse, error) {
	provider, err := s.address(msg.Provider, "provider")
	if err != nil {
		return nil, err
	}
	worker, err := s.address(msg.Worker, "worker")
	if err != nil {
		return nil, err
	}
	if err := s.k.AuthorizeWorker(ctx, provider, worker); err != nil {
		return nil, err
	}
	return &types.MsgAuthorizeWorkerResponse{}, kit.Emit(ctx, &types.EventWorkerAuthorized{Provider: msg.Provider, Worker: msg.Worker})
}

// RegisterWorker registers the signing worker under its provider.
func (s msgServer) RegisterWorker(ctx context.Context, msg *types.MsgRegisterWorker) (*types.MsgRegisterWorkerResponse, error) {
	worker, err := s.address(msg.Worker, "worker")
	if err != nil {
		return nil, err
	}
	provider, err := s.address(msg.Provider, "provider")
	if err != nil {
		return nil, err
	}
	if err := s.k.RegisterWorker(ctx, worker, provider, msg.Spec, msg.Models, msg.Endpoint); err != nil {
		return nil, err
	}
	return &types.MsgRegisterWorkerResponse{}, kit.Emit(ctx, &types.EventWorkerRegistered{
		Worker: msg.Worker, Provider: msg.Provider, ComputeUnits: msg.Spec.ComputeUnits,
	})
}

// UpdateWorker replaces the signing worker's claims.
func (s msgServer) UpdateWorker(ctx context.Context, msg *types.MsgUpdateWorker) (*types.MsgUpdateWorkerResponse, error) {
	worker, err := s.address(msg.Worker, "worker")
	if err != nil {
		return nil, err
	}
	if err := s.k.UpdateWorker(ctx, worker, msg.Spec, msg.Models, msg.Endpoint); err != nil {
		return nil, err
	}
	return &types.MsgUpdateWorkerResponse{}, kit.Emit(ctx, &types.EventWorkerUpdated{Worker: msg.Worker, ComputeUnits: msg.Spec.ComputeUnits})
}

// DeregisterWorker removes a worker (signed by the worker or its provider).
func (s msgServer) DeregisterWorker(ctx context.Context, msg *types.MsgDeregisterWorker) (*types.MsgDeregisterWorkerResponse, error) {
	signer, err := s.address(msg.Signer, "signer")
	if err != nil {
		return nil, err
	}
	worker, err := s.address(msg.Worker, "worker")
	if err != nil {
		return nil, err
	}
	provider, err := s.k.DeregisterWorker(ctx, signer, worker)
	if err != nil {
		return nil, err
	}
	return &types.MsgDeregisterWorkerResponse{}, kit.Emit(ctx, &types.EventWorkerDeregistered{Worker: msg.Worker, Provider: s.k.addrString(provider)})
}

// UnjailWorker reactivates a jailed worker (signed by the worker or its provider).
func (s msgServer) UnjailWorker(ctx context.Context, msg *types.MsgUnjailWorker) (*types.MsgUnjailWorkerResponse, error) {
	signer, err := s.address(msg.Signer, "signer")
	if err != nil {
		return nil, err
	}
	worker, err := s.address(msg.Worker, "worker")
	if err != nil {
		return nil, err
	}
	if err := s.k.UnjailWorker(ctx, signer, worker); err != nil {
		return nil, err
	}
	return &types.MsgUnjailWorkerResponse{}, kit.Emit(ctx, &types.EventWorkerUnjailed{Worker: msg.Worker})
}

// CommitPoC commits the signing worker's Merkle root.
func (s msgServer) CommitPoC(ctx context.Context, msg *types.MsgCommitPoC) (*types.MsgCommitPoCResponse, error) {
	worker, err := s.address(msg.Worker, "worker")
	if err != nil {
		return nil, err
	}
	if _, err := s.k.CommitPoC(ctx, worker, msg.Epoch, msg.Root); err != nil {
		return nil, err
	}
	return &types.MsgCommitPoCResponse{}, kit.Emit(ctx, &types.EventPoCCommitted{Worker: msg.Worker, Epoch: msg.Epoch, Root: hex.EncodeToString(msg.Root)})
}

// RevealPoC reveals the signing worker's sampled rows; the keeper emits the
// outcome event.
func (s msgServer) RevealPoC(ctx context.Context, msg *types.MsgRevealPoC) (*types.MsgRevealPoCResponse, error) {
	worker, err := s.address(msg.Worker, "worker")
	if err != nil {
		return nil, err
	}
	outcome, err := s.k.RevealPoC(ctx, worker, msg.Epoch, msg.Rows)
	if err != nil {
		return nil, err
	}
	return &types.MsgRevealPoCResponse{Outcome: outcome}, nil
}

// UpdateParams replaces the params (authority only).
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != s.k.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidAuthority, "expected %s, got %s", s.k.authority, msg.Authority)
	}
	if err := msg.Params.Validate(); err != nil {
		return nil, errorsmod.Wrap(types.ErrInvalidParams, err.Error())
	}
	if err := s.k.Params.Set(ctx, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, kit.Emit(ctx, &types.EventParamsUpdated{Authority: msg.Authority})
}

func (s msgServer) address(bech string, field string) (sdk.AccAddress, error) {
	bz, err := s.k.addressCodec.StringToBytes(bech)
	if err != nil {
		return nil, errorsmod.Wrapf(types.ErrInvalidAddress, "%s %q: %v", field, bech, err)
	}
	return bz, nil
}
