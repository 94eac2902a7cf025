package keeper

import (
	"context"

	errorsmod "cosmossdk.io/errors"

	"github.com/llmesh/mesh/x/internal/kit"
	"github.com/llmesh/mesh/x/rewards/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/rewards Msg service.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// ClaimRewards implements types.MsgServer.
func (s msgServer) ClaimRewards(ctx context.Context, msg *types.MsgClaimRewards) (*types.MsgClaimRewardsResponse, error) {
	if err := msg.Validate(s.ak.AddressCodec()); err != nil {
		return nil, err
	}
	claimant, err := s.addrBytes(msg.Claimant)
	if err != nil {
		return nil, err
	}
	account := claimant
	if msg.Account != "" {
		if account, err = s.addrBytes(msg.Account); err != nil {
			return nil, err
		}
	}
	return s.Claim(ctx, claimant, account)
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
