package keeper

import (
	"context"
	"time"

	errorsmod "cosmossdk.io/errors"

	sdk "github.com/cosmos/cosmos-sdk/types"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/pool/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/pool Msg service. Each handler validates the
// message, calls one keeper method and emits one typed event.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// CreatePool implements types.MsgServer.
func (s msgServer) CreatePool(ctx context.Context, msg *types.MsgCreatePool) (*types.MsgCreatePoolResponse, error) {
	if err := msg.Validate(s.ak.AddressCodec()); err != nil {
		return nil, err
	}
	provider, err := s.addrBytes(msg.Provider)
	if err != nil {
		return nil, err
	}
	shares, err := s.Keeper.CreatePool(ctx, provider, msg.SelfBond, msg.CommissionRate)
	if err != nil {
		return nil, err
	}
	if err := kit.Emit(ctx, &types.EventPoolCreated{
		Provider:       msg.Provider,
		SelfBond:       msg.SelfBond.String(),
		CommissionRate: msg.CommissionRate.String(),
	}); err != nil {
		return nil, err
	}
	return &types.MsgCreatePoolResponse{Shares: shares}, nil
}

// Delegate implements types.MsgServer.
func (s msgServer) Delegate(ctx context.Context, msg *types.MsgDelegate) (*types.MsgDelegateResponse, error) {
	if err := msg.Validate(s.ak.AddressCodec()); err != nil {
		return nil, err
	}
	delegator, provider, err := s.pair(msg.Delegator, msg.Provider)
	if err != nil {
		return nil, err
	}
	shares, err := s.Keeper.Delegate(ctx, delegator, provider, msg.Amount)
	if err != nil {
		return nil, err
	}
	if err := kit.Emit(ctx, &types.EventDelegated{
		Provider:  msg.Provider,
		Delegator: msg.Delegator,
		Amount:    msg.Amount.String(),
		Shares:    shares.String(),
	}); err != nil {
		return nil, err
	}
	return &types.MsgDelegateResponse{Shares: shares}, nil
}

// Undelegate implements types.MsgServer.
func (s msgServer) Undelegate(ctx context.Context, msg *types.MsgUndelegate) (*types.MsgUndelegateResponse, error) {
	if err := msg.Validate(s.ak.AddressCodec()); err != nil {
		return nil, err
	}
	delegator, provider, err := s.pair(msg.Delegator, msg.Provider)
	if err != nil {
		return nil, err
	}
	entry, err := s.Keeper.Undelegate(ctx, delegator, provider, msg.Amount)
	if err != nil {
		return nil, err
	}
	if err := kit.Emit(ctx, &types.EventUndelegated{
		Provider:       msg.Provider,
		Delegator:      msg.Delegator,
		Amount:         msg.Amount.String(),
		UnbondingId:    entry.Id,
		CompletionTime: entry.CompletionTime.Format(time.RFC3339Nano),
	}); err != nil {
		return nil, err
	}
	return &types.MsgUndelegateResponse{
		UnbondingId:    entry.Id,
		CompletionTime: entry.CompletionTime,
		Amount:         msg.Amount,
	}, nil
}

// Unjail implements types.MsgServer. Only the provider can unjail its pool:
// the signer's own pool is the one looked up.
func (s msgServer) Unjail(ctx context.Context, msg *types.MsgUnjail) (*types.MsgUnjailResponse, error) {
	if err := msg.Validate(s.ak.AddressCodec()); err != nil {
		return nil, err
	}
	provider, err := s.addrBytes(msg.Provider)
	if err != nil {
		return nil, err
	}
	if err := s.Keeper.Unjail(ctx, provider); err != nil {
		return nil, err
	}
	if err := kit.Emit(ctx, &types.EventUnjailed{Provider: msg.Provider}); err != nil {
		return nil, err
	}
	return &types.MsgUnjailResponse{}, nil
}

// Claim implements types.MsgServer.
func (s msgServer) Claim(ctx context.Context, msg *types.MsgClaim) (*types.MsgClaimResponse, error) {
	if err := msg.Validate(s.ak.AddressCodec()); err != nil {
		return nil, err
	}
	delegator, provider, err := s.pair(msg.Delegator, msg.Provider)
	if err != nil {
		return nil, err
	}
	paid, err := s.Keeper.Claim(ctx, delegator, provider)
	if err != nil {
		return nil, err
	}
	if err := kit.Emit(ctx, &types.EventRewardsClaimed{
		Provider:  msg.Provider,
		Delegator: msg.Delegator,
		Amount:    paid.String(),
	}); err != nil {
		return nil, err
	}
	return &types.MsgClaimResponse{Amount: paid}, nil
}

// UpdateParams implements types.MsgServer: authority check, Validate, set, event.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if msg.Authority != s.authority {
		return nil, errorsmod.Wrapf(types.ErrInvalidSigner, "expected %s, got %s", s.authority, msg.Authority)
	}
	if err := msg.Validate(s.ak.AddressCodec()); err != nil {
		return nil, err
	}
	if err := s.SetParams(ctx, msg.Params); err != nil {
		return nil, err
	}
	if err := kit.Emit(ctx, &types.EventParamsUpdated{Authority: msg.Authority}); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}

func (s msgServer) pair(delegator, provider string) (sdk.AccAddress, sdk.AccAddress, error) {
	d, err := s.addrBytes(delegator)
	if err != nil {
		return nil, nil, errorsmod.Wrap(types.ErrInvalidAddress, err.Error())
	}
	p, err := s.addrBytes(provider)
	if err != nil {
		return nil, nil, errorsmod.Wrap(types.ErrInvalidAddress, err.Error())
	}
	return d, p, nil
}
