package keeper

import (
	"context"

	"github.com/llmesh/mesh/x/rewards/types"
)

type msgServer struct {
	Keeper
}

var _ types.MsgServer = msgServer{}

// NewMsgServerImpl returns the x/rewards Msg service. Each handler decodes
// the addresses and calls one keeper method, which checks state and emits
// the event; ValidateBasic has already run in CheckTx.
func NewMsgServerImpl(k Keeper) types.MsgServer {
	return msgServer{Keeper: k}
}

// ClaimRewards implements types.MsgServer; an empty account is the claimant.
func (s msgServer) ClaimRewards(ctx context.Context, msg *types.MsgClaimRewards) (*types.MsgClaimRewardsResponse, error) {
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

// UpdateParams implements types.MsgServer.
func (s msgServer) UpdateParams(ctx context.Context, msg *types.MsgUpdateParams) (*types.MsgUpdateParamsResponse, error) {
	if err := s.Keeper.UpdateParams(ctx, msg.Authority, msg.Params); err != nil {
		return nil, err
	}
	return &types.MsgUpdateParamsResponse{}, nil
}
