package keeper

import (
	"context"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/pool Msg service. Each handler decodes the
// addresses and calls one keeper method, which checks state and emits the
// event; ValidateBasic has already run in CheckTx.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// CreatePool implements types.MsgServer.
func (s msgServer) CreatePool(ctx context.Context, msg *types.MsgCreatePool) (*types.MsgCreatePoolResponse, error) {
	provider, err := s.addrBytes(msg.Provider)
	if err != nil {
		return nil, err
	}
	shares, err := s.Keeper.CreatePool(ctx, provider, msg.SelfBond, msg.CommissionRate)
	if err != nil {
		return nil, err
	}
	return &types.MsgCreatePoolResponse{Shares: shares}, nil
}

// Delegate implements types.MsgServer.
func (s msgServer) Delegate(ctx context.Context, msg *types.MsgDelegate) (*types.MsgDelegateResponse, error) {
	delegator, provider, err := s.addrPair(msg.Delegator, msg.Provider)
	if err != nil {
		return nil, err
	}
	shares, err := s.Keeper.Delegate(ctx, delegator, provider, msg.Amount)
	if err != nil {
		return nil, err
	}
	return &types.MsgDelegateResponse{Shares: shares}, nil
}

// Undelegate implements types.MsgServer.
func (s msgServer) Undelegate(ctx context.Context, msg *types.MsgUndelegate) (*types.MsgUndelegateResponse, error) {
	delegator, provider, err := s.addrPair(msg.Delegator, msg.Provider)
	if err != nil {
		return nil, err
	}
	entry, err := s.Keeper.Undelegate(ctx, delegator, provider, msg.Amount)
	if err != nil {
		return nil, err
	}
	return &types.MsgUndelegateResponse{UnbondingId: entry.Id, CompletionTime: entry.CompletionTime, Amount: msg.Amount}, nil
}

// Unjail implements types.MsgServer. Only the provider can unjail its pool:
// the signer's own pool is the one looked up.
func (s msgServer) Unjail(ctx context.Context, msg *types.MsgUnjail) (*types.MsgUnjailResponse, error) {
	provider, err := s.addrBytes(msg.Provider)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.Unjail(ctx, provider); err != nil {
		return nil, err
	}
	return &types.MsgUnjailResponse{}, nil
}

// Claim implements types.MsgServer.
func (s msgServer) Claim(ctx context.Context, msg *types.MsgClaim) (*types.MsgClaimResponse, error) {
	delegator, provider, err := s.addrPair(msg.Delegator, msg.Provider)
	if err != nil {
		return nil, err
	}
	paid, err := s.Keeper.Claim(ctx, delegator, provider)
	if err != nil {
		return nil, err
	}
	return &types.MsgClaimResponse{Amount: paid}, nil
}

// UpdateParams implements types.MsgServer.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := s.Keeper.UpdateParams(ctx, msg.Authority, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}

// EjectProvider implements types.MsgServer: authority only (x/dao).
func (s msgServer) EjectProvider(ctx context.Context, msg *types.MsgEjectProvider) (*types.MsgEjectProviderResponse, error) {
	if err := kit.Authorize(s.authority, msg.Authority, types.ErrInvalidSigner); err != nil {
		return nil, err
	}
	provider, err := s.addrBytes(msg.Provider)
	if err != nil {
		return nil, err
	}
	ej, until, err := s.Keeper.EjectProvider(ctx, msg.Authority, provider, msg.SlashFraction, msg.Reason, msg.Tombstone)
	if err != nil {
		return nil, err
	}
	return &types.MsgEjectProviderResponse{Slashed: ej.Slashed, JailedUntil: until}, nil
}
